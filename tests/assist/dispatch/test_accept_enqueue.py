"""Acceptance through the API enqueues auto-dispatch at once (real worker over RabbitMQ, PostgreSQL)."""

import time

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.demo import DEMO_PASSWORD
from assist.dispatch import service
from models.dispatch import DispatchModel
from models.org import Tenant

from .helpers import build_history, unit_id


def _sure_model(db: Session, root: int) -> DispatchModel:
    """A model trained on the history, its thresholds lowered so a plain ticket is 'sure'."""
    row = service.train_model(db, tenant_id=root, promote=True, note="accept-enqueue test")
    model = service.load_model(db, row)
    model.thresholds = {label: 0.3 for label in model.labels}
    model.default_threshold = 0.3
    row.blob, row.thresholds, row.default_threshold = service._dump(model), model.thresholds, 0.3
    service._MODELS.clear()
    return row


def test_accept_auto_dispatches_within_seconds(celery_worker, pg_url, settings_factory):
    from api.app import create_app

    app = create_app(settings_factory(pg_url))
    with Session(app.state.engine, expire_on_commit=False) as db:
        root = db.scalar(select(Tenant.id).where(Tenant.parent_id.is_(None)))
        build_history(db)
        row = _sure_model(db, root)
        service.set_auto_dispatch(db, tenant_id=root, enabled=True, force=True)
        db.commit()
        edu = unit_id(db, "南宁市教育局")
    try:
        with TestClient(app, raise_server_exceptions=False) as client:
            token = client.post(
                "/api/auth/token", data={"username": "agent01", "password": DEMO_PASSWORD}
            ).json()["access_token"]
            headers = {"Authorization": f"Bearer {token}"}
            r = client.post(
                "/api/tickets",
                json={
                    "channel": "web",
                    "appeal_type": "complaint",
                    "title": "校外培训乱收费",
                    "content": "孩子上的校外培训机构乱收费，学校也违规收取补课费",
                },
                headers=headers,
            )
            assert r.status_code == 201, r.text
            tid = r.json()["id"]
            deadline, events = time.monotonic() + 15, []
            while time.monotonic() < deadline:
                events = client.get(f"/api/tickets/{tid}/timeline", headers=headers).json()
                if any(e["action"] == "dispatch" for e in events):
                    break
                time.sleep(0.3)
            waited = 15 - (deadline - time.monotonic())
            dispatch = [e for e in events if e["action"] == "dispatch"]
            assert dispatch, (events, celery_worker.log_path.read_text()[-3000:])
            assert dispatch[0]["actor_label"] == "auto-dispatch"
            assert f"v{row.version}" in (dispatch[0]["note"] or "") + str(dispatch[0].get("payload"))
            assert waited < 10  # the 30 s poll is not running here: this was the enqueue
            ticket = client.get(f"/api/tickets/{tid}", headers=headers).json()
            assert ticket["lead_unit_id"] == edu and ticket["state"] == "to_sign"
    finally:
        # the session database is shared with other worker tests: leave auto-dispatch off, no model
        with Session(app.state.engine) as db:
            service.set_auto_dispatch(db, tenant_id=root, enabled=False)
            db.get(DispatchModel, row.id).status = "retired"
            db.commit()
        service._MODELS.clear()
        app.state.engine.dispose()
