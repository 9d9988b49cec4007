"""Agent state machine: every legal transition stamped, every illegal one refused with the allowed list."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from models.errors import Conflict
from routing.agents import (
    TRANSITIONS,
    Agent,
    AgentEvent,
    AgentState,
    IllegalTransition,
    allowed_events,
    apply,
)

T0 = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)


def agent(state: AgentState = AgentState.logged_out) -> Agent:
    return Agent("1001", 1, 1, "8001", {"general": 3}, state=state, since=T0)


def test_a_full_shift_is_stamped():
    a = agent()
    t = T0
    steps = [
        (AgentEvent.login, AgentState.not_ready),
        (AgentEvent.ready, AgentState.ready),
        (AgentEvent.offer, AgentState.ringing),
        (AgentEvent.answer, AgentState.in_call),
        (AgentEvent.hangup, AgentState.wrap_up),
        (AgentEvent.wrap_up_done, AgentState.ready),
        (AgentEvent.not_ready, AgentState.not_ready),
        (AgentEvent.logout, AgentState.logged_out),
    ]
    changes = []
    for i, (event, expected) in enumerate(steps):
        t = T0 + timedelta(seconds=10 * (i + 1))
        changes.append(apply(a, event, t, call_id="c1" if event is AgentEvent.offer else None, wrap_up_s=15))
        assert a.state is expected
        assert a.since == t
    assert [c.to_state for c in changes] == [s for _, s in steps]
    assert all(c.previous_duration_s == 10.0 for c in changes)
    assert changes[0].reason == "签入"
    assert changes[6].reason == "其他"  # not ready without a reason
    assert changes[2].call_id == "c1" and changes[3].call_id == "c1" and changes[4].call_id == "c1"
    assert a.call_id is None


def test_wrap_up_is_timed():
    a = agent(AgentState.in_call)
    apply(a, AgentEvent.hangup, T0, wrap_up_s=20)
    assert a.wrap_up_until == T0 + timedelta(seconds=20)
    apply(a, AgentEvent.ready, T0 + timedelta(seconds=5))  # done early
    assert a.state is AgentState.ready and a.wrap_up_until is None


def test_no_answer_goes_not_ready_with_reason_and_cancel_keeps_idle_time():
    a = agent(AgentState.ready)
    a.idle_since = T0 - timedelta(minutes=5)
    apply(a, AgentEvent.offer, T0, call_id="c1")
    apply(a, AgentEvent.cancel, T0 + timedelta(seconds=3))
    assert a.state is AgentState.ready and a.idle_since == T0 - timedelta(minutes=5)
    apply(a, AgentEvent.offer, T0 + timedelta(seconds=4), call_id="c2")
    change = apply(a, AgentEvent.no_answer, T0 + timedelta(seconds=24))
    assert a.state is AgentState.not_ready and a.reason == "未接" and change.reason == "未接"


def test_ready_resets_idle_since():
    a = agent(AgentState.not_ready)
    apply(a, AgentEvent.ready, T0)
    assert a.idle_since == T0


ALL = [(s, e) for s in AgentState for e in AgentEvent]


@pytest.mark.parametrize(("state", "event"), [p for p in ALL if p not in TRANSITIONS])
def test_every_illegal_transition_is_refused(state, event):
    a = agent(state)
    with pytest.raises(IllegalTransition) as err:
        apply(a, event, T0)
    assert isinstance(err.value, Conflict) and err.value.status == 409
    assert err.value.extra["allowed"] == [str(e) for e in allowed_events(state)]
    assert a.state is state  # unchanged


def test_illegal_message_lists_allowed_actions_in_chinese():
    a = agent(AgentState.in_call)
    with pytest.raises(IllegalTransition) as err:
        apply(a, AgentEvent.logout, T0)
    assert "通话中" in err.value.detail and "签出" in err.value.detail
    assert "挂机" in err.value.detail and "强制签出" in err.value.detail
    assert err.value.allowed == [AgentEvent.hangup, AgentEvent.force_logout]


def test_force_logout_from_any_logged_in_state():
    for state in AgentState:
        if state is AgentState.logged_out:
            continue
        a = agent(state)
        apply(a, AgentEvent.force_logout, T0)
        assert a.state is AgentState.logged_out
