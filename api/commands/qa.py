"""`hotline qa ...`: 质检：打分."""

from __future__ import annotations

import typer

app = typer.Typer(help="质检：打分", no_args_is_help=True)
