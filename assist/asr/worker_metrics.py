"""Prometheus metrics of a Celery worker: tasks per name and outcome, served over HTTP on loopback.

The ASR counters (transcription / audio seconds, backlog) live in `assist.asr.tasks` on the same default
registry, so the one endpoint serves them too. Started from the worker signals wired in api/worker.py;
`HOTLINE_WORKER_METRICS_PORT=0` disables it. Tasks run in the main process with the solo / threads /
gevent pools; with prefork they run in the children, so child N serves on port + N (N from 1).
"""

from __future__ import annotations

import logging
import time

from celery.signals import task_failure, task_prerun, task_retry, task_success
from prometheus_client import Counter, Histogram, start_http_server

log = logging.getLogger("hotline.worker")

TASKS = Counter(
    "hotline_worker_tasks_total", "Celery tasks finished, by name and outcome", ["task", "outcome"]
)
TASK_SECONDS = Histogram("hotline_worker_task_seconds", "Celery task run time", ["task"])

_started: dict[str, float] = {}
_serving: list[int] = []


def _name(sender) -> str:
    return getattr(sender, "name", None) or str(sender)


def _on_prerun(task_id=None, task=None, **_) -> None:
    _started[task_id] = time.monotonic()


def _finish(task_id: str | None, name: str, outcome: str) -> None:
    TASKS.labels(name, outcome).inc()
    started = _started.pop(task_id, None) if task_id else None
    if started is not None:
        TASK_SECONDS.labels(name).observe(time.monotonic() - started)


def _on_success(sender=None, **_) -> None:
    _finish(getattr(sender.request, "id", None) if sender else None, _name(sender), "succeeded")


def _on_failure(sender=None, task_id=None, **_) -> None:
    _finish(task_id, _name(sender), "failed")


def _on_retry(sender=None, request=None, **_) -> None:
    _finish(getattr(request, "id", None), _name(sender), "retried")


def start(port: int, *, host: str = "127.0.0.1") -> int | None:
    """Serve the default registry on host:port (once per process); 0 disables. Returns the port served."""
    if port <= 0:
        return None
    if _serving:
        return _serving[0]
    try:
        start_http_server(port, addr=host)
    except OSError as exc:  # a busy port must not stop the worker from working
        log.warning("worker metrics not served", extra={"port": port, "error": str(exc)})
        return None
    task_prerun.connect(_on_prerun, weak=False)
    task_success.connect(_on_success, weak=False)
    task_failure.connect(_on_failure, weak=False)
    task_retry.connect(_on_retry, weak=False)
    _serving.append(port)
    log.info("worker metrics served", extra={"port": port, "host": host})
    return port


def runs_tasks_in_children(consumer) -> bool:
    pool = getattr(consumer, "pool", None)
    return pool is not None and type(pool).__module__.endswith("prefork")
