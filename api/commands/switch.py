"""`hotline switch ...`: 话务：控制器与模拟器."""

from __future__ import annotations

import asyncio
import logging

import typer

from models.settings import get_settings

app = typer.Typer(help="话务：控制器与模拟器", no_args_is_help=True)
log = logging.getLogger("hotline.switch")


async def _simulate(
    port: int,
    password: str,
    profile,
    scale: float,
    extensions: list[str],
    report: str | None,
) -> None:
    import json
    import time

    from switch.simulator import EventSocketServer, FreeSwitch
    from switch.simulator.clock import SimClock
    from switch.simulator.traffic import generate, register_agents

    settings = get_settings()
    fs = FreeSwitch(SimClock(scale), wav_seconds_cap=5)
    register_agents(fs, extensions)
    server = EventSocketServer(fs, host=settings.esl_host, port=port, password=password)
    await server.start()
    typer.echo(f"FreeSWITCH 模拟器已启动：ESL {settings.esl_host}:{server.port}，时间倍率 {scale}", err=True)
    if profile.calls_per_minute <= 0:
        await asyncio.Event().wait()
    started = time.monotonic()
    placed = await generate(fs, profile)
    # drain: let the calls in progress finish, then hang up whatever is left (after 30 simulated minutes)
    deadline = fs.clock.now() + 1800
    while any(c.direction == "inbound" for c in fs.live_channels()) and fs.clock.now() < deadline:
        await fs.clock.sleep(5)
    for ch in fs.live_channels():
        await fs.hangup(ch.uuid, "MANAGER_REQUEST", "send_bye")
    await asyncio.sleep(10)  # let the controller read the last events before the socket closes
    stats = {
        "calls_placed": placed,
        "events_fired": fs.events_fired,
        "channels_finished": fs.calls_finished,
        "peak_inbound": fs.peak_inbound,
        "wall_s": round(time.monotonic() - started, 1),
        "scale": scale,
    }
    typer.echo(json.dumps(stats))
    if report:
        from pathlib import Path

        Path(report).write_text(json.dumps(stats))
    await server.stop()


@app.command()
def simulate(
    port: int = typer.Option(None, help="ESL 端口（默认取设置 esl_port）"),
    calls_per_minute: float = typer.Option(4.0, help="每分钟来电数（泊松到达，模拟时间），0 为不自动呼入"),
    scale: float = typer.Option(1.0, help="模拟时间倍率"),
    extensions: str = typer.Option("8001-8012", help="坐席分机范围，如 8001-8012"),
    max_concurrent: int = typer.Option(0, help="最大并发来电，0 为不限"),
    duration: float = typer.Option(0, help="来电持续的模拟秒数，0 为一直运行；结束后等待通话结束并输出统计"),
    mean_talk: float = typer.Option(120.0, help="平均通话时长（秒）"),
    mean_patience: float = typer.Option(90.0, help="平均排队耐心（秒）"),
    report: str = typer.Option("", help="统计结果 JSON 写入此文件"),
) -> None:
    """运行 FreeSWITCH 模拟器（真实 ESL 协议），可作为压测负载发生器。"""
    from switch.simulator.traffic import TrafficProfile

    settings = get_settings()
    first, _, last = extensions.partition("-")
    exts = [str(n) for n in range(int(first), int(last or first) + 1)]
    profile = TrafficProfile(
        calls_per_minute=calls_per_minute,
        max_concurrent=max_concurrent or None,
        duration_s=duration or None,
        mean_talk_seconds=mean_talk,
        mean_patience_seconds=mean_patience,
    )
    asyncio.run(
        _simulate(port or settings.esl_port, settings.esl_password, profile, scale, exts, report or None)
    )


def _controller(settings, *, port: int | None = None):
    from models.bus import Bus
    from models.db import make_engine, make_sessionmaker
    from switch.controller import Controller

    bus = Bus.from_settings(settings) if settings.redis_url else None
    record_dir = (settings.data_dir / "recordings").resolve()
    record_dir.mkdir(parents=True, exist_ok=True)
    return Controller(
        host=settings.esl_host,
        port=port or settings.esl_port,
        password=settings.esl_password,
        sessions=make_sessionmaker(make_engine(settings.resolved_database_url())),
        record_dir=record_dir,
        bus=bus,
        callback_caller_id=settings.callback_caller_id,
    )


