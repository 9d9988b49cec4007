"""Dispatch service: duty catalogue, training from ticket history, model versions, suggestions,
auto-dispatch, shadow statistics, feedback. Functions take a Session and never commit.
"""

from __future__ import annotations

import io
import logging
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import joblib
from prometheus_client import Counter, Histogram
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from assist.dispatch.catalogue import Catalogue, DutyEntry, split_duties
from assist.dispatch.decision import LOCAL, Decision, decide
from assist.dispatch.gazetteer import Place, extract_place
from assist.dispatch.training import Progress, TrainedModel, train
from models.db import utcnow
from models.dispatch import DispatchFeedback, DispatchModel, DispatchSettings, DispatchSuggestion, DutyItem
from models.errors import Conflict, Invalid, NotFound
from models.org import Tenant, Unit, UnitKind

log = logging.getLogger("hotline.dispatch")

SUGGESTIONS = Counter("hotline_dispatch_suggestions_total", "Dispatch suggestions made", ["outcome"])
SUGGEST_SECONDS = Histogram("hotline_dispatch_suggest_seconds", "Time to suggest units for one ticket")

AUTO_ACTOR = "auto-dispatch"
FINAL_STATES = ("answered", "to_revisit", "to_close", "closed")
CORRECTION_WEIGHT = 3.0  # an explicit dispatcher correction outweighs one ordinary history ticket
RETURN_WEIGHT = 0.5  # each return before the final unit: a hard case, weigh it more
MIN_EXAMPLES = 10
SHADOW_MIN = 30  # suggestions compared with humans before auto-dispatch may be switched on

# process cache of loaded model blobs; keyed by id and creation time (SQLite may reuse a rolled-back id)
_MODELS: OrderedDict[tuple[int, str], TrainedModel] = OrderedDict()


# ------------------------------------------------------------------------------ helpers
def root_tenant_id(db: Session, tenant_id: int) -> int:
    tenant = db.get(Tenant, tenant_id)
    if tenant is None:
        raise NotFound("租户不存在", field="tenant_id")
    return int(tenant.path.strip("/").split("/")[0]) if tenant.path.strip("/") else tenant.id


def _local_unit(db: Session, unit: Unit) -> bool:
    """District governments and everything under them are 属地 (one class, the address decides which)."""
    seen = 0
    while unit is not None and seen < 10:
        if unit.kind == UnitKind.district_government:
            return True
        unit = db.get(Unit, unit.parent_id) if unit.parent_id else None
        seen += 1
    return False


def label_for_unit(db: Session, unit_id: int) -> str:
    unit = db.get(Unit, unit_id)
    if unit is None:
        raise NotFound("单位不存在", field="unit_id")
    return LOCAL if _local_unit(db, unit) else str(unit.id)


def district_government(db: Session, district: str) -> Unit | None:
    return db.scalar(
        select(Unit).where(Unit.kind == UnitKind.district_government, Unit.district == district, Unit.active)
    )


def _resolver(db: Session):
    def resolve(label: str, place: Place) -> tuple[int | None, str]:
        if label == LOCAL:
            gov = district_government(db, place.district) if place.district else None
            return (gov.id, gov.name) if gov else (None, "属地区县（未识别）")
        unit = db.get(Unit, int(label))
        return (unit.id, unit.name) if unit else (None, f"单位{label}")

    return resolve


# ------------------------------------------------------------------------------ duty catalogue
def list_duties(db: Session, tenant_id: int) -> list[DutyItem]:
    return list(
        db.scalars(select(DutyItem).where(DutyItem.tenant_id == tenant_id).order_by(DutyItem.unit_id))
    )


def _clean(words: Sequence[str], name: str) -> list[str]:
    out = list(dict.fromkeys(w.strip() for w in words if w and w.strip()))
    if any(len(w) > 30 for w in out):
        raise Invalid("关键词不能超过 30 个字", field=name)
    return out


