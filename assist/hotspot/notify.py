"""Surge alerts go to supervisors at once: published on the Redis bus after the commit, channel
`<namespace>:dispatch:alerts`, relayed by the WebSocket. The alert rows stay the record either way.

Message: {"type": "hotspot.surge", "id", "tenant_id", "topic", "district", "recent", "burst", "ticket_ids"}.
"""

from __future__ import annotations

import logging

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
    """A missing or unreachable Redis is logged, never fatal."""
    if not messages or not settings.redis_url:
        return 0
    try:
        from models.bus import Bus

        bus = Bus.from_settings(settings)
        for message in messages:
            bus.publish(CHANNEL, message)
    except Exception as exc:
        log.warning("surge alerts not published", extra={"alerts": len(messages), "error": str(exc)})
        return 0
    return len(messages)
