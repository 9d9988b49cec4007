"""Text normalisation (t2s, numerals, CER) and homophone-tolerant matching with times."""

from __future__ import annotations

from assist.asr.text import character_errors, normalise_for_scoring, normalise_numerals, to_simplified
from assist.qa.matching import TimedText, fold, syllables


def test_traditional_to_simplified():
    assert to_simplified("請問您的聯繫電話號碼") == "请问您的联系电话号码"


def test_numerals_compare_equal_in_both_forms():
    assert normalise_numerals("民族大道一百号") == normalise_numerals("民族大道100号") == "民族大道100号"
    assert normalise_numerals("二十八号") == "28号"
    assert normalise_numerals("幺三八零零七七幺二三四") == "13800771234"
    assert normalise_numerals("两个人十分感谢") == "两个人十分感谢"  # lone unit characters are words


def test_cer_after_normalisation():
    # punctuation, traditional characters and numeral form do not count as errors
    assert character_errors("您好，民族大道一百号。", "您好 民族大道100號") == (0, 10)
    edits, length = character_errors("路灯坏了", "路东坏了")
    assert (edits, length) == (1, 4)
    assert normalise_for_scoring("ABC，好") == "abc好"


def test_pinyin_folds_confusable_sounds():
    assert fold("zhang") == fold("zang") == "zang"
    assert fold("ning") == fold("lin") == "lin"
    assert syllables("社保") == syllables("射宝")  # Whisper's homophone error still matches


def test_find_phrase_with_time_and_homophones():
    text = TimedText.from_segments(
        [
            (0, 0.0, 2.0, "您好很高兴为您服务", [[0.0, 0.5, "您好"], [0.6, 2.0, "很高兴为您服务"]]),
            (1, 5.0, 7.0, "我想问射宝卡怎么补办", []),
        ]
    )
    [hit] = text.find("很高兴为您服务")
    assert hit.segment == 0 and abs(hit.start - 0.6) < 0.01 and abs(hit.end - 2.0) < 0.01
    [hit] = text.find("社保卡")
    assert hit.heard == "射宝卡" and hit.segment == 1 and 5.0 < hit.start < 7.0
    assert text.find("公积金") == []
    # one syllable in five may differ; short phrases must match exactly
    assert text.find("很高兴为你服务")
    assert text.find("很高") and not text.find("很好")


def test_short_phrases_need_the_same_sound_tones_included():
    """Folded toneless pinyin made 咨询师 sound like 寻死 and 调和 like 跳河 (found on messages_dev.csv)."""
    text = TimedText.from_segments([(0, 0.0, 9.0, "我是心理咨询师，矛盾要调和，这里在治沙", [])])
    assert text.find("寻死") == [] and text.find("跳河") == [] and text.find("自杀") == []
    said = TimedText.from_segments([(0, 0.0, 3.0, "我想跳河自杀", [])])
    assert [m.heard for m in said.find_any(["跳河", "自杀"])] == ["跳河", "自杀"]
    # a true homophone still matches a short phrase
    assert TimedText.from_segments([(0, 0.0, 1.0, "射保", [])]).find("社保")[0].heard == "射保"


def test_taiwan_style_zhe_becomes_simplified():
    # Whisper writes 著 for the particle 着; t2s alone keeps it (著 is also simplified, as in 著名)
    assert to_simplified("您先別著急，睡不著覺，著名作家") == "您先别着急，睡不着觉，著名作家"
