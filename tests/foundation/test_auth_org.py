"""Auth, problem+json errors, tenant scope and the organisation API."""

from __future__ import annotations

import uuid

PROBLEM = "application/problem+json"


def test_login_and_me(client, auth):
    r = client.get("/api/auth/me", headers=auth("agent01"))
    assert r.status_code == 200
    me = r.json()
    assert me["roles"] == ["agent"] and me["agent_number"] == "1001"
    assert me["role_labels"] == ["话务员"]


def test_bad_password_is_401_problem(client):
    r = client.post("/api/auth/token", data={"username": "admin", "password": "wrong-password"})
    assert r.status_code == 401
    assert r.headers["content-type"].startswith(PROBLEM)
    assert r.json()["field"] == "password"


def test_missing_token_is_401(client):
    r = client.get("/api/auth/me")
    assert r.status_code == 401 and r.headers["content-type"].startswith(PROBLEM)


def test_garbage_token_is_401(client):
    r = client.get("/api/auth/me", headers={"Authorization": "Bearer not.a.jwt"})
    assert r.status_code == 401


def test_validation_error_names_field(client, auth):
    r = client.post(
        "/api/users",
        headers=auth("admin"),
        json={
            "username": "x y",
            "full_name": "测试",
            "password": "short",
            "tenant_id": 1,
            "roles": ["agent"],
        },
    )
    assert r.status_code == 422
    body = r.json()
    assert r.headers["content-type"].startswith(PROBLEM)
    fields = {e["field"] for e in body["errors"]}
    assert {"username", "password"} <= fields
    assert body["field"] in fields


def test_unknown_role_rejected(client, auth):
    r = client.post(
        "/api/users",
        headers=auth("admin"),
        json={
            "username": "abc",
            "full_name": "测试",
            "password": "longenough1",
            "tenant_id": 1,
            "roles": ["boss"],
        },
    )
    assert r.status_code == 422 and r.json()["field"].startswith("roles")


def test_non_admin_cannot_create_user(client, auth):
    r = client.post(
        "/api/users",
        headers=auth("agent01"),
        json={
            "username": "zz",
            "full_name": "测试",
            "password": "longenough1",
            "tenant_id": 1,
            "roles": ["agent"],
        },
    )
    assert r.status_code == 403


def test_admin_creates_user_who_can_log_in(client, auth):
    name = f"u{uuid.uuid4().hex[:8]}"
    r = client.post(
        "/api/users",
        headers=auth("admin"),
        json={
            "username": name,
            "full_name": "新坐席",
            "password": "longenough1",
            "tenant_id": 1,
            "roles": ["agent"],
            "agent_number": name[-6:],
        },
    )
    assert r.status_code == 201, r.text
    r = client.post("/api/auth/token", data={"username": name, "password": "longenough1"})
    assert r.status_code == 200
    # duplicate username: 409, and nothing else written
    r = client.post(
        "/api/users",
        headers=auth("admin"),
        json={
            "username": name,
            "full_name": "重复",
            "password": "longenough1",
            "tenant_id": 1,
            "roles": ["agent"],
        },
    )
    assert r.status_code == 409 and r.json()["field"] == "username"


def test_handler_requires_unit(client, auth):
    r = client.post(
        "/api/users",
        headers=auth("admin"),
        json={
            "username": f"h{uuid.uuid4().hex[:6]}",
            "full_name": "承办",
            "password": "longenough1",
            "tenant_id": 1,
            "roles": ["unit_handler"],
        },
    )
    assert r.status_code == 422 and r.json()["field"] == "unit_id"


def test_demo_org_shape(client, auth):
    tenants = client.get("/api/tenants", headers=auth("admin")).json()
    assert len(tenants) == 16  # centre + 15 workstations
    city = client.get("/api/units", params={"kind": "city_unit", "size": 1}, headers=auth("admin")).json()
    firms = client.get("/api/units", params={"kind": "enterprise", "size": 1}, headers=auth("admin")).json()
    assert city["total"] + firms["total"] == 75  # the 75 city-level member units
    govs = client.get("/api/units", params={"kind": "district_government"}, headers=auth("admin")).json()
    assert govs["total"] == 15


def test_workstation_scope(client, auth):
    tenants = client.get("/api/tenants", headers=auth("ws_qx")).json()
    assert [t["name"] for t in tenants] == ["青秀区12345工作站"]
    all_tenants = client.get("/api/tenants", headers=auth("admin")).json()
    xn = next(t for t in all_tenants if t["name"].startswith("兴宁区"))
    r = client.get(f"/api/tenants/{xn['id']}", headers=auth("ws_qx"))
    assert r.status_code == 404
    units = client.get("/api/units", params={"size": 200}, headers=auth("ws_qx")).json()
    assert units["total"] > 0 and all(u["district"] == "青秀区" for u in units["items"])


def test_unit_edits_own_yellow_pages_only(client, auth):
    me = client.get("/api/auth/me", headers=auth("water_handler")).json()
    r = client.patch(
        f"/api/units/{me['unit_id']}", headers=auth("water_handler"), json={"office_hours": "7×24 小时"}
    )
    assert r.status_code == 200 and r.json()["office_hours"] == "7×24 小时"
    police = client.get("/api/auth/me", headers=auth("police_handler")).json()
    r = client.patch(
        f"/api/units/{police['unit_id']}", headers=auth("water_handler"), json={"office_hours": "x"}
    )
    assert r.status_code == 403


def test_paging_bounds(client, auth):
    r = client.get("/api/units", params={"size": 1000}, headers=auth("admin"))
    assert r.status_code == 422 and r.json()["field"] == "size"


def test_logout_revokes_tokens(client):
    t = client.post("/api/auth/token", data={"username": "agent12", "password": "Hotline@12345"}).json()[
        "access_token"
    ]
    h = {"Authorization": f"Bearer {t}"}
    assert client.get("/api/auth/me", headers=h).status_code == 200
    assert client.post("/api/auth/logout", headers=h).status_code == 204
    assert client.get("/api/auth/me", headers=h).status_code == 401


def test_openapi_and_metrics(client):
    spec = client.get("/openapi.json").json()
    assert "/api/auth/token" in spec["paths"] and "/api/units" in spec["paths"]
    m = client.get("/metrics")
    assert m.status_code == 200 and "hotline_http_requests_total" in m.text
