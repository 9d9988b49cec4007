"""Demo data for QA: the centre starts with the default rules and the 5 % review policy (idempotent)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from assist.qa import service
from models.org import Tenant


def load_demo(db: Session) -> None:
    centre = db.scalar(select(Tenant).where(Tenant.parent_id.is_(None)).order_by(Tenant.id))
    if centre is None:
        return
    service.ensure_default_rules(db, centre.id)
    service.get_policy(db, centre.id)
