"""Duplicates, merges and the daily hot-issue list over the ticket tables. Never commits."""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from assist.dispatch.service import ticket_text
from assist.hotspot.documents import Doc, make_doc
from assist.hotspot.duplicates import WINDOW, find_duplicates
from assist.hotspot.mining import mine
from models.db import utcnow
from models.dispatch import DuplicateFlag, HotspotAlert, HotspotReport, TicketMerge
from models.errors import Conflict, DomainError, Invalid, NotFound
from models.org import Tenant, Unit
from models.scope import Scope
from models.settings import get_settings

log = logging.getLogger("hotline.hotspot")

CLOSED = ("closed", "withdrawn")
MERGE_ACTOR = "并案"


def _tickets():
    from models.tickets import Ticket

    return Ticket


def _subtree(db: Session, tenant_id: int):
    tenant = db.get(Tenant, tenant_id)
    return select(Tenant.id).where(Tenant.path.startswith(tenant.path))


def _doc(t) -> Doc:
    return make_doc(t.id, ticket_text(t.title, t.content, t.address), t.created_at, t.district)


def merged_ids(db: Session) -> set[int]:
    return set(db.scalars(select(TicketMerge.merged_ticket_id)))


def open_docs(db: Session, tenant_id: int, *, around: datetime, window: timedelta = WINDOW) -> list[Doc]:
    Ticket = _tickets()
    rows = db.scalars(
        select(Ticket).where(
            Ticket.state.not_in(CLOSED),
            Ticket.tenant_id.in_(_subtree(db, tenant_id)),
            Ticket.created_at >= around - window,
            Ticket.created_at <= around + window,
        )
    )
    skip = merged_ids(db)
    return [_doc(t) for t in rows if t.id not in skip]


def flag_duplicates(db: Session, ticket_id: int) -> list[DuplicateFlag]:
    """Flag open tickets that look like the same appeal as `ticket_id` (same place and matter)."""
    Ticket = _tickets()
    ticket = db.get(Ticket, ticket_id)
    if ticket is None:
        raise NotFound("工单不存在", field="ticket_id")
    root = _root(db, ticket.tenant_id)
    candidates = find_duplicates(_doc(ticket), open_docs(db, root, around=ticket.created_at))
    have = set(db.scalars(select(DuplicateFlag.candidate_id).where(DuplicateFlag.ticket_id == ticket_id)))
    out = []
    for c in candidates:
        if c.ticket_id in have:
            continue
        flag = DuplicateFlag(
            tenant_id=root,
            ticket_id=ticket_id,
            candidate_id=c.ticket_id,
            score=c.score,
            reason=c.reason[:255],
        )
        db.add(flag)
        out.append(flag)
    db.flush()
    return out


def duplicates_of(db: Session, ticket_id: int) -> list[DuplicateFlag]:
    return list(
        db.scalars(
            select(DuplicateFlag)
            .where((DuplicateFlag.ticket_id == ticket_id) | (DuplicateFlag.candidate_id == ticket_id))
            .order_by(DuplicateFlag.score.desc())
        )
    )


def dismiss(db: Session, flag_id: int) -> DuplicateFlag:
    flag = db.get(DuplicateFlag, flag_id)
    if flag is None:
        raise NotFound("并案提示不存在")
    if flag.status != "open":
        raise Conflict("该并案提示已处理")
    flag.status = "dismissed"
    db.flush()
    return flag


def _root(db: Session, tenant_id: int) -> int:
    tenant = db.get(Tenant, tenant_id)
    return int(tenant.path.strip("/").split("/")[0])


def merge(
    db: Session, scope: Scope, *, primary_id: int, merged_id: int, note: str | None = None
) -> TicketMerge:
    """Merge `merged_id` into `primary_id` (并案): it follows the primary's dispatch and answer."""
    from tickets import service as tickets

    if primary_id == merged_id:
        raise Invalid("不能与自身并案", field="merged_ticket_id")
    Ticket = _tickets()
    primary = db.get(Ticket, primary_id, with_for_update=True)
    merged = db.get(Ticket, merged_id, with_for_update=True)
    if primary is None or merged is None:
        raise NotFound("工单不存在", field="merged_ticket_id" if primary else "primary_ticket_id")
    for t in (primary, merged):
        scope.check_tenant(t.tenant_id)
        if t.state in CLOSED:
            raise Conflict(f"工单 {t.number} 已办结或撤单，不能并案")
    taken = db.scalar(select(TicketMerge).where(TicketMerge.merged_ticket_id.in_([merged_id, primary_id])))
    if taken is not None:
        raise Conflict("工单已并入其他工单")
    if db.scalar(select(TicketMerge.id).where(TicketMerge.primary_ticket_id == merged_id)):
        raise Conflict("该工单已是其他工单的并案主单，请反向并案")
    row = TicketMerge(
        tenant_id=_root(db, primary.tenant_id),
        primary_ticket_id=primary_id,
        merged_ticket_id=merged_id,
        note=note,
        merged_by_id=scope.user_id or None,
    )
    db.add(row)
    for flag in db.scalars(
        select(DuplicateFlag).where(
            ((DuplicateFlag.ticket_id == merged_id) & (DuplicateFlag.candidate_id == primary_id))
            | ((DuplicateFlag.ticket_id == primary_id) & (DuplicateFlag.candidate_id == merged_id))
        )
    ):
        flag.status = "merged"
    now = utcnow()
    who = scope.full_name
    tickets.record_system_event(
        db, primary, action="merge", label=who, now=now, payload={"merged": merged.number, "note": note}
    )
    tickets.record_system_event(
        db, merged, action="merge", label=who, now=now, payload={"into": primary.number, "note": note}
    )
    db.flush()
    sync_merge(db, row)
    return row


