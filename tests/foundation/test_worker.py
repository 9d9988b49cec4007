"""The Celery worker fixture runs a real worker over RabbitMQ with Redis results."""

from __future__ import annotations


def test_worker_roundtrip(celery_worker):
    replies = celery_worker.app.control.ping(timeout=2)
    assert replies, "no worker answered the control ping"
    # a builtin task, sent by name through the broker and answered through the result backend
    result = celery_worker.app.send_task("celery.backend_cleanup")
    assert result.get(timeout=30) is None
