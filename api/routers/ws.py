"""实时推送 API: WebSocket `/api/ws?token=<JWT>` for agent desktops (screen pop, state, messages) and the
supervisor monitor / wallboard (every agent, call and queue event of the user's tenants).

Messages are the controller's events from the bus (`switch:events`), JSON objects with a `type`:
`agent_state`, `screen_pop`, `call_connected`, `call_held`, `call_retrieved`, `call_ended`, `message`,
`queues`. An agent receives the events naming their agent number and the queue figures; supervisors,
QA reviewers, workstations and admins receive everything within their tenants.

Also relayed: citizen alerts from automatic QA (`qa:alerts`, type `qa.alert`) and hotspot surges
(`dispatch:alerts`, type `hotspot.surge`) to supervisors and QA reviewers of the tenant, at once; and knowledge notices (`kb:notices`, types `kb.question` and
`kb.review_due`: the users and units named in the message's `to`); and the live transcript of a call
(`asr:transcripts`, type `transcript`: to the agent on the call and, like call events, to monitors of the tenant).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging

import redis.asyncio as aioredis
from fastapi import APIRouter, WebSocket, WebSocketDisconnect

from api.schemas import PROBLEM_RESPONSES
from assist.asr.events import TRANSCRIPTS
from models.bus import EVENTS
from models.errors import DomainError
from models.org import Role, User
from models.scope import Scope, scope_for
from models.security import decode_token

router = APIRouter(prefix="/api", tags=["实时推送"], responses=PROBLEM_RESPONSES)
log = logging.getLogger("hotline.api.ws")

MONITOR_ROLES = (Role.supervisor, Role.qa_reviewer, Role.workstation)


# Channels relayed to browsers, besides the controller's events.
RELAYED = (EVENTS, "qa:alerts", "dispatch:alerts", "kb:notices", TRANSCRIPTS)
ALERTS = ("qa.alert", "hotspot.surge")  # for supervisors and QA reviewers of the tenant


def visible(message: dict, scope: Scope, agent_number: str | None) -> bool:
    """Whether this user's socket gets this event."""
    to = message.get("to")
    if isinstance(to, dict):  # addressed notices
        return scope.user_id in (to.get("user_ids") or []) or (
            scope.unit_id is not None and scope.unit_id in (to.get("unit_ids") or [])
        )
    if message.get("type") in ALERTS:
        tenant = message.get("tenant_id")
        return scope.has(Role.admin, Role.supervisor, Role.qa_reviewer) and (
            tenant is None or scope.can_see_tenant(int(tenant))
        )
    if message.get("type") == "queues":
        return True
    if scope.has(Role.admin, *MONITOR_ROLES):
        tenant = message.get("tenant_id")
        return tenant is None or scope.can_see_tenant(int(tenant))
    return agent_number is not None and message.get("agent_number") == agent_number


def _authenticate(websocket: WebSocket, token: str) -> tuple[Scope, str | None]:
    app = websocket.app
    claims = decode_token(app.state.settings, token)
    with app.state.sessionmaker() as db:
        user = db.get(User, int(claims["sub"]))
        if user is None or not user.active or user.token_version != claims.get("ver"):
            raise DomainError("用户不存在、已停用或令牌已失效")
        return scope_for(db, user), user.agent_number


@router.websocket("/ws")
async def events(websocket: WebSocket, token: str = "") -> None:
    """Authenticated with the JWT as the `token` query parameter; closes with 4401 when it is not valid."""
    try:
        scope, agent_number = await asyncio.to_thread(_authenticate, websocket, token)
    except (DomainError, KeyError, ValueError):
        await websocket.close(code=4401, reason="unauthorized")
        return
    settings = websocket.app.state.settings
    if not settings.redis_url:
        await websocket.close(code=1013, reason="redis not configured")
        return
    await websocket.accept()
    namespace = settings.extra.get("bus_namespace", "hotline")
    client = aioredis.Redis.from_url(settings.redis_url, decode_responses=True)
    pubsub = client.pubsub(ignore_subscribe_messages=True)
    await pubsub.subscribe(*(f"{namespace}:{channel}" for channel in RELAYED))
    await websocket.send_json({"type": "hello", "user_id": scope.user_id, "agent_number": agent_number})

    async def pump() -> None:
        async for raw in pubsub.listen():
            if raw.get("type") != "message":
                continue
            message = json.loads(raw["data"])
            if visible(message, scope, agent_number):
                await websocket.send_json(message)

    task = asyncio.create_task(pump())
    try:
        while True:  # the client may send pings; we only need to notice it leaving
            await websocket.receive_text()
    except WebSocketDisconnect:
        pass
    finally:
        task.cancel()
        with contextlib.suppress(BaseException):
            await task
        await pubsub.aclose()
        await client.aclose()
