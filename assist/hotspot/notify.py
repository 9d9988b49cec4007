"""Surge alerts go to supervisors at once: published on the Redis bus after the commit, channel
`<namespace>:dispatch:alerts`, relayed by the WebSocket. The alert rows stay the record either way.

Message: {"type": "hotspot.surge", "id", "tenant_id", "topic", "district", "recent", "burst", "ticket_ids"}.
"""

from __future__ import annotations

import logging

from models.bus import publish_after_commit
from models.dispatch import HotspotAlert
from models.settings import Settings

log = logging.getLogger("hotline.hotspot")

CHANNEL = "dispatch:alerts"


def surge_message(alert: HotspotAlert) -> dict:
    return {
        "type": "hotspot.surge",
        "id": alert.id,
        "tenant_id": alert.tenant_id,
        "topic": alert.topic,
        "district": alert.district,
        "recent": alert.recent,
        "burst": alert.burst,
        "ticket_ids": list(alert.ticket_ids or [])[:20],
    }


def publish(settings: Settings, messages: list[dict]) -> int:
    return publish_after_commit(settings, CHANNEL, messages, "surge alerts")
