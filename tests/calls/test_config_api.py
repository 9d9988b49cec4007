"""Configuration API: validation, problem+json, tenant scoping, hot reload through the config version."""

from __future__ import annotations

import copy

from switch import store
from switch.demo_data import CENTRE_MENU
from tests.calls.conftest import problem


def version(client, auth) -> int:
    return client.get("/api/call-config/version", headers=auth("admin")).json()["version"]


# ---------------------------------------------------------------- skill groups


def test_admin_lists_demo_groups(client, auth):
    r = client.get("/api/skill-groups", headers=auth("admin"))
    assert r.status_code == 200
    codes = {g["code"] for g in r.json()}
    assert {"general", "complaint", "enterprise", "special", "qx-general"} <= codes


def test_create_patch_delete_group_bumps_version(client, auth, ids, unique):
    v0 = version(client, auth)
    body = {
        "tenant_id": ids["NN"],
        "code": f"g-{unique}",
        "name": "测试组",
        "overflow_group_id": ids["general"],
    }
    r = client.post("/api/skill-groups", json=body, headers=auth("admin"))
    assert r.status_code == 201, r.text
    group = r.json()
    assert group["overflow_group_id"] == ids["general"] and group["strategy"] == "skill_then_idle"
    assert version(client, auth) > v0
    problem(client.post("/api/skill-groups", json=body, headers=auth("admin")), 409, "code")
    r = client.patch(
        f"/api/skill-groups/{group['id']}",
        json={"wrap_up_s": 30, "strategy": "longest_idle"},
        headers=auth("admin"),
    )
    assert r.status_code == 200 and r.json()["wrap_up_s"] == 30 and r.json()["strategy"] == "longest_idle"
    problem(
        client.patch(
            f"/api/skill-groups/{group['id']}", json={"overflow_group_id": group["id"]}, headers=auth("admin")
        ),
        422,
        "overflow_group_id",
    )
    problem(
        client.patch(f"/api/skill-groups/{group['id']}", json={"name": None}, headers=auth("admin")),
        422,
        "name",
    )
    assert client.delete(f"/api/skill-groups/{group['id']}", headers=auth("admin")).status_code == 204
    problem(client.get(f"/api/skill-groups/{group['id']}", headers=auth("admin")), 404)


def test_group_validation_names_the_field(client, auth, ids):
    bad = {"tenant_id": ids["NN"], "code": "has space", "name": "x"}
    body = problem(client.post("/api/skill-groups", json=bad, headers=auth("admin")), 422, "code")
    assert "格式" in body["detail"]
    bad = {"tenant_id": ids["NN"], "code": "ok-code", "name": "x", "ring_timeout_s": 1}
    problem(client.post("/api/skill-groups", json=bad, headers=auth("admin")), 422, "ring_timeout_s")
    bad = {"tenant_id": ids["NN"], "code": "ok-code", "name": "x", "strategy": "random"}
    problem(client.post("/api/skill-groups", json=bad, headers=auth("admin")), 422, "strategy")
    bad = {"tenant_id": 999999, "code": "ok-code", "name": "x"}
    problem(client.post("/api/skill-groups", json=bad, headers=auth("admin")), 422, "tenant_id")


def test_default_group_cannot_be_deleted(client, auth, ids):
    problem(client.delete(f"/api/skill-groups/{ids['general']}", headers=auth("admin")), 409)


def test_group_used_by_a_menu_cannot_be_deleted(client, auth, ids):
    body = problem(client.delete(f"/api/skill-groups/{ids['complaint']}", headers=auth("admin")), 409)
    assert "市中心主菜单" in body["detail"]
    problem(
        client.patch(f"/api/skill-groups/{ids['complaint']}", json={"active": False}, headers=auth("admin")),
        409,
    )


def test_workstation_sees_only_its_groups(client, auth, ids):
    for user in ("ws_qx", "qx_admin", "qx_super"):
        r = client.get("/api/skill-groups", headers=auth(user))
        assert r.status_code == 200, r.text
        assert {g["code"] for g in r.json()} == {"qx-general"}, user
        problem(client.get(f"/api/skill-groups/{ids['general']}", headers=auth(user)), 404)
    assert client.get("/api/skill-groups", headers=auth("xn_admin")).json() == []


