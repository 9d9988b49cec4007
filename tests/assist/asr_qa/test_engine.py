"""The rules engine on hand-built transcripts: each rule kind, weights, caps and alerts."""

from __future__ import annotations

import dataclasses

from assist.qa.engine import Call, RuleIn, SegmentIn, score_call
from assist.qa.service import default_rules_for_engine


def seg(i: int, speaker: str, start: float, text: str, seconds_per_char: float = 0.22) -> SegmentIn:
    """A segment with evenly spaced per-character word times, like Whisper's word timestamps."""
    words = [
        [round(start + k * seconds_per_char, 2), round(start + (k + 1) * seconds_per_char, 2), c]
        for k, c in enumerate(text)
    ]
    return SegmentIn(i, speaker, start, words[-1][1], text, words)


GOOD = [
    seg(0, "agent", 0.5, "您好政务服务便民热线很高兴为您服务"),
    seg(1, "citizen", 5.0, "我家楼下的路灯坏了好几天"),
    seg(2, "agent", 8.5, "跟您核对一下地址是青秀区民族大道一百号联系电话就是您的来电号码对吗"),
    seg(3, "citizen", 16.0, "对的谢谢"),
    seg(4, "agent", 17.5, "我们会尽快处理感谢您的来电再见"),
]


def codes(result) -> list[str]:
    return [d.rule.code for d in result.deductions]


def test_good_call_keeps_full_score():
    result = score_call(Call(GOOD), default_rules_for_engine())
    assert result.score == 100 and result.deductions == [] and result.alerts == []


def test_missing_greeting_loses_exactly_that_deduction():
    segments = [seg(0, "agent", 0.5, "喂请讲"), *GOOD[1:]]
    result = score_call(Call(segments), default_rules_for_engine())
    assert codes(result) == ["greeting"]
    assert result.score == 95
    assert result.deductions[0].finding.segment == 0


def test_greeting_too_late_counts_as_missing():
    late = [
        seg(0, "agent", 12.0, "您好很高兴为您服务"),
        *[dataclasses.replace(s, start=s.start + 20) for s in GOOD[1:]],
    ]
    assert "greeting" in codes(score_call(Call(late), default_rules_for_engine()))


def test_forbidden_words_each_flagged_at_their_time_and_capped():
    segments = [
        *GOOD[:4],
        seg(4, "agent", 17.5, "这个不归我们管你自己去问吧不知道"),
        seg(5, "agent", 22.0, "感谢您的来电再见"),
    ]
    rules = [r for r in default_rules_for_engine() if r.code == "forbidden"]
    result = score_call(Call(segments), rules)
    hits = [(d.finding.words, d.finding.start) for d in result.deductions]
    assert [w for w, _ in hits] == ["不归我们管", "你自己去", "不知道"]
    assert abs(hits[0][1] - (17.5 + 2 * 0.22)) < 0.01
    assert result.score == 70  # 3 × 10, at the cap of 30
    capped = score_call(Call(segments), [dataclasses.replace(rules[0], max_deduction=15)])
    assert [d.points for d in capped.deductions] == [10, 5]


def test_weight_multiplies_deduction():
    rule = RuleIn("g", "开头语", "greeting", {"phrases": ["很高兴为您服务"]}, deduction=5, weight=2)
    result = score_call(Call([seg(0, "agent", 0.5, "喂")]), [rule])
    assert result.score == 90


def test_dead_air_and_interruption():
    segments = [
        seg(0, "agent", 0.5, "您好很高兴为您服务"),
        seg(1, "citizen", 3.0, "我要反映一个问题就是我们小区门口"),
        seg(2, "agent", 5.0, "好的好的我知道了"),  # starts while the citizen is still talking
        seg(3, "citizen", 20.0, "是的"),  # 10+ s of nobody talking before this
    ]
    rules = {r.code: r for r in default_rules_for_engine()}
    result = score_call(Call(segments), [rules["dead_air"], rules["interruption"]])
    assert codes(result) == ["dead_air", "interruption"]
    dead = result.deductions[0].finding
    assert 6.5 < dead.start < 7.0 and dead.end == 20.0
    cut = result.deductions[1].finding
    assert cut.speaker == "agent" and cut.start == 5.0


def test_speaking_rate_too_fast():
    rules = [r for r in default_rules_for_engine() if r.code == "speaking_rate"]
    fast = [seg(0, "agent", 0.0, "您好" * 40, seconds_per_char=0.1)]  # 600 characters a minute
    assert "语速过快" in score_call(Call(fast), rules).deductions[0].finding.detail
    assert score_call(Call(GOOD), rules).deductions == []


def test_confirm_info_names_what_was_not_confirmed():
    rules = [r for r in default_rules_for_engine() if r.code == "confirm_info"]
    segments = [
        seg(0, "agent", 0.0, "您好很高兴为您服务请问您的地址是哪里"),
        seg(1, "citizen", 5, "民族大道"),
    ]
    result = score_call(Call(segments), rules)
    assert [d.finding.detail for d in result.deductions] == ["未与群众核对联系电话"]


def test_citizen_emotion_raises_alerts_without_deduction():
    segments = [*GOOD[:1], seg(1, "citizen", 5.0, "你们到底管不管再不解决我就不想活了")]
    rules = [r for r in default_rules_for_engine() if r.code == "emotion"]
    result = score_call(Call(segments), rules)
    assert result.deductions == []
    assert {(a.category, a.severity) for a in result.alerts} == {
        ("anger", "medium"),
        ("self_harm", "critical"),
    }
    harm = next(a for a in result.alerts if a.category == "self_harm")
    assert harm.finding.speaker == "citizen" and 5.0 < harm.finding.start < 9.0
    # the agent saying the words is not a citizen alert
    agent_says = [seg(0, "agent", 0.0, "请不要说不想活了这种话")]
    assert score_call(Call(agent_says), rules).alerts == []


def test_ticket_consistency_tolerates_homophones():
    rules = [r for r in default_rules_for_engine() if r.code == "ticket_consistency"]
    heard = [seg(0, "citizen", 0.0, "青秀区民族大道一百号的路东坏了晚上没有照明请市政来维修")]  # 路灯 → 路东
    ok = score_call(
        Call(heard, ticket_text="青秀区民族大道一百号路灯损坏，夜间无照明，请市政部门维修"), rules
    )
    assert ok.deductions == []
    wrong = score_call(Call(heard, ticket_text="兴宁区朝阳路燃气泄漏，小区居民要求燃气公司上门检修"), rules)
    assert [d.rule.code for d in wrong.deductions] == ["ticket_consistency"]
    assert "燃气" in wrong.deductions[0].finding.words
    assert score_call(Call(heard), rules).deductions == []  # no ticket: nothing to compare


def test_mono_recording_counts_for_both_parties():
    mono = [dataclasses.replace(s, speaker="mixed") for s in GOOD]
    assert score_call(Call(mono), default_rules_for_engine()).score == 100
