"""Hot standby: two `hotline switch run` processes on one simulated FreeSWITCH; only the lock holder drives it.
Killing the leader mid-call lets the standby take over, adopt the call and close its CDR."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid as uuidlib
from pathlib import Path

import redis
from sqlalchemy import delete, select

from models.calls import AgentStatus, Call
from models.db import make_engine, make_sessionmaker
from switch.leader import LeaderLock, lock_key
from switch.simulator import CallerScript
from switch.simulator.traffic import register_agents
from tests.switch.rig import REDIS_URL, SimThread, wait_until

HOTLINE = str(Path(sys.executable).with_name("hotline"))


def controller(env: dict[str, str], log: Path) -> subprocess.Popen:
    out = log.open("w")
    return subprocess.Popen(
        [HOTLINE, "switch", "run", "--login", "1001:8001"], env=env, stdout=out, stderr=out
    )


def test_lock_is_exclusive_renewable_and_released_only_by_its_holder() -> None:
    client = redis.Redis.from_url(REDIS_URL, decode_responses=True)
    key = lock_key(f"t{uuidlib.uuid4().hex[:8]}", "127.0.0.1", 8021)
    a, b = LeaderLock(client, key, ttl_s=1), LeaderLock(client, key, ttl_s=1)
    assert a.acquire() and not b.acquire()
    assert a.holder() == a.token and b.holder() == a.token
    b.release()  # not the holder: nothing happens
    assert not b.acquire() and not b.renew()
    assert a.renew()
    time.sleep(1.2)  # not renewed: expires; nobody took it, so the late holder gets it back
    assert client.get(key) is None and a.renew() and a.holder() == a.token
    time.sleep(1.2)
    assert b.acquire() and not a.renew()  # taken by the standby meanwhile: lost for good
    b.release()
    assert client.get(key) is None


def test_standby_takes_over_and_the_call_keeps_its_cdr(pg_url: str, tmp_path: Path) -> None:
    sim = SimThread(4.0)
    register_agents(sim.fs, ["8001"])
    sessions = make_sessionmaker(make_engine(pg_url))
    with sessions() as db:
        db.execute(delete(AgentStatus))
        db.commit()
    namespace = f"t{uuidlib.uuid4().hex[:8]}"
    env = {
        **os.environ,
        "HOTLINE_DATABASE_URL": pg_url,
        "HOTLINE_REDIS_URL": REDIS_URL,
        "HOTLINE_EXTRA": json.dumps({"bus_namespace": namespace}),
        "HOTLINE_ESL_PORT": str(sim.server.port),
        "HOTLINE_LEADER_LOCK_TTL_S": "3",
        "HOTLINE_DATA_DIR": str(tmp_path),
        "HOTLINE_LOG_JSON": "false",
    }
    client = redis.Redis.from_url(REDIS_URL, decode_responses=True)
    key = lock_key(namespace, "127.0.0.1", sim.server.port)
    first = controller(env, tmp_path / "first.log")
    second = None
    try:
        wait_until(lambda: client.get(key) is not None and len(sim.server.connections) == 1, 60, "leader up")
        leader = client.get(key)
        assert f":{first.pid}:" in leader
        second = controller(env, tmp_path / "second.log")
        wait_until(lambda: "备用控制器" in (tmp_path / "second.log").read_text(), 60, "standby waiting")
        assert len(sim.server.connections) == 1  # the standby does not touch the switch
        uuid = sim.call(
            CallerScript(number="13877716001", destination="12345", digits=["1", "1"], talk_seconds=40)
        )

        def cdr(uuid: str) -> Call | None:
            with sessions() as db:
                return db.scalar(select(Call).where(Call.uuid == uuid))

        wait_until(
            lambda: (c := cdr(uuid)) is not None and c.agent_answered_at is not None, 60, "call answered"
        )
        first.send_signal(signal.SIGKILL)  # the leader dies mid-conversation
        first.wait(10)
        wait_until(
            lambda: (h := client.get(key)) is not None and f":{second.pid}:" in h, 30, "standby took over"
        )
        wait_until(lambda: len(sim.server.connections) == 1, 30, "new controller connected")
        wait_until(lambda: (c := cdr(uuid)) is not None and c.ended_at is not None, 90, "CDR closed")
        call = cdr(uuid)
        assert call.disposition == "answered" and call.agent_number == "1001"
        assert call.talk_s and call.talk_s > 0 and call.hangup_cause != "LOST_ON_RESTART"
        assert "adopted bridged call" in (tmp_path / "second.log").read_text()
    finally:
        for proc in (first, second):
            if proc is not None and proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(10)
                except subprocess.TimeoutExpired:
                    proc.kill()
        sim.stop()