def test_workstation_admin_cannot_configure_another_tenant(client, auth, ids, unique):
    body = {"tenant_id": ids["NN"], "code": f"x-{unique}", "name": "越权"}
    problem(client.post("/api/skill-groups", json=body, headers=auth("qx_admin")), 422, "tenant_id")
    problem(
        client.patch(f"/api/skill-groups/{ids['general']}", json={"wrap_up_s": 1}, headers=auth("qx_admin")),
        404,
    )
    # own tenant: fine, and may overflow to the centre's group
    body = {
        "tenant_id": ids["NN-QX"],
        "code": f"qx-{unique}",
        "name": "青秀二组",
        "overflow_group_id": ids["general"],
    }
    assert client.post("/api/skill-groups", json=body, headers=auth("qx_admin")).status_code == 201
    # but not to a sibling workstation's
    body = {
        "tenant_id": ids["NN-XN"],
        "code": f"xn-{unique}",
        "name": "兴宁",
        "overflow_group_id": ids["qx-general"],
    }
    problem(client.post("/api/skill-groups", json=body, headers=auth("xn_admin")), 422, "overflow_group_id")


def test_roles(client, auth, ids):
    # agents read the list (to transfer to a group) but nothing else of the configuration
    assert "general" in {g["code"] for g in client.get("/api/skill-groups", headers=auth("agent01")).json()}
    problem(client.get(f"/api/skill-groups/{ids['general']}", headers=auth("agent01")), 403)
    problem(client.get("/api/blacklist", headers=auth("agent01")), 403)
    problem(client.get("/api/skill-groups", headers=auth("police_handler")), 403)
    problem(
        client.post(
            "/api/skill-groups",
            json={"tenant_id": ids["NN"], "code": "zz", "name": "z"},
            headers=auth("supervisor"),
        ),
        403,
    )
    problem(client.get("/api/skill-groups"), 401)


# ---------------------------------------------------------------- agents


def test_agents_with_skills_and_state(client, auth, ids):
    r = client.get("/api/agents?size=50", headers=auth("supervisor"))
    assert r.status_code == 200
    agents = {a["agent_number"]: a for a in r.json()["items"]}
    assert {f"{1000 + i}" for i in range(1, 13)} <= set(agents)
    r = client.get(f"/api/agents?skill_group_id={ids['special']}", headers=auth("supervisor")).json()
    assert {a["agent_number"] for a in r["items"]} == {"1011", "1012"}
    assert (
        client.get("/api/agents?q=8011", headers=auth("supervisor")).json()["items"][0]["agent_number"]
        == "1011"
    )
    logged_out = client.get("/api/agents?state=logged_out&size=50", headers=auth("supervisor")).json()[
        "items"
    ]
    assert "1011" in {a["agent_number"] for a in logged_out}
    problem(client.get("/api/agents?state=sleeping", headers=auth("supervisor")), 422, "state")
    a11 = agents["1011"]
    assert {s["code"]: s["level"] for s in a11["skills"]} == {"special": 5, "general": 3}
    assert a11["extension"] == "8011" and a11["state"] == "logged_out" and a11["state_label"] == "签出"


def test_put_agent_skills_and_validation(client, auth, ids, db):
    uid = ids["agent07"]
    body = {
        "skills": [
            {"skill_group_id": ids["general"], "level": 2},
            {"skill_group_id": ids["complaint"], "level": 4},
        ]
    }
    r = client.put(f"/api/agents/{uid}", json=body, headers=auth("admin"))
    assert r.status_code == 200, r.text
    assert {s["code"]: s["level"] for s in r.json()["skills"]} == {"general": 2, "complaint": 4}
    cfg = store.load_config(db)
    assert cfg.agent("1007").skills == {"general": 2, "complaint": 4}
    bad = {"skills": [{"skill_group_id": ids["general"], "level": 6}]}
    problem(client.put(f"/api/agents/{uid}", json=bad, headers=auth("admin")), 422, "skills.0.level")
    bad = {"skills": [{"skill_group_id": 999999, "level": 3}]}
    problem(client.put(f"/api/agents/{uid}", json=bad, headers=auth("admin")), 422, "skills.0.skill_group_id")
    problem(
        client.put(f"/api/agents/{uid}", json={"agent_number": "1001"}, headers=auth("admin")),
        409,
        "agent_number",
    )
    problem(
        client.put(f"/api/agents/{uid}", json={"extension": "8001"}, headers=auth("admin")), 409, "extension"
    )
    # nothing of the failed requests was written
    r = client.get(f"/api/agents/{uid}", headers=auth("admin"))
    assert r.json()["agent_number"] == "1007" and r.json()["extension"] == "8007"


