"""The controller (greenswitch, gevent) against the simulator over real TCP, writing CDRs to PostgreSQL."""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path

import gevent
import pytest
from sqlalchemy import select

from models.calls import Call, Recording
from models.db import make_engine, make_sessionmaker
from switch.controller import Controller
from switch.simulator import CallerScript, EventSocketServer, FreeSwitch
from switch.simulator.clock import SimClock
from switch.simulator.traffic import register_agents


class SimThread:
    """The simulator's asyncio loop in a thread (the controller's gevent hub owns the main thread)."""

    def __init__(self, scale: float = 4.0) -> None:
        self.loop = asyncio.new_event_loop()
        self.fs = FreeSwitch(SimClock(scale))
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

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self.server.stop(), self.loop).result(5)
        asyncio.run_coroutine_threadsafe(self.fs.close(), self.loop).result(5)
        self.loop.call_soon_threadsafe(self.loop.stop)


def wait_until(pred, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return
        gevent.sleep(0.1)
    raise AssertionError("condition not met in time")


@pytest.fixture
def rig(pg_url: str, tmp_path: Path):
    sim = SimThread()
    register_agents(sim.fs, [str(8000 + i) for i in range(1, 13)])
    sessions = make_sessionmaker(make_engine(pg_url))
    ctrl = Controller(
        host="127.0.0.1", port=sim.server.port, password="ClueCon", sessions=sessions, record_dir=tmp_path
    )
    for agent in list(ctrl.acd.agents.values()):
        ctrl.apply_acd(ctrl.acd.login(agent.agent_number, extension=agent.extension, ready=True))
    runner = gevent.spawn(ctrl.run)
    wait_until(lambda: ctrl.esl is not None and ctrl.esl.connected, 10)
    yield sim, ctrl, sessions
    ctrl.running = False
    runner.kill()
    sim.stop()


def cdr(sessions, uuid: str) -> Call | None:
    with sessions() as db:
        return db.scalar(select(Call).where(Call.uuid == uuid))


def test_call_through_ivr_queue_agent_and_survey(rig) -> None:
    sim, ctrl, sessions = rig
    uuid = sim.call(
        CallerScript(number="13907710001", destination="12345", digits=["1", "1"], talk_seconds=8)
    )
    wait_until(lambda: (c := cdr(sessions, uuid)) is not None and c.ended_at is not None, 60)
    call = cdr(sessions, uuid)
    assert call.disposition == "answered"
    assert call.agent_number is not None and call.talk_s and call.talk_s > 0
    assert call.queue_entered_at is not None and call.wait_s is not None
    assert call.satisfaction == 5
    with sessions() as db:
        rec = db.scalar(select(Recording).where(Recording.call_uuid == uuid))
    assert rec is not None and Path(rec.path).is_file()
    assert ctrl.decision_ms


def test_abandon_in_queue_is_recorded(rig) -> None:
    sim, ctrl, sessions = rig
    for agent in list(ctrl.acd.agents.values()):
        ctrl.apply_acd(ctrl.acd.set_not_ready(agent.agent_number, "会议"))
    uuid = sim.call(CallerScript(number="13907710002", destination="12345", digits=["1"], patience=6))
    wait_until(lambda: (c := cdr(sessions, uuid)) is not None and c.ended_at is not None, 60)
    call = cdr(sessions, uuid)
    assert call.disposition == "abandoned"
    assert call.abandon_stage == "queue"
