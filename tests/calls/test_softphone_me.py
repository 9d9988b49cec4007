"""GET /api/softphone/me: the agent's own state as the controller holds it (what a reloaded desktop reads)."""

from __future__ import annotations

from pathlib import Path

import pytest

from switch.simulator import CallerScript
from tests.switch.rig import Rig, wait_until
from tests.switch.test_softphone_api import in_thread, post

from .conftest import problem


@pytest.fixture
def rig(app, tmp_path: Path):
    """The simulator and a controller on the bus namespace the app's softphone API uses."""
    r = Rig(app.state.settings.resolved_database_url(), tmp_path, ready=False, namespace="hotline")
    yield r
    r.close()


def me(client, headers: dict, **params):
    return in_thread(client.get, "/api/softphone/me", params=params, headers=headers)


def test_me_follows_the_agent_through_a_call(client, auth, rig: Rig) -> None:
    agent = auth("agent05")
    r = me(client, agent)
    assert r.status_code == 200, r.text
    assert r.json()["state"] == "logged_out" and r.json()["call"] is None

    assert post(client, "login", agent, extension="8005", ready=True).status_code == 200
    body = me(client, agent).json()
    assert body["state"] == "ready" and body["extension"] == "8005" and body["since"]
    assert body["agent_number"] == "1005"

    assert post(client, "not-ready", agent, reason="会议").status_code == 200
    body = me(client, agent).json()
    assert (body["state"], body["reason"]) == ("not_ready", "会议")
    assert post(client, "ready", agent).status_code == 200

    uuid = rig.sim.call(CallerScript(number="13877725555", digits=["1"], talk_seconds=60))
    assert rig.wait_connected(uuid) == "1005"
    assert post(client, "hold", agent).status_code == 200
    body = me(client, agent).json()
    assert body["state"] == "in_call"
    call = body["call"]
    assert call["call_uuid"] == uuid and call["caller"] == "13877725555"
    assert call["held"] is True and call["connected"] is True and call["connected_at"]
    assert call["skill_group"] and call["ivr_path"]
    assert post(client, "retrieve", agent).status_code == 200
    assert me(client, agent).json()["call"]["held"] is False

    assert post(client, "hangup", agent).status_code == 200
    wait_until(lambda: rig.ctrl.acd.agents["1005"].state.value != "in_call", 15, "agent hung up")
    body = me(client, agent).json()
    assert body["state"] == "wrap_up" and body["call"] is None
    assert 0 < body["wrap_up_remaining_s"] <= body["wrap_up_s"]
    assert body["wrap_up_until"]

    # a supervisor may read an agent of their tenants; an agent only themselves
    boss = auth("supervisor")
    assert me(client, boss, agent_number="1005").json()["state"] == "wrap_up"
    problem(me(client, agent, agent_number="1006"), 403, "agent_number")
    problem(me(client, boss, agent_number="9999"), 404, "agent_number")
    assert post(client, "logout", agent).status_code == 200
    rig.wait_cdr_closed(uuid)


def test_me_without_an_agent_number_is_422(client, auth) -> None:
    # the demo supervisor has no agent number of their own; refused before any controller is asked
    problem(me(client, auth("supervisor")), 422, "agent_number")
    problem(me(client, auth("dispatcher")), 403)
