"""The transition table enforced: every illegal (state, action), roles, scoping, masking, idempotency."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tickets.enums import Action, TicketState
from tickets.transitions import TABLE, allowed_actions

ALL_ROLES = frozenset({"admin"})


def valid_body(action: Action, units: dict[str, int]) -> dict:
    """A body that passes validation for `action`, so only the state decides."""
    soon = (datetime.now(UTC) + timedelta(days=40)).isoformat()
    return {
        Action.reply: {"reply": "已答复"},
        Action.reject: {"note": "理由"},
        Action.dispatch: {"lead_unit_id": units["南宁市公安局"]},
        Action.return_request: {"note": "理由"},
        Action.return_reject: {"note": "理由"},
        Action.extension_request: {"note": "理由", "until": soon},
        Action.forward: {"note": "理由", "unit_id": units["南宁市教育局"]},
        Action.collaborate: {
            "unit_ids": [units["南宁市公安局治安支队"]],
            "deadline": soon,
            "instructions": "x",
        },
        Action.answer: {"content": "答复", "handler_name": "甲", "handled_at": soon, "method": "电话"},
        Action.review_answer: {"result": "accept"},
        Action.revisit: {"result": "satisfied", "citizen_words": "满意"},
        Action.supplement: {"content": "补充"},
        Action.withdraw: {"note": "理由"},
        Action.supervise: {"note": "理由", "deadline": soon},
    }.get(action, {}) | {"note": "理由"}


# one ticket per reachable state, built once per backend
@pytest.fixture(scope="module")
def by_state(client, auth, units) -> dict[TicketState, int]:
    from tests.tickets.conftest import Flow

    f = Flow(client, auth, units)
    out = {}
    out[TicketState.accepted] = f.create()["id"]
    t = f.create()
    out[TicketState.pending_review] = f.act(t["id"], "submit-review", "agent01")["id"]
    t = f.create()
    f.act(t["id"], "submit-review", "agent01")
    out[TicketState.to_dispatch] = f.act(t["id"], "approve", "dispatcher")["id"]
    out[TicketState.to_sign] = f.dispatched()["id"]
    out[TicketState.handling] = f.signed()["id"]
    t = f.signed()
    out[TicketState.return_requested] = f.act(t["id"], "return-request", "police_handler", note="x")["id"]
    t = f.signed()
    until = (datetime.now(UTC) + timedelta(days=30)).isoformat()
    out[TicketState.extension_requested] = f.act(
        t["id"], "extension-request", "police_handler", note="x", until=until
    )["id"]
    out[TicketState.answered] = f.answered()["id"]
    out[TicketState.to_revisit] = f.to_revisit()["id"]
    t = f.to_revisit()
    out[TicketState.to_close] = f.act(t["id"], "revisit", "revisit", result="satisfied", citizen_words="好")[
        "id"
    ]
    t = f.to_revisit()
    out[TicketState.closed] = f.act(t["id"], "close", "dispatcher")["id"]
    t = f.create()
    out[TicketState.withdrawn] = f.act(t["id"], "withdraw", "agent01", note="x")["id"]
    return out


ILLEGAL = [(s, t.action) for s in TicketState for t in TABLE if s not in t.sources]


@pytest.mark.parametrize(("state", "action"), ILLEGAL, ids=[f"{s}-{a}" for s, a in ILLEGAL])
def test_illegal_transition_is_409_with_allowed_actions(client, auth, units, by_state, state, action):
    ticket_id = by_state[state]
    before = client.get(f"/api/tickets/{ticket_id}", headers=auth("admin")).json()
    assert before["state"] == state
    r = client.post(
        f"/api/tickets/{ticket_id}/{action}", json=valid_body(action, units), headers=auth("admin")
    )
    assert r.status_code == 409, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert body["status"] == 409 and body["title"] and body["detail"]
    assert body["allowed_actions"] == allowed_actions(state, ALL_ROLES)
    after = client.get(f"/api/tickets/{ticket_id}", headers=auth("admin")).json()
    assert after["version"] == before["version"] and after["state"] == state


def test_every_state_is_reachable_and_tested(by_state):
    assert set(by_state) == set(TicketState)


def test_role_not_allowed_is_403(flow):
    t = flow.signed()
    r = flow.act(t["id"], "close", "police_handler", expect=409)  # wrong state first
    t2 = flow.to_revisit()
    r = flow.act(t2["id"], "close", "agent01", expect=403)
    assert r["field"] == "action"


def test_unit_user_sees_only_own_tickets_masked(flow, client, auth):
    t = flow.dispatched(citizen_name="黄建国", citizen_phone="13877112233")
    mine = client.get(f"/api/tickets/{t['id']}", headers=auth("police_handler")).json()
    assert mine["citizen_phone"] == "138****2233" and mine["citizen_name"] == "黄**"
    assert client.get(f"/api/tickets/{t['id']}", headers=auth("edu_handler")).status_code == 404
    listed = client.get("/api/tickets?inbox=to_sign", headers=auth("edu_handler")).json()
    assert t["id"] not in [x["id"] for x in listed["items"]]
    centre = client.get(f"/api/tickets/{t['id']}", headers=auth("dispatcher")).json()
    assert centre["citizen_phone"] == "13877112233"


def test_confidential_ticket_hides_identity_from_units(flow, client, auth):
    t = flow.dispatched(confidential=True, appeal_type="report", title="举报某餐馆使用地沟油")
    seen = client.get(f"/api/tickets/{t['id']}", headers=auth("police_handler")).json()
    assert seen["citizen_phone"] is None and seen["citizen_name"] == "（保密）"
    listed = client.get(f"/api/tickets?q={t['number']}", headers=auth("police_handler")).json()
    assert listed["items"][0]["citizen_phone"] is None


def test_workstation_scope(flow, client, auth, tenants, units):
    t = flow.create()
    t = flow.act(t["id"], "dispatch", "dispatcher", workstation_id=tenants["NN-QX"])
    assert t["state"] == "to_sign" and t["tenant_id"] == tenants["NN-QX"]
    # another district's workstation cannot read it
    assert client.get(f"/api/tickets/{t['id']}", headers=auth("ws_xn")).status_code == 404
    flow.act(t["id"], "sign", "ws_xn", expect=404)
    # the centre cannot sign on the workstation's behalf
    flow.act(t["id"], "sign", "dispatcher", expect=403)
    t = flow.act(t["id"], "sign", "ws_qx")
    assert t["state"] == "to_dispatch"
    # a workstation re-dispatches only to its own units
    r = flow.act(t["id"], "dispatch", "ws_qx", expect=422, lead_unit_id=units["兴宁区人民政府"])
    assert r["field"] == "lead_unit_id"
    t = flow.act(t["id"], "dispatch", "ws_qx", lead_unit_id=units["新竹街道"])
    t = flow.act(t["id"], "sign", "qx_street")
    assert t["state"] == "handling"
    assert client.get(f"/api/tickets/{t['id']}", headers=auth("qx_gov")).status_code == 200  # parent unit
    assert client.get(f"/api/tickets/{t['id']}", headers=auth("xn_gov")).status_code == 404


def test_idempotent_create(client, auth):
    from tests.tickets.conftest import ticket_body

    body = ticket_body()
    h = auth("agent03") | {"Idempotency-Key": "form-4711"}
    a = client.post("/api/tickets", json=body, headers=h)
    b = client.post("/api/tickets", json=body, headers=h)
    assert a.status_code == b.status_code == 201
    assert a.json()["id"] == b.json()["id"] and a.json()["number"] == b.json()["number"]
    other = client.post("/api/tickets", json=body, headers=auth("agent04") | {"Idempotency-Key": "form-4711"})
    assert other.json()["id"] != a.json()["id"]
    # the same key with another body is refused, naming the header, and creates nothing
    changed = client.post("/api/tickets", json={**body, "content": "另一件事"}, headers=h)
    assert changed.status_code == 409 and changed.json()["field"] == "Idempotency-Key", changed.text
    too_long = client.post("/api/tickets", json=body, headers=auth("agent03") | {"Idempotency-Key": "k" * 65})
    assert too_long.status_code == 422


def test_create_validation_names_the_field(client, auth):
    from tests.tickets.conftest import ticket_body

    r = client.post("/api/tickets", json=ticket_body(appeal_type="闲聊"), headers=auth("agent01"))
    assert r.status_code == 422 and r.json()["field"] == "appeal_type"
    r = client.post("/api/tickets", json=ticket_body(call_id=None), headers=auth("agent01"))
    assert r.status_code == 422 and r.json()["field"] == "call_id"
    r = client.post("/api/tickets", json=ticket_body(), headers=auth("police_handler"))
    assert r.status_code == 403


def test_regional_inbound_has_its_own_sign_window(client, auth):
    from tests.tickets.conftest import ticket_body

    deadline = (datetime.now(UTC) + timedelta(hours=2)).replace(microsecond=0)
    body = ticket_body(
        channel="wechat", call_id=None, external_id="GX2026112700042", sign_deadline=deadline.isoformat()
    )
    r = client.post("/api/tickets/regional", json=body, headers=auth("dispatcher"))
    assert r.status_code == 201, r.text
    t = r.json()
    assert t["channel"] == "regional" and t["state"] == "to_sign"
    assert datetime.fromisoformat(t["sign_deadline"]) == deadline == datetime.fromisoformat(t["due_at"])
    again = client.post("/api/tickets/regional", json=body, headers=auth("dispatcher"))
    assert again.json()["id"] == t["id"]  # the regional id is the idempotency key
    r = client.post(f"/api/tickets/{t['id']}/sign", json={}, headers=auth("dispatcher"))
    assert r.status_code == 200 and r.json()["state"] == "to_dispatch"


@pytest.mark.parametrize("channel", ["wechat", "web", "app"])
def test_other_channels(client, auth, channel):
    from tests.tickets.conftest import ticket_body

    r = client.post("/api/tickets", json=ticket_body(channel=channel, call_id=None), headers=auth("agent05"))
    assert r.status_code == 201 and r.json()["channel"] == channel


def test_attachments_upload_and_link(flow, client, auth):
    r = client.post(
        "/api/tickets/attachments",
        files={"file": ("现场照片.jpg", b"\xff\xd8\xff fake jpeg", "image/jpeg")},
        headers=auth("police_handler"),
    )
    assert r.status_code == 201, r.text
    att = r.json()
    t = flow.signed()
    body = flow.answer_body() | {"attachment_ids": [att["id"]]}
    t = flow.act(t["id"], "answer", "police_handler", **body)
    files = client.get(f"/api/tickets/{t['id']}/attachments", headers=auth("dispatcher")).json()
    assert [f["filename"] for f in files] == ["现场照片.jpg"]
    got = client.get(f"/api/tickets/{t['id']}/attachments/{att['id']}", headers=auth("dispatcher"))
    assert got.status_code == 200 and got.content == b"\xff\xd8\xff fake jpeg"
    # used once: cannot be attached to another ticket
    other = flow.signed()
    r = client.post(f"/api/tickets/{other['id']}/answer", json=body, headers=auth("police_handler"))
    assert r.status_code == 422 and r.json()["field"] == "attachment_ids"
    assert client.get(f"/api/tickets/{other['id']}", headers=auth("dispatcher")).json()["state"] == "handling"


def test_cited_articles_are_stored_and_counted_by_kb(flow, client, auth, db):
    from sqlalchemy import func, select

    from models.kb import Article, ArticleHit
    from tests.tickets.conftest import ticket_body

    article = db.scalar(select(Article.id).where(Article.status == "published").order_by(Article.id).limit(1))
    assert article is not None, "the kb demo publishes articles"
    r = client.post("/api/tickets", json=ticket_body(article_ids=[article]), headers=auth("agent01"))
    assert r.status_code == 201, r.text
    t = r.json()
    assert t["article_ids"] == [article]
    hits = select(func.count()).where(ArticleHit.article_id == article, ArticleHit.ticket_id == t["id"])
    assert db.scalar(hits) == 1
    t = flow.act(t["id"], "reply", "agent01", reply="按知识库答复", article_ids=[article])
    assert t["article_ids"] == [article] and db.scalar(hits) == 1  # once per ticket and article
    # an unknown article fails the whole request
    r = client.post("/api/tickets", json=ticket_body(article_ids=[99999999]), headers=auth("agent01"))
    assert r.status_code == 404 and r.json()["field"] == "article_ids"
