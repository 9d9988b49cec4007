"""ACD: longest idle, skill levels, caller priority, 专席, overflow, voicemail, announcements, abandon."""

from __future__ import annotations

import pytest

from models.errors import Conflict, NotFound
from routing.acd import Abandoned, Acd, AgentChanged, Missed, Offer, Overflowed, VoicemailDue, Waiting
from routing.agents import AgentState, IllegalTransition
from routing.config import AcdStrategy, AgentConfig, SkillGroupConfig
from tests.routing.conftest import make_config


def offers(events) -> list[Offer]:
    return [e for e in events if isinstance(e, Offer)]


def ready(acd: Acd, clock, *numbers: str, gap: float = 10) -> None:
    """Log agents in and make them ready one after another, `gap` seconds apart (first is idle longest)."""
    for n in numbers:
        acd.login(n)
        assert not offers(acd.set_ready(n))
        clock.advance(gap)


def test_longest_idle_among_equal_levels(acd, clock):
    ready(acd, clock, "1002", "1003")  # both level 3 in general; 1002 idle longer
    [offer] = offers(acd.enqueue("c1", skill_group="general", caller="138"))
    assert offer.agent_number == "1002" and offer.extension == "8002" and offer.ring_timeout_s == 20
    assert acd.agents["1002"].state is AgentState.ringing


def test_higher_skill_level_wins_over_idle_time(acd, clock):
    ready(acd, clock, "1002", "1003", "1001")  # 1001 (level 5) became ready last
    assert offers(acd.enqueue("c1", skill_group="general"))[0].agent_number == "1001"


def test_longest_idle_strategy_ignores_levels(clock):
    config = make_config(groups=[SkillGroupConfig("general", "综合", 1, strategy=AcdStrategy.longest_idle)])
    acd = Acd(config, clock)
    ready(acd, clock, "1002", "1001")
    assert offers(acd.enqueue("c1", skill_group="general"))[0].agent_number == "1002"


def test_only_agents_with_the_skill(acd, clock):
    ready(acd, clock, "1001", "1002")
    events = acd.enqueue("c1", skill_group="complaint")
    assert not offers(events)
    [waiting] = events
    assert isinstance(waiting, Waiting) and waiting.position == 1
    assert offers(acd.login("1003", ready=True))[0].call_id == "c1"


def test_caller_priority_then_longest_wait(acd, clock):
    acd.enqueue("normal-early", skill_group="general")
    clock.advance(5)
    acd.enqueue("normal-late", skill_group="general")
    clock.advance(5)
    acd.enqueue("vip", skill_group="general", priority=5)
    clock.advance(5)
    acd.enqueue("urgent", skill_group="general", priority=9)
    assert acd.position("urgent") == 1 and acd.position("vip") == 2 and acd.position("normal-late") == 4
    served = []
    for n in ("1001", "1002", "1003", "1011"):
        served += [o.call_id for o in offers(acd.login(n, ready=True))]
    assert served == ["urgent", "vip", "normal-early", "normal-late"]


def test_special_seat_call_goes_only_to_named_agents(acd, clock):
    ready(acd, clock, "1001")  # has general but is not named
    events = acd.enqueue("vip", skill_group="special", priority=5, agent_numbers=("1011", "1012"))
    assert not offers(events)
    acd.enqueue("normal", skill_group="general")  # 1001 stays free for ordinary calls
    assert acd.agents["1001"].call_id == "normal"
    [offer] = offers(acd.login("1012", ready=True))
    assert offer.call_id == "vip" and offer.agent_number == "1012"


def test_special_seat_call_waits_for_its_agent_even_if_others_are_free(acd, clock):
    ready(acd, clock, "1011")
    acd.set_not_ready("1011", "小休")
    events = acd.enqueue("vip", skill_group="general", agent_numbers=("1011",))
    assert not offers(events)
    ready(acd, clock, "1001", "1002")
    assert acd.calls["vip"].agent_number is None
    assert offers(acd.set_ready("1011"))[0].call_id == "vip"