def upsert_duty(
    db: Session,
    *,
    tenant_id: int,
    unit_id: int,
    duty: str,
    keywords: Sequence[str],
    exclusions: Sequence[str] = (),
    active: bool = True,
    user_id: int | None = None,
) -> DutyItem:
    if db.get(Unit, unit_id) is None:
        raise Invalid("单位不存在", field="unit_id")
    keywords, exclusions = _clean(keywords, "keywords"), _clean(exclusions, "exclusions")
    if set(keywords) & set(exclusions):
        raise Invalid("同一个词不能既是关键词又是排除词", field="exclusions")
    item = db.scalar(select(DutyItem).where(DutyItem.tenant_id == tenant_id, DutyItem.unit_id == unit_id))
    if item is None:
        item = DutyItem(tenant_id=tenant_id, unit_id=unit_id)
        db.add(item)
    item.duty, item.keywords, item.exclusions, item.active = duty, keywords, exclusions, active
    item.updated_at, item.updated_by_id = utcnow(), user_id or None
    db.flush()
    return item


def delete_duty(db: Session, *, tenant_id: int, item_id: int) -> None:
    item = db.get(DutyItem, item_id)
    if item is None or item.tenant_id != tenant_id:
        raise NotFound("权责清单条目不存在")
    db.delete(item)
    db.flush()


def seed_duties(db: Session, tenant_id: int) -> int:
    """Catalogue entries from the units' duty summaries, for units that have none yet."""
    have = set(db.scalars(select(DutyItem.unit_id).where(DutyItem.tenant_id == tenant_id)))
    n = 0
    for unit in db.scalars(select(Unit).where(Unit.active, Unit.kind != UnitKind.sub_unit).order_by(Unit.id)):
        if unit.id in have or not unit.duties:
            continue
        keywords = split_duties(unit.duties)
        if unit.kind == UnitKind.district_government:
            keywords = ()  # 属地: decided by the address, not by words
        db.add(DutyItem(tenant_id=tenant_id, unit_id=unit.id, duty=unit.duties, keywords=list(keywords)))
        n += 1
    db.flush()
    return n


def catalogue(db: Session, tenant_id: int) -> Catalogue:
    entries = []
    rows = db.execute(
        select(DutyItem, Unit)
        .join(Unit, Unit.id == DutyItem.unit_id)
        .where(DutyItem.tenant_id == tenant_id, DutyItem.active)
    )
    for item, unit in rows:
        label = LOCAL if _local_unit(db, unit) else str(unit.id)
        name = "属地区县政府" if label == LOCAL else (unit.short_name or unit.name)
        entries.append(DutyEntry(label, name, item.duty, tuple(item.keywords), tuple(item.exclusions)))
    return Catalogue.from_rows(entries)


# ------------------------------------------------------------------------------ training data
def ticket_text(title: str | None, content: str | None, address: str | None = None) -> str:
    return "。".join(p for p in (title, content, address) if p)


def returned_units(db: Session, ticket_ids: Sequence[int]) -> dict[int, set[int]]:
    """Per ticket, the units that asked to return it (not theirs): negative evidence."""
    from models.tickets import TicketEvent

    out: dict[int, set[int]] = {}
    if not ticket_ids:
        return out
    rows = db.execute(
        select(TicketEvent.ticket_id, func.coalesce(TicketEvent.actor_unit_id, TicketEvent.unit_id)).where(
            TicketEvent.action == "return-request", TicketEvent.ticket_id.in_(list(ticket_ids))
        )
    )
    for ticket_id, unit_id in rows:
        if unit_id:
            out.setdefault(ticket_id, set()).add(unit_id)
    feedback = db.execute(
        select(DispatchFeedback.ticket_id, DispatchFeedback.unit_id).where(
            DispatchFeedback.kind == "returned", DispatchFeedback.ticket_id.in_(list(ticket_ids))
        )
    )
    for ticket_id, unit_id in feedback:
        out.setdefault(ticket_id, set()).add(unit_id)
    return out


