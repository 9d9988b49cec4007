"""Random operation sequences against the ACD; after every step its invariants hold:
an offered call rings exactly its agent, nobody ready could take a waiting call (no idle agent while a
caller waits for them), the ready index matches the agents, batch and single queue positions agree."""

from __future__ import annotations

import random

import pytest

from models.errors import DomainError
from routing.acd import Acd, CallState
from routing.agents import AgentState
from routing.clock import FakeClock
from tests.routing.conftest import MONDAY_10, make_config

GROUPS = ["general", "complaint", "enterprise", "special", "qx"]


def check(acd: Acd) -> None:
    waiting = [c for c in acd.calls.values() if c.state is CallState.waiting]
    for call in acd.calls.values():
        if call.state is CallState.offered:
            agent = acd.agents[call.agent_number]
            assert agent.state is AgentState.ringing and agent.call_id == call.call_id
    ringing = {a.agent_number for a in acd.agents.values() if a.state is AgentState.ringing}
    assert ringing == {c.agent_number for c in acd.calls.values() if c.state is CallState.offered}
    for agent in acd.agents.values():
        if agent.state is AgentState.ready:
            assert not [c.call_id for c in waiting if acd._eligible(agent, c)], agent.agent_number
    for code in GROUPS:
        ready = {
            a.agent_number for a in acd.agents.values() if a.state is AgentState.ready and code in a.skills
        }
        assert acd._ready.get(code, set()) == ready


@pytest.mark.parametrize("seed", range(6))
def test_random_operations_keep_the_invariants(seed):
    rng = random.Random(seed)
    clock = FakeClock(MONDAY_10)
    acd = Acd(make_config(), clock)
    numbers = list(acd.agents)
    next_id = 0
    for step in range(1500):
        op = rng.random()
        calls = list(acd.calls.values())
        try:
            if op < 0.2:
                n = rng.choice(numbers)
                action = rng.choice(["login", "ready", "not_ready", "logout"])
                if action == "login":
                    acd.login(n, ready=rng.random() < 0.5)
                elif action == "ready":
                    acd.set_ready(n)
                elif action == "not_ready":
                    acd.set_not_ready(n, "小休")
                else:
                    acd.logout(n)
            elif op < 0.45:
                group = rng.choice(GROUPS)
                restricted = ("1011", "1012") if group == "special" and rng.random() < 0.5 else ()
                acd.enqueue(
                    f"c{next_id}",
                    skill_group=group,
                    tenant_id=1,
                    priority=rng.choice([0, 0, 5, 9]),
                    agent_numbers=restricted,
                )
                next_id += 1
            elif op < 0.55 and calls:
                call = rng.choice(calls)
                if call.state is not CallState.connected:
                    acd.abandon(call.call_id)
            elif op < 0.7 and calls:
                offered = [c for c in calls if c.state is CallState.offered]
                if offered:
                    c = rng.choice(offered)
                    acd.answered(c.call_id) if rng.random() < 0.8 else acd.ring_failed(c.call_id)
            elif op < 0.8 and calls:
                connected = [c for c in calls if c.state is CallState.connected]
                if connected:
                    c = rng.choice(connected)
                    if rng.random() < 0.15:
                        acd.transfer_to_group(c.call_id, rng.choice(GROUPS[:3]))
                    else:
                        acd.call_ended(c.call_id)
            else:
                clock.advance(rng.uniform(0.5, 40))
                for event in acd.tick():
                    if type(event).__name__ == "VoicemailDue":
                        assert event.call_id not in acd.calls
        except DomainError:
            pass  # an illegal agent action: refused, and nothing may have changed
        check(acd)
        if step % 100 == 0:
            assert acd.positions() == {
                c.call_id: acd.position(c.call_id) for c in acd.calls.values() if c.state is CallState.waiting
            }
