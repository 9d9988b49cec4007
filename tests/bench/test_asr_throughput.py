"""ASR throughput: seconds of call audio per second of wall time per core, and the cores a day needs.

The committed test calls are concatenated into one long stereo call (~3 minutes, the size of a
typical hotline call) and transcribed by the real pipeline (decode, both channels, VAD, word times).
Figures are printed and saved to var/bench/asr_throughput.json.
"""

from __future__ import annotations

import json
import math
import os
import resource
import wave
from pathlib import Path

import numpy as np
import pytest

from assist.asr.config import AsrSettings
from assist.asr.model import assemble_model, load_model
from assist.asr.transcribe import transcribe_call
from switch.simulator.audio import AUDIO_DIR

AUDIO = AUDIO_DIR
OUT = Path(__file__).resolve().parents[2] / "var" / "bench"
CALLS_PER_DAY = 6000
CALL_SECONDS = 180
DAY = 86400
PEAK_HOUR_SHARE = 0.10  # assumed: the busiest hour carries a tenth of the day's calls


def long_call(path: Path, minimum_seconds: float = 180) -> float:
    from faster_whisper.audio import decode_audio

    pieces = [decode_audio(str(f), split_stereo=True) for f in sorted(AUDIO.glob("call_*.wav"))]
    left, right = [], []
    while sum(len(x) for x in left) / 16000 < minimum_seconds:
        for a, b in pieces:
            left.append(a)
            right.append(b)
    stereo = np.stack([np.concatenate(left), np.concatenate(right)], axis=1)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(2)
        w.setsampwidth(2)
        w.setframerate(16000)
        w.writeframes((np.clip(stereo, -1, 1) * 32767).astype("<i2").tobytes())
    return len(stereo) / 16000


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


@pytest.mark.bench
def test_asr_throughput(tmp_path):
    cores = os.cpu_count() or 1
    call = tmp_path / "long_call.wav"
    seconds = long_call(call)
    model_dir = assemble_model(tmp_path / "data")
    settings = AsrSettings()
    runs = {}
    # one worker using every core, and one single-threaded worker (deployments run one per core)
    for threads in sorted({cores, 1}, reverse=True):
        model = load_model(model_dir, threads=threads)
        transcribe_call(AUDIO / "call_forbidden.wav", model, settings=settings)  # warm-up
        cpu_before = _cpu_seconds()
        result = transcribe_call(call, model, settings=settings)
        cpu = _cpu_seconds() - cpu_before
        per_core = result.duration / result.elapsed / threads
        runs[threads] = {
            "threads": threads,
            "audio_seconds": round(result.duration, 1),
            "wall_seconds": round(result.elapsed, 2),
            "rtf": round(result.rtf, 4),
            "audio_seconds_per_wall_second": round(result.duration / result.elapsed, 2),
            "audio_seconds_per_wall_second_per_core": round(per_core, 2),
            # CPU time is what a core spends, whatever else shares the machine
            "cpu_seconds": round(cpu, 2),
            "audio_seconds_per_cpu_second": round(result.duration / cpu, 2),
            "segments": len(result.segments),
        }
        assert result.segments, "nothing transcribed"
    best = max(r["audio_seconds_per_wall_second_per_core"] for r in runs.values())
    best_cpu = max(r["audio_seconds_per_cpu_second"] for r in runs.values())
    needed = CALLS_PER_DAY * CALL_SECONDS / DAY  # audio seconds to transcribe per wall second
    figures = {
        "machine_cores": cores,
        "long_call_seconds": round(seconds, 1),
        "runs": list(runs.values()),
        "day": {
            "calls": CALLS_PER_DAY,
            "call_seconds": CALL_SECONDS,
            "audio_seconds": CALLS_PER_DAY * CALL_SECONDS,
        },
        "required_audio_seconds_per_second": round(needed, 2),
        "cores_needed_for_the_day": math.ceil(needed / best),
        "cores_needed_for_the_day_by_cpu_time": math.ceil(needed / best_cpu),
        # to also keep up within the busiest hour (no backlog at all), by CPU time
        "cores_needed_for_the_peak_hour_by_cpu_time": math.ceil(
            PEAK_HOUR_SHARE * CALLS_PER_DAY * CALL_SECONDS / 3600 / best_cpu
        ),
        "load_average_1m": round(os.getloadavg()[0], 2),
        "settings": {
            "beam_size": settings.beam_size,
            "vad": settings.vad,
            "word_timestamps": settings.word_timestamps,
            "compute_type": "int8",
        },
    }
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "asr_throughput.json").write_text(json.dumps(figures, indent=1), encoding="utf-8")
    for r in runs.values():
        print(
            f"\nASR {r['threads']} thread(s): {r['audio_seconds']} s of call in {r['wall_seconds']} s "
            f"(RTF {r['rtf']}) = {r['audio_seconds_per_wall_second_per_core']} s audio / s / core; "
            f"{r['cpu_seconds']} CPU s = {r['audio_seconds_per_cpu_second']} s audio / CPU s"
        )
    print(
        f"a day of {CALLS_PER_DAY} × {CALL_SECONDS} s calls needs {needed:.2f} s audio per second: "
        f"{figures['cores_needed_for_the_day']} worker cores by wall time, "
        f"{figures['cores_needed_for_the_day_by_cpu_time']} by CPU time (load average {figures['load_average_1m']})"
    )
    assert best > 0
