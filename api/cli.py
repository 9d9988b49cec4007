"""`hotline`: the command line for every operator task."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated

import typer

from api.commands import asr, dispatch, kb, qa, switch, tickets
from models.settings import get_settings

app = typer.Typer(help="12345 政务服务便民热线平台命令行", no_args_is_help=True)
user_app = typer.Typer(help="用户管理", no_args_is_help=True)
units_app = typer.Typer(help="承办单位", no_args_is_help=True)
app.add_typer(user_app, name="user")
app.add_typer(units_app, name="units")
app.add_typer(switch.app, name="switch")
app.add_typer(kb.app, name="kb")
app.add_typer(asr.app, name="asr")
app.add_typer(qa.app, name="qa")
app.add_typer(dispatch.app, name="dispatch")
app.add_typer(tickets.app, name="tickets")


def _sessionmaker():
    from models.db import make_engine, make_sessionmaker

    return make_sessionmaker(make_engine(get_settings().resolved_database_url()))


@app.command("init-db")
def init_db() -> None:
    """创建或升级数据库结构（Alembic 迁移）。"""
    from models.migrate import upgrade

    url = get_settings().resolved_database_url()
    upgrade(url)
    typer.echo(f"数据库已就绪：{url.split('@')[-1]}")


@app.command("demo")
def demo() -> None:
    """加载演示数据（南宁市中心、15 个工作站、成员单位、各角色用户等；可重复执行）。"""
    from api.demo import DEMO_PASSWORD, load_demo
    from models.db import session_scope

    with session_scope(_sessionmaker()) as db:
        counts = load_demo(db)
    typer.echo(json.dumps(counts, ensure_ascii=False))
    typer.echo(f"演示账号密码：{DEMO_PASSWORD}（admin、dispatcher、agent01 …）")


@user_app.command("create")
def user_create(
    username: str,
    full_name: Annotated[str, typer.Option("--name", help="姓名")],
    password: Annotated[str, typer.Option(prompt=True, hide_input=True)],
    roles: Annotated[list[str], typer.Option("--role", help="角色，可多次指定")],
    tenant: Annotated[str, typer.Option(help="租户编码")] = "NN",
    unit: Annotated[str | None, typer.Option(help="单位名称")] = None,
    agent_number: Annotated[str | None, typer.Option(help="工号")] = None,
) -> None:
    """创建用户。"""
    from sqlalchemy import select

    from api import org_service
    from models.db import session_scope
    from models.errors import DomainError
    from models.org import Tenant, Unit

    with session_scope(_sessionmaker()) as db:
        t = db.scalar(select(Tenant).where(Tenant.code == tenant))
        if t is None:
            raise typer.BadParameter(f"租户 {tenant} 不存在", param_hint="--tenant")
        unit_id = None
        if unit:
            u = db.scalar(select(Unit).where(Unit.name == unit))
            if u is None:
                raise typer.BadParameter(f"单位 {unit} 不存在", param_hint="--unit")
            unit_id = u.id
        try:
            user = org_service.create_user(
                db,
                username=username,
                full_name=full_name,
                password=password,
                tenant_id=t.id,
                roles=roles,
                unit_id=unit_id,
                agent_number=agent_number,
            )
        except (DomainError, ValueError) as exc:
            typer.echo(f"创建失败：{exc}", err=True)
            raise typer.Exit(2) from exc
        typer.echo(f"已创建用户 {user.username}（id={user.id}）")


@units_app.command("import")
def units_import(path: Path, tenant: Annotated[str, typer.Option(help="租户编码")] = "NN") -> None:
    """从 xlsx 导入承办单位（列：编码、名称、简称、类型、上级编码、区县、职责、电话、地址、办公时间）。"""
    from api.units_import import import_units_xlsx
    from models.db import session_scope

    with session_scope(_sessionmaker()) as db:
        report = import_units_xlsx(db, path, tenant_code=tenant)
    typer.echo(json.dumps(report, ensure_ascii=False, indent=1))


@app.command("serve")
def serve(
    host: Annotated[str | None, typer.Option()] = None,
    port: Annotated[int | None, typer.Option()] = None,
    workers: int = 1,
) -> None:
    """启动 API 与网页（uvicorn）。"""
    import uvicorn

    from models.logging import configure_logging

    s = get_settings()
    configure_logging(s.log_level, json_lines=s.log_json, service="api")
    uvicorn.run(
        "api.app:create_app",
        factory=True,
        host=host or s.api_host,
        port=port or s.api_port,
        workers=workers,
        log_config=None,
    )


@app.command("worker")
def worker(concurrency: int = 2, queues: str = "default,asr,kb,dispatch", beat: bool = False) -> None:
    """启动 Celery 后台任务进程（转写、索引、时限巡检等）。"""
    from api.worker import celery_app

    argv = ["worker", "--loglevel=INFO", f"--concurrency={concurrency}", f"--queues={queues}"]
    if beat:
        # the schedule state lives with the other data, not in the working directory
        data_dir = get_settings().data_dir
        data_dir.mkdir(parents=True, exist_ok=True)
        argv += ["--beat", f"--schedule={data_dir / 'celerybeat-schedule'}"]
    celery_app.worker_main(argv)


@app.command("up")
def up(
    port: Annotated[int, typer.Option(help="网页与接口端口")] = 8000,
    simulate: Annotated[bool, typer.Option(help="启动话务模拟器并产生演示来电")] = True,
) -> None:
    """嵌入式一键启动：SQLite + 内置 Redis + 话务模拟器 + 演示数据 + 网页。"""
    from api.launcher import run_embedded

    run_embedded(port=port, simulate=simulate)


@app.command("version")
def version() -> None:
    """显示版本。"""
    from importlib.metadata import version as v

    typer.echo(v("hotline12345"))


def main() -> None:  # pragma: no cover
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
