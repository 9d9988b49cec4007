"""Ticket workflow benchmarks on PostgreSQL, through real HTTP against uvicorn on loopback.

1. Workflow cycles per second: create → dispatch → sign → answer → review-answer → close, from
   several client threads (6 requests per cycle).
2. With 1,000,000 tickets bulk-loaded (COPY) into a scratch database: latency p50/p95 of role
   inboxes and full-text search through the API, and the load time.

Figures are printed and saved to var/bench/tickets.json. Scale with HOTLINE_BENCH_TICKETS.
"""

from __future__ import annotations

import json
import os
import random
import socket
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text

from tests.conftest import DEMO_PASSWORD, make_database
from tickets import search
from tickets.demo import TICKETS

pytestmark = pytest.mark.bench

OUT = Path(__file__).resolve().parents[2] / "var" / "bench"
N_TICKETS = int(os.environ.get("HOTLINE_BENCH_TICKETS", "1000000"))
CYCLE_SECONDS = float(os.environ.get("HOTLINE_BENCH_CYCLE_SECONDS", "30"))
CLIENTS = 4
RESULTS: dict[str, object] = {}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """The API in its own process (uvicorn, one worker), on a loopback port."""

    def __init__(self, database_url: str, tmp: Path) -> None:
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        env = dict(os.environ)
        env.update(
            HOTLINE_DATABASE_URL=database_url,
            HOTLINE_DATA_DIR=str(tmp),
            HOTLINE_REDIS_URL="redis://127.0.0.1:6379/15",
            HOTLINE_LOG_JSON="false",
            HOTLINE_LOG_LEVEL="WARNING",
        )
        self.log = open(tmp / "uvicorn.log", "w")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "api.app:create_app", "--factory", "--host", "127.0.0.1",
             "--port", str(self.port), "--log-level", "warning", "--no-access-log"],
            env=env, stdout=self.log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.base}/api/health", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.3)
        raise RuntimeError((tmp / "uvicorn.log").read_text())

    def token(self, username: str) -> dict[str, str]:
        r = httpx.post(f"{self.base}/api/auth/token", data={"username": username, "password": DEMO_PASSWORD})
        r.raise_for_status()
        return {"Authorization": f"Bearer {r.json()['access_token']}"}

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)
        self.log.close()


def _pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(len(ordered) * p))] * 1000, 1)


def _save() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "tickets.json").write_text(json.dumps(RESULTS, ensure_ascii=False, indent=2))


# ---------------------------------------------------------------------------- 1. workflow cycles


def test_workflow_cycles_per_second(pg_url, tmp_path):
    server = Server(pg_url, tmp_path)
    try:
        engine = create_engine(pg_url)
        with engine.connect() as conn:
            police = conn.execute(text("select id from units where name = '南宁市公安局'")).scalar_one()
        engine.dispose()
        heads = {u: server.token(u) for u in ("agent01", "dispatcher", "police_handler")}
        answer = {"content": "已现场核查并处理", "handler_name": "李承办", "method": "现场核查",
                  "handled_at": datetime.now(UTC).isoformat()}  # fmt: skip
        stop = time.monotonic() + CYCLE_SECONDS
        done: list[float] = []
        errors: list[str] = []

        def client(n: int) -> None:
            with httpx.Client(base_url=server.base, timeout=30) as c:
                i = 0
                while time.monotonic() < stop:
                    i += 1
                    t0 = time.perf_counter()
                    body = {"channel": "phone", "call_id": f"bench-{n}-{i}", "appeal_type": "complaint",
                            "title": "夜间施工噪音扰民", "content": "工地夜间施工噪音很大，请处理。",
                            "citizen_phone": "13877110000", "district": "青秀区"}  # fmt: skip
                    r = c.post("/api/tickets", json=body, headers=heads["agent01"])
                    steps = [
                        ("dispatch", "dispatcher", {"lead_unit_id": police}),
                        ("sign", "police_handler", {}),
                        ("answer", "police_handler", answer),
                        ("review-answer", "dispatcher", {"result": "accept"}),
                        ("close", "dispatcher", {}),
                    ]
                    tid = r.json()["id"]
                    for action, user, payload in steps:
                        r = c.post(f"/api/tickets/{tid}/{action}", json=payload, headers=heads[user])
                        if r.status_code != 200:
                            errors.append(f"{action}: {r.status_code} {r.text[:200]}")
                            break
                    else:
                        done.append(time.perf_counter() - t0)

        threads = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
        start = time.monotonic()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.monotonic() - start
    finally:
        server.stop()
    assert not errors, errors[:3]
    RESULTS["workflow"] = {
        "clients": CLIENTS,
        "seconds": round(elapsed, 1),
        "cycles": len(done),
        "cycles_per_second": round(len(done) / elapsed, 2),
        "requests_per_second": round(6 * len(done) / elapsed, 1),
        "cycle_ms_p50": _pct(done, 0.5),
        "cycle_ms_p95": _pct(done, 0.95),
    }
    print("\nticket workflow:", json.dumps(RESULTS["workflow"], ensure_ascii=False))
    _save()
    assert len(done) > 0


