"""`hotline switch ...`: 话务：控制器与模拟器."""

from __future__ import annotations

import asyncio
import logging

import typer

from models.settings import get_settings

app = typer.Typer(help="话务：控制器与模拟器", no_args_is_help=True)
log = logging.getLogger("hotline.switch")


async def _simulate(
    port: int, password: str, calls_per_minute: float, scale: float, extensions: list[str]
) -> None:
    from switch.simulator import EventSocketServer, FreeSwitch
    from switch.simulator.clock import SimClock
    from switch.simulator.traffic import TrafficProfile, generate, register_agents

    settings = get_settings()
    fs = FreeSwitch(SimClock(scale), record_dir=settings.data_dir / "recordings", wav_seconds_cap=30)
    register_agents(fs, extensions)
    server = EventSocketServer(fs, host=settings.esl_host, port=port, password=password)
    await server.start()
    typer.echo(f"FreeSWITCH 模拟器已启动：ESL {settings.esl_host}:{server.port}，时间倍率 {scale}")
    if calls_per_minute > 0:
        await generate(fs, TrafficProfile(calls_per_minute=calls_per_minute))
    else:
        await asyncio.Event().wait()


@app.command()
def simulate(
    port: int = typer.Option(None, help="ESL 端口（默认取设置 esl_port）"),
    calls_per_minute: float = typer.Option(4.0, help="每分钟来电数（泊松到达），0 为不自动呼入"),
    scale: float = typer.Option(1.0, help="模拟时间倍率"),
    extensions: str = typer.Option("8001-8012", help="坐席分机范围，如 8001-8012"),
) -> None:
    """运行 FreeSWITCH 模拟器（真实 ESL 协议）。"""
    settings = get_settings()
    first, _, last = extensions.partition("-")
    exts = [str(n) for n in range(int(first), int(last or first) + 1)]
    asyncio.run(_simulate(port or settings.esl_port, settings.esl_password, calls_per_minute, scale, exts))
