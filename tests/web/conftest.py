"""Browser tests: the real app under uvicorn on a free loopback port, driven by Debian's Chromium.

The web UI must be built (scripts/setup.sh does it); tests fail with a clear message otherwise.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import DEMO_PASSWORD, REDIS_TEST_URL, make_database

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = ROOT / "var" / "screenshots"
DESKTOP = {"width": 1440, "height": 900}
PHONE = {"width": 390, "height": 844}


def _stop(proc: subprocess.Popen, log) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def web_db(tmp_path_factory) -> Iterator[str]:
    url, cleanup = make_database("sqlite", tmp_path_factory.mktemp("webdb"))
    yield url
    cleanup()


@pytest.fixture(scope="session")
def bus_namespace() -> str:
    """The app, the controller and the tests share a bus namespace of their own on the test Redis."""
    return f"web{uuid.uuid4().hex[:8]}"


@pytest.fixture(scope="session")
def web_data_dir(tmp_path_factory) -> Path:
    """The served app's data directory (recordings live under <data_dir>/recordings)."""
    return tmp_path_factory.mktemp("webdata")


@pytest.fixture(scope="session")
def base_url(web_db, web_data_dir, bus_namespace, tmp_path_factory) -> Iterator[str]:
    """The real application served by uvicorn (a separate process) on 127.0.0.1:<free port>."""
    if not (ROOT / "api" / "web" / "dist" / "index.html").is_file():
        pytest.fail("网页未构建：请先运行 scripts/setup.sh（npm ci && npm run build）")
    port = _free_port()
    env = {
        **os.environ,
        "HOTLINE_DATABASE_URL": web_db,
        "HOTLINE_REDIS_URL": REDIS_TEST_URL,
        "HOTLINE_DATA_DIR": str(web_data_dir),
        "HOTLINE_LOG_JSON": "false",
        "HOTLINE_EXTRA": json.dumps({"bus_namespace": bus_namespace}),
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
    }
    log = (tmp_path_factory.mktemp("weblog") / "uvicorn.log").open("w")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "api.app:create_app",
            "--factory",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"{url}/api/health", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            log.close()
            pytest.fail(f"应用未能启动，见 {log.name}")
        time.sleep(0.3)
    yield url
    _stop(proc, log)


@pytest.fixture(scope="session")
def switchboard(base_url, web_db, web_data_dir, bus_namespace, tmp_path_factory):
    """The FreeSWITCH simulator (in a thread of this process, so tests can place calls) and the real switch
    controller (`hotline switch run`, its own process) on the app's database and bus."""
    from switch.simulator.traffic import register_agents
    from tests.switch.rig import SimThread

    sim = SimThread(1.0)
    register_agents(sim.fs, [str(8000 + i) for i in range(1, 13)] + ["8100"])
    for endpoint in sim.fs.endpoints.values():
        endpoint.ring_seconds = 6.0  # long enough for a person (or a test) to press 接听
    env = {
        **os.environ,
        "HOTLINE_DATABASE_URL": web_db,
        "HOTLINE_REDIS_URL": REDIS_TEST_URL,
        "HOTLINE_DATA_DIR": str(web_data_dir),
        "HOTLINE_ESL_PORT": str(sim.server.port),
        "HOTLINE_LOG_JSON": "false",
        "HOTLINE_EXTRA": json.dumps({"bus_namespace": bus_namespace}),
    }
    log = (tmp_path_factory.mktemp("switchlog") / "controller.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "api.cli", "switch", "run"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 30
    while not any(conn for conn in getattr(sim.server, "connections", [None])):
        if proc.poll() is not None or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    time.sleep(1.0)
    if proc.poll() is not None:
        log.close()
        pytest.fail(f"话务控制器未能启动，见 {log.name}")
    yield sim
    _stop(proc, log)
    sim.stop()


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail("缺少 /usr/bin/chromium：请运行 scripts/setup.sh test")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def new_page(browser, base_url):
    """new_page(viewport=PHONE) → a page in a fresh context (own localStorage)."""
    contexts = []

    def factory(viewport: dict | None = None):
        ctx = browser.new_context(viewport=viewport or DESKTOP, base_url=base_url, locale="zh-CN")
        ctx.set_default_timeout(15_000)
        contexts.append(ctx)
        return ctx.new_page()

    yield factory
    for ctx in contexts:
        ctx.close()


@pytest.fixture
def login(new_page):
    """login('admin') → a page signed in as that demo user, at their start page."""

    def do(username: str, viewport: dict | None = None, password: str = DEMO_PASSWORD):
        page = new_page(viewport)
        page.goto("/login")
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", password)
        page.click("[data-test=login]")
        page.wait_for_url(lambda u: "/login" not in u)
        return page

    return do


def shot(page, name: str) -> Path:
    """Save a screenshot under var/screenshots/<name>.png (full page)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.wait_for_load_state("networkidle")
    page.screenshot(path=str(path), full_page=True)
    return path
