"""Helpers for ticket tests: unit ids, creating tickets and driving them through the API."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from models.org import Tenant, Unit

_seq = itertools.count(1)


@pytest.fixture(scope="session")
def units(app) -> dict[str, int]:
    from sqlalchemy.orm import Session

    with Session(app.state.engine) as s:
        return dict(s.execute(select(Unit.name, Unit.id)).all())


@pytest.fixture(scope="session")
def tenants(app) -> dict[str, int]:
    from sqlalchemy.orm import Session

    with Session(app.state.engine) as s:
        return dict(s.execute(select(Tenant.code, Tenant.id)).all())


def ticket_body(**over) -> dict:
    n = next(_seq)
    body = {
        "channel": "phone",
        "call_id": f"call-{n}-{datetime.now(UTC).timestamp()}",
        "citizen_name": "黄建国",
        "citizen_phone": "13877112233",
        "appeal_type": "complaint",
        "urgency": "normal",
        "title": f"青秀区民族大道夜间施工噪音扰民 {n}",
        "content": "民族大道某工地每天晚上十一点后仍在施工，噪音很大，影响休息，请有关部门处理。",
        "address": "南宁市青秀区民族大道100号附近",
        "district": "青秀区",
        "category": "环境保护/噪声",
    }
    body.update(over)
    return body


class Flow:
    """Drive one ticket through the API as different users."""

    def __init__(self, client, auth, units):
        self.client, self.auth, self.units = client, auth, units

    def create(self, user: str = "agent01", **over) -> dict:
        r = self.client.post("/api/tickets", json=ticket_body(**over), headers=self.auth(user))
        assert r.status_code == 201, r.text
        return r.json()

    def act(self, ticket_id: int, action: str, user: str, expect: int = 200, **body) -> dict:
        r = self.client.post(f"/api/tickets/{ticket_id}/{action}", json=body, headers=self.auth(user))
        assert r.status_code == expect, f"{action} by {user}: {r.status_code} {r.text}"
        return r.json()

    def dispatched(self, unit: str = "南宁市公安局", **over) -> dict:
        t = self.create(**over)
        return self.act(t["id"], "dispatch", "dispatcher", lead_unit_id=self.units[unit])

    def signed(self, unit: str = "南宁市公安局", user: str = "police_handler", **over) -> dict:
        t = self.dispatched(unit, **over)
        return self.act(t["id"], "sign", user)

    def answer_body(self) -> dict:
        return {
            "content": "经现场核查，已责令施工单位夜间停工，并联系诉求人说明情况。",
            "handler_name": "李承办",
            "handled_at": (datetime.now(UTC) - timedelta(minutes=5)).isoformat(),
            "method": "现场核查",
        }

    def answered(self, **over) -> dict:
        t = self.signed(**over)
        return self.act(t["id"], "answer", "police_handler", **self.answer_body())

    def to_revisit(self, **over) -> dict:
        t = self.answered(**over)
        return self.act(t["id"], "review-answer", "dispatcher", result="accept")


@pytest.fixture
def flow(client, auth, units) -> Flow:
    return Flow(client, auth, units)