def merges_of(db: Session, ticket_id: int) -> list[TicketMerge]:
    return list(
        db.scalars(
            select(TicketMerge).where(
                (TicketMerge.primary_ticket_id == ticket_id) | (TicketMerge.merged_ticket_id == ticket_id)
            )
        )
    )


def _unit_scope(db: Session, unit_id: int) -> Scope:
    """The primary's lead unit acting on the merged ticket (system actor labelled 并案)."""
    unit = db.get(Unit, unit_id)
    return Scope(
        user_id=0,
        username=MERGE_ACTOR,
        full_name=MERGE_ACTOR,
        tenant_id=unit.tenant_id,
        tenant_ids=frozenset({unit.tenant_id}),
        unit_id=unit.id,
        roles=frozenset({"unit_handler"}),
        unit_ids=frozenset({unit.id}),
    )


def sync_merge(db: Session, row: TicketMerge) -> bool:
    """Bring a merged ticket along with its primary: the same lead unit, then the same answer."""
    from tickets import service as tickets

    Ticket = _tickets()
    primary, merged = db.get(Ticket, row.primary_ticket_id), db.get(Ticket, row.merged_ticket_id)
    if row.answered or primary is None or merged is None or merged.state in CLOSED:
        return False
    changed = False
    label = f"{MERGE_ACTOR}（主单 {primary.number}）"
    if merged.state in ("accepted", "to_dispatch") and primary.lead_unit_id:
        tickets.apply_action(
            db,
            tickets.system_scope(db, MERGE_ACTOR),
            merged.id,
            "dispatch",
            actor_label=label,
            lead_unit_id=primary.lead_unit_id,
            instructions=f"与工单 {primary.number} 并案办理",
        )
        changed = True
    if (
        primary.answer
        and primary.state in ("answered", "to_revisit", "to_close", "closed")
        and merged.lead_unit_id == primary.lead_unit_id
        and merged.state in ("to_sign", "handling")
    ):
        unit_scope = _unit_scope(db, merged.lead_unit_id)
        if merged.state == "to_sign":
            tickets.apply_action(db, unit_scope, merged.id, "sign", actor_label=label)
        tickets.apply_action(
            db,
            unit_scope,
            merged.id,
            "answer",
            actor_label=label,
            content=f"本件与工单 {primary.number} 并案办理，答复如下：{primary.answer}",
            handler_name=MERGE_ACTOR,
            handled_at=primary.answered_at or utcnow(),
            method="并案答复",
        )
        row.answered = True
        changed = True
    db.flush()
    return changed


def sync_merges(db: Session) -> int:
    return sum(
        sync_merge(db, row) for row in db.scalars(select(TicketMerge).where(TicketMerge.answered.is_(False)))
    )


