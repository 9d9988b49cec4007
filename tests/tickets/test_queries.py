"""Inboxes, full-text search, filters, the caller's history, xlsx export and KPIs."""

from __future__ import annotations

import io
import uuid
from datetime import UTC, datetime, timedelta

from openpyxl import load_workbook
from sqlalchemy import select

from models.org import Unit, User
from models.scope import scope_for
from tests.tickets.conftest import ticket_body
from tickets import service


def ids(resp) -> list[int]:
    assert resp.status_code == 200, resp.text
    return [x["id"] for x in resp.json()["items"]]


def test_unit_inboxes_follow_the_ticket(flow, client, auth):
    h = auth("police_handler")
    t = flow.dispatched()
    assert t["id"] in ids(client.get("/api/tickets?inbox=to_sign&size=200", headers=h))
    flow.act(t["id"], "sign", "police_handler")
    assert t["id"] not in ids(client.get("/api/tickets?inbox=to_sign&size=200", headers=h))
    assert t["id"] in ids(client.get("/api/tickets?inbox=in_progress&size=200", headers=h))
    flow.act(t["id"], "answer", "police_handler", **flow.answer_body())
    assert t["id"] in ids(client.get("/api/tickets?inbox=answered&size=200", headers=h))
    assert t["id"] not in ids(client.get("/api/tickets?inbox=answered&size=200", headers=auth("edu_handler")))


def test_overdue_inbox(db, client, auth):
    agent = scope_for(db, db.scalar(select(User).where(User.username == "agent01")))
    old = service.accept(db, agent, now=datetime.now(UTC) - timedelta(days=20), **ticket_body())
    older = service.accept(db, agent, now=datetime.now(UTC) - timedelta(days=400), **ticket_body())
    db.commit()
    overdue = ids(client.get("/api/tickets?inbox=overdue&size=200", headers=auth("dispatcher")))
    assert overdue.index(older.id) < overdue.index(old.id)  # most overdue first
    assert old.id in ids(client.get("/api/tickets?warning=red&size=200", headers=auth("dispatcher")))


def test_full_text_search(flow, client, auth):
    word = uuid.uuid4().hex[:8]
    t = flow.create(
        title=f"榕树下咖啡馆油烟扰民 {word}", content="楼下咖啡馆排烟管道直冲居民窗户，油烟味很重。"
    )
    h = auth("dispatcher")
    assert t["id"] in ids(client.get("/api/tickets", params={"q": "咖啡馆油烟"}, headers=h))
    assert t["id"] in ids(client.get("/api/tickets", params={"q": word}, headers=h))
    assert t["id"] in ids(client.get("/api/tickets", params={"q": t["number"]}, headers=h))
    assert t["id"] not in ids(client.get("/api/tickets", params={"q": "咖啡馆停水"}, headers=h))
    both = client.get(
        "/api/tickets", params={"q": "排烟管道", "district": "青秀区", "appeal_type": "complaint"}, headers=h
    )
    assert t["id"] in ids(both)
    other = client.get("/api/tickets", params={"q": "排烟管道", "district": "兴宁区"}, headers=h)
    assert t["id"] not in ids(other)


def test_filters_and_paging(flow, client, auth):
    flow.create(urgency="urgent", channel="web", call_id=None)
    r = client.get("/api/tickets?urgency=urgent&channel=web&size=5&page=1", headers=auth("dispatcher"))
    body = r.json()
    assert r.status_code == 200 and body["size"] == 5 and body["total"] >= 1
    assert all(x["urgency"] == "urgent" and x["channel"] == "web" for x in body["items"])
    r = client.get("/api/tickets?urgency=very", headers=auth("dispatcher"))
    assert r.status_code == 422 and r.json()["field"] == "urgency"


def test_caller_history_prefills_a_new_ticket(flow, client, auth):
    phone = f"139{uuid.uuid4().int % 10**8:08d}"
    flow.create(citizen_phone=phone, address="南宁市西乡塘区大学东路100号", district="西乡塘区")
    last = flow.create(
        citizen_phone=phone, citizen_name="莫晓红", address="南宁市西乡塘区明秀路8号", district="西乡塘区"
    )
    r = client.get("/api/tickets/history", params={"phone": phone}, headers=auth("agent02"))
    body = r.json()
    assert [x["id"] for x in body["items"]][0] == last["id"] and len(body["items"]) == 2
    assert (
        body["prefill"]["address"] == "南宁市西乡塘区明秀路8号"
        and body["prefill"]["citizen_name"] == "莫晓红"
    )
    new = flow.create(**{k: v for k, v in body["prefill"].items() if v is not None})
    assert new["address"] == "南宁市西乡塘区明秀路8号"


def test_export_xlsx_masks_for_units(flow, client, auth):
    t = flow.dispatched(citizen_phone="13977001122")
    r = client.get("/api/tickets/export", params={"q": t["number"]}, headers=auth("police_handler"))
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/vnd.openxml")
    rows = list(load_workbook(io.BytesIO(r.content)).active.iter_rows(values_only=True))
    assert rows[0][0] == "工单编号" and rows[1][0] == t["number"]
    assert rows[1][8] == "139****1122" and rows[1][12] == "待签收"
    r = client.get("/api/tickets/export", params={"q": t["number"]}, headers=auth("dispatcher"))
    assert (
        list(load_workbook(io.BytesIO(r.content)).active.iter_rows(values_only=True))[1][8] == "13977001122"
    )


