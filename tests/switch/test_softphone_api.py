"""Softphone API → bus → controller → simulator, and the WebSocket feed."""

from __future__ import annotations

from pathlib import Path

import gevent
import pytest
from starlette.websockets import WebSocketDisconnect

from models.bus import EVENTS, Bus
from switch.simulator import CallerScript
from tests.switch.rig import REDIS_URL, Rig


def in_thread(fn, *args, **kwargs):
    """Run a blocking client call off the gevent hub so the controller greenlet keeps working."""
    return gevent.get_hub().threadpool.spawn(fn, *args, **kwargs).get()


@pytest.fixture
def rig(app, tmp_path: Path):
    r = Rig(app.state.settings.resolved_database_url(), tmp_path, ready=False, namespace="hotline")
    yield r
    r.close()


def post(client, path: str, headers: dict, **body):
    return in_thread(client.post, f"/api/softphone/{path}", json=body, headers=headers)


def test_agent_desktop_flow(client, auth, rig: Rig) -> None:
    me = auth("agent01")
    assert post(client, "login", {}, extension="8001").status_code == 401
    r = post(client, "login", me, extension="8001")
    assert r.status_code == 200, r.text
    assert r.json() == {"state": "not_ready", "extension": "8001"}  # 签入 starts not ready (reason 签入)
    clash = post(client, "login", auth("agent02"), extension="8001")
    assert clash.status_code == 409 and "8001" in clash.json()["detail"]
    r = post(client, "not-ready", me, reason="小休")
    assert r.status_code == 200 and r.json() == {"state": "not_ready", "reason": "小休"}
    assert post(client, "hold", me).status_code == 409
    assert post(client, "transfer", me, target_type="fax", target="1").status_code == 422
    assert post(client, "ready", me, agent_number="1002").status_code == 403
    assert post(client, "ready", me).json()["state"] == "ready"
    agent01 = rig.ctrl.acd.agents["1001"]
    assert agent01.state.value == "ready" and agent01.extension == "8001"
    # the only ready agent takes a general call; hold and retrieve from the desktop
    uuid = rig.sim.call(CallerScript(number="13877720001", digits=["1"], talk_seconds=60))
    assert rig.wait_connected(uuid) == "1001"
    assert post(client, "hold", me).status_code == 200
    assert post(client, "retrieve", me).json()["hold_s"] >= 0
    # the supervisor listens, then barges
    boss = auth("supervisor")
    r = post(client, "supervise", boss, agent_number="1001", extension="8100", mode="listen")
    assert r.status_code == 200, r.text
    assert post(client, "supervise", me, agent_number="1001", extension="8100").status_code == 403
    assert post(client, "hangup", me).status_code == 200
    call = rig.wait_cdr_closed(uuid)
    assert call.agent_number == "1001" and call.hold_s >= 0


def test_no_controller_is_503(client, auth) -> None:
    r = client.post("/api/softphone/ready", headers=auth("agent03"), json={})
    assert r.status_code == 503 and r.json()["title"] == "话务控制器不可用"


def test_websocket_screen_pop_feed(client, tokens) -> None:
    bus = Bus(REDIS_URL, "hotline")
    with pytest.raises(WebSocketDisconnect) as info, client.websocket_connect("/api/ws?token=bad") as ws:
        ws.receive_json()
    assert info.value.code == 4401
    with (
        client.websocket_connect(f"/api/ws?token={tokens['agent01']}") as agent_ws,
        client.websocket_connect(f"/api/ws?token={tokens['supervisor']}") as boss_ws,
    ):
        assert agent_ws.receive_json()["agent_number"] == "1001"
        boss_ws.receive_json()
        bus.publish(
            EVENTS, {"type": "screen_pop", "agent_number": "1002", "caller": "13800000002", "tenant_id": None}
        )
        bus.publish(
            EVENTS, {"type": "screen_pop", "agent_number": "1001", "caller": "13800000001", "tenant_id": None}
        )
        got = agent_ws.receive_json()
        assert got["caller"] == "13800000001"  # the other agent's pop was not sent
        assert boss_ws.receive_json()["caller"] == "13800000002"
        assert boss_ws.receive_json()["caller"] == "13800000001"
