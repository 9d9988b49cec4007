"""Demo data: the duty catalogue seeded from the demo units' duty summaries (idempotent)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from assist.dispatch.service import seed_duties
from models.org import Tenant


def load_demo(db: Session) -> None:
    root = db.scalar(select(Tenant).where(Tenant.parent_id.is_(None)).order_by(Tenant.id))
    if root is not None:
        seed_duties(db, root.id)