def test_overflow_to_another_group_after_the_timeout(acd, clock):
    ready(acd, clock, "1002")
    acd.set_not_ready("1002")
    acd.enqueue("c1", skill_group="complaint")
    acd.set_ready("1002")  # general only: cannot take a complaint call
    assert acd.agents["1002"].state is AgentState.ready
    clock.advance(59)
    assert not [e for e in acd.tick() if isinstance(e, Overflowed)]
    clock.advance(1)
    events = acd.tick()
    assert Overflowed("c1", "complaint", "general") in events
    [offer] = offers(events)
    assert offer.agent_number == "1002" and offer.skill_group == "general"


def test_overflowed_call_keeps_original_entry_time(acd, clock):
    acd.enqueue("complaint-old", skill_group="complaint")
    clock.advance(30)
    acd.enqueue("general-new", skill_group="general")
    clock.advance(31)
    acd.tick()  # complaint-old overflows into general
    assert acd.position("complaint-old") == 1 and acd.position("general-new") == 2
    assert offers(acd.login("1002", ready=True))[0].call_id == "complaint-old"


def test_voicemail_when_the_wait_is_too_long(acd, clock):
    acd.enqueue("c1", skill_group="enterprise", tenant_id=1)
    clock.advance(119)
    assert not [e for e in acd.tick() if isinstance(e, VoicemailDue)]
    clock.advance(1)
    [due] = [e for e in acd.tick() if isinstance(e, VoicemailDue)]
    assert due.call_id == "c1" and due.action.reason == "overflow" and due.waited_s == 120
    assert due.action.skill_group == "general"  # it had overflowed at 90 s
    assert "c1" not in acd.calls
    ready(acd, clock, "1001")
    assert acd.agents["1001"].state is AgentState.ready  # nothing left to take


def test_position_and_estimated_wait_announcements(acd, clock):
    acd.login("1002")  # staffed but not ready
    for i in range(3):
        [w] = acd.enqueue(f"c{i}", skill_group="general", tenant_id=1)
        assert w.position == i + 1
        assert w.estimated_wait_s == (i + 1) * 180
        assert "请稍候" in w.actions[0].prompt
        expected = "您是下一位" if i == 0 else f"您前面还有{i}位"
        assert expected in w.actions[1].prompt
    clock.advance(29)
    assert not [e for e in acd.tick() if isinstance(e, Waiting)]
    clock.advance(1)
    ann = [e for e in acd.tick() if isinstance(e, Waiting)]
    assert [a.position for a in ann] == [1, 2, 3]
    assert len(ann[0].actions) == 1 and "您是下一位" in ann[0].actions[0].prompt
    assert "您前面还有1位，预计等待6分钟" in ann[1].actions[0].prompt


def test_abandon_in_queue_is_accounted(acd, clock):
    acd.enqueue("c1", skill_group="general")
    acd.enqueue("c2", skill_group="general")
    clock.advance(42)
    [ab] = acd.abandon("c2")
    assert ab == Abandoned("c2", "queue", "general", 42.0, 2, None)
    assert acd.position("c1") == 1
    assert acd.snapshot()[0].abandoned == 1
    with pytest.raises(NotFound):
        acd.abandon("c2")


def test_abandon_while_ringing_frees_the_agent_for_the_next_call(acd, clock):
    ready(acd, clock, "1001")
    acd.enqueue("c1", skill_group="general")
    acd.enqueue("c2", skill_group="general")
    clock.advance(3)
    events = acd.abandon("c1")
    assert events[0].stage == "ringing" and events[0].agent_number == "1001"
    change = [e.change for e in events if isinstance(e, AgentChanged)]
    assert change[0].event == "cancel" and change[1].event == "offer"
    assert offers(events)[0].call_id == "c2"


def test_no_answer_requeues_and_offers_to_the_next_agent(acd, clock):
    ready(acd, clock, "1002", "1003")
    acd.enqueue("c1", skill_group="general")
    assert acd.agents["1002"].state is AgentState.ringing
    clock.advance(20)
    events = acd.ring_failed("c1")
    assert events[0] == Missed("c1", "1002", 2, 20.0)
    assert acd.agents["1002"].state is AgentState.not_ready and acd.agents["1002"].reason == "未接"
    assert offers(events)[0].agent_number == "1003"


