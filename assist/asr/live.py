"""Live transcript during a call: tail the growing recording, cut each speaker's speech at pauses, transcribe
it with the one loaded Whisper model and publish `transcript` events on the bus.

Events in: the controller's `call_connected` (a recording started; its path is in the event, or else the
call's open row in `recordings`) and `call_ended` (switch:events). Events out: `transcript` on TRANSCRIPTS (assist/asr/events.py),
relayed by /api/ws to the agent on the call and to supervisors of the tenant.

An utterance is published when its speaker pauses (final) and, while it goes on, every INTERIM_EVERY
seconds of speech (final=false, replaced by the next event with the same utterance number).
The recordings directory must be readable by the host running this process (the same machine as
FreeSWITCH, or a shared mount); where that is not possible mod_audio_stream can stream the audio instead.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from prometheus_client import Counter, Gauge, Histogram

from assist.asr.config import AsrSettings
from assist.asr.tail import WavTail
from assist.asr.text import to_simplified

log = logging.getLogger("hotline.asr.live")

SR = 16000  # Whisper's rate; recordings are resampled to it
TICK = 0.25  # seconds between two looks at each recording
PAUSE = 0.5  # seconds of silence after speech that close an utterance
INTERIM_EVERY = 4.0  # seconds of ongoing speech between two interim results
MAX_UTTERANCE = 12.0  # longer speech is cut and published as final anyway
MIN_SPEECH = 0.3  # shorter bursts (clicks, breaths) are not sent to Whisper
SILENCE_RMS = 0.003  # below this a chunk is silence without asking the VAD
FINAL_BEAM = 1  # see whisper_transcriber
IDLE_TIMEOUT = 600.0  # a recording that has not grown for this long is dropped (call_ended was lost)

LATENCY = Histogram(
    "hotline_live_asr_latency_seconds",
    "From the audio of an utterance's end being written to its transcript event being published",
    buckets=(0.25, 0.5, 1, 1.5, 2, 3, 5, 8, 13),
)
STREAMS = Gauge("hotline_live_asr_streams", "Calls being transcribed live")
SKIPPED = Counter("hotline_live_asr_skipped_total", "Calls not transcribed live (max streams reached)")
PUBLISHED = Counter("hotline_live_asr_transcripts_total", "Transcript events published", ["final"])
AUDIO = Counter("hotline_live_asr_audio_seconds_total", "Seconds of speech sent to Whisper")


def to_16k(samples: np.ndarray, rate: int) -> np.ndarray:
    if rate == SR:
        return samples.astype(np.float32)
    from scipy.signal import resample_poly

    return resample_poly(samples, SR, rate).astype(np.float32)


def rms(samples: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(samples))))


def speech_spans(audio: np.ndarray) -> list[tuple[int, int]]:
    """Silero VAD (shipped inside faster-whisper): [(start, end)] sample indexes at 16 kHz."""
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    options = VadOptions(min_silence_duration_ms=int(PAUSE * 1000), speech_pad_ms=150)
    return [(s["start"], s["end"]) for s in get_speech_timestamps(audio, options)]


@dataclass
class Utterance:
    start: float
    end: float
    text: str
    final: bool
    number: int


@dataclass
class SpeakerStream:
    """One channel of one call: audio not yet published, and the utterance being spoken."""

    speaker: str
    channel: int
    pending: np.ndarray = field(default_factory=lambda: np.zeros(0, np.float32))  # 8 kHz (recording rate)
    offset: float = 0.0  # call seconds at pending[0]
    interim_at: float = 0.0  # speech seconds covered by the last interim result
    number: int = 0  # utterance number of the one in progress


class LiveCall:
    """A call whose recording is being transcribed; `step` is run by one thread at a time."""

    def __init__(self, event: dict, path: Path, roles: list[str]) -> None:
        self.event = event
        self.path = Path(path)
        self.tail = WavTail(self.path)
        self.roles = roles
        self.streams: list[SpeakerStream] = []
        self.reads: list[tuple[float, float]] = []  # (call seconds read up to, wall time of that read)
        self.ending = False
        self.busy = False
        self.last_growth = time.monotonic()
        self.utterances = 0

    @property
    def uuid(self) -> str:
        return self.event["call_uuid"]

    def _ensure_streams(self) -> None:
        if not self.streams:
            if self.tail.channels >= 2:
                self.streams = [
                    SpeakerStream(self.roles[0], 0),
                    SpeakerStream(self.roles[1 % len(self.roles)], 1),
                ]
            else:
                self.streams = [SpeakerStream("mixed", 0)]

    def read_time(self, call_seconds: float) -> float:
        """Wall time at which the audio up to `call_seconds` had been read (≈ written, within one TICK)."""
        for upto, wall in self.reads:
            if upto >= call_seconds - 1e-3:
                return wall
        return self.reads[-1][1] if self.reads else time.time()

    def step(self, transcribe: Callable[[np.ndarray, bool], str]) -> list[tuple[SpeakerStream, Utterance]]:
        """Read what was written since the last step; return the utterances ready to publish."""
        chunk = self.tail.read()
        now = time.time()
        if chunk is not None:
            self.last_growth = time.monotonic()
            self._ensure_streams()
            self.reads.append((self.tail.seconds, now))
            del self.reads[:-400]
            for stream in self.streams:
                stream.pending = np.concatenate([stream.pending, chunk[:, stream.channel]])
        out: list[tuple[SpeakerStream, Utterance]] = []
        for stream in self.streams:
            utterance = self._cut(stream, transcribe, flush=self.ending)
            if utterance is not None:
                out.append((stream, utterance))
        return out

    def _cut(self, stream: SpeakerStream, transcribe, *, flush: bool) -> Utterance | None:
        rate = self.tail.rate
        if len(stream.pending) < rate * PAUSE and not flush:
            return None
        keep = int(rate * 0.3)  # a speech onset at the very end stays for the next look
        if not stream.interim_at and (not len(stream.pending) or rms(stream.pending) < SILENCE_RMS):
            self._drop(stream, max(0, len(stream.pending) - keep))  # silence: the VAD need not look
            return None
        audio = to_16k(stream.pending, rate)
        spans = speech_spans(audio)
        if not spans:
            self._drop(stream, max(0, len(stream.pending) - keep))
            return None
        first, last_end = spans[0][0], spans[-1][1]
        tail_silence = (len(audio) - last_end) / SR
        speech = (last_end - first) / SR
        if flush or tail_silence >= PAUSE:
            cut, final = last_end, True
        elif (len(audio) - first) / SR >= MAX_UTTERANCE:
            # cut at the last inner pause, or where the audio ends when there is none
            cut = spans[-2][1] if len(spans) > 1 else len(audio)
            final = True
        elif speech - stream.interim_at >= INTERIM_EVERY:
            cut, final = len(audio), False
        else:
            return None
        if (cut - first) / SR < MIN_SPEECH:
            if final:
                self._drop(stream, cut * rate // SR)
            return None
        text = transcribe(audio[first:cut], final)
        AUDIO.inc((cut - first) / SR)
        start, end = round(stream.offset + first / SR, 2), round(stream.offset + cut / SR, 2)
        if final:
            self._drop(stream, cut * rate // SR)
            stream.interim_at = 0.0
        else:
            stream.interim_at = speech
        if not text and not stream.number:
            return None  # (an empty final still closes an interim already shown)
        if not stream.number:
            self.utterances += 1
            stream.number = self.utterances
        utterance = Utterance(start, end, text, final, stream.number)
        if final:
            stream.number = 0
        return utterance

    def _drop(self, stream: SpeakerStream, frames: int) -> None:
        stream.pending = stream.pending[frames:]
        stream.offset += frames / self.tail.rate


def whisper_transcriber(
    model, settings: AsrSettings, prompt: str | None = None
) -> Callable[[np.ndarray, bool], str]:
    """Greedy decoding: on a busy 2-core machine beam 5 doubled the delay and fell behind the call (utterances
    merged) without fixing the words that matter; the post-call transcript keeps the beam."""

    def transcribe(audio: np.ndarray, final: bool) -> str:
        pieces, _ = model.transcribe(
            audio,
            language=settings.language,
            beam_size=FINAL_BEAM if final else 1,
            vad_filter=False,  # already cut by the VAD
            condition_on_previous_text=False,
            without_timestamps=True,
            initial_prompt=prompt or None,
        )
        return to_simplified("".join(p.text for p in pieces)).strip()

    return transcribe


class LiveTranscriber:
    """Follows the switch's call events, keeps at most `max_streams` calls transcribed at once.

    `publish(message)` sends one transcript event; `recording_for(call_uuid)` finds the call's open
    recording path (None: not recorded). The model is loaded once and shared by `workers` threads.
    """

    def __init__(
        self,
        transcribe: Callable[[np.ndarray, bool], str],
        publish: Callable[[dict], None],
        recording_for: Callable[[str], str | None],
        *,
        roles: list[str],
        max_streams: int = 4,
        workers: int = 1,
    ) -> None:
        self.transcribe = transcribe
        self.publish = publish
        self.recording_for = recording_for
        self.roles = roles
        self.max_streams = max_streams
        self.calls: dict[str, LiveCall] = {}
        self.skipped = 0
        self.published = 0
        self.latencies: list[float] = []  # seconds, for benchmarks and logs
        self._lock = threading.Lock()
        self._pool = ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="live-asr")

    # ---------------------------------------------------------------- events in
    def on_event(self, event: dict) -> None:
        kind = event.get("type")
        if kind == "call_connected":
            # the controller names the file; the database row may not be written yet
            path = event.get("recording_path") or self.recording_for(event["call_uuid"])
            if path:
                self.start(event, path)
        elif kind == "call_ended":
            self.finish(event.get("call_uuid", ""))

    def start(self, event: dict, path: str | Path) -> bool:
        """Follow this call's recording; False when max_streams calls are already followed (counted)."""
        with self._lock:
            old = self.calls.get(event["call_uuid"])
            if old is not None:  # transferred: a new recording of the same call
                old.ending = True
                self.calls[f"{old.uuid}#{id(old)}"] = self.calls.pop(old.uuid)
            active = sum(1 for c in self.calls.values() if not c.ending)
            if active >= self.max_streams:
                self.skipped += 1
                SKIPPED.inc()
                log.warning(
                    "live transcript skipped: max streams",
                    extra={"call_uuid": event["call_uuid"], "max_streams": self.max_streams},
                )
                return False
            self.calls[event["call_uuid"]] = LiveCall(event, Path(path), self.roles)
            STREAMS.set(len(self.calls))
        log.info("live transcript started", extra={"call_uuid": event["call_uuid"], "path": str(path)})
        return True

    def finish(self, call_uuid: str) -> None:
        with self._lock:
            call = self.calls.get(call_uuid)
            if call is not None:
                call.ending = True

    # ---------------------------------------------------------------- the loop
    def tick(self) -> None:
        """Give every call that is not being worked on a step (in the pool)."""
        with self._lock:
            ready = [(key, c) for key, c in self.calls.items() if not c.busy]
            for _, call in ready:
                call.busy = True
        for key, call in ready:
            self._pool.submit(self._step, key, call)

    def _step(self, key: str, call: LiveCall) -> None:
        flushed = call.ending  # the call ended before this step began: this step reads its last audio
        try:
            for stream, utterance in call.step(self.transcribe):
                self._publish(call, stream, utterance)
        except Exception:
            log.exception("live transcript step failed", extra={"call_uuid": call.uuid})
            flushed = True
        finally:
            idle = time.monotonic() - call.last_growth > IDLE_TIMEOUT
            with self._lock:
                call.busy = False
                if flushed or idle:
                    self.calls.pop(key, None)
                    STREAMS.set(len(self.calls))
                    log.info(
                        "live transcript finished",
                        extra={"call_uuid": call.uuid, "seconds": call.tail.seconds, "idle": idle},
                    )

    def _publish(self, call: LiveCall, stream: SpeakerStream, u: Utterance) -> None:
        ev = call.event
        message = {
            "type": "transcript",
            "at": datetime.now(UTC).isoformat(),
            "call_uuid": call.uuid,
            "caller": ev.get("caller"),
            "agent_number": ev.get("agent_number"),
            "tenant_id": ev.get("tenant_id"),
            "speaker": stream.speaker,
            "channel": stream.channel,
            "utterance": u.number,
            "text": u.text,
            "start": u.start,
            "end": u.end,
            "final": u.final,
        }
        self.publish(message)
        latency = max(0.0, time.time() - call.read_time(u.end))
        self.published += 1
        PUBLISHED.labels(str(u.final).lower()).inc()
        if u.final:
            LATENCY.observe(latency)
            self.latencies.append(latency)
            del self.latencies[:-1000]
        log.info(
            "transcript published",
            extra={
                "call_uuid": call.uuid,
                "speaker": stream.speaker,
                "final": u.final,
                "start": u.start,
                "end": u.end,
                "latency": round(latency, 3),
            },
        )

    def run(self, events: Callable[[float], dict | None], stop: threading.Event) -> None:
        """Pull bus events (`events(timeout)` → one event or None) and tick every TICK seconds until stopped."""
        next_tick = time.monotonic()
        while not stop.is_set():
            event = events(max(0.0, min(TICK, next_tick - time.monotonic())))
            if event is not None:
                self.on_event(event)
            if time.monotonic() >= next_tick:
                self.tick()
                next_tick = time.monotonic() + TICK
        self.close()

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
