"""20-second service level (20秒接通率) per skill group: offered since local midnight, answered within 20 s."""

from __future__ import annotations

from datetime import UTC, datetime

from routing.acd import Acd, Offer
from routing.clock import FakeClock
from tests.routing.conftest import make_config


def snap(acd: Acd, code: str = "general"):
    return next(g for g in acd.snapshot() if g.code == code)


def answer_next(acd: Acd, events) -> str:
    [offer] = [e for e in events if isinstance(e, Offer)]
    acd.answered(offer.call_id)
    return offer.agent_number


def test_no_calls_means_no_service_level(acd):
    g = snap(acd)
    assert (g.offered, g.answered_20s, g.service_level) == (0, 0, None)


def test_answered_within_20_s_counts_and_later_does_not(acd, clock):
    acd.login("1001")
    acd.set_ready("1001")
    answer_next(acd, acd.enqueue("fast", skill_group="general"))  # answered at once
    acd.enqueue("edge", skill_group="general")
    clock.advance(20)
    acd.login("1002")
    answer_next(acd, acd.set_ready("1002"))  # exactly 20 s: still within the level
    acd.enqueue("slow", skill_group="general")
    clock.advance(21)
    acd.login("1003")
    answer_next(acd, acd.set_ready("1003"))
    g = snap(acd)
    assert (g.offered, g.answered_20s) == (3, 2)
    assert g.service_level == round(2 / 3, 4)


def test_abandoned_and_waiting_calls_count_as_offered(acd, clock):
    acd.enqueue("a", skill_group="general")
    acd.enqueue("b", skill_group="general")
    clock.advance(3)
    acd.abandon("a")
    g = snap(acd)
    assert (g.offered, g.answered_20s, g.service_level) == (2, 0, 0.0)


def test_overflowed_call_counts_in_the_group_it_entered(acd, clock):
    acd.enqueue("c", skill_group="complaint")  # overflows to general after 60 s
    clock.advance(60)
    acd.tick()
    acd.login("1002")
    answer_next(acd, acd.set_ready("1002"))
    assert (snap(acd, "complaint").offered, snap(acd, "general").offered) == (1, 0)
    assert snap(acd, "complaint").answered_20s == 0  # waited 60 s


def test_requeued_call_is_not_offered_twice(acd, clock):
    acd.login("1001")
    acd.set_ready("1001")
    answer_next(acd, acd.enqueue("c", skill_group="general"))
    clock.advance(30)
    acd.transfer_to_group("c", "complaint")  # back in a queue, original entry time kept
    assert snap(acd, "general").offered == 1 and snap(acd, "complaint").offered == 0
    assert snap(acd, "general").answered_20s == 1


def test_figures_start_again_at_local_midnight() -> None:
    # 23:59:50 in Nanning (UTC+8) is 15:59:50 UTC
    clock = FakeClock(datetime(2026, 3, 2, 15, 59, 50, tzinfo=UTC))
    acd = Acd(make_config(), clock)
    acd.login("1001")
    acd.set_ready("1001")
    answer_next(acd, acd.enqueue("late", skill_group="general"))
    acd.enqueue("cross", skill_group="general")  # entered before midnight, answered after
    assert (snap(acd).offered, snap(acd).answered_20s) == (2, 1)
    clock.advance(15)  # 00:00:05 local
    g = snap(acd)
    assert (g.offered, g.answered_20s, g.service_level) == (0, 0, None)
    acd.login("1002")
    acd.set_ready("1002")
    acd.answered("cross")  # yesterday's call: not in today's figures
    acd.enqueue("new", skill_group="general")
    g = snap(acd)
    assert (g.offered, g.answered_20s) == (1, 0)