def test_kpis_from_the_timeline(db, client, auth):
    users = {u.username: scope_for(db, u) for u in db.scalars(select(User))}
    edu = db.scalar(select(Unit.id).where(Unit.name == "南宁市教育局"))
    t0 = datetime(2021, 3, 1, 1, 0, tzinfo=UTC)  # a Monday, a window no other test writes to
    late = service.accept(db, users["agent01"], now=t0, **ticket_body(category="x-kpi"))
    quick = service.accept(db, users["agent01"], now=t0, **ticket_body(category="x-kpi"))
    consult = service.accept(db, users["agent01"], now=t0, **ticket_body(appeal_type="consultation"))
    service.accept(db, users["agent01"], now=t0, **ticket_body(appeal_type="consultation"))
    service.apply_action(
        db, users["agent01"], consult.id, "reply", now=t0 + timedelta(minutes=5), reply="已答复"
    )
    for t in (late, quick):
        service.apply_action(
            db, users["dispatcher"], t.id, "dispatch", now=t0 + timedelta(hours=1), lead_unit_id=edu
        )
    service.apply_action(db, users["edu_handler"], quick.id, "sign", now=t0 + timedelta(hours=2))
    service.apply_action(db, users["edu_handler"], late.id, "sign", now=t0 + timedelta(days=3))
    answer = {"content": "已办理", "handler_name": "邓承办", "handled_at": t0.isoformat(), "method": "电话"}
    service.apply_action(db, users["edu_handler"], quick.id, "answer", now=t0 + timedelta(hours=3), **answer)
    service.apply_action(
        db, users["dispatcher"], quick.id, "review-answer", now=t0 + timedelta(hours=4), result="accept"
    )
    service.apply_action(db, users["revisit"], quick.id, "revisit", now=t0 + timedelta(hours=5),
                         result="basically_satisfied", citizen_words="还行")  # fmt: skip
    db.commit()
    params = {"start": "2021-03-01T00:00:00Z", "end": "2021-03-31T00:00:00Z"}
    r = client.get("/api/reports/ticket-kpis", params=params, headers=auth("admin"))
    assert r.status_code == 200, r.text
    body = r.json()
    row = next(u for u in body["units"] if u["unit_id"] == edu)
    assert row["signed"] == 2 and row["signed_on_time"] == 1 and row["timely_sign_rate"] == 0.5
    assert row["answered"] == 1 and row["on_time_completion_rate"] == 1.0
    assert row["revisits"] == 1 and row["satisfaction_rate"] == 1.0
    assert body["centre"]["consultations"] == 2 and body["centre"]["direct_reply_rate"] == 0.5
    assert body["centre"]["dispatched"] == 2 and body["centre"]["dispatch_timeliness"] == 1.0
    # a unit sees only its own figures
    mine = client.get("/api/reports/ticket-kpis", params=params, headers=auth("police_handler")).json()
    assert all(u["unit_id"] != edu for u in mine["units"])
    bad = client.get(
        "/api/reports/ticket-kpis",
        params={"start": params["end"], "end": params["start"]},
        headers=auth("admin"),
    )
    assert bad.status_code == 422 and bad.json()["field"] == "start"


def test_search_page_from_the_newest_tickets_equals_the_index_search(db):
    """A broad search is answered from the newest tickets when that gives a full page: the same rows, in
    the same order, as the search over every match; rare terms and short last pages use the index."""
    from tickets import queries

    agent = scope_for(db, db.scalar(select(User).where(User.username == "agent01")))
    dispatcher = scope_for(db, db.scalar(select(User).where(User.username == "dispatcher")))
    broad, rare = f"1e5{uuid.uuid4().hex[:6]}", uuid.uuid4().hex[:8]  # "1e5…": split by the PG parser
    now = datetime.now(UTC)
    for i in range(30):
        at = now - timedelta(hours=i // 2 * 7)  # pairs created at the same moment: the id decides
        district = "江南区" if i % 3 == 0 else "青秀区"
        service.accept(db, agent, now=at, **ticket_body(content=f"路灯不亮 {broad}", district=district))
    for i in range(3):
        service.accept(db, agent, now=now - timedelta(days=300 + i), **ticket_body(content=f"古树 {rare}"))
    db.commit()

    def index_search(f, offset, limit):
        stmt = queries.select_tickets(db, dispatcher, f, now).offset(offset).limit(limit)
        return [t.id for t in db.scalars(stmt)]

    for f in (queries.Filters(q=broad), queries.Filters(q=broad, district="青秀区")):
        for offset in (0, 10):
            expected = index_search(f, offset, 10)
            assert len(expected) == 10
            page = queries._page_from_recent(db, dispatcher, f, now, offset, 10)
            assert page is not None and [t.id for t in page] == expected
            rows, total = queries.list_tickets(db, dispatcher, f, offset=offset, limit=10, now=now)
            assert [t.id for t in rows] == expected and total == len(index_search(f, 0, 100))
    # a last page that is not full, and a rare term: from the index search
    f = queries.Filters(q=broad)
    assert queries._page_from_recent(db, dispatcher, f, now, 25, 10) is None
    rows, _ = queries.list_tickets(db, dispatcher, f, offset=25, limit=10, now=now)
    assert [t.id for t in rows] == index_search(f, 25, 10) and len(rows) == 5
    f = queries.Filters(q=rare)
    assert queries._page_from_recent(db, dispatcher, f, now, 0, 20) is None
    rows, total = queries.list_tickets(db, dispatcher, f, offset=0, limit=20, now=now)
    assert len(rows) == total == 3