def test_agent_state_log_is_recorded(client, auth, ids, db, unique):
    from datetime import UTC, datetime

    from routing.acd import Acd, AgentChanged
    from routing.clock import FakeClock

    acd = Acd(store.load_config(db), FakeClock(datetime(2026, 3, 2, 2, 0, tzinfo=UTC)))
    for event in acd.login("1008") + acd.set_ready("1008") + acd.set_not_ready("1008", "培训"):
        assert isinstance(event, AgentChanged)
        store.record_agent_change(db, event.change, extension="8008")
    db.commit()
    r = client.get(f"/api/agents/{ids['agent08']}/state-log", headers=auth("supervisor"))
    assert [e["to_state"] for e in r.json()[:3]] == ["not_ready", "ready", "not_ready"]
    assert r.json()[0]["reason"] == "培训"
    a = client.get(f"/api/agents/{ids['agent08']}", headers=auth("supervisor")).json()
    assert a["state"] == "not_ready" and a["reason"] == "培训"
    assert "1008" in {s.agent_number for s in store.agent_states(db)}


# ---------------------------------------------------------------- IVR menus


def test_menu_crud_validation_and_hot_reload(client, auth, ids, db, unique):
    tree = copy.deepcopy(CENTRE_MENU)
    tree["nodes"]["main"]["options"]["3"] = {"type": "goto", "node": "ghost"}
    body = {"tenant_id": ids["NN"], "name": f"菜单{unique}", "tree": tree}
    b = problem(
        client.post("/api/ivr-menus", json=body, headers=auth("admin")), 422, "tree.nodes.main.options.3.node"
    )
    assert "ghost" in b["detail"]
    tree["nodes"]["main"]["options"]["3"] = {"type": "queue", "skill_group": "no-such-group"}
    problem(
        client.post("/api/ivr-menus", json=body, headers=auth("admin")),
        422,
        "tree.nodes.main.options.3.skill_group",
    )
    body["tree"] = copy.deepcopy(CENTRE_MENU)
    r = client.post("/api/ivr-menus", json=body, headers=auth("admin"))
    assert r.status_code == 201, r.text
    menu = r.json()
    assert menu["revision"] == 1
    problem(client.post("/api/ivr-menus", json=body, headers=auth("admin")), 409, "name")

    # attach it to 兴宁区 (no settings yet) and check the running configuration follows
    settings = {"ivr_menu_id": menu["id"], "default_group_id": ids["general"]}
    assert (
        client.put(f"/api/call-settings/{ids['NN-XN']}", json=settings, headers=auth("admin")).status_code
        == 200
    )
    cfg = store.load_config(db)
    assert cfg.tenant(ids["NN-XN"]).ivr_menu.nodes["main"].options["1"].skill_group == "general"

    new_tree = copy.deepcopy(CENTRE_MENU)
    new_tree["nodes"]["main"]["options"]["1"] = {"type": "queue", "skill_group": "enterprise"}
    v0 = version(client, auth)
    r = client.put(
        f"/api/ivr-menus/{menu['id']}", json={"tree": new_tree, "revision": 1}, headers=auth("admin")
    )
    assert r.status_code == 200 and r.json()["revision"] == 2
    assert version(client, auth) > v0
    db.expire_all()
    cfg = store.load_config(db)
    assert cfg.version == version(client, auth)
    assert cfg.tenant(ids["NN-XN"]).ivr_menu.nodes["main"].options["1"].skill_group == "enterprise"

    # a second editor still holding revision 1 loses
    problem(
        client.put(
            f"/api/ivr-menus/{menu['id']}", json={"tree": CENTRE_MENU, "revision": 1}, headers=auth("admin")
        ),
        409,
        "revision",
    )
    problem(client.delete(f"/api/ivr-menus/{menu['id']}", headers=auth("admin")), 409)
    settings = {"ivr_menu_id": None, "default_group_id": ids["general"]}
    assert (
        client.put(f"/api/call-settings/{ids['NN-XN']}", json=settings, headers=auth("admin")).status_code
        == 200
    )
    assert client.delete(f"/api/ivr-menus/{menu['id']}", headers=auth("admin")).status_code == 204


