"""Load: 512 concurrent calls and 268 agents through the simulator, ≥10 minutes of SIMULATED traffic.

The simulator runs in its own process (`hotline switch simulate`, time-scaled by SCALE: one real second
is SCALE simulated seconds); the controller runs here over real TCP against PostgreSQL, with its ACD on
the same scaled clock. Reported: routing decision latency (inbound_route and ACD enqueue) p50/p99, ESL
events per second handled, calls placed vs CDRs closed (every call must be accounted for), the
controller's CPU time and peak RSS. Figures are printed and saved to var/bench/switch_load.json.
"""

from __future__ import annotations

import json
import os
import resource
import socket
import subprocess
import sys
import time
from pathlib import Path

import gevent
import pytest
from sqlalchemy import func, select

from models.calls import Call
from models.db import make_engine, make_sessionmaker, session_scope
from tests.switch.rig import ScaledClock

SCALE = float(os.environ.get("HOTLINE_BENCH_SWITCH_SCALE", "3"))
SIM_SECONDS = float(os.environ.get("HOTLINE_BENCH_SWITCH_SECONDS", "600"))
AGENTS = 268
CONCURRENT = 512


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _add_agents(url: str) -> None:
    """The demo has 12 agents; add agent13…agent268 (numbers 1013…, extensions 8013…) with the general skill."""
    from api import org_service
    from models.calls import SkillGroup
    from models.org import Role, Tenant, User
    from models.scope import scope_for
    from switch import store

    with session_scope(make_sessionmaker(make_engine(url))) as db:
        centre = db.scalar(select(Tenant).where(Tenant.code == "NN"))
        admin = db.scalar(select(User).where(User.username == "admin"))
        general = db.scalar(select(SkillGroup).where(SkillGroup.code == "general"))
        scope = scope_for(db, admin)
        for i in range(13, AGENTS + 1):
            user = org_service.create_user(
                db,
                username=f"agent{i:03d}",
                full_name=f"坐席{i:03d}",
                password="Bench@12345678",
                tenant_id=centre.id,
                roles=[Role.agent],
                agent_number=f"{1000 + i}",
                extension=f"{8000 + i}",
            )
            db.flush()
            store.update_agent(db, scope, user.id, skills=[(general.id, 3)])


