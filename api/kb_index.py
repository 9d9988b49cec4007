"""The API process's knowledge-base search index, and keeping it fresh after changes."""

from __future__ import annotations

import logging

from fastapi import Request
from sqlalchemy.orm import Session

from kb import flows
from kb.search.index import KBIndex, get_index

log = logging.getLogger("hotline.kb")


def kb_index(request: Request) -> KBIndex:
    s = request.app.state.settings
    return get_index(db_url=s.resolved_database_url(), embedder_spec=s.embedder, data_dir=s.data_dir)


def refresh(index: KBIndex, db: Session) -> None:
    """After a committed change: sync the index and get vectors for what lacks them (short: now)."""
    missing = index.sync(db)
    if not missing:
        return
    flows.ensure_embeddings(db, index.embedder, missing, index.requested)
    db.commit()
    index.sync(db)