def test_menu_validate_endpoint_and_scope(client, auth, ids):
    r = client.post(
        "/api/ivr-menus/validate", json={"tenant_id": ids["NN"], "tree": CENTRE_MENU}, headers=auth("admin")
    )
    assert r.status_code == 200 and r.json()["nodes"] == ["enterprise", "main", "ticket"]
    menus = client.get("/api/ivr-menus", headers=auth("qx_super")).json()
    assert menus == []  # 青秀区 runs without a menu; the centre's is not visible


# ---------------------------------------------------------------- settings and holidays


def test_settings_and_validation(client, auth, ids):
    r = client.get(f"/api/call-settings/{ids['NN-QX']}", headers=auth("qx_super"))
    assert r.status_code == 200
    s = r.json()
    assert s["ivr_menu_id"] is None and s["always_open"] is False and len(s["windows"]) == 2
    problem(client.get(f"/api/call-settings/{ids['NN']}", headers=auth("qx_super")), 422, "tenant_id")
    bad = {"always_open": False, "windows": [{"weekdays": [1], "start": "18:00", "end": "18:00"}]}
    problem(
        client.put(f"/api/call-settings/{ids['NN-XN']}", json=bad, headers=auth("admin")),
        422,
        "windows.0.end",
    )
    bad = {"always_open": False, "windows": []}
    problem(client.put(f"/api/call-settings/{ids['NN-XN']}", json=bad, headers=auth("admin")), 422, "windows")
    bad = {"windows": [{"weekdays": [8], "start": "08:00", "end": "09:00"}]}
    problem(
        client.put(f"/api/call-settings/{ids['NN-XN']}", json=bad, headers=auth("admin")),
        422,
        "windows.0.weekdays",
    )
    bad = {"prompts": {"welcom": "x.wav"}}
    problem(
        client.put(f"/api/call-settings/{ids['NN-XN']}", json=bad, headers=auth("admin")),
        422,
        "prompts.welcom",
    )
    bad = {"prompts": {"welcome": "/sounds/my welcome.wav"}}
    problem(
        client.put(f"/api/call-settings/{ids['NN-XN']}", json=bad, headers=auth("admin")),
        422,
        "prompts.welcome",
    )
    bad = {"timezone": "Mars/Base"}
    problem(
        client.put(f"/api/call-settings/{ids['NN-XN']}", json=bad, headers=auth("admin")), 422, "timezone"
    )
    bad = {"windows": [{"weekdays": [1], "start": "8点", "end": "09:00"}]}
    problem(
        client.put(f"/api/call-settings/{ids['NN-XN']}", json=bad, headers=auth("admin")),
        422,
        "windows.0.start",
    )


def test_holidays(client, auth, ids, db):
    body = {"tenant_id": ids["NN-XN"], "day": "2026-10-08", "name": "国庆节", "kind": "holiday"}
    r = client.post("/api/holidays", json=body, headers=auth("admin"))
    assert r.status_code == 201, r.text
    problem(client.post("/api/holidays", json=body, headers=auth("admin")), 409, "day")
    problem(
        client.post("/api/holidays", json={**body, "day": "2026-13-01"}, headers=auth("admin")), 422, "day"
    )
    listed = client.get(f"/api/holidays?tenant_id={ids['NN-XN']}&year=2026", headers=auth("admin")).json()
    assert [h["day"] for h in listed] == ["2026-10-08"]
    from datetime import date

    assert date(2026, 10, 8) in store.load_config(db).tenant(ids["NN-XN"]).hours.holidays
    problem(client.delete(f"/api/holidays/{r.json()['id']}", headers=auth("qx_admin")), 404)
    assert client.delete(f"/api/holidays/{r.json()['id']}", headers=auth("admin")).status_code == 204


