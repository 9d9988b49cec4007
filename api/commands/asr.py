"""`hotline asr ...`: 语音转写：评测与批量转写."""

from __future__ import annotations

import typer

app = typer.Typer(help="语音转写：评测与批量转写", no_args_is_help=True)