@app.command()
def run(
    login: str = typer.Option("", help="启动时签入并置闲的坐席，如 1001:8001,1002:8002（冒烟测试用）"),
    mode: str = typer.Option(
        "",
        help="控制方式：inbound（呼叫停泊等待控制器）或 outbound（每通呼叫由 socket 连入），默认取设置 esl_mode",
    ),
) -> None:
    """连接 FreeSWITCH（按设置中的 ESL 地址、端口、密码）并运行话务控制器。"""
    from models.logging import configure_logging

    settings = get_settings()
    mode = mode or settings.esl_mode
    if mode not in ("inbound", "outbound"):
        raise typer.BadParameter("只能是 inbound 或 outbound", param_hint="--mode")
    configure_logging(settings.log_level, json_lines=settings.log_json, service="switch")
    lock_state: dict = {}
    lock = _leader_lock(
        settings, lock_state
    )  # hot standby: wait here while another controller drives this switch
    ctrl = _controller(settings)
    for item in filter(None, login.split(",")):
        agent_number, _, extension = item.partition(":")
        agent = ctrl.acd.agents.get(agent_number)
        if agent is None:
            raise typer.BadParameter(f"工号 {agent_number} 不存在", param_hint="--login")
        if agent.state.value == "logged_out":
            ctrl.apply_acd(ctrl.acd.login(agent_number, extension=extension or None, ready=True))
    if mode == "outbound":
        from switch.outbound import OutboundServer

        outbound = OutboundServer(ctrl, host=settings.outbound_host, port=settings.outbound_port)
        outbound.start()
        typer.echo(f"等待 FreeSWITCH 的 outbound socket 连接：{settings.outbound_host}:{outbound.port}")
    typer.echo(f"话务控制器连接 FreeSWITCH {settings.esl_host}:{settings.esl_port}")
    lock_state["ctrl"] = ctrl
    try:
        if not lock_state.get("lost"):
            ctrl.run()
    finally:
        if lock is not None and not lock_state.get("lost"):
            lock.release()
    if lock_state.get("lost"):
        typer.echo("失去主控制器锁，退出（由备用控制器接管）", err=True)
        raise typer.Exit(1)


def _leader_lock(settings, state: dict):
    """The Redis leader lock of this FreeSWITCH node, once held and kept renewed from then on (None without
    Redis: no standby possible). Losing it sets `state["lost"]` and stops `state["ctrl"]`."""
    if not settings.redis_url:
        return None
    from models.bus import Bus
    from switch.leader import LeaderLock, lock_key

    bus = Bus.from_settings(settings)
    key = lock_key(bus.namespace, settings.esl_host, settings.esl_port)
    lock = LeaderLock(bus.redis, key, ttl_s=settings.leader_lock_ttl_s)
    waited: list[bool] = []

    def standby(holder: str | None) -> None:
        waited.append(True)
        typer.echo(f"备用控制器：{holder or '另一控制器'} 正在控制该 FreeSWITCH，等待接管", err=True)

    lock.wait(on_standby=standby)
    if waited:
        typer.echo("主控制器锁已释放，本控制器接管", err=True)

    def lost() -> None:
        state["lost"] = True
        if state.get("ctrl") is not None:
            state["ctrl"].running = False

    lock.keep(lost)
    return lock


@app.command()
def prompts() -> None:
    """把配置中的全部 say: 提示音用 espeak-ng 合成为 8 kHz 语音文件（已有的跳过），显示进度与预计剩余时间。"""
    from models.db import make_engine, make_sessionmaker
    from switch import prompts as tts
    from switch import store
    from switch.controller import SURVEY_PROMPT

    settings = get_settings()
    with make_sessionmaker(make_engine(settings.resolved_database_url()))() as db:
        config = store.load_config(db)
    texts = tts.say_texts(config, SURVEY_PROMPT)
    if tts.espeak() is None:
        typer.echo("未安装 espeak-ng（apt-get install espeak-ng），say: 提示音将以提示音调代替", err=True)
        raise typer.Exit(1)

    def progress(done: int, total: int, eta_s: float, text: str) -> None:
        typer.echo(f"[{done}/{total}] 预计剩余 {eta_s:.0f} 秒  {text[:30]}", err=True)

    made = tts.render_all(texts, progress=progress)
    typer.echo(f"提示音 {len(texts)} 条，新合成 {made} 条，目录 {tts.prompt_dir()}")


@app.command()
def cdrs(last: int = typer.Option(10, help="显示最近几条")) -> None:
    """打印最近的通话记录（CDR），冒烟测试用。"""
    from sqlalchemy import select

    from models.calls import Call
    from models.db import make_engine, make_sessionmaker

    settings = get_settings()
    with make_sessionmaker(make_engine(settings.resolved_database_url()))() as db:
        rows = list(db.scalars(select(Call).order_by(Call.id.desc()).limit(last)))
    typer.echo("开始时间 | 主叫 | 被叫 | 结果 | 导航 | 坐席 | 等待s | 通话s | 满意度 | 挂机原因")
    for c in reversed(rows):
        typer.echo(
            f"{c.started_at:%Y-%m-%d %H:%M:%S} | {c.caller} | {c.called} | {c.disposition} | {c.ivr_path or '-'} | "
            f"{c.agent_number or '-'} | {c.wait_s if c.wait_s is not None else '-'} | "
            f"{c.talk_s if c.talk_s is not None else '-'} | {c.satisfaction or '-'} | {c.hangup_cause or '-'}"
        )