# ---------------------------------------------------------------------------- 2. one million tickets

# A year and more of a big city's tickets: nearly all closed; the open ones are recent (last 20 days).
STATES = [("closed", 950), ("withdrawn", 10), ("handling", 14), ("to_sign", 6), ("to_revisit", 5),
          ("answered", 4), ("to_dispatch", 4), ("accepted", 3), ("extension_requested", 2),
          ("return_requested", 1), ("to_close", 1)]  # fmt: skip
OPEN_AT_UNIT = {
    "handling",
    "to_sign",
    "answered",
    "extension_requested",
    "return_requested",
    "to_revisit",
    "closed",
}
RARE = "榕树下咖啡馆"


def _rows(n: int, first_id: int, centre: int, tenants: list[int], units: list[int]):
    """Synthetic tickets from the demo's realistic texts, varied by district, street and time."""
    rnd = random.Random(12345)
    states = [s for s, w in STATES for _ in range(w)]
    now = datetime.now(UTC)
    streets = [
        "民族大道",
        "朝阳路",
        "大学东路",
        "星光大道",
        "五象大道",
        "友爱路",
        "东葛路",
        "白沙大道",
        "秀厢大道",
    ]
    docs = {}
    for k in range(n):
        tid = first_id + k
        title, content, appeal, category, district, address, _unit, _stage = TICKETS[
            rnd.randrange(len(TICKETS))
        ]
        street = streets[rnd.randrange(len(streets))]
        content = f"{content}地点：{street}{rnd.randrange(1, 999)}号。"
        if k % 10000 == 0:
            content += f"另外{RARE}油烟问题也请一并处理。"
        state = states[rnd.randrange(len(states))]
        days = 2 * 365 if state in ("closed", "withdrawn") else 20
        created = now - timedelta(minutes=rnd.randrange(0, days * 24 * 60))
        lead = units[rnd.randrange(len(units))] if state in OPEN_AT_UNIT else None
        tenant = centre if rnd.random() < 0.85 else tenants[rnd.randrange(len(tenants))]
        due = (
            created + timedelta(days=5)
            if state not in ("closed", "withdrawn", "to_revisit", "answered")
            else None
        )
        key = (title, content)
        doc = docs.get(key)
        if doc is None:
            doc = docs[key] = search.document(title, content, address)
        yield (
            tid, f"NN{created:%Y%m%d}{tid:08d}", tenant, "phone", appeal, "normal", title, content,
            f"南宁市{address}", district, category, f"138{rnd.randrange(10**8):08d}", state, lead,
            created, created, due, created + timedelta(days=4) if due else None, doc,
        )  # fmt: skip


COLUMNS = ("id, number, tenant_id, channel, appeal_type, urgency, title, content, address, district, category, "
           "citizen_phone, state, lead_unit_id, created_at, updated_at, due_at, warn_at, doc")  # fmt: skip
SECONDARY = ["ix_tickets_tenant_state_created", "ix_tickets_lead_state_created", "ix_tickets_state_due",
             "ix_tickets_search_vector", "ix_tickets_unit_ids", "ix_tickets_due_at", "ix_tickets_created_at", "ix_tickets_citizen_phone",
             "ix_tickets_call_id", "ix_tickets_external_id"]  # fmt: skip