# ---------------------------------------------------------------- blacklist and 专席


def test_blacklist_crud_and_attempts(client, auth, ids, db, unique):
    number = f"139{int(unique, 16) % 10**8:08d}"
    body = {"tenant_id": ids["NN"], "number": number, "reason": "辱骂话务员"}
    r = client.post("/api/blacklist", json=body, headers=auth("admin"))
    assert r.status_code == 201, r.text
    entry = r.json()
    problem(client.post("/api/blacklist", json=body, headers=auth("admin")), 409, "number")
    problem(
        client.post("/api/blacklist", json={**body, "number": "abc"}, headers=auth("admin")), 422, "number"
    )
    problem(
        client.post(
            "/api/blacklist",
            json={**body, "number": "1388", "expires_at": "2000-01-01T00:00:00Z"},
            headers=auth("admin"),
        ),
        422,
        "expires_at",
    )
    cfg = store.load_config(db)
    assert any(b.number == number for b in cfg.blacklist)

    from datetime import UTC, datetime

    from routing.inbound import Outcome, inbound_route

    d = inbound_route(cfg, caller=number, called="12345", now=datetime.now(UTC))
    assert d.outcome is Outcome.reject
    store.log_blacklist_attempt(
        db,
        entry_id=d.blacklist.id,
        caller=number,
        called="12345",
        tenant_id=d.tenant.tenant_id,
        call_uuid=f"bl-{unique}",
    )
    db.commit()
    r = client.get(f"/api/blacklist/attempts?entry_id={entry['id']}", headers=auth("supervisor"))
    assert r.json()["total"] == 1 and r.json()["items"][0]["caller"] == number
    assert (
        client.get(f"/api/blacklist/attempts?entry_id={entry['id']}", headers=auth("qx_super")).json()[
            "total"
        ]
        == 0
    )

    r = client.get(f"/api/blacklist?number={number}", headers=auth("supervisor"))
    assert r.json()["total"] == 1
    r = client.patch(f"/api/blacklist/{entry['id']}", json={"active": False}, headers=auth("admin"))
    assert r.status_code == 200 and r.json()["active"] is False
    db.expire_all()
    assert not any(b.number == number for b in store.load_config(db).blacklist)
    assert client.delete(f"/api/blacklist/{entry['id']}", headers=auth("admin")).status_code == 204


def test_special_seats(client, auth, ids, db):
    body = {
        "tenant_id": ids["NN"],
        "name": "测试专席",
        "match_on": "called",
        "pattern": "0771123459",
        "skill_group_id": ids["special"],
        "agent_numbers": ["1011", "9999"],
    }
    problem(client.post("/api/special-seats", json=body, headers=auth("admin")), 422, "agent_numbers.1")
    problem(
        client.post("/api/special-seats", json={**body, "match_on": "both"}, headers=auth("admin")),
        422,
        "match_on",
    )
    body["agent_numbers"] = ["1011"]
    r = client.post("/api/special-seats", json=body, headers=auth("admin"))
    assert r.status_code == 201, r.text
    rule = r.json()
    problem(client.post("/api/special-seats", json=body, headers=auth("admin")), 409, "pattern")
    seat = next(s for s in store.load_config(db).special_seats if s.id == rule["id"])
    assert seat.skill_group == "special" and seat.agent_numbers == ("1011",)
    r = client.patch(f"/api/special-seats/{rule['id']}", json={"priority": 9}, headers=auth("admin"))
    assert r.json()["priority"] == 9
    assert rule["id"] not in {
        s["id"] for s in client.get("/api/special-seats", headers=auth("qx_super")).json()
    }
    assert client.delete(f"/api/special-seats/{rule['id']}", headers=auth("admin")).status_code == 204


