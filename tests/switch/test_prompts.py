"""`say:` prompts: espeak-ng renders them to 8 kHz mono WAV files that the switch plays by path."""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np

from routing.config import CentreConfig, Prompts, TenantConfig
from switch import prompts
from switch.simulator import CallerScript
from tests.switch.rig import Rig, wait_until


def audio(path: Path) -> tuple[int, int, np.ndarray]:
    with wave.open(str(path)) as w:
        return w.getframerate(), w.getnchannels(), np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")


def test_render_is_8khz_mono_speech_and_cached(tmp_path: Path) -> None:
    path = prompts.render("您好，欢迎致电12345政务服务便民热线。", tmp_path)
    assert path is not None and path.parent == tmp_path and path.suffix == ".wav"
    rate, channels, pcm = audio(path)
    assert (rate, channels) == (8000, 1)
    assert 1.0 < len(pcm) / rate < 10  # a sentence, not a blip
    assert np.sqrt(np.mean(pcm.astype(float) ** 2)) > 300  # speech, not silence
    stamp = path.stat().st_mtime_ns
    assert prompts.render("您好，欢迎致电12345政务服务便民热线。", tmp_path) == path
    assert path.stat().st_mtime_ns == stamp  # cached by text
    assert prompts.prompt_file("另一句话", tmp_path) != path


def test_say_texts_of_a_configuration() -> None:
    config = CentreConfig(
        tenants=(TenantConfig(1, "c", "中心", prompts=Prompts(welcome="say:欢迎", goodbye="bye.wav")),)
    )
    texts = prompts.say_texts(config, "say:请评价")
    assert "欢迎" in texts and "请评价" in texts and "bye.wav" not in texts
    assert not any("{" in t for t in texts)
    assert "您前面还有3位，预计等待2分钟。" in texts  # queue_position: small figures ahead of time
    assert "您前面还有9位，预计等待2分钟。" not in texts
    assert len(texts) == len(set(texts))


def test_render_all_reports_progress(tmp_path: Path) -> None:
    seen: list[tuple[int, int]] = []
    made = prompts.render_all(["一", "二"], tmp_path, progress=lambda d, t, eta, text: seen.append((d, t)))
    assert made == 2 and seen == [(1, 2), (2, 2)]
    assert prompts.render_all(["一", "二"], tmp_path) == 0


def test_call_plays_the_rendered_welcome(pg_url: str, tmp_path: Path, monkeypatch) -> None:
    from models.settings import get_settings

    monkeypatch.setenv("HOTLINE_DATA_DIR", str(tmp_path / "data"))
    get_settings.cache_clear()
    rig = Rig(pg_url, tmp_path)
    try:
        tenant = next(t for t in rig.ctrl.acd.config.tenants if "12345" in t.called_numbers)
        welcome = tenant.prompts.welcome
        assert welcome.startswith("say:")
        wav = prompts.prompt_file(welcome[4:])
        assert wav.parent == (tmp_path / "data" / "prompts").resolve()
        wait_until(wav.is_file, 60, "configuration prompts rendered")  # the controller renders on load
        rate, channels, pcm = audio(wav)
        assert (rate, channels) == (8000, 1) and np.abs(pcm).max() > 1000
        played: list[str] = []
        fs = rig.sim.fs

        def listen(event) -> None:
            if event.name == "PLAYBACK_START":
                played.append(event.get("Playback-File-Path"))

        rig.sim.run(fs.listeners.append, listen)
        uuid = rig.sim.call(
            CallerScript(number="13877718001", destination="12345", digits=["1", "1"], talk_seconds=1)
        )
        wait_until(lambda: str(wav) in played, 20, "welcome prompt played from its file")
        assert not any(p.startswith("tone_stream://%(500") for p in played[: played.index(str(wav)) + 1])
        rig.wait_cdr_closed(uuid)
    finally:
        rig.close()
        monkeypatch.delenv("HOTLINE_DATA_DIR")
        get_settings.cache_clear()


def test_queue_position_beyond_the_prerendered_figures_is_spoken(
    pg_url: str, tmp_path: Path, monkeypatch
) -> None:
    """Positions 6+ are not rendered ahead: the controller speaks them when first needed, then announces."""
    from models.settings import get_settings

    monkeypatch.setenv("HOTLINE_DATA_DIR", str(tmp_path / "data"))
    get_settings.cache_clear()
    rig = Rig(pg_url, tmp_path)
    try:
        tenant = next(t for t in rig.ctrl.acd.config.tenants if "12345" in t.called_numbers)
        wait_until(lambda: prompts.prompt_file(tenant.prompts.welcome[4:]).is_file(), 60, "prompts rendered")
        for agent in list(rig.ctrl.acd.agents.values()):
            rig.ctrl.apply_acd(rig.ctrl.acd.set_not_ready(agent.agent_number, "会议"))
        directory = prompts.prompt_dir()
        ahead = set(directory.glob("*.wav"))
        played: list[str] = []

        def listen(event) -> None:
            if event.name == "PLAYBACK_START":
                played.append(event.get("Playback-File-Path"))

        rig.sim.run(rig.sim.fs.listeners.append, listen)
        uuids = [
            rig.sim.call(
                CallerScript(number=f"1387771{8100 + i}", destination="12345", digits=["1"], patience=40)
            )
            for i in range(7)
        ]
        positions = lambda: {  # noqa: E731
            e["call_uuid"]: e["position"] for e in rig.events if e["type"] == "queue_position"
        }
        wait_until(
            lambda: max(positions().values(), default=0) >= 6, 60, "a caller sixth or later in the queue"
        )
        # spoken on demand: a file that was not among those rendered at load, played in full
        fresh = lambda: [p for p in played if p and Path(p).parent == directory and Path(p) not in ahead]  # noqa: E731
        wait_until(fresh, 30, "position 6+ spoken from a newly rendered file")
        rate, channels, pcm = audio(Path(fresh()[0]))
        assert (rate, channels) == (8000, 1) and np.abs(pcm).max() > 1000
        for uuid in uuids:
            rig.wait_cdr_closed(uuid, timeout=90)
    finally:
        rig.close()
        monkeypatch.delenv("HOTLINE_DATA_DIR")
        get_settings.cache_clear()
