"""The `hotline asr live` process: the switch events from the bus in, transcript events out."""

from __future__ import annotations

import contextlib
import logging
import signal
import threading
import time
from collections.abc import Callable

import redis
from prometheus_client import start_http_server
from sqlalchemy import select

from assist.asr.config import get_asr_settings
from assist.asr.events import TRANSCRIPTS
from assist.asr.live import LiveTranscriber, whisper_transcriber
from assist.asr.model import load_model, model_dir
from models.bus import EVENTS, Bus, decode
from models.calls import Recording
from models.db import make_engine, make_sessionmaker
from models.settings import Settings

log = logging.getLogger("hotline.asr.live")


def open_recording_finder(settings: Settings) -> Callable[[str], str | None]:
    """call uuid → path of its recording still being written (the controller adds the row before
    it announces call_connected)."""
    sessions = make_sessionmaker(make_engine(settings.resolved_database_url()))

    def find(call_uuid: str) -> str | None:
        with sessions() as db:
            return db.scalar(
                select(Recording.path)
                .where(Recording.call_uuid == call_uuid, Recording.ended_at.is_(None))
                .order_by(Recording.id.desc())
                .limit(1)
            )

    return find


def _publish(bus: Bus, message: dict) -> None:
    try:
        bus.publish(TRANSCRIPTS, message)
    except redis.RedisError:  # the line is lost, the call goes on being followed
        log.warning("transcript not published", extra={"call_uuid": message.get("call_uuid")})


def build(settings: Settings, bus: Bus) -> LiveTranscriber:
    asr = get_asr_settings()
    model = load_model(model_dir(settings.data_dir, asr.model_dir), threads=settings.whisper_threads)
    return LiveTranscriber(
        whisper_transcriber(model, asr, settings.live_asr_prompt),
        lambda message: _publish(bus, message),
        open_recording_finder(settings),
        roles=asr.roles(),
        max_streams=settings.live_asr_max_streams,
        workers=settings.live_asr_workers,
    )


def serve(settings: Settings, stop: threading.Event | None = None) -> None:
    """Run until SIGTERM/SIGINT (or `stop` is set)."""
    stop = stop or threading.Event()
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: stop.set())
    bus = Bus.from_settings(settings)
    live = build(settings, bus)
    if settings.live_asr_metrics_port:
        start_http_server(settings.live_asr_metrics_port, addr="127.0.0.1")
    pubsub = [bus.subscribe(EVENTS)]
    log.info(
        "live transcription ready",
        extra={"max_streams": settings.live_asr_max_streams, "metrics_port": settings.live_asr_metrics_port},
    )

    def events(timeout: float) -> dict | None:
        try:
            return decode(pubsub[0].get_message(timeout=timeout))
        except redis.ConnectionError:  # Redis restarted: subscribe again, the calls followed go on
            log.warning("bus connection lost, resubscribing")
            time.sleep(1)
            with contextlib.suppress(redis.ConnectionError):
                pubsub[0] = bus.subscribe(EVENTS)
            return None

    try:
        live.run(events, stop)
    finally:
        pubsub[0].close()
