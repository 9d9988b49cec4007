"""The WebSocket relays QA and hotspot alerts to supervisors and knowledge notices to the people they name."""

from __future__ import annotations

from models.bus import Bus

REDIS_URL = "redis://127.0.0.1:6379/15"  # the app fixture's Redis


def test_alerts_and_notices_reach_the_right_sockets(client, tokens, auth):
    police = client.get("/api/auth/me", headers=auth("police_handler")).json()
    bus = Bus(REDIS_URL, "hotline")
    with (
        client.websocket_connect(f"/api/ws?token={tokens['supervisor']}") as boss,
        client.websocket_connect(f"/api/ws?token={tokens['police_handler']}") as handler,
        client.websocket_connect(f"/api/ws?token={tokens['agent05']}") as agent,
    ):
        for ws in (boss, handler, agent):
            assert ws.receive_json()["type"] == "hello"
        bus.publish(
            "kb:notices", {"type": "kb.question", "title": "问题甲", "to": {"unit_ids": [police["unit_id"]]}}
        )
        bus.publish(
            "qa:alerts", {"type": "qa.alert", "tenant_id": 1, "category": "self_harm", "detail": "轻生"}
        )
        bus.publish(
            "dispatch:alerts", {"type": "hotspot.surge", "tenant_id": 1, "topic": "停水", "recent": 9}
        )
        # a marker every socket receives, so "nothing else arrived before it" can be asserted
        bus.publish("switch:events", {"type": "queues", "groups": []})

        assert handler.receive_json()["title"] == "问题甲"
        assert handler.receive_json()["type"] == "queues"  # no QA alert for a unit handler
        assert boss.receive_json()["category"] == "self_harm"  # no notice for another unit
        assert boss.receive_json()["topic"] == "停水"
        assert boss.receive_json()["type"] == "queues"
        assert agent.receive_json()["type"] == "queues"  # agents get neither