def test_answer_hangup_wrap_up_then_next_call(acd, clock):
    ready(acd, clock, "1001")
    acd.enqueue("c1", skill_group="general")
    acd.enqueue("c2", skill_group="general")
    acd.answered("c1")
    assert acd.agents["1001"].state is AgentState.in_call
    with pytest.raises(Conflict):
        acd.answered("c1")
    clock.advance(100)
    [changed] = acd.call_ended("c1")
    assert changed.change.to_state is AgentState.wrap_up
    clock.advance(14)
    assert not offers(acd.tick())
    clock.advance(1)
    events = acd.tick()
    assert offers(events)[0].call_id == "c2"
    snap = {s.code: s for s in acd.snapshot()}["general"]
    assert snap.handled == 1 and snap.avg_handle_s == pytest.approx(180 + 0.1 * (115 - 180))


def test_agent_with_zero_wrap_up_is_ready_at_once(clock):
    config = make_config(agents=[AgentConfig(1, "1001", "8001", 1, skills={"general": 3}, wrap_up_s=0)])
    acd = Acd(config, clock)
    acd.login("1001", ready=True)
    acd.enqueue("c1", skill_group="general")
    acd.answered("c1")
    acd.enqueue("c2", skill_group="general")
    events = acd.call_ended("c1")
    assert [e.change.to_state for e in events if isinstance(e, AgentChanged)][:2] == [
        AgentState.wrap_up,
        AgentState.ready,
    ]
    assert offers(events)[0].call_id == "c2"


def test_illegal_agent_actions_raise(acd):
    with pytest.raises(IllegalTransition):
        acd.set_ready("1001")  # logged out
    acd.login("1001", ready=True)
    acd.enqueue("c1", skill_group="general")
    with pytest.raises(IllegalTransition):
        acd.logout("1001")  # ringing
    with pytest.raises(NotFound):
        acd.login("9999")


def test_extension_cannot_be_taken_twice(acd):
    acd.login("1001", extension="8100")
    with pytest.raises(Conflict):
        acd.login("1002", extension="8100")
    assert acd.agents["1002"].state is AgentState.logged_out


def test_duplicate_enqueue_and_unknown_group(acd):
    acd.enqueue("c1", skill_group="general")
    with pytest.raises(Conflict):
        acd.enqueue("c1", skill_group="general")
    with pytest.raises(NotFound):
        acd.enqueue("c2", skill_group="nope")
    acd.enqueue("c3", skill_group="nope", tenant_id=1)  # the tenant's default group takes it
    assert acd.calls["c3"].groups == ["general"]


def test_reload_keeps_states_and_applies_new_skills(acd, clock, config):
    ready(acd, clock, "1002")
    acd.enqueue("c1", skill_group="complaint")
    new_agents = [
        a if a.agent_number != "1002" else AgentConfig(2, "1002", "8002", 1, skills={"complaint": 2})
        for a in config.agents
    ]
    acd.reload(make_config(agents=new_agents))
    assert acd.agents["1002"].state is AgentState.ready and acd.calls["c1"].state == "waiting"
    assert offers(acd.tick())[0].agent_number == "1002"  # the new skill is used at the next tick


def test_restore_after_restart(acd, clock):
    acd.restore_agent("1001", state="ringing", since=clock.now(), call_id="lost")  # offer died: ready
    acd.restore_agent("1002", state="in_call", since=clock.now(), call_id="old")
    acd.adopt_connected("old", agent_number="1002", skill_group="general")
    assert offers(acd.enqueue("c1", skill_group="general"))[0].agent_number == "1001"
    assert acd.call_ended("old")[0].change.to_state is AgentState.wrap_up


