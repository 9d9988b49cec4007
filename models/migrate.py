"""Run Alembic migrations from code (the CLI and the tests use this)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url)
    return cfg


def upgrade(url: str, revision: str = "heads") -> None:
    """Each domain keeps its own branch of revisions off 0001, so upgrade to all heads."""
    command.upgrade(alembic_config(url), revision)


def revision(url: str, message: str, *, rev_id: str | None = None, head: str = "head") -> None:
    """Autogenerate a revision against the database at `url` (upgraded to heads first).

    `head` is the revision the new one follows: "0001" for a domain's first, else that domain's last.
    Read the generated file and keep only your domain's tables.
    """
    from alembic.script import ScriptDirectory

    cfg = alembic_config(url)
    command.upgrade(cfg, "heads")
    # a domain's first revision branches off 0001, which is no longer a head: that is a splice
    splice = head not in ("head", "heads") and head not in ScriptDirectory.from_config(cfg).get_heads()
    command.revision(cfg, message=message, autogenerate=True, rev_id=rev_id, head=head, splice=splice)
