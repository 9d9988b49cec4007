"""`hotline kb ...`: 知识库：导入、重建索引、评测."""

from __future__ import annotations

import typer

app = typer.Typer(help="知识库：导入、重建索引、评测", no_args_is_help=True)