@pytest.mark.bench
@pytest.mark.timeout(3600)
def test_switch_load(pg_url: str, tmp_path: Path) -> None:
    from switch.controller import Controller

    _add_agents(pg_url)
    port = _free_port()
    report = tmp_path / "sim.json"
    env = dict(
        os.environ, HOTLINE_ESL_PASSWORD="ClueCon", HOTLINE_LOG_JSON="false", HOTLINE_DATA_DIR=str(tmp_path)
    )
    sim = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "api.cli",
            "switch",
            "simulate",
            "--port",
            str(port),
            "--scale",
            str(SCALE),
            "--calls-per-minute",
            "400",
            "--max-concurrent",
            str(CONCURRENT),
            "--duration",
            str(SIM_SECONDS),
            "--extensions",
            f"8001-{8000 + AGENTS}",
            "--report",
            str(report),
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    time.sleep(3)
    sessions = make_sessionmaker(make_engine(pg_url))
    with sessions() as db:
        before = db.scalar(select(func.count(Call.id))) or 0
    ctrl = Controller(
        host="127.0.0.1",
        port=port,
        password="ClueCon",
        sessions=sessions,
        record_dir=tmp_path,
        clock=ScaledClock(SCALE),
    )
    for agent in list(ctrl.acd.agents.values()):
        ctrl.apply_acd(ctrl.acd.login(agent.agent_number, extension=agent.extension, ready=True))
    assert len(ctrl.acd.agents) == AGENTS
    cpu0 = resource.getrusage(resource.RUSAGE_SELF)
    t0 = time.monotonic()
    runner = gevent.spawn(ctrl.run)
    peak_calls = 0
    peak_agents_busy = 0
    peak_lanes = 0
    while sim.poll() is None:
        gevent.sleep(1)
        peak_calls = max(peak_calls, len(ctrl.calls))
        peak_lanes = max(peak_lanes, len(ctrl.lanes))
        peak_agents_busy = max(
            peak_agents_busy,
            sum(1 for a in ctrl.acd.agents.values() if a.state.value in ("ringing", "in_call")),
        )
        assert time.monotonic() - t0 < 3600, "bench took over an hour"
    drain_deadline = time.monotonic() + 300  # the controller works through its backlog of events
    while (ctrl.lanes or ctrl.calls) and time.monotonic() < drain_deadline:
        gevent.sleep(1)
    assert ctrl.writer.flush(120), "the controller's DB writer drained its queue"
    wall = time.monotonic() - t0
    cpu1 = resource.getrusage(resource.RUSAGE_SELF)
    events = ctrl.events_handled
    ctrl.running = False
    runner.kill()
    out, err = sim.communicate(timeout=30)
    child = resource.getrusage(resource.RUSAGE_CHILDREN)  # the simulator (the load generator) is a child
    assert sim.returncode == 0, err.decode()[-2000:]
    stats = json.loads(report.read_text())
    with sessions() as db:
        cdrs = db.scalar(select(func.count(Call.id))) - before
        open_cdrs = db.scalar(select(func.count(Call.id)).where(Call.ended_at.is_(None), Call.id > before))
        by_disposition = dict(
            db.execute(
                select(Call.disposition, func.count(Call.id))
                .where(Call.id > before)
                .group_by(Call.disposition)
            ).all()
        )
    lat = sorted(ctrl.decision_ms)
    figures = {
        "simulated_seconds_of_arrivals": SIM_SECONDS,
        "time_scale": SCALE,
        "wall_seconds": round(wall, 1),
        "agents": AGENTS,
        "calls_placed": stats["calls_placed"],
        "peak_concurrent_calls_simulator": stats.get("peak_inbound"),
        "peak_live_calls_controller": peak_calls,
        "peak_agents_ringing_or_talking": peak_agents_busy,
        "cdrs_written": cdrs,
        "cdrs_left_open": open_cdrs,
        "dispositions": by_disposition,
        "routing_decisions": len(lat),
        "routing_decision_ms_p50": round(lat[len(lat) // 2], 3) if lat else None,
        "routing_decision_ms_p99": round(lat[int(len(lat) * 0.99)], 3) if lat else None,
        "esl_events_handled": events,
        "esl_events_per_s": round(events / wall, 1),
        "simulator_events_fired": stats["events_fired"],
        "controller_cpu_s": round((cpu1.ru_utime - cpu0.ru_utime) + (cpu1.ru_stime - cpu0.ru_stime), 1),
        "controller_cpu_percent": round(
            100 * ((cpu1.ru_utime - cpu0.ru_utime) + (cpu1.ru_stime - cpu0.ru_stime)) / wall, 1
        ),
        "controller_peak_rss_mb": round(cpu1.ru_maxrss / 1024, 1),
        "simulator_cpu_s": round(child.ru_utime + child.ru_stime, 1),
        "db_writes": ctrl.writer.done,
        "db_write_transactions": ctrl.writer.transactions,
        "db_write_failures": ctrl.writer.failed,
        "db_writer_max_backlog": ctrl.writer.max_backlog,
        "peak_event_lanes": peak_lanes,
    }
    print(json.dumps(figures, ensure_ascii=False, indent=2))
    Path("var/bench").mkdir(parents=True, exist_ok=True)
    Path(f"var/bench/switch_load_scale{SCALE:g}.json").write_text(
        json.dumps(figures, ensure_ascii=False, indent=2)
    )
    Path("var/bench/switch_load.json").write_text(json.dumps(figures, ensure_ascii=False, indent=2))
    assert stats["calls_placed"] > 0
    assert cdrs == stats["calls_placed"], "every call placed has exactly one CDR"
    assert open_cdrs == 0, "every CDR is closed"
    assert ctrl.writer.failed == 0, "no controller DB write failed"
    assert (stats.get("peak_inbound") or 0) >= CONCURRENT
