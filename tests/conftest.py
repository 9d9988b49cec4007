"""Shared fixtures: a fresh PostgreSQL database (and SQLite) per test session, the app, users.

Tests talk to the real PostgreSQL, Redis and RabbitMQ on 127.0.0.1.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session, sessionmaker

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

# Every task the code under test sends goes to this session's own RabbitMQ vhost (made in
# pytest_configure, deleted at the end), never to a broker another process consumes.
TEST_VHOST = f"hotline_test_{uuid.uuid4().hex[:8]}"
os.environ.setdefault("HOTLINE_BROKER_URL", f"amqp://guest:guest@127.0.0.1:5672/{TEST_VHOST}")

PG_ADMIN_URL = os.environ.get("HOTLINE_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
REDIS_TEST_URL = os.environ.get("HOTLINE_TEST_REDIS", "redis://127.0.0.1:6379/15")
AMQP_TEST_URL = os.environ.get("HOTLINE_TEST_AMQP", "amqp://guest:guest@127.0.0.1:5672//")
DEMO_PASSWORD = "Hotline@12345"


def _create_pg_database() -> tuple[str, str]:
    name = f"hotline_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return name, PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"


def _drop_pg_database(name: str) -> None:
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def make_database(backend: str, tmp: Path) -> tuple[str, callable]:
    """A migrated, demo-loaded database; returns (url, cleanup)."""
    from api.demo import load_demo
    from models.db import make_engine, make_sessionmaker, session_scope
    from models.migrate import upgrade

    if backend == "postgresql":
        name, url = _create_pg_database()

        def cleanup() -> None:
            _drop_pg_database(name)
    else:
        url = f"sqlite:///{tmp / f'hotline-{uuid.uuid4().hex[:6]}.db'}"

        def cleanup() -> None:
            pass

    upgrade(url)
    engine = make_engine(url)
    with session_scope(make_sessionmaker(engine)) as db:
        load_demo(db)
    engine.dispose()
    return url, cleanup


@pytest.fixture(scope="session", params=["postgresql", "sqlite"])
def db_url(request, tmp_path_factory) -> Iterator[str]:
    """A demo-loaded database on each backend (tests using it run twice)."""
    url, cleanup = make_database(request.param, tmp_path_factory.mktemp("db"))
    yield url
    cleanup()


@pytest.fixture(scope="session")
def pg_url(tmp_path_factory) -> Iterator[str]:
    """A demo-loaded PostgreSQL database only."""
    url, cleanup = make_database("postgresql", tmp_path_factory.mktemp("pg"))
    yield url
    cleanup()


@pytest.fixture(scope="session")
def settings_factory(tmp_path_factory):
    from models.settings import Settings

    def factory(url: str, **over) -> Settings:
        return Settings(
            database_url=url,
            data_dir=tmp_path_factory.mktemp("data"),
            redis_url=REDIS_TEST_URL,
            log_json=False,
            **over,
        )

    return factory


@pytest.fixture(scope="session")
def app(db_url, settings_factory):
    from api.app import create_app

    application = create_app(settings_factory(db_url))
    yield application
    application.state.engine.dispose()


@pytest.fixture(scope="session")
def client(app) -> Iterator[TestClient]:
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


@pytest.fixture(scope="session")
def tokens(client) -> dict[str, str]:
    """Lazily log demo users in: tokens['admin'] → bearer token."""

    class Tokens(dict):
        def __missing__(self, username: str) -> str:
            r = client.post("/api/auth/token", data={"username": username, "password": DEMO_PASSWORD})
            assert r.status_code == 200, r.text
            self[username] = r.json()["access_token"]
            return self[username]

    return Tokens()


@pytest.fixture(scope="session")
def auth(tokens):
    """auth('admin') → headers for that demo user."""

    def headers(username: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {tokens[username]}"}

    return headers


@pytest.fixture
def db(app) -> Iterator[Session]:
    """A session on the app's database (commits are real: tests create unique data)."""
    session = sessionmaker(app.state.engine, expire_on_commit=False)()
    try:
        yield session
    finally:
        session.rollback()
        session.close()


class CeleryWorker:
    """A real Celery worker process: the session's RabbitMQ vhost, Redis results, the test database."""

    def __init__(
        self,
        database_url: str,
        tmp: Path,
        queues: str,
        *,
        broker_url: str | None = None,
        extra_env: dict[str, str] | None = None,
        name: str = "celery",
    ) -> None:
        """`broker_url`: another broker than the session's (the test then talks to it through `self.app`).
        `name`: a second worker on the same broker needs its own (its control queue is exclusive)."""
        import subprocess
        import sys

        from celery import Celery

        from api.worker import celery_app

        self.broker_url = broker_url or celery_app.conf.broker_url
        self.backend_url = "redis://127.0.0.1:6379/14"
        if broker_url is None:
            # Tasks earlier tests sent (for other databases) are not this worker's business.
            celery_app.control.purge()
            # Results come back through the worker's backend (drop this thread's cached one).
            celery_app.conf.result_backend = self.backend_url
            vars(celery_app._local).pop("backend", None)
            self.app = celery_app
        else:
            self.app = Celery(
                "worker-client", broker=broker_url, backend=self.backend_url, set_as_current=False
            )
            self.app.conf.update(task_default_queue="default", task_queue_max_priority=10)
        self.data_dir = tmp
        env = dict(os.environ)
        env.update(
            HOTLINE_DATABASE_URL=database_url,
            HOTLINE_BROKER_URL=self.broker_url,
            HOTLINE_REDIS_URL=self.backend_url,
            HOTLINE_DATA_DIR=str(tmp),
            HOTLINE_LOG_JSON="false",
            HF_HUB_OFFLINE="1",
        )
        env.update(extra_env or {})
        self.log_path = tmp / "worker.log"
        self._log = open(self.log_path, "w")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "api.worker:celery_app",
                "worker",
                "--pool=solo",
                f"--hostname={name}@%h",
                f"--queues={queues}",
                "--loglevel=INFO",
                "--without-heartbeat",
                "--without-gossip",
                "--without-mingle",
            ],
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        self._wait_ready()

    def _wait_ready(self, timeout: float = 60) -> None:
        import time

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"celery worker exited:\n{self.log_path.read_text()}")
            if "ready." in self.log_path.read_text():
                return
            time.sleep(0.3)
        raise RuntimeError(f"celery worker not ready:\n{self.log_path.read_text()}")

    def stop(self) -> None:
        import subprocess

        self.proc.terminate()
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self._log.close()


@pytest.fixture(scope="session")
def celery_worker(pg_url, tmp_path_factory) -> Iterator[CeleryWorker]:
    """A real worker consuming every queue, against the session's PostgreSQL database."""
    worker = CeleryWorker(pg_url, tmp_path_factory.mktemp("worker"), "default,asr,kb,dispatch")
    yield worker
    worker.stop()


def _rabbitmqctl(*args: str) -> None:
    import subprocess

    subprocess.run(["rabbitmqctl", *args], check=False, capture_output=True, timeout=60)


def pytest_configure(config) -> None:
    if TEST_VHOST in os.environ["HOTLINE_BROKER_URL"]:
        _rabbitmqctl("add_vhost", TEST_VHOST)
        _rabbitmqctl("set_permissions", "-p", TEST_VHOST, "guest", ".*", ".*", ".*")


def pytest_unconfigure(config) -> None:
    if TEST_VHOST in os.environ["HOTLINE_BROKER_URL"]:
        _rabbitmqctl("delete_vhost", TEST_VHOST)
