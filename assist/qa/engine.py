"""The scoring engine: rules applied to a transcript, each finding with its evidence. Pure, no I/O.

A rule has a kind (what it checks), params (phrases, seconds, limits), `deduction` points per
finding, a `weight` multiplying them and `max_deduction` capping the rule's total (0: no cap).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from assist.qa.matching import TimedText

AGENT, CITIZEN, MIXED = "agent", "citizen", "mixed"
FULL_SCORE = 100.0
SPEECH_JOIN = 0.8  # words closer than this belong to one stretch of speech


@dataclass(frozen=True)
class SegmentIn:
    index: int
    speaker: str
    start: float
    end: float
    text: str
    words: list = field(default_factory=list)  # [[start, end, text], ...]


@dataclass(frozen=True)
class RuleIn:
    code: str
    name: str
    kind: str
    params: dict[str, Any]
    deduction: float = 5.0
    weight: float = 1.0
    max_deduction: float = 0.0
    rule_id: int | None = None


@dataclass
class Finding:
    detail: str
    start: float | None = None
    end: float | None = None
    speaker: str | None = None
    words: str = ""
    segment: int | None = None
    category: str | None = None  # emotion rules: anger / threat / self_harm


@dataclass
class Deduction:
    rule: RuleIn
    points: float
    finding: Finding


@dataclass
class Alert:
    rule: RuleIn
    category: str
    severity: str
    finding: Finding


@dataclass
class ScoreResult:
    score: float
    deductions: list[Deduction]
    alerts: list[Alert]

    def as_dict(self) -> dict:
        def ev(f: Finding) -> dict:
            return {
                "start": f.start,
                "end": f.end,
                "speaker": f.speaker,
                "words": f.words,
                "segment": f.segment,
                "detail": f.detail,
            }

        return {
            "score": self.score,
            "deductions": [
                {"rule": d.rule.code, "name": d.rule.name, "points": d.points, **ev(d.finding)}
                for d in self.deductions
            ],
            "alerts": [
                {"rule": a.rule.code, "category": a.category, "severity": a.severity, **ev(a.finding)}
                for a in self.alerts
            ],
        }


class Call:
    """The transcript as the rules see it: per speaker text with times, speech intervals, duration."""

    def __init__(
        self,
        segments: list[SegmentIn],
        duration: float | None = None,
        ticket_text: str | None = None,
        holds: list[tuple[float, float]] | None = None,
    ):
        self.segments = sorted(segments, key=lambda s: (s.start, s.index))
        self.duration = duration or max((s.end for s in segments), default=0.0)
        self.ticket_text = ticket_text or ""
        # hold periods (seconds from the recording's start): the citizen hears hold music, not silence
        self.holds = sorted((float(a), float(b)) for a, b in (holds or []) if b > a)
        self._texts: dict[str, TimedText] = {}

    def of(self, speaker: str) -> list[SegmentIn]:
        # a mono recording cannot tell the parties apart: it counts for both
        return (
            [s for s in self.segments if s.speaker in (speaker, MIXED)] if speaker != "any" else self.segments
        )

    def text(self, speaker: str) -> TimedText:
        if speaker not in self._texts:
            self._texts[speaker] = TimedText.from_segments(
                (s.index, s.start, s.end, s.text, s.words) for s in self.of(speaker)
            )
        return self._texts[speaker]

    def speech(self, speaker: str) -> list[tuple[float, float]]:
        """Merged intervals in which the speaker is actually talking (from word times when known)."""
        spans: list[tuple[float, float]] = []
        for s in self.of(speaker):
            spans.extend((w[0], w[1]) for w in s.words) if s.words else spans.append((s.start, s.end))
        spans.sort()
        merged: list[list[float]] = []
        for start, end in spans:
            if merged and start - merged[-1][1] <= SPEECH_JOIN:
                merged[-1][1] = max(merged[-1][1], end)
            else:
                merged.append([start, end])
        return [(a, b) for a, b in merged]

    def segment_at(self, time: float, speaker: str | None = None) -> SegmentIn | None:
        for s in self.segments:
            if s.start - 0.05 <= time <= s.end + 0.05 and (speaker is None or s.speaker in (speaker, MIXED)):
                return s
        return None


def _first(call: Call, speaker: str) -> SegmentIn | None:
    segs = call.of(speaker)
    return segs[0] if segs else None


def _evidence(seg: SegmentIn | None, detail: str) -> Finding:
    if seg is None:
        return Finding(detail)
    return Finding(detail, seg.start, seg.end, seg.speaker, seg.text, seg.index)


def check_greeting(call: Call, p: dict) -> list[Finding]:
    within = float(p.get("within_seconds", 10))
    hits = [m for m in call.text(AGENT).find_any(p.get("phrases", [])) if m.start <= within]
    if hits:
        return []
    return [
        _evidence(
            _first(call, AGENT), f"开头 {within:g} 秒内未使用标准问候语（{'/'.join(p.get('phrases', []))}）"
        )
    ]


def check_closing(call: Call, p: dict) -> list[Finding]:
    agent = call.of(AGENT)
    if not agent:
        return [Finding("坐席无讲话，未使用结束语")]
    last_seconds = float(p.get("last_seconds", 20))
    end = max(s.end for s in agent)
    hits = [m for m in call.text(AGENT).find_any(p.get("phrases", [])) if m.end >= end - last_seconds]
    if hits:
        return []
    return [
        _evidence(agent[-1], f"结束前 {last_seconds:g} 秒内未使用结束语（{'/'.join(p.get('phrases', []))}）")
    ]


def check_keywords(call: Call, p: dict) -> list[Finding]:
    speaker = p.get("speaker", AGENT)
    label = p.get("label", "禁用语")
    return [
        Finding(f"使用{label}「{m.phrase}」", m.start, m.end, speaker, m.heard, m.segment)
        for m in call.text(speaker).find_any(p.get("words", []))
    ]


def _outside(start: float, end: float, holds: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """The parts of [start, end] not inside any hold interval (`holds` sorted)."""
    parts, at = [], start
    for h_start, h_end in holds:
        if h_end <= at or h_start >= end:
            continue
        if h_start > at:
            parts.append((at, h_start))
        at = max(at, h_end)
    if at < end:
        parts.append((at, end))
    return parts


def check_dead_air(call: Call, p: dict) -> list[Finding]:
    limit = float(p.get("max_seconds", 8))
    spans = sorted(call.speech(AGENT) + call.speech(CITIZEN))
    found, covered = [], None
    for start, end in spans:
        if covered is not None and start - covered > limit:
            # silence while the citizen is on hold is not dead air: only what lies outside holds counts
            for a, b in _outside(covered, start, call.holds):
                if b - a > limit:
                    found.append(
                        Finding(f"静音 {b - a:.1f} 秒（超过 {limit:g} 秒）", round(a, 2), round(b, 2))
                    )
        covered = end if covered is None else max(covered, end)
    return found


def check_interruption(call: Call, p: dict) -> list[Finding]:
    min_overlap = float(p.get("min_overlap_seconds", 1.0))
    citizen = call.speech(CITIZEN)
    found = []
    for a_start, a_end in call.speech(AGENT):
        for c_start, c_end in citizen:
            # the agent starts while the citizen is talking and they talk over each other
            overlap = min(a_end, c_end) - max(a_start, c_start)
            if c_start < a_start < c_end and overlap >= min_overlap:
                seg = call.segment_at(a_start, AGENT)
                f = _evidence(seg, f"抢话：坐席在群众讲话时插话，重叠 {overlap:.1f} 秒")
                f.start, f.end = round(a_start, 2), round(min(a_end, c_end), 2)
                found.append(f)
                break
    return found


def check_speaking_rate(call: Call, p: dict) -> list[Finding]:
    spans = call.speech(AGENT)
    seconds = sum(b - a for a, b in spans)
    if seconds < float(p.get("min_speech_seconds", 5)):
        return []
    chars = len(call.text(AGENT).chars)
    rate = chars / seconds * 60
    low, high = float(p.get("min_chars_per_minute", 120)), float(p.get("max_chars_per_minute", 330))
    if low <= rate <= high:
        return []
    what = "过快" if rate > high else "过慢"
    return [
        Finding(f"语速{what}：{rate:.0f} 字/分钟（标准 {low:g}–{high:g}）", spans[0][0], spans[-1][1], AGENT)
    ]


def check_confirm_info(call: Call, p: dict) -> list[Finding]:
    found = []
    labels = p.get("labels", {})
    for item, phrases in p.get("items", {}).items():
        if not call.text(AGENT).find_any(phrases):
            found.append(Finding(f"未与群众核对{labels.get(item, item)}"))
    return found


SEVERITY = {"self_harm": "critical", "threat": "high", "anger": "medium"}
CATEGORY_LABELS = {"self_harm": "自伤自杀倾向", "threat": "威胁言论", "anger": "愤怒情绪"}


def check_emotion(call: Call, p: dict) -> list[Finding]:
    found = []
    for category, words in p.get("categories", {}).items():
        for m in call.text(CITIZEN).find_any(words):
            label = CATEGORY_LABELS.get(category, category)
            found.append(
                Finding(f"群众{label}：「{m.phrase}」", m.start, m.end, CITIZEN, m.heard, m.segment, category)
            )
    return found


def check_ticket_consistency(call: Call, p: dict) -> list[Finding]:
    if not call.ticket_text.strip():
        return []
    import jieba.analyse

    keywords = jieba.analyse.extract_tags(call.ticket_text, topK=int(p.get("keywords", 8)))
    keywords = [k for k in keywords if len(k) >= 2]
    if not keywords:
        return []
    heard = call.text("any")
    missing = [k for k in keywords if not heard.find(k)]
    coverage = 1 - len(missing) / len(keywords)
    if coverage >= float(p.get("min_coverage", 0.6)):
        return []
    return [
        Finding(
            f"工单内容与通话不一致：通话中未提及 {'、'.join(missing)}（吻合 {coverage:.0%}）",
            words="、".join(missing),
        )
    ]


CHECKS: dict[str, Callable[[Call, dict], list[Finding]]] = {
    "greeting": check_greeting,
    "closing": check_closing,
    "keywords": check_keywords,
    "dead_air": check_dead_air,
    "interruption": check_interruption,
    "speaking_rate": check_speaking_rate,
    "confirm_info": check_confirm_info,
    "emotion": check_emotion,
    "ticket_consistency": check_ticket_consistency,
}


def score_call(call: Call, rules: list[RuleIn]) -> ScoreResult:
    deductions: list[Deduction] = []
    alerts: list[Alert] = []
    total = 0.0
    for rule in rules:
        findings = CHECKS[rule.kind](call, rule.params)
        budget = rule.max_deduction * rule.weight if rule.max_deduction > 0 else float("inf")
        for f in findings:
            if f.category and rule.params.get("alert", True):
                alerts.append(Alert(rule, f.category, SEVERITY.get(f.category, "medium"), f))
            points = round(min(rule.deduction * rule.weight, budget), 2)
            if points <= 0:
                continue
            budget -= points
            total += points
            deductions.append(Deduction(rule, points, f))
    return ScoreResult(max(0.0, round(FULL_SCORE - total, 2)), deductions, alerts)
