"""Duplicates, merge and the hot-issue report on the real ticket tables."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from assist.hotspot import service
from models.dispatch import HotspotAlert
from models.errors import Conflict
from models.org import Tenant
from models.tickets import Ticket, TicketEvent
from tests.assist.dispatch.helpers import accept, handle, scope, unit_id


def _mark() -> str:
    """A run-unique compound-name suffix in Chinese (tests share one database)."""
    return "".join("零一二三四五六七八九"[int(c)] for c in datetime.now(UTC).strftime("%S%f")[:5])


def test_duplicate_flagged_and_merge_answers_together(db):
    mark = _mark()
    first = accept(
        db, "下水道堵塞", f"凤岭北路荣和山水美地{mark}小区门口下水道堵塞，污水外溢臭气熏天", district="青秀区"
    )
    second = accept(db, "下水道又堵", f"荣和山水美地{mark}小区门口下水道堵了，污水流到路上，请尽快疏通")
    other = accept(db, "停车费", f"荣和山水美地{mark}小区物业乱收停车费")
    flags = service.flag_duplicates(db, second)
    assert [f.candidate_id for f in flags] == [first]
    assert service.flag_duplicates(db, other) == []
    dispatcher = scope(db, "dispatcher")
    # the primary is being handled; the merged one follows it to the same unit
    water = "南宁建宁水务投资集团有限责任公司"
    from tickets import service as tickets

    tickets.apply_action(db, dispatcher, first, "dispatch", lead_unit_id=unit_id(db, water))
    row = service.merge(db, dispatcher, primary_id=first, merged_id=second, note="同一小区同一问题")
    merged = db.get(Ticket, second)
    assert merged.state == "to_sign" and merged.lead_unit_id == unit_id(db, water)
    assert service.duplicates_of(db, second)[0].status == "merged"
    with pytest.raises(Conflict):
        service.merge(db, dispatcher, primary_id=other, merged_id=second)
    # the unit answers the primary; the merged ticket is answered with it
    tickets.apply_action(db, scope(db, "water_handler"), first, "sign")
    tickets.apply_action(
        db,
        scope(db, "water_handler"),
        first,
        "answer",
        content="已派人疏通下水道。",
        handler_name="陈师傅",
        handled_at=datetime.now(UTC),
        method="现场处理",
    )
    assert service.sync_merges(db) >= 1
    db.refresh(row)
    merged = db.get(Ticket, second)
    assert row.answered and merged.state == "answered" and "已派人疏通下水道" in merged.answer
    labels = list(db.scalars(select(TicketEvent.action).where(TicketEvent.ticket_id == second)))
    assert labels[:2] == ["accept", "merge"] and "answer" in labels
    db.rollback()


def test_hot_issue_report_with_surge_alert(db):
    root = db.scalar(select(Tenant.id).where(Tenant.parent_id.is_(None)))
    mark = _mark()
    water = {
        accept(db, "停水", f"西乡塘区秀灵路金湖花园{mark}小区突然停水，没有任何通知，第{i}户")
        for i in range(8)
    }
    ids = [accept(db, "路灯", f"兴宁区朝阳路路灯不亮{i}") for i in range(2)]
    report = service.build_report(db, tenant_id=root)
    top = report.items[0]
    # the burst is the top hotspot (its topic words depend on the run's random place name)
    assert top["surge"] and top["count"] >= 8 and water <= set(top["ticket_ids"])
    assert top["district"] == "西乡塘区"
    alerts = service.alerts(db, root)
    alert = next(a for a in alerts if water <= set(a.ticket_ids))
    service.acknowledge(db, tenant_id=root, alert_id=alert.id, user_id=scope(db, "supervisor").user_id)
    with pytest.raises(Conflict):
        service.acknowledge(db, tenant_id=root, alert_id=alert.id, user_id=1)
    # rebuilding the same day replaces the list and does not repeat the alert
    service.build_report(db, tenant_id=root)
    assert db.query(HotspotAlert).filter(HotspotAlert.report_id == report.id).count() == len(
        [a for a in db.scalars(select(HotspotAlert).where(HotspotAlert.report_id == report.id))]
    )
    assert ids
    db.rollback()


def test_handle_helper_reaches_final_state(db):
    tid = accept(db, "欠薪", "老板拖欠工资")
    handle(db, tid, "南宁市人力资源和社会保障局", "rs_handler")
    assert db.get(Ticket, tid).state == "answered"
    assert datetime.now(UTC) - db.get(Ticket, tid).created_at < timedelta(minutes=5)
    db.rollback()


def test_surge_alert_is_announced_on_the_bus_after_the_commit(client, auth, db):
    """Building the report through the API publishes each new surge once, for the WebSocket relay."""
    import json

    from models.bus import Bus

    mark = _mark()
    gas = {accept(db, "燃气", f"江南区星光大道金象{mark}小区燃气泄漏气味很大，第{i}栋") for i in range(8)}
    db.commit()
    pubsub = Bus("redis://127.0.0.1:6379/15", "hotline").subscribe("dispatch:alerts")
    pubsub.get_message(timeout=1)  # the subscription confirmation

    def announced() -> list[dict]:
        got = []
        while (m := pubsub.get_message(timeout=2)) is not None:
            if m["type"] == "message":
                got.append(json.loads(m["data"]))
        return got

    assert client.post("/api/dispatch/hotspots/build", headers=auth("supervisor")).status_code == 201
    first = [m for m in announced() if gas & set(m["ticket_ids"])]
    assert len(first) == 1 and first[0]["type"] == "hotspot.surge" and first[0]["district"] == "江南区"
    # a second build the same day repeats no alert
    assert client.post("/api/dispatch/hotspots/build", headers=auth("supervisor")).status_code == 201
    assert not [m for m in announced() if gas & set(m["ticket_ids"])]
    pubsub.close()
