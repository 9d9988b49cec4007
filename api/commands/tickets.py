"""`hotline tickets ...`: 工单：工作日历、时限预警、向自治区平台推送."""

from __future__ import annotations

import json
from typing import Annotated

import typer

app = typer.Typer(help="工单：工作日历、时限预警、向自治区平台推送", no_args_is_help=True)


def _session():
    from models.db import make_engine, make_sessionmaker, session_scope
    from models.settings import get_settings

    return session_scope(make_sessionmaker(make_engine(get_settings().resolved_database_url())))


@app.command("seed-calendar")
def seed_calendar(years: Annotated[list[int], typer.Argument(help="年份，如 2026 2027")]) -> None:
    """按国务院节假日安排（chinese-calendar）写入某年的放假与调休上班日；手工设置的日子保留。"""
    from tickets import calendar

    with _session() as db:
        for year in years:
            typer.echo(f"{year}: {calendar.seed_year(db, year)} 天")


@app.command("sweep")
def sweep() -> None:
    """立即执行一次时限预警扫描（黄灯、红灯），输出新增预警数。"""
    from tickets import warnings

    with _session() as db:
        typer.echo(json.dumps(warnings.sweep(db), ensure_ascii=False))


@app.command("deliver-outbox")
def deliver_outbox(url: Annotated[str, typer.Option(help="自治区平台接收地址")]) -> None:
    """把未推送的工单变更按顺序推送到自治区平台。"""
    from tickets import outbox

    total = 0
    while True:
        with _session() as db:
            sent = outbox.deliver(db, url)
        total += sent
        if not sent:
            break
    typer.echo(f"已推送 {total} 条")
