"""Celery tasks: auto-dispatch of new tickets, outcome sync for shadow statistics, nightly retraining."""

from __future__ import annotations

import logging
from datetime import timedelta

from celery import Celery, shared_task
from sqlalchemy import select

from assist.dispatch import jobs, service
from models.db import make_engine, make_sessionmaker, session_scope, utcnow
from models.dispatch import DispatchModel, DispatchSuggestion, TrainingJob
from models.errors import DomainError
from models.org import Tenant
from models.settings import get_settings

log = logging.getLogger("hotline.dispatch")

QUEUE = "dispatch"
ACCEPTED = "assist.dispatch.accepted"
TRAIN = "assist.dispatch.train_job"
ENQUEUE_EXPIRES = 600  # seconds


def _factory(url: str | None = None):
    return make_sessionmaker(make_engine(url or get_settings().resolved_database_url()))


def dispatch_new(db, *, since_hours: int = 24, limit: int = 200) -> int:
    """Suggest (and, when enabled and sure, dispatch) every new accepted ticket the tenant's current
    model (or, with none trained, nothing) has not considered yet."""
    from models.tickets import Ticket

    ids: list[int] = []
    roots = list(db.scalars(select(Tenant).where(Tenant.parent_id.is_(None)).order_by(Tenant.id)))
    for root in roots:
        model = service.considering_model(db, root.id)
        seen = select(DispatchSuggestion.ticket_id).where(
            DispatchSuggestion.tenant_id == root.id, service.by_model(model.id if model else None)
        )
        ids += db.scalars(
            select(Ticket.id)
            .where(
                Ticket.state.in_(("accepted", "to_dispatch")),
                Ticket.created_at >= utcnow() - timedelta(hours=since_hours),
                Ticket.tenant_id.in_(select(Tenant.id).where(Tenant.path.startswith(root.path))),
                Ticket.id.not_in(seen),
            )
            .order_by(Ticket.id)
            .limit(limit - len(ids))
        )
    done = 0
    for ticket_id in ids:
        try:
            with db.begin_nested():
                service.auto_dispatch(db, ticket_id)
                from assist.hotspot.service import flag_duplicates

                flag_duplicates(db, ticket_id)
            done += 1
        except DomainError as exc:  # e.g. the ticket moved on meanwhile (409): skip it
            log.info("auto-dispatch skipped", extra={"ticket": ticket_id, "reason": exc.detail})
    return done


@shared_task(name="assist.dispatch.dispatch_new")
def dispatch_new_task(url: str | None = None) -> int:
    with session_scope(_factory(url)) as db:
        return dispatch_new(db)


def process_ticket(db, ticket_id: int) -> bool:
    """One new ticket: suggest / auto-dispatch, then flag duplicates (as one pass of the poll does)."""
    from assist.hotspot.service import flag_duplicates

    try:
        with db.begin_nested():
            suggestion = service.auto_dispatch(db, ticket_id)
            flag_duplicates(db, ticket_id)
    except DomainError as exc:  # the ticket moved on meanwhile (409) or vanished: the poll is the net
        log.info("auto-dispatch skipped", extra={"ticket": ticket_id, "reason": exc.detail})
        return False
    return bool(suggestion and suggestion.auto)


def enqueue_accepted(app: Celery, ticket_id: int, number: str) -> bool:
    """Called by the API after the accept transaction committed. Never fails the request: with no
    broker the 30 s poll (`dispatch_new`) picks the ticket up. The message expires, since a stale one
    is the poll's job anyway. `app` is the configured Celery app, passed explicitly: Celery's current
    app is thread-local, and a request thread would otherwise publish through the default app."""
    try:
        app.send_task(ACCEPTED, args=[ticket_id, number], queue=QUEUE, expires=ENQUEUE_EXPIRES)
        return True
    except Exception:
        log.warning("auto-dispatch not queued", extra={"ticket": ticket_id}, exc_info=True)
        return False


@shared_task(name=ACCEPTED)
def accepted_task(ticket_id: int, number: str, url: str | None = None) -> bool:
    """A ticket just accepted: dispatch it now instead of waiting for the poll."""
    from models.tickets import Ticket

    with session_scope(_factory(url)) as db:
        ticket = db.get(Ticket, ticket_id)
        if ticket is None or ticket.number != number:  # a message for another database: ignore
            log.warning("auto-dispatch: no such ticket", extra={"ticket": ticket_id, "number": number})
            return False
        return process_ticket(db, ticket_id)


@shared_task(name="assist.dispatch.auto_dispatch")
def auto_dispatch_task(ticket_id: int, url: str | None = None) -> bool:
    with session_scope(_factory(url)) as db:
        suggestion = service.auto_dispatch(db, ticket_id)
        return bool(suggestion and suggestion.auto)


@shared_task(name="assist.dispatch.sync_outcomes")
def sync_outcomes_task(url: str | None = None) -> int:
    with session_scope(_factory(url)) as db:
        return service.sync_outcomes(db)


def enqueue_training(app: Celery, job_id: int, token: str) -> bool:
    """Called by the API after the job row committed; False when the broker cannot take it."""
    try:
        app.send_task(TRAIN, args=[job_id, token], queue=QUEUE)
        return True
    except Exception:
        log.warning("training job not queued", extra={"job": job_id}, exc_info=True)
        return False


@shared_task(bind=True, name=TRAIN, max_retries=20)
def train_job_task(self, job_id: int, token: str, url: str | None = None) -> str:
    """A training job queued by the API. A worker on another database (tests share a broker between
    databases) does not find the job and hands the message back for another worker."""
    outcome = jobs.run_job(_factory(url), job_id, token)
    if outcome == "missing" and self.request.retries < self.max_retries:
        raise self.retry(countdown=0.5, queue=QUEUE)
    return outcome


def retrain(
    factory,
    *,
    note: str = "定时重训",
    source: str = "nightly",
    hook: jobs.Hook | None = None,
    promote: bool | None = None,
) -> TrainingJob:
    """Train now, in this process, as a recorded job (the nightly run and the CLI)."""
    with session_scope(factory) as db:
        root = db.scalar(select(Tenant.id).where(Tenant.parent_id.is_(None)).order_by(Tenant.id))
        service.sync_outcomes(db)
        job = jobs.start_job(db, tenant_id=root, note=note, source=source, promote=promote)
        job_id, token = job.id, job.token
    jobs.run_job(factory, job_id, token, hook)
    with session_scope(factory) as db:
        job = db.get(TrainingJob, job_id)
        db.expunge(job)
        return job


@shared_task(name="assist.dispatch.retrain")
def retrain_task(url: str | None = None) -> int | None:
    """Nightly: a new version from the history; it becomes current only if not worse."""
    factory = _factory(url)
    try:
        job = retrain(factory)
    except DomainError as exc:  # a job started from the page is still running
        log.warning("dispatch retrain skipped", extra={"reason": exc.detail})
        return None
    if job.status != "succeeded":
        log.warning("dispatch retrain failed", extra={"reason": job.error})
        return None
    with session_scope(factory) as db:
        return db.get(DispatchModel, job.model_id).version
