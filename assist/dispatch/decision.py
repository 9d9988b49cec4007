"""The dispatch decision: top-3 units with calibrated confidence and reasons, and whether to auto-dispatch."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field

from assist.dispatch.catalogue import Catalogue
from assist.dispatch.gazetteer import Place
from assist.dispatch.thresholds import passes
from assist.dispatch.training import TrainedModel

# The label of "the district government where it happened" (属地): district governments and their
# streets are learnt as one class, and the address decides which one.
LOCAL = "local"
CATALOGUE_MIN_HITS = 2  # keyword hits (and no exclusion) for an unseen unit to be suggested
CATALOGUE_EXTRA = 2  # at most this many catalogue-only suggestions after the model's

Resolver = Callable[[str, Place], tuple[int | None, str]]


@dataclass
class Suggestion:
    label: str
    unit_id: int | None
    name: str
    confidence: float
    reasons: list[str] = field(default_factory=list)
    # "model": ranked by the classifier (calibrated confidence); "catalogue": a unit the model has never
    # seen, suggested from the duty catalogue alone (confidence 0, never auto-dispatched)
    source: str = "model"


@dataclass
class Decision:
    suggestions: list[Suggestion]
    auto: bool  # the top suggestion may be dispatched without a person
    threshold: float | None
    district: str | None
    place_reason: str

    @property
    def top(self) -> Suggestion | None:
        return self.suggestions[0] if self.suggestions else None

    def as_dict(self) -> dict:
        return {
            "suggestions": [asdict(s) for s in self.suggestions],
            "auto": self.auto,
            "threshold": self.threshold,
            "district": self.district,
            "place_reason": self.place_reason,
        }


def decide(
    model: TrainedModel,
    text: str,
    *,
    place: Place,
    catalogue: Catalogue,
    resolve: Resolver,
    exclude: Sequence[str] = (),
    k: int = 3,
    thresholds: dict[str, float | None] | None = None,
    default_threshold: float | None = None,
) -> Decision:
    """Rank labels for `text`; auto only when the top one clears its label's threshold and names a unit.

    `thresholds` / `default_threshold`: the version's current values (an admin may have edited them
    after training); without them, the ones chosen at training time.
    """
    if thresholds is None:
        thresholds, default_threshold = model.thresholds, model.default_threshold
    row = model.classifier.features(text)  # vectorised once for ranking and all explanations
    ranked = model.classifier.rank(text, k=k, exclude=exclude, row=row)
    matches = {m.label: m for m in catalogue.match(text)}
    out: list[Suggestion] = []
    for r in ranked:
        unit_id, name = resolve(r.label, place)
        reasons = []
        if r.label in matches:
            reasons.append(matches[r.label].reason())
        terms = model.classifier.explain(text, r.label, n=4, row=row)
        if terms:
            reasons.append(f"历史工单相似特征：{'、'.join(terms)}")
        if r.label == LOCAL:
            reasons.append(place.reason() + ("，属地管理事项" if place.district else "，需人工确定属地"))
        elif place.district:
            reasons.append(f"{place.reason()}，但该事项由市级单位办理")
        entry = catalogue.for_label(r.label)
        if entry is not None and entry.duty:
            reasons.append(f"职责：{entry.duty}")
        out.append(Suggestion(r.label, unit_id, name, round(r.confidence, 4), reasons))
    threshold = thresholds.get(out[0].label, default_threshold) if out else None
    auto = bool(
        out
        and out[0].unit_id is not None
        and passes(out[0].label, out[0].confidence, thresholds, default_threshold)
    )
    if out:
        shown = "不自动派单" if threshold is None else f"自动派单阈值 {threshold:.0%}"
        out[0].reasons.append(f"置信度 {out[0].confidence:.0%}（{shown}）")
    out.extend(_unseen_units(model, text, place, catalogue, resolve, exclude))
    return Decision(out, auto, threshold, place.district, place.reason())


def _unseen_units(
    model: TrainedModel,
    text: str,
    place: Place,
    catalogue: Catalogue,
    resolve: Resolver,
    exclude: Sequence[str],
) -> list[Suggestion]:
    """Units the model cannot rank (no ticket history) whose catalogue keywords match strongly."""
    known, out = set(model.labels), []
    for m in catalogue.match(text):
        if len(out) >= CATALOGUE_EXTRA:
            break
        if m.label in known or m.label == LOCAL or m.label in exclude:
            continue
        if len(m.hits) < CATALOGUE_MIN_HITS or m.excluded_by:
            continue
        unit_id, name = resolve(m.label, place)
        if unit_id is None:
            continue
        reasons = [m.reason(), "该单位尚无历史工单，模型未学习：仅依据权责清单建议，无模型置信度，不自动派单"]
        entry = catalogue.for_label(m.label)
        if entry is not None and entry.duty:
            reasons.append(f"职责：{entry.duty}")
        out.append(Suggestion(m.label, unit_id, name, 0.0, reasons, source="catalogue"))
    return out
