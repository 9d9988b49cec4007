"""Live transcript: a recording that grows in real time (as record_session writes it) is transcribed while
the call goes on; the simulator streams a call's audio script into its recording."""

from __future__ import annotations

import asyncio
import json
import struct
import threading
import time
from pathlib import Path

import pytest

from assist.asr.config import AsrSettings
from assist.asr.live import LiveTranscriber, whisper_transcriber
from assist.asr.tail import WavTail
from assist.asr.text import character_errors
from assist.qa.matching import syllables
from models.settings import Settings
from switch.simulator import CallerScript, FreeSwitch
from switch.simulator.audio import AUDIO_DIR
from switch.simulator.clock import SimClock
from switch.simulator.server import run_api
from switch.simulator.wav import GrowingWav, read_pcm16

AUDIO = AUDIO_DIR
CALLS: dict[str, dict] = json.loads((AUDIO / "calls.json").read_text(encoding="utf-8"))
BLOCK_SECONDS = 0.25


def feed(path: Path, name: str, *, speed: float = 1.0, written: list | None = None) -> threading.Thread:
    """Write the fixture call into `path` as a growing WAV, BLOCK_SECONDS at a time in real time / speed.

    `written` receives (call seconds written up to, wall time) after every block.
    """
    channels, frames = read_pcm16(AUDIO / CALLS[name]["file"])
    block = int(8000 * BLOCK_SECONDS) * 2 * channels
    wav = GrowingWav(path, channels)

    def run() -> None:
        t0 = time.monotonic()
        for i, at in enumerate(range(0, len(frames), block)):
            delay = t0 + i * BLOCK_SECONDS / speed - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            wav.append(frames[at : at + block])
            if written is not None:
                written.append((wav.data_bytes / (2 * channels * 8000), time.time()))
        wav.close()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def run_live(live: LiveTranscriber, until, timeout: float) -> None:
    """Tick the transcriber (as its process loop does) until `until()` or the timeout."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not until():
        live.tick()
        time.sleep(0.1)


@pytest.fixture(scope="module")
def whisper(tmp_path_factory):
    from assist.asr.model import assemble_model, load_model

    return load_model(assemble_model(tmp_path_factory.mktemp("live-asr")), threads=2)


# ---------------------------------------------------------------- reading a growing file
def test_tail_reads_what_was_appended_and_ignores_header_sizes(tmp_path):
    path = tmp_path / "grow.wav"
    tail = WavTail(path)
    assert tail.read() is None  # not there yet
    wav = GrowingWav(path, 2)
    assert tail.read() is None  # header only
    wav.append(struct.pack("<hhhh", 1000, -1000, 2000, -2000) + b"\x01\x00")  # 2 frames + half of one
    first = tail.read()
    assert first.shape == (2, 2)
    assert first[1, 0] == pytest.approx(2000 / 32768) and first[1, 1] == pytest.approx(-2000 / 32768)
    assert tail.read() is None  # the half frame waits for its other half
    wav.append(b"\x02\x00" + struct.pack("<hh", 5, 6))
    second = tail.read()
    assert second.shape == (2, 2) and second[0, 1] == pytest.approx(2 / 32768)
    wav.close()  # sizes fixed in the header now
    assert tail.read() is None
    assert tail.seconds == pytest.approx(4 / 8000)


def test_simulator_streams_the_audio_script_into_the_recording_while_the_call_goes_on(tmp_path):
    script = AUDIO / CALLS["call_standard"]["file"]
    channels, expected = read_pcm16(script)
    path = tmp_path / "rec.wav"

    async def scenario() -> list[int]:
        fs = FreeSwitch(SimClock(8.0))
        ch = await fs.inbound_call(CallerScript(audio=str(script), talk_seconds=120))
        assert (await run_api(fs, f"uuid_record {ch.uuid} start {path}")).startswith("+OK")
        sizes = []
        for _ in range(3):
            await asyncio.sleep(0.5)
            sizes.append(path.stat().st_size)
        await fs.hangup(ch.uuid)
        await fs.close()
        return sizes

    sizes = asyncio.run(scenario())
    assert sizes[0] > 44 and sizes[0] < sizes[1] < sizes[2]  # grows during the call, not written at stop
    got_channels, got = read_pcm16(path)  # header fixed at stop: a normal WAV
    assert got_channels == channels == 2
    assert len(got) >= sizes[2] - 44
    n = min(len(got), len(expected))
    assert got[:n] == expected[:n]  # the script's frames, caller and agent channels as in the file


def test_a_call_without_script_is_still_written_at_stop(tmp_path):
    path = tmp_path / "plain.wav"

    async def scenario() -> bool:
        fs = FreeSwitch(SimClock(8.0))
        ch = await fs.inbound_call(CallerScript(talk_seconds=120))
        await run_api(fs, f"uuid_record {ch.uuid} start {path}")
        await asyncio.sleep(0.3)
        before = path.exists()
        await fs.hangup(ch.uuid)
        await fs.close()
        return before

    assert asyncio.run(scenario()) is False
    assert read_pcm16(path)[0] == 2


# ---------------------------------------------------------------- live transcription
def test_growing_recording_is_transcribed_live_per_speaker(tmp_path, whisper):
    settings = AsrSettings()
    events: list[dict] = []
    arrived: list[float] = []

    def publish(message: dict) -> None:
        events.append(message)
        arrived.append(time.time())

    live = LiveTranscriber(
        whisper_transcriber(whisper, settings, Settings().live_asr_prompt),
        publish,
        lambda _u: None,
        roles=settings.roles(),
    )
    path = tmp_path / "call.wav"
    written: list[tuple[float, float]] = []
    writer = feed(path, "call_standard", written=written)
    event = {
        "type": "call_connected",
        "call_uuid": "c-1",
        "agent_number": "1001",
        "tenant_id": 1,
        "caller": "138",
    }
    assert live.start(event, path)
    citizen_first_end = next(t["end"] for t in CALLS["call_standard"]["turns"] if t["speaker"] == "citizen")
    run_live(live, lambda: not writer.is_alive(), timeout=90)
    closed_at = time.time()
    live.finish("c-1")
    run_live(live, lambda: not live.calls, timeout=60)
    live.close()

    finals = [e for e in events if e["final"]]
    assert finals and all(e["call_uuid"] == "c-1" and e["agent_number"] == "1001" for e in events)
    citizen = "".join(e["text"] for e in finals if e["speaker"] == "citizen")
    agent = "".join(e["text"] for e in finals if e["speaker"] == "agent")
    reference = {
        who: "".join(t["text"] for t in CALLS["call_standard"]["turns"] if t["speaker"] == who)
        for who in ("citizen", "agent")
    }
    # each speaker's channel carries that speaker's words and not the other's (by sound; greedy decoding
    # of short live windows varies with where the audio was cut, e.g. 联系电话 → 连气电话, so two of four)
    key_words = {
        "citizen": ("楼下", "路灯", "好几天", "晚上特别黑"),
        "agent": ("很高兴", "具体", "联系电话", "感谢您的来电"),
    }
    for who, text, other in (("citizen", citizen, "agent"), ("agent", agent, "citizen")):
        heard = [w for w in key_words[who] if sounds_in(w, text)]
        assert len(heard) >= 2, (who, heard, text)
        assert not [w for w in key_words[other] if sounds_in(w, text)], (who, text)
    for who, text in (("citizen", citizen), ("agent", agent)):
        edits, length = character_errors(reference[who], text)
        assert edits / length < 0.4, (who, text)
    # live: the citizen's first sentence was published while the call was still being recorded
    first = next(
        i for i, e in enumerate(events) if e["speaker"] == "citizen" and e["end"] >= citizen_first_end - 1
    )
    assert arrived[first] < closed_at
    # utterance times are call seconds and follow the fixture's turns
    assert all(0 <= e["start"] < e["end"] <= 32 for e in events)
    assert len(live.latencies) == len(finals)


def test_calls_beyond_max_streams_are_skipped_and_counted(tmp_path):
    live = LiveTranscriber(
        lambda _audio, _final: "", lambda _m: None, lambda _u: None, roles=["agent", "citizen"], max_streams=1
    )
    assert live.start({"call_uuid": "a"}, tmp_path / "a.wav")
    assert not live.start({"call_uuid": "b"}, tmp_path / "b.wav")
    assert live.skipped == 1 and set(live.calls) == {"a"}
    live.finish("a")
    run_live(live, lambda: not live.calls, timeout=10)
    assert live.start({"call_uuid": "b"}, tmp_path / "b.wav")  # a stream is free again
    live.close()


def test_transcripts_reach_the_agent_on_the_call_and_monitors_of_the_tenant_only():
    from api.routers.ws import RELAYED, visible
    from assist.asr.events import TRANSCRIPTS
    from models.scope import Scope

    def scope(roles: set[str], tenants: set[int]) -> Scope:
        return Scope(1, "u", "U", min(tenants), frozenset(tenants), None, frozenset(roles))

    event = {
        "type": "transcript",
        "call_uuid": "c",
        "agent_number": "1001",
        "tenant_id": 2,
        "text": "路灯坏了",
    }
    assert TRANSCRIPTS in RELAYED
    assert visible(event, scope({"agent"}, {2}), "1001")
    assert not visible(event, scope({"agent"}, {2}), "1002")  # another agent of the same centre
    assert visible(event, scope({"supervisor"}, {2}), None)
    assert not visible(event, scope({"supervisor"}, {3}), None)  # another tenant's monitor


def test_the_live_process_follows_a_connected_call_from_the_bus_and_publishes_on_it(tmp_path):
    """`hotline asr live` as deployed: call_connected on the bus → the call's open recording in the database
    → transcript events on the bus (real Redis, real database, real model)."""
    import uuid

    from assist.asr.events import TRANSCRIPTS
    from assist.asr.live_run import serve
    from models.bus import EVENTS, Bus, decode
    from models.calls import Recording
    from models.db import make_engine, make_sessionmaker
    from models.migrate import upgrade
    from tests.conftest import REDIS_TEST_URL

    url = f"sqlite:///{tmp_path / 'live.db'}"
    upgrade(url)
    namespace = f"live{uuid.uuid4().hex[:8]}"
    settings = Settings(
        database_url=url,
        redis_url=REDIS_TEST_URL,
        data_dir=tmp_path / "data",
        extra={"bus_namespace": namespace},
    )
    path = tmp_path / "recordings" / "call-1.wav"
    with make_sessionmaker(make_engine(url))() as db:
        db.add(Recording(call_uuid="call-1", path=str(path)))
        db.commit()
    bus = Bus(REDIS_TEST_URL, namespace)
    heard = bus.subscribe(TRANSCRIPTS)
    stop = threading.Event()
    process = threading.Thread(target=serve, args=(settings, stop), daemon=True)
    process.start()
    try:
        deadline = time.monotonic() + 120  # the model is assembled and loaded first
        while bus.redis.pubsub_numsub(bus.key(EVENTS))[0][1] == 0:
            assert time.monotonic() < deadline and process.is_alive(), "live process did not subscribe"
            time.sleep(0.2)
        writer = feed(path, "call_standard", speed=2.0)
        event = {"type": "call_connected", "call_uuid": "call-1", "agent_number": "1001", "tenant_id": 1}
        bus.publish(EVENTS, event)
        got: list[dict] = []
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not any(
            m["speaker"] == "citizen" and m["final"] and "楼下" in m["text"] for m in got
        ):
            message = decode(heard.get_message(timeout=0.5))
            if message:
                got.append(message)
        assert any(m["speaker"] == "citizen" and "楼下" in m["text"] for m in got), got
        assert all(
            m["type"] == "transcript" and m["call_uuid"] == "call-1" and m["tenant_id"] == 1 for m in got
        )
        writer.join(30)
        bus.publish(EVENTS, {"type": "call_ended", "call_uuid": "call-1"})
    finally:
        stop.set()
        process.join(60)
        heard.close()
    assert not process.is_alive()


def sounds_in(words: str, text: str) -> bool:
    """`words` occurs in `text` by (folded, toneless) pinyin."""
    want, have = " ".join(syllables(words)), " ".join(syllables(text))
    return f" {want} " in f" {have} "
