"""Homophone-tolerant phrase matching on transcripts (Whisper writes 路东 for 路灯, 射保 for 社保).

Longer phrases are compared as toneless pinyin with the sounds southern speakers (and Whisper) confuse
merged: zh/z, ch/c, sh/s, n/l, ing/in, eng/en; short ones (≤ 3 syllables) as toned pinyin, where only
true homophones agree. Every character keeps its time, so a hit has a time.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from pypinyin import Style, lazy_pinyin

_SKIP = re.compile(r"[\s\W_]", re.UNICODE)
_INITIALS = (("zh", "z"), ("ch", "c"), ("sh", "s"), ("n", "l"))
_FINALS = (("ing", "in"), ("eng", "en"))
SHORT = 3  # syllables: phrases this short are matched strictly


@lru_cache(maxsize=4096)
def fold(syllable: str) -> str:
    """One syllable with the commonly confused sounds merged."""
    for a, b in _INITIALS:
        if syllable.startswith(a):
            syllable = b + syllable[len(a) :]
            break
    for a, b in _FINALS:
        if syllable.endswith(a):
            syllable = syllable[: -len(a)] + b
            break
    return syllable


def syllables(text: str, *, strict: bool = False) -> list[str]:
    """Pinyin per character (punctuation dropped; digits and letters kept as themselves).

    Loose: toneless with confusable sounds folded. Strict: with tones, nothing folded — only true
    homophones (社保/射宝) still agree.
    """
    chars = "".join(c for c in text if not _SKIP.match(c))
    if strict:
        return [s.lower() for s in lazy_pinyin(chars, style=Style.TONE3, errors=lambda s: list(s))]
    return [fold(s.lower()) for s in lazy_pinyin(chars, style=Style.NORMAL, errors=lambda s: list(s))]


@dataclass(frozen=True)
class Char:
    char: str
    start: float
    end: float
    segment: int  # index of the segment it came from


@dataclass(frozen=True)
class Match:
    phrase: str
    heard: str  # the characters actually transcribed
    start: float
    end: float
    segment: int


class TimedText:
    """A speaker's transcript as characters with times, searchable by sound."""

    def __init__(self, chars: list[Char]) -> None:
        self.chars = chars
        self.text = "".join(c.char for c in chars)
        self.sounds = self._per_char(strict=False)
        self.strict_sounds = self._per_char(strict=True)

    def _per_char(self, *, strict: bool) -> list[str]:
        sounds = syllables(self.text, strict=strict) if self.chars else []
        if len(sounds) != len(self.chars):  # pypinyin kept a character pair together: one by one
            sounds = [(syllables(c.char, strict=strict) or [c.char])[0] for c in self.chars]
        return sounds

    @classmethod
    def from_segments(cls, segments: Iterable[tuple[int, float, float, str, list]]) -> TimedText:
        """(index, start, end, text, words[[start, end, text], ...]); without words, times are spread evenly."""
        chars: list[Char] = []
        for index, start, end, text, words in segments:
            pieces = [(w[0], w[1], w[2]) for w in words] if words else [(start, end, text)]
            for w_start, w_end, w_text in pieces:
                kept = [c for c in w_text if not _SKIP.match(c)]
                step = (w_end - w_start) / max(len(kept), 1)
                for i, c in enumerate(kept):
                    chars.append(
                        Char(c, round(w_start + i * step, 2), round(w_start + (i + 1) * step, 2), index)
                    )
        return cls(chars)

    def find(self, phrase: str, *, tolerance: int | None = None) -> list[Match]:
        """Every place the phrase is heard.

        Short phrases (up to SHORT syllables) must sound the same, tones included: folding two
        syllables matches far too much (咨询师 would sound like 寻死). Longer ones compare loosely and
        `tolerance` syllables may differ (default: one in five).
        """
        strict = len(syllables(phrase)) <= SHORT
        target = syllables(phrase, strict=strict)
        sounds = self.strict_sounds if strict else self.sounds
        n = len(target)
        if n == 0 or n > len(sounds):
            return []
        allowed = (0 if strict else n // 5) if tolerance is None else tolerance
        found: list[Match] = []
        i = 0
        while i <= len(sounds) - n:
            window = sounds[i : i + n]
            misses = sum(a != b for a, b in zip(window, target, strict=True))
            # the first and last syllables must agree, so a near-miss does not drift onto a neighbour
            if misses <= allowed and window[0] == target[0] and window[-1] == target[-1]:
                hit = self.chars[i : i + n]
                found.append(
                    Match(phrase, "".join(c.char for c in hit), hit[0].start, hit[-1].end, hit[0].segment)
                )
                i += n
            else:
                i += 1
        return found

    def find_any(self, phrases: Iterable[str]) -> list[Match]:
        hits = [m for p in phrases for m in self.find(p)]
        return sorted(hits, key=lambda m: m.start)
