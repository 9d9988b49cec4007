"""Every workflow action through the API, on PostgreSQL and SQLite."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from models.tickets import TicketEvent


def future(**kw) -> str:
    return (datetime.now(UTC) + timedelta(**kw)).isoformat()


def test_full_cycle_records_timeline(flow, client, auth):
    t = flow.to_revisit()
    assert t["state"] == "to_revisit"
    t = flow.act(t["id"], "revisit", "revisit", result="satisfied", citizen_words="处理得很及时，满意。")
    assert t["state"] == "to_close"
    t = flow.act(t["id"], "close", "dispatcher", note="办结")
    assert t["state"] == "closed" and t["closed_at"]
    assert t["due_at"] is None and t["warning"] == "none"  # nothing is due once closed
    events = client.get(f"/api/tickets/{t['id']}/timeline", headers=auth("dispatcher")).json()
    assert [e["action"] for e in events] == [
        "accept", "dispatch", "sign", "answer", "review-answer", "revisit", "close"
    ]  # fmt: skip
    assert [e["to_state"] for e in events][-3:] == ["to_revisit", "to_close", "closed"]
    sign = events[2]
    assert (
        sign["actor_label"] == "李承办" and sign["actor_role"] == "unit_handler" and sign["on_time"] is True
    )
    assert events[1]["payload"]["lead_unit"] == "南宁市公安局"
    assert t["number"].startswith("NN") and len(t["number"]) == 16


def test_reply_directly(flow):
    t = flow.create(appeal_type="consultation", title="公积金提取需要什么材料")
    t = flow.act(t["id"], "reply", "agent01", reply="携带身份证和购房合同到公积金中心办理。")
    assert t["state"] == "to_revisit" and t["reply"].startswith("携带")
    t = flow.act(t["id"], "close", "dispatcher")
    assert t["state"] == "closed"


def test_review_approve_and_reject(flow):
    t = flow.create()
    t = flow.act(t["id"], "submit-review", "agent01")
    assert t["state"] == "pending_review"
    t = flow.act(t["id"], "reject", "dispatcher", note="地址不完整，请补充")
    assert t["state"] == "accepted"
    flow.act(t["id"], "reject", "dispatcher", expect=409, note="重复")
    t = flow.act(t["id"], "submit-review", "agent01")
    t = flow.act(t["id"], "approve", "dispatcher")
    assert t["state"] == "to_dispatch"
    t = flow.act(t["id"], "dispatch", "dispatcher", lead_unit_id=flow.units["南宁市公安局"])
    assert t["state"] == "to_sign"


def test_dispatch_with_assist_units_and_deadline(flow, client, auth):
    t = flow.create()
    deadline = future(days=10)
    t = flow.act(
        t["id"], "dispatch", "dispatcher",
        lead_unit_id=flow.units["南宁市公安局"],
        assist_unit_ids=[flow.units["南宁市生态环境局"]],
        deadline=deadline, instructions="请公安牵头、生态环境局配合",
    )  # fmt: skip
    kinds = {(a["unit_id"], a["kind"]) for a in t["assignments"]}
    assert kinds == {(flow.units["南宁市公安局"], "lead"), (flow.units["南宁市生态环境局"], "assist")}
    assert datetime.fromisoformat(t["handling_deadline"]) == datetime.fromisoformat(deadline)
    # the assist unit sees it, another unit does not
    assert client.get(f"/api/tickets/{t['id']}", headers=auth("police_handler")).status_code == 200
    assert client.get(f"/api/tickets/{t['id']}", headers=auth("water_handler")).status_code == 404


def test_dispatch_needs_exactly_one_target(flow):
    t = flow.create()
    r = flow.act(t["id"], "dispatch", "dispatcher", expect=422)
    assert r["field"] == "lead_unit_id"
    r = flow.act(t["id"], "dispatch", "dispatcher", expect=422, lead_unit_id=999999)
    assert r["field"] == "lead_unit_id"


def test_return_request_approve_and_reject(flow):
    t = flow.dispatched()
    t = flow.act(t["id"], "return-request", "police_handler", note="不属于本单位职责，应由生态环境局办理")
    assert t["state"] == "return_requested"
    t = flow.act(t["id"], "return-reject", "dispatcher", note="夜间社会生活噪音属公安职责")
    assert t["state"] == "to_sign"
    t = flow.act(t["id"], "sign", "police_handler")
    t = flow.act(t["id"], "return-request", "police_handler", note="仍不属于本单位")
    t = flow.act(t["id"], "return-approve", "dispatcher")
    assert t["state"] == "to_dispatch" and t["lead_unit_id"] is None and t["return_count"] == 1
    assert all(not a["active"] for a in t["assignments"])


def test_extension_request_approve_and_reject(flow):
    t = flow.signed()
    until = future(days=20)
    t = flow.act(t["id"], "extension-request", "police_handler", note="需协调多部门", until=until)
    assert t["state"] == "extension_requested"
    t = flow.act(t["id"], "extension-approve", "dispatcher")
    assert t["state"] == "handling"
    assert datetime.fromisoformat(t["handling_deadline"]) == datetime.fromisoformat(until)
    assert datetime.fromisoformat(t["due_at"]) == datetime.fromisoformat(until)
    t = flow.act(t["id"], "extension-request", "police_handler", note="再延期", until=future(days=30))
    t = flow.act(t["id"], "extension-reject", "dispatcher", note="时限已足够")
    assert t["state"] == "handling"
    assert datetime.fromisoformat(t["handling_deadline"]) == datetime.fromisoformat(until)
    r = flow.act(t["id"], "extension-request", "police_handler", expect=422, note="x", until=future(days=1))
    assert r["field"] == "until"


def test_forward_to_another_unit(flow, client, auth):
    t = flow.signed()
    t = flow.act(
        t["id"], "forward", "police_handler", unit_id=flow.units["南宁市生态环境局"], note="建筑施工噪音"
    )
    assert t["state"] == "to_sign" and t["lead_unit_id"] == flow.units["南宁市生态环境局"]
    assert client.get(f"/api/tickets/{t['id']}", headers=auth("police_handler")).status_code == 404


def test_collaborate_with_sub_unit_and_partial_answer(flow, client, auth):
    t = flow.signed()
    sub = flow.units["南宁市公安局治安支队"]
    t = flow.act(t["id"], "collaborate", "police_handler", unit_ids=[sub], deadline=future(days=2),
                 instructions="请治安支队现场核查")  # fmt: skip
    collab = [a for a in t["assignments"] if a["kind"] == "collaborator"]
    assert collab[0]["unit_id"] == sub and collab[0]["instructions"] == "请治安支队现场核查"
    # a unit that is not a sub-unit cannot be a collaborator
    r = flow.act(t["id"], "collaborate", "police_handler", expect=422, unit_ids=[flow.units["南宁市教育局"]],
                 deadline=future(days=2), instructions="x")  # fmt: skip
    assert r["field"] == "unit_ids"
    # the sub-unit sees and answers its part; the ticket stays with the lead
    assert client.get(f"/api/tickets/{t['id']}", headers=auth("police_sub")).status_code == 200
    t = flow.act(t["id"], "answer", "police_sub", **flow.answer_body())
    assert t["state"] == "handling"
    t = flow.act(t["id"], "answer", "police_handler", **flow.answer_body())
    assert t["state"] == "answered"


def test_review_answer_send_back(flow):
    t = flow.answered()
    r = flow.act(t["id"], "review-answer", "dispatcher", expect=422, result="send_back")
    assert r["field"] == "note"
    t = flow.act(t["id"], "review-answer", "dispatcher", result="send_back", note="答复未说明处理结果")
    assert t["state"] == "handling"


def test_urge_supplement_follow_supervise(flow, client, auth):
    t = flow.signed()
    t = flow.act(t["id"], "urge", "dispatcher", note="请尽快处理")
    assert t["urge_count"] == 1 and t["state"] == "handling"
    t = flow.act(t["id"], "supplement", "agent02", content="市民来电补充：周末白天也施工")
    assert "周末白天也施工" in t["content"]
    t = flow.act(t["id"], "follow", "supervisor")
    assert t["following"] is True
    listed = client.get("/api/tickets?inbox=followed", headers=auth("supervisor")).json()
    assert t["id"] in [x["id"] for x in listed["items"]]
    t = flow.act(t["id"], "unfollow", "supervisor")
    assert t["following"] is False
    new_deadline = future(days=3)
    t = flow.act(t["id"], "supervise", "revisit", note="群众反映强烈，限期办结", deadline=new_deadline)
    assert t["supervised"] is True
    assert datetime.fromisoformat(t["handling_deadline"]) == datetime.fromisoformat(new_deadline)
    r = flow.act(t["id"], "supervise", "revisit", expect=422, note="x", deadline=future(days=-1))
    assert r["field"] == "deadline"


def test_withdraw(flow):
    t = flow.dispatched()
    t = flow.act(t["id"], "withdraw", "agent01", note="诉求人来电撤回")
    assert t["state"] == "withdrawn"
    r = flow.act(t["id"], "sign", "police_handler", expect=409)
    assert r["allowed_actions"] == ["follow", "unfollow"] and r["state"] == "withdrawn"


def test_second_unsatisfied_revisit_makes_a_difficult_ticket(flow, client, auth):
    t = flow.to_revisit()
    t = flow.act(t["id"], "revisit", "revisit", result="unsatisfied", citizen_words="晚上还是很吵")
    assert t["state"] == "to_sign" and t["reopen_count"] == 1 and t["difficult"] is False
    assert t["lead_unit_id"] == flow.units["南宁市公安局"]
    t = flow.act(t["id"], "sign", "police_handler")
    t = flow.act(t["id"], "answer", "police_handler", **flow.answer_body())
    t = flow.act(t["id"], "review-answer", "dispatcher", result="accept")
    t = flow.act(t["id"], "revisit", "revisit", result="unsatisfied", citizen_words="根本没人来看过")
    assert t["difficult"] is True and t["reopen_count"] == 2 and t["unsatisfied_count"] == 2
    assert t["state"] == "to_sign"  # re-dispatched, flagged
    listed = client.get("/api/tickets?difficult=true&inbox=to_sign", headers=auth("police_handler")).json()
    assert t["id"] in [x["id"] for x in listed["items"]]
    events = client.get(f"/api/tickets/{t['id']}/timeline", headers=auth("dispatcher")).json()
    assert events[-1]["payload"]["difficult"] is True and events[-1]["payload"]["outcome"] == "reopen"


def test_batch_answer(flow, client, auth):
    a, b = flow.signed(), flow.signed()
    c = flow.dispatched()  # not signed: cannot be answered
    body = flow.answer_body() | {"ticket_ids": [a["id"], b["id"], c["id"]]}
    r = client.post("/api/tickets/batch/answer", json=body, headers=auth("police_handler"))
    assert r.status_code == 200, r.text
    res = {x["ticket_id"]: x for x in r.json()}
    assert res[a["id"]]["ok"] and res[b["id"]]["state"] == "answered"
    assert not res[c["id"]]["ok"] and res[c["id"]]["status"] == 409
    assert client.get(f"/api/tickets/{c['id']}", headers=auth("police_handler")).json()["state"] == "to_sign"


def test_timeline_is_append_only(flow, db):
    t = flow.create()
    event = db.scalar(select(TicketEvent).where(TicketEvent.ticket_id == t["id"]))
    event.note = "改写历史"
    try:
        db.flush()
    except Exception as exc:
        assert "append-only" in str(exc)
    else:
        raise AssertionError("timeline row was updated")
