"""Dead air leaves out the periods the citizen was on hold (synthetic transcripts, no model)."""

from __future__ import annotations

from assist.qa.engine import Call, score_call
from assist.qa.service import default_rules_for_engine
from tests.assist.asr_qa.test_engine import seg

DEAD_AIR = [r for r in default_rules_for_engine() if r.code == "dead_air"]
# the agent speaks until ~2.5 s, then nobody until 30 s (a 27 s gap)
SEGMENTS = [seg(0, "agent", 0.5, "请您稍等我帮您查一下"), seg(1, "agent", 30.0, "让您久等了")]


def gaps(holds: list[tuple[float, float]] | None) -> list[tuple[float | None, float | None]]:
    result = score_call(Call(SEGMENTS, holds=holds), DEAD_AIR)
    return [(d.finding.start, d.finding.end) for d in result.deductions]


def test_silence_without_hold_is_dead_air():
    found = gaps(None)
    assert len(found) == 1 and 2.5 < found[0][0] < 3.0 and found[0][1] == 30.0


def test_silence_covered_by_hold_is_not_dead_air():
    assert gaps([(3.0, 29.5)]) == []


def test_silence_around_a_short_hold_still_counts_outside_it():
    # hold 12–14 s: 2.7–12 (9.3 s) and 14–30 (16 s) both exceed the 8 s limit
    found = gaps([(12.0, 14.0)])
    assert [(round(a), b) for a, b in found] == [(3, 12.0), (14.0, 30.0)]
    # hold 5–25 s: 2.7–5 and 25–30 are each under the limit
    assert gaps([(5.0, 25.0)]) == []


def test_holds_in_any_order_and_overlapping():
    assert gaps([(20.0, 29.9), (2.0, 12.0), (10.0, 21.0)]) == []


def test_hold_outside_the_gap_changes_nothing():
    assert len(gaps([(40.0, 60.0)])) == 1
