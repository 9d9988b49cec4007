"""Publish/subscribe of JSON messages over Redis between the API, the switch controller and WebSocket clients.

Channels (prefix `hotline:` plus a namespace so tests on one Redis do not mix):
- `switch:commands` — API → controller: `{"id", "action", "agent_number", ...}`; the controller answers on the
  list `switch:reply:<id>` with `{"ok": true, ...}` or `{"ok": false, "status": 409, "detail": ...}`.
- `switch:events`   — controller → WebSocket clients: agent, call and queue events (see switch/events.md).
"""

from __future__ import annotations

import json
import logging
import uuid
from typing import Any

import redis

from models.settings import Settings

COMMANDS = "switch:commands"
EVENTS = "switch:events"


def redis_url(settings: Settings) -> str:
    url = settings.redis_url
    if not url:
        raise RuntimeError("未配置 Redis（HOTLINE_REDIS_URL）")
    return url


class Bus:
    """Synchronous side (controller, API threads). `namespace` keeps tests and tenants of one Redis apart."""

    def __init__(self, url: str, namespace: str = "hotline") -> None:
        self.redis = redis.Redis.from_url(url, decode_responses=True)
        self.namespace = namespace

    @classmethod
    def from_settings(cls, settings: Settings) -> Bus:
        return cls(redis_url(settings), settings.extra.get("bus_namespace", "hotline"))

    def key(self, name: str) -> str:
        return f"{self.namespace}:{name}"

    def publish(self, channel: str, message: dict[str, Any]) -> int:
        return self.redis.publish(self.key(channel), json.dumps(message, ensure_ascii=False, default=str))

    def subscribe(self, *channels: str):
        pubsub = self.redis.pubsub(ignore_subscribe_messages=True)
        pubsub.subscribe(*(self.key(c) for c in channels))
        return pubsub

    def request(self, action: str, *, timeout: float = 5.0, **fields: Any) -> dict[str, Any] | None:
        """Send a command to the controller and wait for its reply (None: no controller answered)."""
        request_id = uuid.uuid4().hex
        reply_key = self.key(f"switch:reply:{request_id}")
        self.publish(COMMANDS, {"id": request_id, "action": action, **fields})
        got = self.redis.blpop([reply_key], timeout=max(1, int(round(timeout))))
        if got is None:
            return None
        return json.loads(got[1])

    def reply(self, request_id: str, message: dict[str, Any]) -> None:
        key = self.key(f"switch:reply:{request_id}")
        pipe = self.redis.pipeline()
        pipe.rpush(key, json.dumps(message, ensure_ascii=False, default=str))
        pipe.expire(key, 30)
        pipe.execute()


def publish_after_commit(settings: Settings, channel: str, messages: list[dict[str, Any]], what: str) -> int:
    """Announce stored rows (alerts, notices): a missing or unreachable Redis is logged, never fatal, as the
    rows are already committed. Returns how many were published."""
    if not messages or not settings.redis_url:
        return 0
    try:
        bus = Bus.from_settings(settings)
        for message in messages:
            bus.publish(channel, message)
    except Exception as exc:
        logging.getLogger("hotline.bus").warning(
            f"{what} not published", extra={"channel": channel, "count": len(messages), "error": str(exc)}
        )
        return 0
    return len(messages)


def decode(message: dict[str, Any] | None) -> dict[str, Any] | None:
    if not message or message.get("type") != "message":
        return None
    return json.loads(message["data"])
