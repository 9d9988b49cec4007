"""`hotline dispatch ...`: 智能派单：训练、评测."""

from __future__ import annotations

import typer

app = typer.Typer(help="智能派单：训练、评测", no_args_is_help=True)
