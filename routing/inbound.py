"""`inbound_route`: the first decision on a new call — tenant → blacklist → business hours → 专席 → IVR/queue.

The controller calls it once when a call arrives (CHANNEL_PARK / outbound-socket connect), executes
`decision.actions` in order and then, for `outcome == "ivr"`, keeps stepping `decision.session`
(see routing.ivr). A `Queue` action goes to `Acd.enqueue`. `decision.blacklist` set → log the attempt
(`switch.store.log_blacklist_attempt`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from routing.actions import Action, Hangup, Play, Queue, Voicemail
from routing.config import AfterHours, BlacklistRule, CentreConfig, SpecialSeatRule, TenantConfig
from routing.hours import OpenState, check_hours
from routing.ivr import IvrSession

UNKNOWN_NUMBER_PROMPT = "say:您拨打的号码暂未开通服务。"


class Outcome(StrEnum):
    reject = "reject"  # blacklisted
    closed = "closed"  # after hours / holiday
    ivr = "ivr"
    queue = "queue"
    unknown_number = "unknown_number"


@dataclass(frozen=True, slots=True)
class InboundDecision:
    outcome: Outcome
    actions: tuple[Action, ...]
    tenant: TenantConfig | None = None
    session: IvrSession | None = None
    blacklist: BlacklistRule | None = None
    special_seat: SpecialSeatRule | None = None
    hours: OpenState | None = None
    priority: int = 0


def blacklist_hit(
    config: CentreConfig, caller: str, tenant_id: int | None, now: datetime
) -> BlacklistRule | None:
    """The rule blocking `caller` for the tenant (a rule on an ancestor tenant or a global one applies too)."""
    candidates = config.blacklist_candidates(caller)
    if not candidates:
        return None
    lineage = set(config.tenant_lineage(tenant_id)) if tenant_id is not None else set()
    for rule in candidates:
        if rule.expires_at is not None and rule.expires_at <= now:
            continue
        if rule.tenant_id is None or rule.tenant_id in lineage:
            return rule
    return None


def special_seat(config: CentreConfig, caller: str, called: str, tenant_id: int) -> SpecialSeatRule | None:
    """The first 专席 rule (by `order`) of the tenant or its ancestors matching the call."""
    candidates = config.special_seat_candidates(caller, called)
    if not candidates:
        return None
    lineage = set(config.tenant_lineage(tenant_id))
    return next((rule for rule in candidates if rule.tenant_id in lineage), None)


def _root(config: CentreConfig) -> TenantConfig | None:
    roots = [t for t in config.tenants if t.parent_id is None]
    return roots[0] if len(roots) == 1 else None


def inbound_route(config: CentreConfig, *, caller: str, called: str, now: datetime) -> InboundDecision:
    tenant = config.tenant_for_called(called) or _root(config)
    if tenant is None:
        return InboundDecision(Outcome.unknown_number, (Hangup(UNKNOWN_NUMBER_PROMPT, "UNALLOCATED_NUMBER"),))
    prompts = tenant.prompts
    rule = blacklist_hit(config, caller, tenant.tenant_id, now)
    if rule is not None:
        return InboundDecision(
            Outcome.reject, (Hangup(prompts.blacklisted, "CALL_REJECTED"),), tenant=tenant, blacklist=rule
        )
    hours = check_hours(tenant.hours, prompts, now)
    if not hours.is_open:
        if tenant.after_hours is AfterHours.voicemail:
            action: Action = Voicemail(
                prompt=hours.prompt or prompts.closed, tenant_id=tenant.tenant_id, reason="after_hours"
            )
        else:
            action = Hangup(hours.prompt or prompts.closed)
        return InboundDecision(Outcome.closed, (action,), tenant=tenant, hours=hours.state)
    seat = special_seat(config, caller, called, tenant.tenant_id)
    welcome = Play(prompts.welcome)
    if seat is not None and (seat.bypass_ivr or tenant.ivr_menu is None):
        queue = Queue(seat.skill_group, seat.priority, tenant.tenant_id, seat.agent_numbers)
        return InboundDecision(
            Outcome.queue,
            (welcome, queue),
            tenant=tenant,
            special_seat=seat,
            hours=hours.state,
            priority=seat.priority,
        )
    priority = seat.priority if seat else 0
    if tenant.ivr_menu is not None:
        session = IvrSession(
            tenant.ivr_menu,
            invalid_prompt=prompts.ivr_invalid,
            timeout_prompt=prompts.ivr_timeout,
            goodbye_prompt=prompts.goodbye,
            voicemail_prompt=prompts.voicemail,
            tenant_id=tenant.tenant_id,
            default_group=tenant.default_group,
            priority=priority,
        )
        return InboundDecision(
            Outcome.ivr,
            (welcome, *session.start()),
            tenant=tenant,
            session=session,
            special_seat=seat,
            hours=hours.state,
            priority=priority,
        )
    if tenant.default_group is None:
        action = Voicemail(prompt=prompts.voicemail, tenant_id=tenant.tenant_id, reason="no_queue")
        return InboundDecision(Outcome.closed, (welcome, action), tenant=tenant, hours=hours.state)
    queue = Queue(tenant.default_group, priority, tenant.tenant_id)
    return InboundDecision(
        Outcome.queue, (welcome, queue), tenant=tenant, hours=hours.state, priority=priority
    )