@app.command()
def demo(
    calls_per_minute: float = typer.Option(3.0, envvar="HOTLINE_DEMO_CALLS_PER_MINUTE", help="每分钟来电数"),
    scale: float = typer.Option(1.0, help="模拟时间倍率"),
    mode: str = typer.Option(
        "inbound", help="控制方式：inbound（停泊）或 outbound（每通呼叫 socket 连入控制器）"
    ),
    audio_share: float = typer.Option(
        0.5, min=0.0, max=1.0, envvar="HOTLINE_DEMO_AUDIO_SHARE", help="带真实通话录音（语音）的来电比例"
    ),
    desk: str = typer.Option(
        "1001",
        envvar="HOTLINE_DEMO_DESK",
        help="留给网页坐席台的工号（agent01；不自动签入，话机不自动接听；none：无）",
    ),
) -> None:
    """模拟器 + 控制器：内置演示话务（签入演示坐席，自动产生来电，部分来电带通话录音）。"""
    import threading

    from models.logging import configure_logging
    from switch.simulator import EventSocketServer, FreeSwitch
    from switch.simulator.audio import demo_scripts
    from switch.simulator.clock import SimClock
    from switch.simulator.core import Endpoint
    from switch.simulator.traffic import TrafficProfile, generate, register_agents

    settings = get_settings()
    configure_logging(settings.log_level, json_lines=settings.log_json, service="switch")
    if mode not in ("inbound", "outbound"):
        raise typer.BadParameter("只能是 inbound 或 outbound", param_hint="--mode")
    scripts = demo_scripts()
    # recordings stop growing here; long enough for the longest recorded conversation
    fs = FreeSwitch(SimClock(scale), wav_seconds_cap=max(30.0, *(seconds + 8 for _, seconds in scripts)))
    if mode == "outbound":  # the hotline numbers go through `socket` (00_hotline_socket.xml)
        fs.dialplan = {number: "hotline-socket" for number in fs.dialplan}
    server = EventSocketServer(fs, host="127.0.0.1", port=settings.esl_port, password=settings.esl_password)
    loop = asyncio.new_event_loop()
    started = threading.Event()
    go = threading.Event()  # calls start once the controller is connected (and listening, in outbound mode)

    def simulator() -> None:
        asyncio.set_event_loop(loop)
        loop.run_until_complete(server.start())
        started.set()
        loop.run_until_complete(loop.run_in_executor(None, go.wait, 60))
        profile = TrafficProfile(
            calls_per_minute=calls_per_minute,
            audio_scripts=scripts,
            audio_share=audio_share,
            # someone signed in at the desk: every call speaks, so whichever they answer has a transcript
            audio_always=lambda: getattr(ctrl.acd.agents.get(desk), "state", "logged_out") != "logged_out",
        )
        loop.run_until_complete(generate(fs, profile))

    threading.Thread(target=simulator, daemon=True, name="simulator").start()
    started.wait(10)
    ctrl = _controller(settings, port=server.port)
    if mode == "outbound":
        from switch.outbound import OutboundServer

        outbound = OutboundServer(ctrl, host="127.0.0.1", port=0)
        outbound.start()
        fs.outbound_address = ("127.0.0.1", outbound.port)
    register_agents(fs, [a.extension for a in ctrl.acd.agents.values() if a.extension])
    desk_agent = ctrl.acd.agents.get(desk)
    if desk_agent is not None and desk_agent.extension:
        # a person signs in and answers on the web desk: the phone rings until then
        fs.endpoints[desk_agent.extension] = Endpoint(ext=desk_agent.extension, mode="noanswer")
    for agent in list(ctrl.acd.agents.values()):
        if agent is desk_agent:
            continue
        if agent.extension and agent.state.value == "logged_out":
            ctrl.apply_acd(ctrl.acd.login(agent.agent_number, extension=agent.extension, ready=True))
    signed_in = sum(1 for a in ctrl.acd.agents.values() if a.state.value != "logged_out")
    desk_note = f"，工号 {desk} 留给网页坐席台" if desk_agent is not None else ""
    typer.echo(f"演示话务已启动：模拟器 ESL 127.0.0.1:{server.port}，{signed_in} 名坐席已签入{desk_note}")

    def release_traffic() -> None:
        while ctrl.esl is None or not ctrl.esl.connected:
            gevent.sleep(0.1)
        go.set()

    import gevent

    gevent.spawn(release_traffic)
    ctrl.run()