# ------------------------------------------------------------------------------ hotspots
def build_report(
    db: Session,
    *,
    tenant_id: int,
    day: date | None = None,
    window_days: int = 7,
    baseline_days: int = 28,
    created: list[HotspotAlert] | None = None,
) -> HotspotReport:
    """The hot-issue list for `day` (local calendar), replacing that day's earlier one; surges alert.

    New surge alerts are appended to `created`, for the caller to announce after its commit."""
    Ticket = _tickets()
    tz = ZoneInfo(get_settings().timezone)
    day = day or datetime.now(tz).date()
    now = datetime.combine(day + timedelta(days=1), time(0), tz).astimezone(UTC)
    since = now - timedelta(days=window_days + baseline_days)
    rows = db.scalars(
        select(Ticket).where(
            Ticket.tenant_id.in_(_subtree(db, tenant_id)), Ticket.created_at >= since, Ticket.created_at < now
        )
    )
    docs = [_doc(t) for t in rows]
    hot = mine(docs, now=now, window_days=window_days, baseline_days=baseline_days)
    report = db.scalar(
        select(HotspotReport).where(HotspotReport.tenant_id == tenant_id, HotspotReport.day == day)
    )
    if report is None:
        report = HotspotReport(tenant_id=tenant_id, day=day)
        db.add(report)
    report.window_days, report.generated_at = window_days, utcnow()
    report.n_tickets = sum(1 for d in docs if d.created_at >= now - timedelta(days=window_days))
    report.items = [h.__dict__ for h in hot]
    db.flush()
    known = {
        (a.topic, a.district)
        for a in db.scalars(select(HotspotAlert).where(HotspotAlert.report_id == report.id))
    }
    for h in hot:
        if h.surge and (h.topic, h.district) not in known:
            alert = HotspotAlert(
                tenant_id=tenant_id,
                report_id=report.id,
                topic=h.topic,
                district=h.district,
                recent=h.recent,
                burst=h.burst,
                ticket_ids=h.ticket_ids,
            )
            db.add(alert)
            if created is not None:
                created.append(alert)
            log.warning(
                "hotspot surge",
                extra={"topic": h.topic, "district": h.district, "recent": h.recent, "burst": h.burst},
            )
    db.flush()
    return report


def latest_report(db: Session, tenant_id: int, day: date | None = None) -> HotspotReport:
    q = select(HotspotReport).where(HotspotReport.tenant_id == tenant_id)
    q = q.where(HotspotReport.day == day) if day else q.order_by(HotspotReport.day.desc())
    report = db.scalar(q)
    if report is None:
        raise NotFound("暂无热点日报")
    return report


def alerts(db: Session, tenant_id: int, *, open_only: bool = True) -> list[HotspotAlert]:
    q = select(HotspotAlert).where(HotspotAlert.tenant_id == tenant_id)
    if open_only:
        q = q.where(HotspotAlert.acknowledged_at.is_(None))
    return list(db.scalars(q.order_by(HotspotAlert.id.desc())))


def acknowledge(db: Session, *, tenant_id: int, alert_id: int, user_id: int) -> HotspotAlert:
    alert = db.get(HotspotAlert, alert_id)
    if alert is None or alert.tenant_id != tenant_id:
        raise NotFound("预警不存在")
    if alert.acknowledged_at is not None:
        raise Conflict("该预警已确认")
    alert.acknowledged_at, alert.acknowledged_by_id = utcnow(), user_id or None
    db.flush()
    return alert


# ------------------------------------------------------------------------------ revisit / close follow
FOLLOWED = ("revisit", "close")
_VERB = {"revisit": "回访", "close": "办结"}


def follow_primary(db: Session, scope: Scope, primary_id: int, action: str, payload: dict) -> list[int]:
    """A revisit or close of a primary, carried to its merged tickets in the caller's transaction.

    Each merged ticket gets the same action by the same person (its own timeline row, a note naming
    the primary); an answered merged ticket has its answer accepted first. A merged ticket that cannot
    follow (e.g. not answered yet) is left as it is and logged. After a revisit that reopened the
    primary, merged tickets follow its next answer again. Returns the ids of the tickets that followed.
    """
    from tickets import service as tickets

    if action not in FOLLOWED:
        return []
    Ticket = _tickets()
    primary = db.get(Ticket, primary_id)
    rows = list(db.scalars(select(TicketMerge).where(TicketMerge.primary_ticket_id == primary_id)))
    if primary is None or not rows:
        return []
    note = f"与工单 {primary.number} 并案，随主单{_VERB[action]}" + (
        f"：{payload['note']}" if payload.get("note") else ""
    )
    carried = {k: v for k, v in payload.items() if k not in ("note", "attachment_ids")}
    done = []
    for row in rows:
        merged = db.get(Ticket, row.merged_ticket_id)
        if merged is None or merged.state in CLOSED:
            continue
        try:
            with db.begin_nested():
                if merged.state == "answered":
                    tickets.apply_action(db, scope, merged.id, "review-answer", result="accept", note=note)
                tickets.apply_action(db, scope, merged.id, action, note=note, **carried)
        except DomainError as exc:
            log.info(
                "merged ticket did not follow its primary",
                extra={"ticket": merged.id, "primary": primary_id, "action": action, "reason": exc.detail},
            )
            continue
        db.refresh(merged)
        if action == "revisit" and merged.state not in ("to_close", "closed"):
            row.answered = False  # reopened: follow the primary's next answer
        done.append(merged.id)
    db.flush()
    return done