def training_examples(db: Session, tenant_id: int) -> tuple[list[str], list[str], list[float]]:
    """(texts, labels, weights): tickets with the unit that finally handled them, plus corrections.

    Returns make a ticket weigh more (the model was, or a person was, wrong on it before); a
    dispatcher's correction replaces the ticket's label and weighs most.
    """
    from models.tickets import Ticket

    tenants = select(Tenant.id).where(Tenant.path.startswith(db.get(Tenant, tenant_id).path))
    rows = db.execute(
        select(
            Ticket.id, Ticket.title, Ticket.content, Ticket.address, Ticket.lead_unit_id, Ticket.return_count
        )
        .where(
            Ticket.lead_unit_id.is_not(None), Ticket.state.in_(FINAL_STATES), Ticket.tenant_id.in_(tenants)
        )
        .order_by(Ticket.id)
    ).all()
    corrections = {
        (f.ticket_id or -f.id): f
        for f in db.scalars(
            select(DispatchFeedback)
            .where(DispatchFeedback.tenant_id == tenant_id, DispatchFeedback.kind == "correct")
            .order_by(DispatchFeedback.id)
        )
    }
    texts, labels, weights = [], [], []
    cache: dict[int, str] = {}

    def label(unit_id: int) -> str:
        if unit_id not in cache:
            cache[unit_id] = label_for_unit(db, unit_id)
        return cache[unit_id]

    for tid, title, content, address, unit_id, returns in rows:
        if tid in corrections:
            continue
        texts.append(ticket_text(title, content, address))
        labels.append(label(unit_id))
        weights.append(1.0 + RETURN_WEIGHT * min(returns or 0, 4))
    for f in corrections.values():
        texts.append(f.text)
        labels.append(label(f.unit_id))
        weights.append(CORRECTION_WEIGHT)
    return texts, labels, weights


def record_feedback(
    db: Session,
    *,
    tenant_id: int,
    unit_id: int,
    kind: str,
    text: str | None = None,
    ticket_id: int | None = None,
    user_id: int | None = None,
) -> DispatchFeedback:
    """A dispatcher's correction ("correct": this unit) or a return ("returned": not this unit)."""
    from models.tickets import Ticket

    if kind not in ("correct", "returned"):
        raise Invalid("kind 只能是 correct 或 returned", field="kind")
    if db.get(Unit, unit_id) is None:
        raise Invalid("单位不存在", field="unit_id")
    if ticket_id is not None:
        ticket = db.get(Ticket, ticket_id)
        if ticket is None:
            raise NotFound("工单不存在", field="ticket_id")
        text = text or ticket_text(ticket.title, ticket.content, ticket.address)
    if not text or not text.strip():
        raise Invalid("需要工单或诉求文本", field="text")
    row = DispatchFeedback(
        tenant_id=tenant_id, ticket_id=ticket_id, text=text, unit_id=unit_id, kind=kind, created_by_id=user_id
    )
    db.add(row)
    if ticket_id is not None and kind == "correct":
        _resolve_suggestion(db, ticket_id, unit_id)
    db.flush()
    return row


# ------------------------------------------------------------------------------ model versions
def settings_for(db: Session, tenant_id: int) -> DispatchSettings:
    row = db.scalar(select(DispatchSettings).where(DispatchSettings.tenant_id == tenant_id))
    if row is None:
        row = DispatchSettings(tenant_id=tenant_id, auto_dispatch=False, target_precision=0.97)
        db.add(row)
        db.flush()
    return row


def _dump(model: TrainedModel) -> bytes:
    buf = io.BytesIO()
    joblib.dump(model, buf, compress=3)
    return buf.getvalue()


def load_model(db: Session, row: DispatchModel) -> TrainedModel:
    key = (row.id, row.created_at.isoformat())
    if key in _MODELS:
        _MODELS.move_to_end(key)
        return _MODELS[key]
    blob = db.scalar(select(DispatchModel.blob).where(DispatchModel.id == row.id))
    model = joblib.load(io.BytesIO(blob))
    _MODELS[key] = model
    while len(_MODELS) > 3:
        _MODELS.popitem(last=False)
    return model


def current_model(db: Session, tenant_id: int) -> DispatchModel | None:
    return db.scalar(
        select(DispatchModel).where(DispatchModel.tenant_id == tenant_id, DispatchModel.status == "current")
    )


def list_models(db: Session, tenant_id: int) -> list[DispatchModel]:
    return list(
        db.scalars(
            select(DispatchModel)
            .where(DispatchModel.tenant_id == tenant_id)
            .order_by(DispatchModel.version.desc())
        )
    )


def get_model(db: Session, tenant_id: int, version: int) -> DispatchModel:
    row = db.scalar(
        select(DispatchModel).where(DispatchModel.tenant_id == tenant_id, DispatchModel.version == version)
    )
    if row is None:
        raise NotFound(f"模型版本 {version} 不存在", field="version")
    return row


