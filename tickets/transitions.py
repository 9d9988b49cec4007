"""The ticket workflow as one table: (state, action) → new state, who may do it, what it records.

`service.apply_action` looks a transition up here and nothing else decides legality. A row's
`target` is a state, `STAY` (the state does not change) or `PREVIOUS` (back to the state held
before a pending request). Where the result depends on the input (review accepted or sent
back, revisit satisfied or not, which kind of assignee signs), the effect names an outcome and
`outcomes` maps it to the state — so every reachable state is visible in this file.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pydantic import BaseModel

from models.org import Role
from tickets import payloads as p
from tickets.enums import Action, TicketState

S = TicketState
STAY = "stay"
PREVIOUS = "previous"

CENTRE = frozenset({Role.dispatcher, Role.workstation})
UNIT = frozenset({Role.unit_handler, Role.unit_leader})
OVERSIGHT = frozenset({Role.dispatcher, Role.workstation, Role.revisit_officer, Role.supervisor})
EVERYONE = frozenset(Role)

# before the ticket reaches a unit, and while a unit holds it
CENTRE_OPEN = frozenset({S.accepted, S.pending_review, S.to_dispatch})
AT_UNIT = frozenset({S.to_sign, S.handling, S.return_requested, S.extension_requested})
OPEN = CENTRE_OPEN | AT_UNIT | {S.answered, S.to_revisit, S.to_close}


@dataclass(frozen=True)
class Transition:
    action: Action
    sources: frozenset[TicketState]
    target: TicketState | str
    roles: frozenset[Role]
    payload: type[BaseModel]
    outcomes: dict[str, TicketState] = field(default_factory=dict)
    unit_bound: bool = False  # a unit user must hold an assignment on the ticket
    exported: bool = True  # the change goes to the regional platform (outbox)
    summary: str = ""


TABLE: tuple[Transition, ...] = (
    Transition(Action.reply, frozenset({S.accepted}), S.to_revisit,
               frozenset({Role.agent}) | CENTRE, p.ReplyIn, summary="直接答复诉求人，待回访"),
    Transition(Action.submit_review, frozenset({S.accepted}), S.pending_review,
               frozenset({Role.agent, Role.dispatcher}), p.ActionIn, summary="送工单员审核"),
    Transition(Action.approve, frozenset({S.pending_review}), S.to_dispatch, CENTRE, p.ActionIn,
               summary="审核通过，待交办"),
    Transition(Action.reject, frozenset({S.pending_review}), S.accepted, CENTRE, p.ReasonIn,
               summary="审核不通过，退回受理人"),
    Transition(Action.dispatch, frozenset({S.accepted, S.to_dispatch}), S.to_sign,
               frozenset({Role.agent}) | CENTRE, p.DispatchIn,
               summary="交办主办单位（或工作站）及协办单位"),
    Transition(Action.sign, frozenset({S.to_sign}), S.handling, UNIT | CENTRE, p.ActionIn,
               outcomes={"unit": S.handling, "workstation": S.to_dispatch, "centre": S.to_dispatch},
               unit_bound=True, summary="签收；工作站或中心签收后再交办"),
    Transition(Action.return_request, frozenset({S.to_sign, S.handling}), S.return_requested,
               UNIT | frozenset({Role.workstation}), p.ReasonIn, unit_bound=True,
               summary="申请退回（非本单位职责）"),
    Transition(Action.return_approve, frozenset({S.return_requested}), S.to_dispatch, CENTRE, p.ActionIn,
               summary="同意退回，重新交办"),
    Transition(Action.return_reject, frozenset({S.return_requested}), PREVIOUS, CENTRE, p.ReasonIn,
               summary="不同意退回，继续办理"),
    Transition(Action.extension_request, frozenset({S.handling}), S.extension_requested, UNIT,
               p.ExtensionRequestIn, unit_bound=True, summary="申请延期"),
    Transition(Action.extension_approve, frozenset({S.extension_requested}), S.handling,
               CENTRE | {Role.revisit_officer}, p.ExtensionApproveIn, summary="同意延期，更新办理时限"),
    Transition(Action.extension_reject, frozenset({S.extension_requested}), S.handling,
               CENTRE | {Role.revisit_officer}, p.ReasonIn, summary="不同意延期"),
    Transition(Action.forward, frozenset({S.to_sign, S.handling}), S.to_sign, UNIT | CENTRE, p.ForwardIn,
               unit_bound=True, summary="转交其他单位办理"),
    Transition(Action.collaborate, frozenset({S.handling}), STAY, UNIT | CENTRE, p.CollaborateIn,
               unit_bound=True, summary="交下级单位协同办理"),
    Transition(Action.answer, frozenset({S.handling}), S.answered, UNIT, p.AnswerIn,
               outcomes={"lead": S.answered, "partial": S.handling}, unit_bound=True,
               summary="承办单位答复（协办、协同单位答复不改变状态）"),
    Transition(Action.review_answer, frozenset({S.answered}), S.to_revisit,
               CENTRE | {Role.revisit_officer}, p.ReviewAnswerIn,
               outcomes={"accept": S.to_revisit, "send_back": S.handling}, summary="审核单位答复"),
    Transition(Action.revisit, frozenset({S.to_revisit}), S.to_close,
               frozenset({Role.revisit_officer, Role.agent, Role.dispatcher}), p.RevisitIn,
               outcomes={"satisfied": S.to_close, "reopen": S.to_sign, "redispatch": S.to_dispatch},
               summary="回访；不满意则重办，两次不满意转为疑难工单"),
    Transition(Action.close, frozenset({S.to_revisit, S.to_close}), S.closed,
               CENTRE | {Role.revisit_officer}, p.ActionIn, summary="办结"),
    Transition(Action.urge, AT_UNIT, STAY, OVERSIGHT | {Role.agent}, p.ActionIn, summary="催办"),
    Transition(Action.supplement, CENTRE_OPEN | AT_UNIT, STAY, frozenset({Role.agent}) | CENTRE,
               p.SupplementIn, summary="补充诉求内容"),
    Transition(Action.withdraw, CENTRE_OPEN | AT_UNIT, S.withdrawn, frozenset({Role.agent}) | CENTRE,
               p.ReasonIn, summary="诉求人撤回"),
    Transition(Action.follow, frozenset(S), STAY, EVERYONE, p.ActionIn, exported=False, summary="关注"),
    Transition(Action.unfollow, frozenset(S), STAY, EVERYONE, p.ActionIn, exported=False, summary="取消关注"),
    Transition(Action.supervise, AT_UNIT | {S.answered}, STAY,
               frozenset({Role.revisit_officer, Role.supervisor, Role.dispatcher}), p.SuperviseIn,
               summary="督办，设定新时限"),
)  # fmt: skip

BY_ACTION: dict[Action, Transition] = {t.action: t for t in TABLE}


def transition_for(action: Action) -> Transition:
    return BY_ACTION[action]


def role_may(transition: Transition, roles: frozenset[str]) -> bool:
    return str(Role.admin) in roles or any(str(r) in roles for r in transition.roles)


def allowed_actions(state: TicketState, roles: frozenset[str]) -> list[str]:
    """Actions the holder of `roles` may take on a ticket in `state` (table order)."""
    return [str(t.action) for t in TABLE if state in t.sources and role_may(t, roles)]


def resolve_target(
    transition: Transition, state: TicketState, outcome: str | None, held: TicketState | None
) -> TicketState:
    if outcome is not None:
        return transition.outcomes[outcome]
    if transition.target == STAY:
        return state
    if transition.target == PREVIOUS:
        if held is None:
            raise RuntimeError("no held state to return to")
        return held
    return TicketState(transition.target)
