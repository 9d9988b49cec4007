"""Citizen alerts go to supervisors at once: published on the Redis bus (models/bus.py) when it is
there, channel `<namespace>:qa:alerts`. The alert rows (GET /api/qa/alerts) stay the record either way.

Message: {"type": "qa.alert", "id", "tenant_id", "transcript_id", "call_id", "agent_id", "category",
"severity", "detail", "words", "start", "end", "created_at"}.
"""

from __future__ import annotations

import logging

from models.bus import publish_after_commit
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
    return publish_after_commit(settings, CHANNEL, messages, "QA alerts")