@dataclass
class TrainingInputs:
    """What a training run reads from the database; the fit itself then needs no session."""

    tenant_id: int
    texts: list[str]
    labels: list[str]
    weights: list[float]
    catalogue: list[DutyEntry]
    target_precision: float


def training_inputs(
    db: Session, tenant_id: int, examples: tuple[list[str], list[str], list[float]] | None = None
) -> TrainingInputs:
    texts, labels, weights = examples or training_examples(db, tenant_id)
    if len(texts) < MIN_EXAMPLES or len(set(labels)) < 2:
        raise Invalid(
            f"训练样本不足：需要至少 {MIN_EXAMPLES} 条已办结的历史工单、两个以上承办单位"
            f"（现有 {len(texts)} 条、{len(set(labels))} 个单位）",
            field="examples",
        )
    cfg = settings_for(db, tenant_id)
    return TrainingInputs(
        tenant_id,
        list(texts),
        list(labels),
        list(weights),
        catalogue(db, tenant_id).entries,
        cfg.target_precision,
    )


def fit(inputs: TrainingInputs, progress: Progress | None = None) -> TrainedModel:
    return train(
        inputs.texts,
        inputs.labels,
        sample_weight=inputs.weights,
        catalogue=inputs.catalogue,
        target_precision=inputs.target_precision,
        min_support=20,
        progress=progress,
    )


def store_model(
    db: Session,
    inputs: TrainingInputs,
    model: TrainedModel,
    *,
    user_id: int | None = None,
    promote: bool | None = None,
    note: str | None = None,
    source: str = "tickets",
) -> DispatchModel:
    """Save a trained version. promote None: it becomes current if there is none or it is not worse
    (out-of-fold accuracy within one point of the current one); the auto-dispatch switch is unchanged.
    """
    tenant_id = inputs.tenant_id
    version = (
        db.scalar(select(func.max(DispatchModel.version)).where(DispatchModel.tenant_id == tenant_id)) or 0
    ) + 1
    row = DispatchModel(
        tenant_id=tenant_id,
        version=version,
        status="candidate",
        source=source,
        n_samples=len(inputs.texts),
        labels=model.labels,
        thresholds=model.thresholds,
        default_threshold=model.default_threshold,
        target_precision=inputs.target_precision,
        metrics={k: v for k, v in model.metrics.items()},
        blob=_dump(model),
        note=note,
        created_by_id=user_id or None,
    )
    db.add(row)
    db.flush()
    current = current_model(db, tenant_id)
    if promote is None:
        promote = current is None or model.metrics["accuracy"] >= current.metrics.get("accuracy", 0) - 0.01
    if promote:
        _make_current(db, row)
    log.info(
        "dispatch model trained",
        extra={
            "version": version,
            "samples": len(inputs.texts),
            "accuracy": model.metrics["accuracy"],
            "current": promote,
        },
    )
    return row


def train_model(
    db: Session,
    *,
    tenant_id: int,
    user_id: int | None = None,
    promote: bool | None = None,
    note: str | None = None,
    examples: tuple[list[str], list[str], list[float]] | None = None,
    source: str = "tickets",
    progress: Progress | None = None,
) -> DispatchModel:
    """Train and save a new version in one session (tests, scripts); background jobs use jobs.run_job."""
    inputs = training_inputs(db, tenant_id, examples)
    model = fit(inputs, progress)
    return store_model(db, inputs, model, user_id=user_id, promote=promote, note=note, source=source)


def edit_thresholds(
    db: Session,
    *,
    tenant_id: int,
    version: int,
    thresholds: dict[str, float | None],
    default_threshold: float | None = None,
    set_default: bool = False,
    user_id: int | None = None,
) -> DispatchModel:
    """Change some labels' auto-dispatch thresholds (None: never auto-dispatch that label)."""
    row = get_model(db, tenant_id, version)
    known = set(row.labels)
    for label, value in thresholds.items():
        if label not in known:
            raise Invalid(f"该模型版本没有类别 {label}", field=f"thresholds.{label}")
        if value is not None and not 0.0 <= value <= 1.0:
            raise Invalid("阈值应在 0 到 1 之间", field=f"thresholds.{label}")
    if set_default and default_threshold is not None and not 0.0 <= default_threshold <= 1.0:
        raise Invalid("阈值应在 0 到 1 之间", field="default_threshold")
    row.thresholds = {
        **row.thresholds,
        **{k: (None if v is None else float(v)) for k, v in thresholds.items()},
    }
    if set_default:
        row.default_threshold = default_threshold
    row.thresholds_updated_at, row.thresholds_updated_by_id = utcnow(), user_id or None
    db.flush()
    log.info("dispatch thresholds edited", extra={"version": version, "labels": sorted(thresholds)})
    return row


