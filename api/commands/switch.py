"""`hotline switch ...`: 话务：控制器与模拟器."""

from __future__ import annotations

import typer

app = typer.Typer(help="话务：控制器与模拟器", no_args_is_help=True)