def test_agent_time_summary(client, auth, db, ids):
    from datetime import UTC, datetime

    from routing.acd import Acd, AgentChanged
    from routing.clock import FakeClock

    clock = FakeClock(datetime(2024, 5, 6, 1, 0, tzinfo=UTC))
    acd = Acd(store.load_config(db), clock)

    def record(events):
        for e in events:
            if isinstance(e, AgentChanged):
                store.record_agent_change(db, e.change)

    record(acd.login("1009"))  # 01:00 not ready (签入)
    clock.advance(60)
    record(acd.set_ready("1009"))  # 01:01 ready
    clock.advance(120)
    record(acd.enqueue("summary-call", skill_group="enterprise"))  # 01:03 ringing
    clock.advance(10)
    record(acd.answered("summary-call"))  # in call
    clock.advance(300)
    record(acd.call_ended("summary-call"))  # wrap-up (15 s in the demo group)
    clock.advance(15)
    record(acd.tick())  # ready
    clock.advance(100)
    record(acd.set_not_ready("1009", "就餐"))
    clock.advance(1800)
    record(acd.logout("1009"))
    db.commit()
    r = client.get(
        "/api/agents/time-summary",
        params={"start": "2024-05-06T01:00:00Z", "end": "2024-05-06T03:00:00Z"},
        headers=auth("supervisor"),
    )
    assert r.status_code == 200, r.text
    mine = next(a for a in r.json() if a["agent_number"] == "1009")
    s = mine["seconds"]
    assert (s["ready"], s["ringing"], s["in_call"], s["wrap_up"]) == (220.0, 10.0, 300.0, 15.0)
    assert s["not_ready"] == 1860.0 and mine["not_ready_by_reason"] == {"签入": 60.0, "就餐": 1800.0}
    assert mine["answered"] == 1
    assert s["logged_out"] == 7200 - 2405
    assert (
        client.get(
            "/api/agents/time-summary",
            params={"start": "2024-05-06T01:00:00Z", "end": "2024-05-06T03:00:00Z"},
            headers=auth("qx_super"),
        ).json()
        == []
    )
    problem(
        client.get(
            "/api/agents/time-summary",
            params={"start": "2024-05-06T03:00:00Z", "end": "2024-05-06T01:00:00Z"},
            headers=auth("supervisor"),
        ),
        422,
        "end",
    )


def test_group_members_with_levels(client, auth, ids, db, unique):
    r = client.post(
        "/api/skill-groups",
        json={"tenant_id": ids["NN"], "code": f"m-{unique}", "name": "成员测试"},
        headers=auth("admin"),
    )
    gid = r.json()["id"]
    body = [{"user_id": ids["agent03"], "level": 5}, {"user_id": ids["agent04"], "level": 1}]
    r = client.put(f"/api/skill-groups/{gid}/members", json=body, headers=auth("admin"))
    assert r.status_code == 200, r.text
    assert r.json() == [{"user_id": ids["agent03"], "level": 5}, {"user_id": ids["agent04"], "level": 1}]
    assert store.load_config(db).agent("1003").skills[f"m-{unique}"] == 5
    problem(
        client.put(
            f"/api/skill-groups/{gid}/members",
            json=[{"user_id": ids["dispatcher"], "level": 3}],
            headers=auth("admin"),
        ),
        422,
        "members.0.user_id",
    )
    problem(
        client.put(
            f"/api/skill-groups/{gid}/members",
            json=[{"user_id": ids["agent03"], "level": 0}],
            headers=auth("admin"),
        ),
        422,
    )
    r = client.put(
        f"/api/skill-groups/{gid}/members",
        json=[{"user_id": ids["agent04"], "level": 2}],
        headers=auth("admin"),
    )
    detail = client.get(f"/api/skill-groups/{gid}", headers=auth("supervisor")).json()
    assert detail["members"] == [{"user_id": ids["agent04"], "level": 2}]
    assert client.delete(f"/api/skill-groups/{gid}", headers=auth("admin")).status_code == 204