def label_names(db: Session, labels: Sequence[str]) -> dict[str, str]:
    """Readable names of model labels: the unit's name, 属地 for the district class."""
    ids = [int(label) for label in labels if label.isdigit()]
    names = dict(db.execute(select(Unit.id, Unit.name).where(Unit.id.in_(ids))).all()) if ids else {}
    return {
        label: "属地区县政府"
        if label == LOCAL
        else names.get(int(label), f"单位{label}")
        if label.isdigit()
        else label
        for label in labels
    }


def _make_current(db: Session, row: DispatchModel) -> None:
    for other in db.scalars(
        select(DispatchModel).where(
            DispatchModel.tenant_id == row.tenant_id, DispatchModel.status == "current"
        )
    ):
        if other.id != row.id:
            other.status = "retired"
    row.status, row.activated_at = "current", utcnow()
    db.flush()


def activate(db: Session, *, tenant_id: int, version: int) -> DispatchModel:
    row = get_model(db, tenant_id, version)
    _make_current(db, row)
    return row


def rollback(db: Session, *, tenant_id: int) -> DispatchModel:
    """Back to the version that was current before this one."""
    current = current_model(db, tenant_id)
    if current is None:
        raise Conflict("没有在用的模型")
    previous = db.scalar(
        select(DispatchModel)
        .where(
            DispatchModel.tenant_id == tenant_id,
            DispatchModel.status == "retired",
            DispatchModel.activated_at.is_not(None),
            DispatchModel.id != current.id,
        )
        .order_by(DispatchModel.activated_at.desc())
    )
    if previous is None:
        raise Conflict("没有可回滚的上一版本")
    _make_current(db, previous)
    current.status = "retired"
    current.activated_at = None  # a rolled-back version is not a rollback target again
    db.flush()
    return previous


def shadow_stats(db: Session, tenant_id: int, model_id: int | None = None) -> dict:
    """How suggestions compared with what people chose: top-1 agreement overall and where it would auto."""
    q = select(DispatchSuggestion).where(
        DispatchSuggestion.tenant_id == tenant_id,
        DispatchSuggestion.agreed.is_not(None),
        DispatchSuggestion.model_id.is_not(None),
    )
    if model_id is not None:
        q = q.where(DispatchSuggestion.model_id == model_id)
    rows = list(db.scalars(q))
    top3 = sum(1 for r in rows if r.chosen_unit_id in [s.get("unit_id") for s in r.suggestions])
    would = [r for r in rows if r.would_auto]
    return {
        "compared": len(rows),
        "agreed": sum(1 for r in rows if r.agreed),
        "agreement": (sum(1 for r in rows if r.agreed) / len(rows)) if rows else None,
        "top3_agreement": (top3 / len(rows)) if rows else None,
        "would_auto": len(would),
        "would_auto_precision": (sum(1 for r in would if r.agreed) / len(would)) if would else None,
        "auto_dispatched": sum(1 for r in rows if r.auto),
    }


def set_auto_dispatch(
    db: Session, *, tenant_id: int, enabled: bool, force: bool = False, user_id: int | None = None
) -> DispatchSettings:
    """Switch auto-dispatch on only after shadow mode showed the current model meets its target."""
    cfg = settings_for(db, tenant_id)
    if enabled and not force:
        current = current_model(db, tenant_id)
        if current is None:
            raise Conflict("没有在用的模型，不能开启自动派单")
        stats = shadow_stats(db, tenant_id, current.id)
        if stats["compared"] < SHADOW_MIN:
            raise Conflict(
                f"影子运行对比不足 {SHADOW_MIN} 单（当前 {stats['compared']} 单），暂不能开启自动派单"
            )
        precision = stats["would_auto_precision"]
        if precision is not None and precision < cfg.target_precision - 0.02:
            raise Conflict(f"影子运行中达到阈值的建议准确率 {precision:.1%} 低于目标，暂不能开启自动派单")
    cfg.auto_dispatch, cfg.updated_at, cfg.updated_by_id = enabled, utcnow(), user_id or None
    db.flush()
    return cfg