def test_batch_positions_equal_single_positions(acd, clock):
    import random

    rng = random.Random(7)
    for i in range(60):
        acd.enqueue(
            f"c{i}",
            skill_group=rng.choice(["general", "complaint", "enterprise", "qx"]),
            priority=rng.choice([0, 0, 0, 5, 9]),
        )
        clock.advance(rng.uniform(0, 4))
    clock.advance(61)
    acd.tick()  # complaint and qx calls overflow into general: mixed group sets
    assert any(len(c.groups) > 1 for c in acd.calls.values())
    batch = acd.positions()
    assert batch == {cid: acd.position(cid) for cid in acd.calls}
    assert sorted(v for k, v in batch.items() if acd.calls[k].groups == ["enterprise"])[0] >= 1


def test_reload_moves_calls_of_a_removed_group_to_the_tenant_default(acd, clock, config):
    acd.enqueue("c1", skill_group="enterprise", tenant_id=1)
    groups = [g for g in config.groups if g.code != "enterprise"]
    acd.reload(make_config(groups=groups))
    assert acd.calls["c1"].groups == ["enterprise", "general"]
    clock.advance(1)
    acd.tick()  # no error for the vanished group
    assert offers(acd.login("1002", ready=True))[0].call_id == "c1"


def test_special_seat_call_overflow_drops_the_restriction(clock):
    groups = [
        SkillGroupConfig("general", "综合", 1),
        SkillGroupConfig("special", "专席", 1, overflow_group="general", overflow_after_s=30),
    ]
    acd = Acd(make_config(groups=groups), clock)
    ready(acd, clock, "1002")  # general only, not named on the call
    assert not offers(acd.enqueue("vip", skill_group="special", priority=5, agent_numbers=("1011",)))
    clock.advance(30)
    events = acd.tick()
    assert Overflowed("vip", "special", "general") in events
    assert offers(events)[0].agent_number == "1002"


def test_snapshot_for_the_monitor(acd, clock):
    ready(acd, clock, "1001", "1002")
    acd.login("1003")  # not ready
    acd.enqueue("c1", skill_group="general")  # goes to 1001 (level 5)
    acd.enqueue("c2", skill_group="complaint")  # nobody ready with the skill
    clock.advance(12)
    snap = {s.code: s for s in acd.snapshot()}
    g, c = snap["general"], snap["complaint"]
    assert (g.waiting, g.ready, g.busy, g.not_ready, g.staffed, g.offered) == (0, 1, 1, 1, 3, 1)
    assert (c.waiting, c.longest_wait_s, c.ready, c.not_ready, c.staffed) == (1, 12.0, 0, 1, 1)


def test_transfer_to_a_group_requeues_with_the_original_entry_time(acd, clock):
    ready(acd, clock, "1001")
    acd.enqueue("c1", skill_group="general", priority=5)
    entered = acd.calls["c1"].entered_at
    acd.answered("c1")
    clock.advance(60)
    with pytest.raises(NotFound):
        acd.transfer_to_group("c1", "nope")
    assert acd.agents["1001"].state is AgentState.in_call  # nothing changed
    events = acd.transfer_to_group("c1", "complaint")
    assert [e.change.to_state for e in events if isinstance(e, AgentChanged)] == [AgentState.wrap_up]
    assert isinstance(events[-1], Waiting)
    call = acd.calls["c1"]
    assert call.groups == ["complaint"] and call.entered_at == entered and call.priority == 5
    assert offers(acd.login("1003", ready=True))[0].call_id == "c1"
    with pytest.raises(Conflict):
        acd.transfer_to_group("c1", "general")  # ringing, not connected


def test_transfer_to_a_ready_colleague(acd, clock):
    ready(acd, clock, "1001", "1012")  # 1012 has no general skill, only special/qx
    acd.enqueue("c1", skill_group="general")
    acd.answered("c1")
    acd.login("1002")
    with pytest.raises(Conflict):
        acd.transfer_to_agent("c1", "1002")  # not ready
    with pytest.raises(Conflict):
        acd.transfer_to_agent("c1", "1001")  # oneself
    assert acd.agents["1001"].state is AgentState.in_call
    events = acd.transfer_to_agent("c1", "1012")
    [offer] = offers(events)
    assert offer.agent_number == "1012" and offer.extension == "8012"
    assert acd.agents["1001"].state is AgentState.wrap_up
