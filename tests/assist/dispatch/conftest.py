import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from assist.dispatch import service
from models.org import Tenant

from .helpers import build_history


@pytest.fixture(scope="session")
def trained(app):
    """Ticket history handled by six units, and a model trained from it: (root tenant id, version)."""
    with Session(app.state.engine, expire_on_commit=False) as db:
        build_history(db)
        root = db.scalar(select(Tenant.id).where(Tenant.parent_id.is_(None)))
        row = service.train_model(db, tenant_id=root, promote=True, note="test")
        db.commit()
        return root, row.version