# ------------------------------------------------------------------------------ suggestions
def suggest(
    db: Session,
    *,
    tenant_id: int,
    text: str,
    district: str | None = None,
    address: str | None = None,
    exclude_unit_ids: Sequence[int] = (),
) -> tuple[Decision, DispatchModel]:
    row = current_model(db, tenant_id)
    if row is None:
        raise Conflict("尚未训练派单模型（hotline dispatch train）")
    with SUGGEST_SECONDS.time():
        model = load_model(db, row)
        place = extract_place(" ".join(p for p in (district, address, text) if p))
        exclude = [str(u) for u in exclude_unit_ids]
        decision = decide(
            model,
            text,
            place=place,
            catalogue=catalogue(db, tenant_id),
            resolve=_resolver(db),
            exclude=exclude,
            thresholds=row.thresholds,
            default_threshold=row.default_threshold,
        )
    # a returned unit is never suggested again, even when it is the district government
    top_label = decision.top.label if decision.top else None
    decision.suggestions = [s for s in decision.suggestions if s.unit_id not in set(exclude_unit_ids)]
    if not decision.suggestions or decision.suggestions[0].label != top_label:
        decision.auto = False
    return decision, row


def suggest_for_ticket(db: Session, ticket_id: int, *, record: bool = True) -> tuple[Decision, DispatchModel]:
    from models.tickets import Ticket

    ticket = db.get(Ticket, ticket_id)
    if ticket is None:
        raise NotFound("工单不存在", field="ticket_id")
    tenant_id = root_tenant_id(db, ticket.tenant_id)
    excluded = returned_units(db, [ticket.id]).get(ticket.id, set())
    decision, row = suggest(
        db,
        tenant_id=tenant_id,
        text=ticket_text(ticket.title, ticket.content, ticket.address),
        district=ticket.district,
        address=ticket.address,
        exclude_unit_ids=sorted(excluded),
    )
    if record:
        top = decision.top
        db.add(
            DispatchSuggestion(
                tenant_id=tenant_id,
                ticket_id=ticket.id,
                model_id=row.id,
                suggestions=decision.as_dict()["suggestions"],
                top_unit_id=top.unit_id if top else None,
                confidence=top.confidence if top else 0.0,
                threshold=decision.threshold,
                would_auto=decision.auto,
                district=decision.district,
            )
        )
        db.flush()
    return decision, row


def auto_dispatch(db: Session, ticket_id: int) -> DispatchSuggestion | None:
    """After accept: suggest; dispatch by itself if enabled and sure (else shadow: suggest only)."""
    from models.tickets import Ticket
    from tickets import service as tickets

    ticket = db.get(Ticket, ticket_id)
    if ticket is None or ticket.state not in ("accepted", "to_dispatch"):
        return None
    tenant_id = root_tenant_id(db, ticket.tenant_id)
    model = considering_model(db, tenant_id)
    model_id = model.id if model else None
    if considered(db, ticket_id, model_id):  # once per model version (enqueue and poll may both come)
        return None
    if model is None:  # marks the ticket as seen without a model; a later model considers it again
        db.add(DispatchSuggestion(tenant_id=tenant_id, ticket_id=ticket_id, model_id=None, suggestions=[]))
        db.flush()
        SUGGESTIONS.labels("no_model").inc()
        return None
    decision, row = suggest_for_ticket(db, ticket_id, record=True)
    suggestion = db.scalar(
        select(DispatchSuggestion)
        .where(DispatchSuggestion.ticket_id == ticket_id)
        .order_by(DispatchSuggestion.id.desc())
    )
    enabled = settings_for(db, tenant_id).auto_dispatch
    if not (decision.auto and enabled and decision.top.source == "model"):
        SUGGESTIONS.labels("shadow" if decision.auto else "suggest").inc()
        return suggestion
    top = decision.top
    tickets.apply_action(
        db,
        tickets.system_scope(db, AUTO_ACTOR),
        ticket_id,
        "dispatch",
        actor_label=AUTO_ACTOR,
        lead_unit_id=top.unit_id,
        model_version=f"v{row.version}",
        confidence=round(top.confidence, 4),
        note=f"智能派单 v{row.version}，置信度 {top.confidence:.0%}：" + "；".join(top.reasons[:2]),
    )
    suggestion.auto = True
    db.flush()
    SUGGESTIONS.labels("auto").inc()
    log.info(
        "auto-dispatched", extra={"ticket": ticket_id, "unit": top.unit_id, "confidence": top.confidence}
    )
    return suggestion


