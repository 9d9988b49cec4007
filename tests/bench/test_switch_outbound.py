"""Outbound-socket mode under load: calls arrive faster than 12 agents can take them, each on its own socket.

Reported: calls placed vs CDRs closed (every call accounted for), answered / abandoned, sockets served,
socket handshake (accept → call handed to the controller) p50/p99, ESL events per second handled.
Figures are printed and saved to var/bench/switch_outbound.json.
"""

from __future__ import annotations

import json
import os
import random
import statistics
import time
from pathlib import Path

import gevent
import pytest
from sqlalchemy import func, select

from models.calls import Call
from switch.outbound import OutboundServer
from switch.simulator import CallerScript
from tests.switch.rig import Rig, wait_until

OUT = Path(__file__).resolve().parents[2] / "var" / "bench"
CALLS = int(os.environ.get("HOTLINE_BENCH_OUTBOUND_CALLS", "120"))


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 2) if ordered else 0.0


@pytest.mark.bench
def test_outbound_socket_load(pg_url: str, tmp_path: Path) -> None:
    rig = Rig(pg_url, tmp_path, sim_scale=8.0)
    server = OutboundServer(rig.ctrl, port=0)
    server.start()
    rig.sim.fs.dialplan["12345"] = "hotline-socket"
    rig.sim.fs.outbound_address = ("127.0.0.1", server.port)
    rng = random.Random(12345)
    started = time.monotonic()
    events0 = rig.ctrl.events_handled
    uuids = []
    try:
        for i in range(CALLS):
            script = CallerScript(
                number=f"1390000{i:04d}",
                destination="12345",
                digits=["1", "1"],
                talk_seconds=rng.uniform(10, 60),
                patience=rng.uniform(60, 240),
            )
            uuids.append(rig.sim.call(script))
            gevent.sleep(rng.expovariate(1 / 0.1))  # ~10 calls a second (80 a simulated second)

        def closed() -> int:
            with rig.sessions() as db:
                return db.scalar(select(func.count()).where(Call.uuid.in_(uuids), Call.ended_at.is_not(None)))

        wait_until(lambda: closed() == CALLS, 300, "every call's CDR closed")
        wall = time.monotonic() - started
        with rig.sessions() as db:
            outcomes = dict(
                db.execute(
                    select(Call.disposition, func.count())
                    .where(Call.uuid.in_(uuids))
                    .group_by(Call.disposition)
                ).all()
            )
        figures = {
            "calls": CALLS,
            "cdrs_closed": closed(),
            "outcomes": {str(k): v for k, v in outcomes.items()},
            "sockets_served": server.sessions_served,
            "handshake_ms_p50": _pct(server.handshake_ms, 0.5),
            "handshake_ms_p99": _pct(server.handshake_ms, 0.99),
            "handshake_ms_mean": round(statistics.fmean(server.handshake_ms), 2)
            if server.handshake_ms
            else 0,
            "events_per_s": round((rig.ctrl.events_handled - events0) / wall, 1),
            "wall_s": round(wall, 1),
            "sim_scale": 8.0,
        }
        print(json.dumps(figures, ensure_ascii=False))
        OUT.mkdir(parents=True, exist_ok=True)
        (OUT / "switch_outbound.json").write_text(json.dumps(figures, ensure_ascii=False, indent=2))
        assert figures["cdrs_closed"] == CALLS and server.sessions_served == CALLS
        wait_until(lambda: not rig.ctrl.sockets, 15, "every socket released")
    finally:
        server.stop()
        rig.close()
