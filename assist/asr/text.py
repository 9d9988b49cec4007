"""Text normalisation for Whisper output: traditional → simplified, numerals, error rates."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_PUNCT = re.compile(r"[\s\W_]+", re.UNICODE)
_CN_NUMBER = re.compile(r"[零〇幺一二两三四五六七八九十百千万亿点]+")
_DIGITS = "零一二三四五六七八九"


@lru_cache(maxsize=1)
def _converter():
    import opencc

    # tw2s = t2s plus Taiwan usage: Whisper writes 著急/睡不著 the Taiwan way, which t2s leaves alone
    return opencc.OpenCC("tw2s")


def to_simplified(text: str) -> str:
    """Whisper often answers in traditional characters; convert after decoding (not by prompting)."""
    return _converter().convert(text)


def _cn_to_digits(match: re.Match[str]) -> str:
    import cn2an

    chunk = match.group(0)
    if len(chunk) == 1 and chunk in "两十百千万亿点幺":
        return chunk  # a lone unit character is a word (两个, 十分), not a number
    try:
        value = cn2an.cn2an(chunk, "smart")
    except (ValueError, KeyError):
        # a digit string read out one by one (幺二三四五): map character by character
        if all(c in _DIGITS + "〇幺" for c in chunk):
            return "".join(
                str(_DIGITS.index(c)) if c in _DIGITS else "1" if c == "幺" else "0" for c in chunk
            )
        return chunk
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value)


def normalise_numerals(text: str) -> str:
    """Chinese numerals → Arabic digits, so 一百号 and 100号 compare equal."""
    text = unicodedata.normalize("NFKC", text)
    return _CN_NUMBER.sub(_cn_to_digits, text)


def normalise_for_scoring(text: str) -> str:
    """Simplified, numerals as digits, punctuation and spaces removed, lower case."""
    return _PUNCT.sub("", normalise_numerals(to_simplified(text))).lower()


def edit_distance(ref: str, hyp: str) -> int:
    prev = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        cur = [i] + [0] * len(hyp)
        for j, h in enumerate(hyp, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (r != h))
        prev = cur
    return prev[-1]


def character_errors(reference: str, hypothesis: str) -> tuple[int, int]:
    """(edits, reference length) after normalisation; CER = edits / length over a whole set."""
    ref, hyp = normalise_for_scoring(reference), normalise_for_scoring(hypothesis)
    return edit_distance(ref, hyp), len(ref)
