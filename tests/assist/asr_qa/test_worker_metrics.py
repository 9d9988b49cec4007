"""A worker started with a metrics port serves its task counters (and the ASR figures) over HTTP."""

from __future__ import annotations

import re
import socket
import subprocess
import time
import urllib.request
import uuid

from tests.conftest import CeleryWorker


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _value(text: str, name: str, **labels: str) -> float | None:
    """The sample `name` with exactly these labels (in any order) in a Prometheus text exposition."""
    for line in text.splitlines():
        found = re.fullmatch(r"(\w+)(?:\{(.*)\})? (\S+)", line)
        if found and found.group(1) == name:
            have = dict(re.findall(r'(\w+)="([^"]*)"', found.group(2) or ""))
            if have == labels:
                return float(found.group(3))
    return None


def _scrape(port: int) -> str:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as r:
        return r.read().decode()


def test_worker_serves_task_counters(pg_url, tmp_path):
    # a vhost of its own: the session's worker (same broker otherwise) must not take these tasks
    vhost = f"hotline_metrics_{uuid.uuid4().hex[:8]}"
    subprocess.run(["rabbitmqctl", "add_vhost", vhost], check=True, capture_output=True)
    subprocess.run(
        ["rabbitmqctl", "set_permissions", "-p", vhost, "guest", ".*", ".*", ".*"],
        check=True,
        capture_output=True,
    )
    port = _free_port()
    try:
        # the project's Celery app in this process is left alone: the test talks through worker.app
        worker = CeleryWorker(
            pg_url,
            tmp_path,
            "default",
            broker_url=f"amqp://guest:guest@127.0.0.1:5672/{vhost}",
            extra_env={"HOTLINE_WORKER_METRICS_PORT": str(port)},
        )
    except Exception:
        subprocess.run(["rabbitmqctl", "delete_vhost", vhost], capture_output=True)
        raise
    client = worker.app
    try:
        before = _scrape(port)
        assert (
            _value(before, "hotline_worker_tasks_total", task="assist.asr.sweep", outcome="succeeded") is None
        )
        assert _value(before, "hotline_asr_transcription_seconds_total") == 0
        assert _value(before, "hotline_asr_audio_seconds_total") == 0

        out = client.send_task("assist.asr.sweep").get(timeout=60)
        bad = client.send_task("assist.asr.sweep", args=[1])  # wrong arguments: the task fails
        assert bad.get(timeout=60, propagate=False) is not None and bad.failed()

        deadline = time.monotonic() + 10  # the signal handlers run right after the result is stored
        while True:
            text = _scrape(port)
            failed = _value(text, "hotline_worker_tasks_total", task="assist.asr.sweep", outcome="failed")
            if failed or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        assert _value(text, "hotline_worker_tasks_total", task="assist.asr.sweep", outcome="succeeded") == 1
        assert failed == 1
        assert _value(text, "hotline_asr_backlog", state="queued") == out["queued"]
        assert _value(text, "hotline_asr_backlog_audio_seconds") == out["audio_seconds_waiting"]
        assert _value(text, "hotline_worker_task_seconds_count", task="assist.asr.sweep") == 2
    finally:
        client.close()
        worker.stop()
        subprocess.run(["rabbitmqctl", "delete_vhost", vhost], capture_output=True)


def test_port_zero_serves_nothing():
    from assist.asr import worker_metrics

    assert worker_metrics.start(0) is None
