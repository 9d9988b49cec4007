"""ASR accuracy and QA rule hits on the committed test calls, tracked over time.

Runs the same evaluation as `hotline asr evaluate --manifest switch/simulator/audio/manifest.csv`
and scores each call with the default rules; saves var/bench/asr_accuracy.json.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from assist.asr.config import AsrSettings
from assist.asr.model import assemble_model, load_model
from assist.asr.text import character_errors
from assist.asr.transcribe import transcribe_call
from assist.qa.engine import Call, SegmentIn, score_call
from assist.qa.service import default_rules_for_engine
from switch.simulator.audio import AUDIO_DIR

AUDIO = AUDIO_DIR
OUT = Path(__file__).resolve().parents[2] / "var" / "bench"
# what the default rules should find in each call
EXPECTED = {
    "call_standard.wav": ([], []),
    "call_no_greeting.wav": (["greeting"], []),
    "call_forbidden.wav": (["forbidden", "forbidden", "confirm_info", "confirm_info"], []),
    "call_angry.wav": (["confirm_info", "confirm_info"], ["anger", "self_harm"]),
    "call_interrupt.wav": (["interruption"], []),
}


@pytest.mark.bench
def test_asr_accuracy_and_rule_hits(tmp_path):
    model = load_model(assemble_model(tmp_path / "data"), threads=2)
    settings = AsrSettings()
    rows = list(csv.DictReader((AUDIO / "manifest.csv").open(encoding="utf-8")))
    edits = length = 0
    audio = wall = 0.0
    files, rule_matches = [], 0
    for row in rows:
        result = transcribe_call(AUDIO / row["path"], model, settings=settings)
        e, n = character_errors(row["transcript"], result.text)
        edits, length, audio, wall = edits + e, length + n, audio + result.duration, wall + result.elapsed
        segments = [
            SegmentIn(i, s.speaker, s.start, s.end, s.text, [[w.start, w.end, w.text] for w in s.words])
            for i, s in enumerate(result.segments)
        ]
        scored = score_call(Call(segments, result.duration), default_rules_for_engine())
        got = (sorted(d.rule.code for d in scored.deductions), sorted(a.category for a in scored.alerts))
        want = tuple(sorted(x) for x in EXPECTED[row["path"]])
        rule_matches += got == want
        files.append(
            {
                "file": row["path"],
                "cer": round(e / n, 4),
                "rtf": round(result.rtf, 4),
                "score": scored.score,
                "deductions": got[0],
                "alerts": got[1],
                "as_expected": got == want,
            }
        )
    figures = {
        "cer": round(edits / length, 4),
        "rtf": round(wall / audio, 4),
        "calls_with_expected_rule_hits": f"{rule_matches}/{len(rows)}",
        "files": files,
    }
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "asr_accuracy.json").write_text(
        json.dumps(figures, ensure_ascii=False, indent=1), encoding="utf-8"
    )
    print(
        f"\nASR CER {figures['cer']:.2%}, RTF {figures['rtf']}, rule hits as expected: {figures['calls_with_expected_rule_hits']}"
    )
    assert figures["cer"] < 0.3