def _bulk_load(url: str, n: int) -> dict[str, float]:
    import psycopg

    dsn = url.replace("postgresql+psycopg://", "postgresql://")
    timings = {}
    with psycopg.connect(dsn, autocommit=True) as conn:
        centre = conn.execute("select id from tenants where parent_id is null").fetchone()[0]
        tenants = [r[0] for r in conn.execute("select id from tenants where parent_id is not null")]
        units = [r[0] for r in conn.execute("select id from units")]
        first = conn.execute("select coalesce(max(id), 0) + 1 from tickets").fetchone()[0]
        index_sql = {
            name: conn.execute("select indexdef from pg_indexes where indexname = %s", (name,)).fetchone()[0]
            for name in SECONDARY
        }
        for name in SECONDARY:
            conn.execute(f"drop index {name}")
        conn.execute("create unlogged table bench_stage (" + ", ".join(
            f"{c} {t}" for c, t in zip(COLUMNS.split(", "), (
                "int", "text", "int", "text", "text", "text", "text", "text", "text", "text", "text", "text",
                "text", "int", "timestamptz", "timestamptz", "timestamptz", "timestamptz", "text"), strict=True)
        ) + ")")  # fmt: skip
        t0 = time.perf_counter()
        with conn.cursor() as cur, cur.copy(f"copy bench_stage ({COLUMNS}) from stdin") as copy:
            for row in _rows(n, first, centre, tenants, units):
                copy.write_row(row)
        timings["copy_s"] = round(time.perf_counter() - t0, 1)
        t0 = time.perf_counter()
        cols = COLUMNS.replace(", doc", "")
        conn.execute(
            f"insert into tickets ({cols}, search_vector, unit_ids, confidential, difficult, supervised, reopen_count, "
            "unsatisfied_count, urge_count, return_count, warning, version) "
            f"select {cols}, strip(to_tsvector('simple', doc)), "
            "case when lead_unit_id is null then null else array[lead_unit_id] end, false, false, false, 0, 0, 0, 0, 'none', 1 "
            "from bench_stage"
        )
        conn.execute(
            "insert into ticket_assignments (ticket_id, unit_id, kind, active, created_at) "
            "select id, lead_unit_id, 'lead', true, created_at from bench_stage where lead_unit_id is not null"
        )
        conn.execute("drop table bench_stage")
        timings["insert_s"] = round(time.perf_counter() - t0, 1)
        t0 = time.perf_counter()
        for sql in index_sql.values():
            conn.execute(sql)
        conn.execute("select setval(pg_get_serial_sequence('tickets', 'id'), (select max(id) from tickets))")
        conn.execute("vacuum analyze tickets")
        conn.execute("vacuum analyze ticket_assignments")
        timings["index_s"] = round(time.perf_counter() - t0, 1)
    timings["total_s"] = round(sum(timings.values()), 1)
    return timings


QUERIES = [  # name, user, params
    ("centre inbox: to_sign", "dispatcher", {"inbox": "to_sign"}),
    ("centre inbox: to_dispatch", "dispatcher", {"inbox": "to_dispatch"}),
    ("centre inbox: overdue", "dispatcher", {"inbox": "overdue"}),
    ("unit inbox: to_sign", "police_handler", {"inbox": "to_sign"}),
    ("unit inbox: in_progress", "police_handler", {"inbox": "in_progress"}),
    ("workstation inbox: in_progress", "ws_qx", {"inbox": "in_progress"}),
    ("filter: district + type + state", "dispatcher", {"district": "青秀区", "appeal_type": "complaint",
                                                        "state": "handling"}),
    ("search: common (物业)", "dispatcher", {"q": "物业"}),
    ("search: phrase (夜间违规施工)", "dispatcher", {"q": "夜间违规施工"}),
    (f"search: rare ({RARE})", "dispatcher", {"q": RARE}),
    ("search + filter: 噪音 in 江南区", "dispatcher", {"q": "噪音", "district": "江南区"}),
    ("unit search: 噪音", "police_handler", {"q": "噪音"}),
]  # fmt: skip


def test_inbox_and_search_latency_with_a_million_tickets(tmp_path):
    url, cleanup = make_database("postgresql", tmp_path)
    server = None
    try:
        load = _bulk_load(url, N_TICKETS)
        print(f"\nloaded {N_TICKETS} tickets:", json.dumps(load))
        server = Server(url, tmp_path)
        heads = {u: server.token(u) for u in {q[1] for q in QUERIES}}
        figures = {}
        with httpx.Client(base_url=server.base, timeout=60) as c:
            for name, user, params in QUERIES:
                times = []
                total = None
                for i in range(40):
                    p = dict(params, page=1 + (i % 3), size=20)
                    t0 = time.perf_counter()
                    r = c.get("/api/tickets", params=p, headers=heads[user])
                    times.append(time.perf_counter() - t0)
                    assert r.status_code == 200, r.text
                    total = r.json()["total"]
                figures[name] = {"p50_ms": _pct(times, 0.5), "p95_ms": _pct(times, 0.95), "matches": total}
                print(f"  {name:36s} p50 {figures[name]['p50_ms']:8.1f} ms  p95 {figures[name]['p95_ms']:8.1f} ms"
                      f"  ({total} matches)")  # fmt: skip
        RESULTS["million"] = {"tickets": N_TICKETS, "load": load, "queries": figures}
        _save()
        assert figures[f"search: rare ({RARE})"]["matches"] >= N_TICKETS // 10000
    finally:
        if server:
            server.stop()
        cleanup()
