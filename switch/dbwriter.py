"""Database work off the controller's gevent loop.

psycopg and sqlite3 are not gevent-aware: a query run on the hub stalls every call. Writes go to one
thread (`DbWriter`), in the order they were submitted (so per call too), with whatever is queued run
in one transaction (group commit); reads that a call waits for run in gevent's threadpool (`read`),
which blocks only the greenlet asking.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

import gevent
from sqlalchemy.orm import Session, sessionmaker

log = logging.getLogger("hotline.switch")

T = TypeVar("T")
Job = Callable[[Session], Any]

_STOP = object()


class DbWriter:
    """A single writer thread; `submit` never blocks, `flush` waits (yielding to gevent) until all is written."""

    def __init__(self, sessions: sessionmaker, *, batch: int = 256) -> None:
        self.sessions = sessions
        self.batch = batch
        self.jobs: queue.SimpleQueue = queue.SimpleQueue()
        self.submitted = 0
        self.done = 0
        self.failed = 0
        self.max_backlog = 0
        self.transactions = 0
        self.thread = threading.Thread(target=self._run, name="hotline-db-writer", daemon=True)
        self.thread.start()

    def submit(self, job: Job) -> None:
        self.submitted += 1
        self.max_backlog = max(self.max_backlog, self.submitted - self.done)
        self.jobs.put(job)

    @property
    def backlog(self) -> int:
        return self.submitted - self.done

    def flush(self, timeout: float = 60.0) -> bool:
        """Wait until every job submitted so far is written (or failed and logged)."""
        target = self.submitted
        deadline = time.monotonic() + timeout
        while self.done < target:
            if time.monotonic() > deadline or not self.thread.is_alive():
                return False
            gevent.sleep(0.005)
        return True

    def close(self, timeout: float = 60.0) -> None:
        """Drain the queue (no CDR write lost at shutdown), then stop the thread."""
        self.flush(timeout)
        self.jobs.put(_STOP)
        self.thread.join(timeout)

    def _run(self) -> None:
        while True:
            first = self.jobs.get()
            if first is _STOP:
                return
            batch = [first]
            stop = False
            while len(batch) < self.batch:
                try:
                    job = self.jobs.get_nowait()
                except queue.Empty:
                    break
                if job is _STOP:
                    stop = True
                    break
                batch.append(job)
            self._write(batch)
            if stop:
                return

    def _write(self, batch: list[Job]) -> None:
        try:
            with self.sessions() as db:
                for job in batch:
                    job(db)
                db.commit()
            self.transactions += 1
        except Exception:
            if len(batch) > 1:
                # one bad job must not take the others with it: the batch was rolled back, write them one by one
                for job in batch:
                    self._write([job])
                return
            self.failed += 1
            log.exception("controller database write failed")
        self.done += len(batch)


def read(sessions: sessionmaker, fn: Callable[[Session], T]) -> T:
    """Run a query in gevent's threadpool: the asking greenlet waits, the others go on."""

    def job() -> T:
        with sessions() as db:
            return fn(db)

    return gevent.get_hub().threadpool.apply(job)