def considering_model(db: Session, tenant_id: int) -> DispatchModel | None:
    """The model new tickets are considered by: the current one, or None while none is trained."""
    return current_model(db, tenant_id)


def by_model(model_id: int | None):
    """Suggestion rows made by this model version (None: those recorded while there was no model)."""
    column = DispatchSuggestion.model_id
    return column.is_(None) if model_id is None else column == model_id


def considered(db: Session, ticket_id: int, model_id: int | None) -> bool:
    return (
        db.scalar(
            select(DispatchSuggestion.id).where(DispatchSuggestion.ticket_id == ticket_id, by_model(model_id))
        )
        is not None
    )


def _resolve_suggestion(db: Session, ticket_id: int, unit_id: int, when: datetime | None = None) -> None:
    for s in db.scalars(
        select(DispatchSuggestion).where(
            DispatchSuggestion.ticket_id == ticket_id,
            DispatchSuggestion.agreed.is_(None),
            DispatchSuggestion.model_id.is_not(None),
        )
    ):
        s.chosen_unit_id, s.agreed, s.resolved_at = unit_id, s.top_unit_id == unit_id, when or utcnow()


def sync_outcomes(db: Session, *, limit: int = 5000) -> int:
    """Compare open suggestions with what happened (shadow statistics).

    Suggest-only: the first human dispatch is the people's choice. Auto-dispatched: a return by the
    unit disagrees, the ticket answered by it agrees.
    """
    from models.tickets import Ticket, TicketEvent

    pending = list(
        db.scalars(
            select(DispatchSuggestion)
            .where(DispatchSuggestion.agreed.is_(None), DispatchSuggestion.model_id.is_not(None))
            .limit(limit)
        )
    )
    n = 0
    for s in pending:
        if s.auto:
            ticket = db.get(Ticket, s.ticket_id)
            returned = returned_units(db, [s.ticket_id]).get(s.ticket_id, set())
            if s.top_unit_id in returned:
                s.chosen_unit_id, s.agreed, s.resolved_at = None, False, utcnow()
                n += 1
            elif ticket is not None and ticket.state in FINAL_STATES and ticket.lead_unit_id == s.top_unit_id:
                s.chosen_unit_id, s.agreed, s.resolved_at = s.top_unit_id, True, utcnow()
                n += 1
            continue
        event = db.scalar(
            select(TicketEvent)
            .where(
                TicketEvent.ticket_id == s.ticket_id,
                TicketEvent.action == "dispatch",
                TicketEvent.unit_id.is_not(None),
                TicketEvent.actor_label != AUTO_ACTOR,
            )
            .order_by(TicketEvent.id)
        )
        if event is not None:
            s.chosen_unit_id, s.agreed, s.resolved_at = (
                event.unit_id,
                s.top_unit_id == event.unit_id,
                event.created_at,
            )
            n += 1
    db.flush()
    return n


def model_for_export(row: DispatchModel) -> dict:
    return {
        "id": row.id,
        "version": row.version,
        "status": row.status,
        "source": row.source,
        "n_samples": row.n_samples,
        "labels": len(row.labels),
        "thresholds": row.thresholds,
        "default_threshold": row.default_threshold,
        "target_precision": row.target_precision,
        "metrics": row.metrics,
        "note": row.note,
        "created_at": row.created_at,
        "activated_at": row.activated_at,
        "thresholds_updated_at": row.thresholds_updated_at,
        "thresholds_updated_by_id": row.thresholds_updated_by_id,
    }
