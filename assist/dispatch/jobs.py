"""Training jobs: a model version trained in the background (Celery, the CLI or the nightly run), with
its status and progress by stage in `dispatch_training_jobs` so the admin page can follow it.

One job at a time per tenant: `active_tenant_id` is unique and set only while a job is queued or
running. The fit runs outside any transaction; progress is written in short transactions of its own.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable
from datetime import timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from assist.dispatch import service
from assist.dispatch.training import overall
from models.db import session_scope, utcnow
from models.dispatch import DispatchModel, TrainingJob
from models.errors import Conflict, DomainError, NotFound

log = logging.getLogger("hotline.dispatch")

ACTIVE = ("queued", "running")
# a running job that has not reported progress for this long lost its worker (killed, machine down)
STALE_AFTER = timedelta(minutes=30)
REPORT_EVERY = 1.0  # seconds between progress writes within one stage

STAGE_TEXT = {
    "queued": "排队等待后台任务进程",
    "load": "读取历史工单",
    "vectorise": "文本向量化",
    "cross_validate": "交叉验证",
    "calibrate": "置信度校准",
    "thresholds": "选择自动派单阈值",
    "save": "保存模型",
    "done": "完成",
    "failed": "失败",
}


def active_job(db: Session, tenant_id: int) -> TrainingJob | None:
    return db.scalar(select(TrainingJob).where(TrainingJob.active_tenant_id == tenant_id))


def release_stale(db: Session, tenant_id: int) -> None:
    """A job whose worker died (or that no worker took) never finishes by itself: record it as failed."""
    job = active_job(db, tenant_id)
    if job is None or job.updated_at >= utcnow() - STALE_AFTER:
        return
    if job.status == "running":
        _fail(job, "训练任务中断（后台任务进程长时间无进度），请重新训练")
    else:
        _fail(job, "后台任务进程长时间未接手训练任务（请确认 worker 在处理 dispatch 队列），请重新训练")
    db.flush()


def start_job(
    db: Session,
    *,
    tenant_id: int,
    user_id: int | None = None,
    note: str | None = None,
    promote: bool | None = None,
    source: str = "api",
) -> TrainingJob:
    """Record a queued job; 409 while another one is queued or running for the tenant."""
    release_stale(db, tenant_id)
    busy = active_job(db, tenant_id)
    if busy is not None:
        raise _busy(busy)
    job = TrainingJob(
        tenant_id=tenant_id,
        active_tenant_id=tenant_id,
        token=uuid.uuid4().hex,
        status="queued",
        stage="queued",
        progress=0.0,
        source=source,
        note=note,
        promote=promote,
        created_by_id=user_id or None,
    )
    db.add(job)
    try:
        db.flush()
    except IntegrityError:  # another request started one between our check and insert
        db.rollback()
        raise _busy(active_job(db, tenant_id)) from None
    return job


def _busy(job: TrainingJob | None) -> Conflict:
    extra = {"job_id": job.id} if job is not None else {}
    return Conflict("已有训练任务在进行中，请等待其完成", field="job", **extra)


def get_job(db: Session, tenant_id: int, job_id: int) -> TrainingJob:
    job = db.get(TrainingJob, job_id)
    if job is None or job.tenant_id != tenant_id:
        raise NotFound("训练任务不存在", field="job_id")
    return job


def list_jobs(db: Session, tenant_id: int, limit: int = 20) -> list[TrainingJob]:
    return list(
        db.scalars(
            select(TrainingJob)
            .where(TrainingJob.tenant_id == tenant_id)
            .order_by(TrainingJob.id.desc())
            .limit(limit)
        )
    )


def discard(db: Session, job: TrainingJob) -> None:
    """The job could not be queued: it never existed (a failed request changes nothing)."""
    db.delete(job)
    db.flush()


def eta_seconds(job: TrainingJob) -> float | None:
    """Remaining time at the pace so far (None until there is some progress to go by)."""
    if job.status != "running" or job.started_at is None or job.progress < 0.05:
        return None
    elapsed = (job.updated_at - job.started_at).total_seconds()
    since_report = (utcnow() - job.updated_at).total_seconds()
    return max(elapsed * (1 - job.progress) / job.progress - since_report, 0.0)


def _fail(job: TrainingJob, error: str) -> None:
    job.status, job.stage, job.error = "failed", "failed", error[:2000]
    job.finished_at = job.updated_at = utcnow()
    job.active_tenant_id = None


# ------------------------------------------------------------------------------ running a job
Hook = Callable[[str, float], None]  # (stage, overall fraction): the CLI's progress bar


def _claim(db: Session, job_id: int, token: str) -> bool:
    """queued → running, atomically (a redelivered message after a crash may take over a stale run)."""
    now = utcnow()
    claimed = db.execute(
        update(TrainingJob)
        .where(
            TrainingJob.id == job_id,
            TrainingJob.token == token,
            or_(
                TrainingJob.status == "queued",
                (TrainingJob.status == "running") & (TrainingJob.updated_at < now - STALE_AFTER),
            ),
        )
        .values(status="running", stage="load", progress=0.0, started_at=now, updated_at=now)
    )
    return claimed.rowcount == 1


def _reporter(factory: sessionmaker[Session], job_id: int, hook: Hook | None) -> Callable[[str, float], None]:
    last = {"stage": None, "at": 0.0}

    def report(stage: str, fraction: float) -> None:
        now = time.monotonic()
        if stage != last["stage"] or now - last["at"] >= REPORT_EVERY:
            last.update(stage=stage, at=now)
            with session_scope(factory) as db:
                db.execute(
                    update(TrainingJob)
                    .where(TrainingJob.id == job_id, TrainingJob.status == "running")
                    .values(stage=stage, progress=round(fraction, 4), updated_at=utcnow())
                )
        if hook is not None:
            hook(stage, fraction)

    return report


def run_job(factory: sessionmaker[Session], job_id: int, token: str, hook: Hook | None = None) -> str:
    """Run a queued job to its end. Returns "succeeded", "failed", "missing" (no such job in this
    database: the message was meant for another one) or "skipped" (already taken or finished)."""
    with session_scope(factory) as db:
        job = db.get(TrainingJob, job_id)
        if job is None or job.token != token:
            return "missing"
        if not _claim(db, job_id, token):
            return "skipped"
        tenant_id, user_id, note, promote = job.tenant_id, job.created_by_id, job.note, job.promote
    report = _reporter(factory, job_id, hook)
    try:
        report("load", overall("load", 0.0))
        with session_scope(factory) as db:
            inputs = service.training_inputs(db, tenant_id)
        model = service.fit(inputs, report)
        report("save", overall("save", 0.0))
        with session_scope(factory) as db:
            row = service.store_model(db, inputs, model, user_id=user_id, promote=promote, note=note)
            job = db.get(TrainingJob, job_id)
            job.status, job.stage, job.progress, job.model_id = "succeeded", "done", 1.0, row.id
            job.finished_at = job.updated_at = utcnow()
            job.active_tenant_id = None
        if hook is not None:
            hook("done", 1.0)
        return "succeeded"
    except Exception as exc:
        reason = exc.detail if isinstance(exc, DomainError) else f"训练出错：{type(exc).__name__}: {exc}"
        if not isinstance(exc, DomainError):
            log.exception("dispatch training failed", extra={"job": job_id})
        with session_scope(factory) as db:
            _fail(db.get(TrainingJob, job_id), reason)
        return "failed"


def job_model(db: Session, job: TrainingJob) -> DispatchModel | None:
    return db.get(DispatchModel, job.model_id) if job.model_id else None
