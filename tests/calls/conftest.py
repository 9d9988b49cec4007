"""Call-centre API fixtures: ids of demo objects and a workstation admin/supervisor created once per database."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select

from models.calls import SkillGroup
from models.org import Role, Tenant, User

PASSWORD = "Hotline@12345"


def _user(db, username: str, tenant_code: str, roles: list[Role], **extra) -> User:
    from api import org_service

    user = db.scalar(select(User).where(User.username == username))
    if user is None:
        tenant = db.scalar(select(Tenant).where(Tenant.code == tenant_code))
        user = org_service.create_user(
            db,
            username=username,
            full_name=username,
            password=PASSWORD,
            tenant_id=tenant.id,
            roles=roles,
            **extra,
        )
        db.commit()
    return user


@pytest.fixture
def ids(db) -> dict[str, int]:
    """Tenant, group and user ids by name; also creates qx_admin / qx_super / xn_admin (once)."""
    _user(db, "qx_admin", "NN-QX", [Role.admin])
    _user(db, "qx_super", "NN-QX", [Role.supervisor])
    _user(db, "xn_admin", "NN-XN", [Role.admin])
    out: dict[str, int] = {}
    for t in db.scalars(select(Tenant).where(Tenant.code.in_(["NN", "NN-QX", "NN-XN"]))):
        out[t.code] = t.id
    for g in db.scalars(select(SkillGroup)):
        out[g.code] = g.id
    for u in db.scalars(select(User)):
        out[u.username] = u.id
    return out


@pytest.fixture
def unique() -> str:
    return uuid.uuid4().hex[:8]


def problem(resp, status: int, field: str | None = None) -> dict:
    assert resp.status_code == status, resp.text
    assert resp.headers["content-type"].startswith("application/problem+json")
    body = resp.json()
    assert body["status"] == status and body["detail"]
    if field is not None:
        assert body.get("field") == field, body
    return body
