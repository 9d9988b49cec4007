"""Test rig: the simulator in a thread (asyncio), the controller in gevent, a bus on the test Redis."""

from __future__ import annotations

import asyncio
import threading
import time
import uuid as uuidlib
from datetime import UTC, datetime
from pathlib import Path

import gevent
from sqlalchemy import delete, select
from sqlalchemy.orm import selectinload

from models.bus import Bus
from models.calls import AgentStatus, Call
from models.db import make_engine, make_sessionmaker
from switch.controller import Controller
from switch.simulator import CallerScript, EventSocketServer, FreeSwitch
from switch.simulator.clock import SimClock
from switch.simulator.traffic import register_agents

REDIS_URL = "redis://127.0.0.1:6379/15"


class ScaledClock:
    """routing's Clock running `scale` times faster than real time (overflow timers in seconds, not minutes)."""

    def __init__(self, scale: float = 1.0, start: datetime | None = None) -> None:
        self.scale = scale
        self.start = start or datetime.now(UTC)
        self.t0 = time.monotonic()

    def now(self) -> datetime:
        from datetime import timedelta

        return self.start + timedelta(seconds=(time.monotonic() - self.t0) * self.scale)


class SimThread:
    """The simulator's asyncio loop in a thread (the controller's gevent hub owns the main thread)."""

    def __init__(self, scale: float = 4.0, **fs_kwargs) -> None:
        self.loop = asyncio.new_event_loop()
        self.fs = FreeSwitch(SimClock(scale), **fs_kwargs)
        self.server = EventSocketServer(self.fs, port=0)
        ready = threading.Event()

        def run() -> None:
            asyncio.set_event_loop(self.loop)
            self.loop.run_until_complete(self.server.start())
            ready.set()
            self.loop.run_forever()

        self.thread = threading.Thread(target=run, daemon=True)
        self.thread.start()
        ready.wait(5)

    def call(self, script: CallerScript) -> str:
        fut = asyncio.run_coroutine_threadsafe(self.fs.inbound_call(script), self.loop)
        return fut.result(5).uuid

    def run(self, fn, *args):
        async def wrapper():
            return fn(*args)

        return asyncio.run_coroutine_threadsafe(wrapper(), self.loop).result(5)

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self.server.stop(), self.loop).result(5)
        asyncio.run_coroutine_threadsafe(self.fs.close(), self.loop).result(5)
        self.loop.call_soon_threadsafe(self.loop.stop)


def wait_until(pred, timeout: float = 30.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return
        gevent.sleep(0.05)
    raise AssertionError(f"{what} not met in {timeout} s")


class Rig:
    def __init__(
        self,
        db_url: str,
        tmp: Path,
        *,
        clock=None,
        sim_scale: float = 4.0,
        ready: bool = True,
        namespace: str = "",
    ) -> None:
        self.sim = SimThread(sim_scale)
        register_agents(self.sim.fs, [str(8000 + i) for i in range(1, 13)])
        for ext in ("8100", "8101"):  # supervisors' phones
            register_agents(self.sim.fs, [ext])
        self.sessions = make_sessionmaker(make_engine(db_url))
        with self.sessions() as db:  # each test starts with every agent logged out
            db.execute(delete(AgentStatus))
            db.commit()
        self.tmp = tmp
        self.namespace = namespace or f"t{uuidlib.uuid4().hex[:8]}"
        self.bus = Bus(REDIS_URL, self.namespace)
        self.clock = clock
        self.events: list[dict] = []
        self.ctrl = self.start_controller()
        if ready:
            for agent in list(self.ctrl.acd.agents.values()):
                self.ctrl.apply_acd(
                    self.ctrl.acd.login(agent.agent_number, extension=agent.extension, ready=True)
                )

    def start_controller(self) -> Controller:
        ctrl = Controller(
            host="127.0.0.1",
            port=self.sim.server.port,
            password="ClueCon",
            sessions=self.sessions,
            record_dir=self.tmp,
            bus=self.bus,
            clock=self.clock,
        )
        ctrl.bus_publish = lambda m, _orig=ctrl.bus_publish: (self.events.append(m), _orig(m))[1]  # type: ignore[method-assign]
        self.runner = gevent.spawn(ctrl.run)
        wait_until(lambda: ctrl.esl is not None and ctrl.esl.connected, 10, "controller connected")
        return ctrl

    def stop_controller(self) -> None:
        """A controller crash: the process is gone, the phone system keeps the calls."""
        self.ctrl.running = False
        self.runner.kill()
        if self.ctrl.esl is not None:
            self.ctrl.esl.sock.close()

    def request(self, action: str, **fields) -> dict:
        """A command through Redis from another thread, as the API sends it."""
        pool = gevent.get_hub().threadpool
        return pool.spawn(self.bus.request, action, timeout=10, **fields).get()

    def cdr(self, uuid: str) -> Call | None:
        with self.sessions() as db:
            return db.scalar(select(Call).options(selectinload(Call.skill_group)).where(Call.uuid == uuid))

    def wait_cdr_closed(self, uuid: str, timeout: float = 60) -> Call:
        wait_until(
            lambda: (c := self.cdr(uuid)) is not None and c.ended_at is not None, timeout, "CDR closed"
        )
        call = self.cdr(uuid)
        assert call is not None
        return call

    def wait_connected(self, uuid: str, timeout: float = 30) -> str:
        wait_until(
            lambda: (
                (c := self.ctrl.calls.get(uuid)) is not None and c.agent_leg is not None and c.bridges > 0
            ),
            timeout,
            "agent connected",
        )
        return self.ctrl.calls[uuid].agent_number

    def close(self) -> None:
        self.ctrl.running = False
        self.runner.kill()
        self.sim.stop()
        self.sessions.kw["bind"].dispose()  # many rigs in one session would exhaust PostgreSQL's connections
