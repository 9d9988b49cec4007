"""Revisit and close of a primary carry to its merged tickets (并案), through the API."""

from datetime import UTC, datetime

from sqlalchemy import select

from assist.hotspot import service
from models.org import User
from models.tickets import Ticket, TicketEvent
from tests.assist.dispatch.helpers import accept, scope, unit_id

from .test_service import _mark


def _events(db, tid: int, action: str) -> list[TicketEvent]:
    return list(
        db.scalars(select(TicketEvent).where(TicketEvent.ticket_id == tid, TicketEvent.action == action))
    )


def test_revisit_and_close_follow_the_primary(client, auth, db):
    from tickets import service as tickets

    mark = _mark()
    primary = accept(db, "路灯不亮", f"民族大道{mark}号路口路灯连续一周不亮，晚上很危险", district="青秀区")
    merged = accept(db, "路灯坏了", f"民族大道{mark}号路口的路灯坏了一周，夜里漆黑")
    alone = accept(db, "路灯不亮", f"民族大道{mark}号另一侧路灯不亮")
    water = unit_id(db, "南宁建宁水务投资集团有限责任公司")
    tickets.apply_action(db, scope(db, "dispatcher"), primary, "dispatch", lead_unit_id=water)
    service.merge(db, scope(db, "dispatcher"), primary_id=primary, merged_id=merged)
    tickets.apply_action(db, scope(db, "water_handler"), primary, "sign")
    tickets.apply_action(
        db,
        scope(db, "water_handler"),
        primary,
        "answer",
        content="已更换路灯灯具。",
        handler_name="李师傅",
        handled_at=datetime.now(UTC),
        method="现场处理",
    )
    assert service.sync_merges(db) >= 1
    db.commit()
    assert db.get(Ticket, merged).state == "answered"

    h = auth("revisit")
    officer = db.scalar(select(User.id).where(User.username == "revisit"))
    r = client.post(f"/api/tickets/{primary}/review-answer", json={"result": "accept"}, headers=h)
    assert r.status_code == 200, r.text
    r = client.post(
        f"/api/tickets/{primary}/revisit",
        json={"result": "satisfied", "citizen_words": "路灯修好了，谢谢", "note": "电话回访"},
        headers=h,
    )
    assert r.status_code == 200, r.text
    db.expire_all()
    number = db.get(Ticket, primary).number
    assert db.get(Ticket, merged).state == "to_close"
    (revisit,) = _events(db, merged, "revisit")
    assert revisit.actor_id == officer and number in revisit.note and "电话回访" in revisit.note
    assert revisit.payload.get("result") == "satisfied" or "satisfied" in str(revisit.payload)
    assert _events(db, merged, "review-answer")  # its copied answer was accepted first

    r = client.post(f"/api/tickets/{primary}/close", json={"note": "办结"}, headers=h)
    assert r.status_code == 200, r.text
    db.expire_all()
    assert db.get(Ticket, primary).state == "closed"
    assert db.get(Ticket, merged).state == "closed"
    (close,) = _events(db, merged, "close")
    assert close.actor_id == officer and number in close.note
    # a ticket not merged into the primary is untouched
    assert db.get(Ticket, alone).state == "accepted" and not _events(db, alone, "close")


def test_merged_ticket_that_cannot_follow_is_left_alone(client, auth, db):
    """The merged ticket is not answered yet (another unit): closing the primary still succeeds."""
    from tickets import service as tickets

    mark = _mark()
    primary = accept(db, "噪音", f"五象大道{mark}号工地夜间施工噪音扰民")
    merged = accept(db, "噪音", f"五象大道{mark}号工地半夜施工太吵")
    cg = unit_id(db, "南宁市城市管理综合行政执法局")
    tickets.apply_action(db, scope(db, "dispatcher"), merged, "dispatch", lead_unit_id=cg)
    service.merge(db, scope(db, "dispatcher"), primary_id=primary, merged_id=merged)
    tickets.apply_action(db, scope(db, "dispatcher"), primary, "reply", reply="已告知夜间施工投诉渠道。")
    db.commit()
    h = auth("revisit")
    r = client.post(f"/api/tickets/{primary}/close", json={}, headers=h)
    assert r.status_code == 200, r.text
    db.expire_all()
    assert db.get(Ticket, primary).state == "closed"
    assert db.get(Ticket, merged).state == "to_sign" and not _events(db, merged, "close")