def test_route_preview(client, auth, ids):
    body = {
        "caller": "13877100001",
        "called": "12345",
        "at": "2026-03-02T10:00:00+08:00",
        "digits": ["9", "3", "1"],
    }
    r = client.post("/api/call-config/preview", json=body, headers=auth("supervisor"))
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["outcome"] == "ivr" and out["tenant_id"] == ids["NN"]
    assert [a["type"] for a in out["actions"]] == ["Play", "Collect", "Play", "Collect", "Collect", "Queue"]
    assert out["actions"][-1]["skill_group"] == "enterprise"
    assert out["ivr_path"] == ["main:invalid:9", "main:3", "enterprise:1"]
    body = {"caller": "13877100001", "called": "123451", "at": "2026-03-07T10:00:00+08:00"}
    out = client.post("/api/call-config/preview", json=body, headers=auth("qx_super")).json()
    assert (
        out["outcome"] == "closed" and out["hours"] == "closed" and out["actions"][0]["type"] == "Voicemail"
    )
    out = client.post(
        "/api/call-config/preview", json={"caller": "13000000000"}, headers=auth("supervisor")
    ).json()
    assert out["outcome"] == "reject" and out["blacklist_id"] is not None
    problem(
        client.post(
            "/api/call-config/preview", json={"caller": "1", "called": "12345"}, headers=auth("qx_super")
        ),
        403,
    )
    problem(
        client.post(
            "/api/call-config/preview",
            json={"caller": "1", "at": "2026-03-02T10:00:00"},
            headers=auth("supervisor"),
        ),
        422,
        "at",
    )


def test_config_change_is_announced_on_the_bus(client, auth, app, ids, unique):
    import json
    import time

    from models.bus import Bus

    bus = Bus.from_settings(app.state.settings)
    sub = bus.subscribe(store.CONFIG_CHANNEL)
    time.sleep(0.1)
    body = {"tenant_id": ids["NN"], "day": "2027-01-01", "name": f"元旦{unique}"[:50], "kind": "holiday"}
    r = client.post("/api/holidays", json=body, headers=auth("admin"))
    assert r.status_code == 201, r.text
    deadline = time.time() + 5
    got = []
    while time.time() < deadline:
        msg = sub.get_message(timeout=0.5)
        if msg and msg.get("type") == "message":
            got.append(json.loads(msg["data"]))
            if got[-1]["version"] == version(client, auth):
                break
    sub.close()
    assert got and got[-1] == {"type": "config_changed", "version": version(client, auth)}


def test_idempotency_key_on_creates(client, auth, ids, unique):
    h = {**auth("admin"), "Idempotency-Key": f"k-{unique}"}
    body = {"tenant_id": ids["NN"], "number": f"1{int(unique, 16) % 10**9:09d}", "reason": "重试"}
    first = client.post("/api/blacklist", json=body, headers=h)
    again = client.post("/api/blacklist", json=body, headers=h)
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    problem(client.post("/api/blacklist", json={**body, "reason": "别的"}, headers=h), 409, "Idempotency-Key")
    # without the key a repeat is a conflict; the same key for another kind of create is refused
    problem(client.post("/api/blacklist", json=body, headers=auth("admin")), 409, "number")
    group = {"tenant_id": ids["NN"], "code": f"i-{unique}", "name": "幂等"}
    problem(client.post("/api/skill-groups", json=group, headers=h), 409, "Idempotency-Key")
    other = {**auth("supervisor"), "Idempotency-Key": f"k-{unique}"}  # keys are per user
    problem(client.post("/api/blacklist", json=body, headers=other), 403)


def test_broken_stored_menu_is_skipped_not_fatal(db, ids, unique):
    from models.calls import IvrMenu

    menu = IvrMenu(tenant_id=ids["NN-XN"], name=f"坏菜单{unique}", tree={"start": "x", "nodes": {}})
    db.add(menu)
    db.flush()
    store.put_settings(
        db, store_scope(db, ids), ids["NN-XN"], ivr_menu_id=menu.id, default_group_id=ids["general"]
    )
    cfg = store.load_config(db)
    assert cfg.tenant(ids["NN-XN"]).ivr_menu is None and cfg.tenant(ids["NN-XN"]).default_group == "general"
    db.rollback()


def store_scope(db, ids):
    from models.org import User
    from models.scope import scope_for

    return scope_for(db, db.get(User, ids["admin"]))
