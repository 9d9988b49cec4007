"""The bottom layer: ORM classes, engine/session factory, migrations, settings.

Importing this package registers every table on `Base.metadata`.
"""

from models import calls, dispatch, idempotency, kb, org, qa, tickets  # noqa: F401
from models.db import Base

__all__ = ["Base"]
