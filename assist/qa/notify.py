"""Citizen alerts go to supervisors at once: published on the Redis bus (models/bus.py) when it is
there, channel `<namespace>:qa:alerts`. The alert rows (GET /api/qa/alerts) stay the record either way.

Message: {"type": "qa.alert", "id", "tenant_id", "transcript_id", "call_id", "agent_id", "category",
"severity", "detail", "words", "start", "end", "created_at"}.
"""

from __future__ import annotations

import importlib
import importlib.util
import logging

from models.qa import QaAlert
from models.settings import Settings

log = logging.getLogger("hotline.qa")

CHANNEL = "qa:alerts"


def alert_message(alert: QaAlert) -> dict:
    return {
        "type": "qa.alert",
        "id": alert.id,
        "tenant_id": alert.tenant_id,
        "transcript_id": alert.transcript_id,
        "call_id": alert.call_id,
        "agent_id": alert.agent_id,
        "category": alert.category,
        "severity": alert.severity,
        "detail": alert.detail,
        "words": alert.words,
        "start": alert.start,
        "end": alert.end,
        "created_at": alert.created_at.isoformat() if alert.created_at else None,
    }


def publish_alerts(settings: Settings, messages: list[dict]) -> int:
    """Publish; a missing bus or Redis outage is logged, never fatal (the rows are already stored)."""
    if not messages or not settings.redis_url or importlib.util.find_spec("models.bus") is None:
        return 0
    try:
        bus = importlib.import_module("models.bus").Bus.from_settings(settings)
        for message in messages:
            bus.publish(CHANNEL, message)
    except Exception:
        log.warning("alert not published on the bus", exc_info=True, extra={"alerts": len(messages)})
        return 0
    return len(messages)
