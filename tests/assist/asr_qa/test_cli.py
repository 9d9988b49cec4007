"""`hotline asr evaluate`, `hotline asr transcribe` and `hotline qa score` as a user runs them (real model)."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

from pypinyin import lazy_pinyin

from tests.assist.asr_qa.conftest import AUDIO, CALLS, expected_time

ROOT = Path(__file__).resolve().parents[3]


def hotline(*args: str, data_dir: Path, **env_over: str) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "HOTLINE_DATA_DIR": str(data_dir),
        "HF_HUB_OFFLINE": "1",
        "HOTLINE_LOG_JSON": "false",
        **env_over,
    }
    return subprocess.run(
        [sys.executable, "-m", "api.cli", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_evaluate_prints_cer_and_rtf_last(asr_data_dir, tmp_path):
    manifest = tmp_path / "set" / "m.csv"
    manifest.parent.mkdir()
    with manifest.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["path", "transcript"])
        name = "call_forbidden"
        ref = "".join(t["text"] for t in CALLS[name]["turns"])
        w.writerow([os.path.relpath(AUDIO / f"{name}.wav", manifest.parent), ref])  # relative to the manifest
    r = hotline("asr", "evaluate", "--manifest", str(manifest), data_dir=asr_data_dir)
    assert r.returncode == 0, r.stderr
    last = json.loads(r.stdout.strip().splitlines()[-1])
    assert 0 <= last["cer"] < 0.3 and 0 < last["rtf"] < 2 and last["files"] == 1 and last["failed"] == 0
    assert "字错误率" in r.stdout

    bad = tmp_path / "bad.csv"
    bad.write_text("file,text\nx.wav,你好\n", encoding="utf-8")
    r = hotline("asr", "evaluate", "--manifest", str(bad), data_dir=asr_data_dir)
    assert r.returncode != 0 and "path,transcript" in r.stderr


def test_qa_score_prints_deductions_with_times(asr_data_dir, pg_url):
    # the centre's rules from the database (the demo loads the defaults)
    r = hotline(
        "qa",
        "score",
        str(AUDIO / "call_forbidden.wav"),
        "--tenant",
        "NN",
        data_dir=asr_data_dir,
        HOTLINE_DATABASE_URL=pg_url,
    )
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    forbidden = [d for d in out["deductions"] if d["rule"] == "forbidden"]
    # matched by sound, as the rule does: Whisper may write the homophone 不归我们馆
    assert forbidden and lazy_pinyin(forbidden[0]["words"]) == lazy_pinyin("不归我们管")
    assert abs(forbidden[0]["start"] - expected_time("call_forbidden", "不归我们管")) <= 1.0
    assert out["score"] == 100 - sum(d["points"] for d in out["deductions"])
    assert {s["speaker"] for s in out["segments"]} == {"agent", "citizen"}


def test_transcribe_reports_undecodable_files(asr_data_dir, tmp_path):
    junk = tmp_path / "junk.wav"
    junk.write_bytes(b"not audio at all")
    r = hotline("asr", "transcribe", str(junk), data_dir=asr_data_dir)
    assert r.returncode == 1 and "无法解码" in r.stderr


def test_evaluate_emotion_on_a_labelled_csv(tmp_path):
    data = tmp_path / "messages.csv"
    with data.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["text", "sentiment", "type"])
        w.writerow(["部门之间互相踢皮球，我真是忍无可忍", "愤怒", "投诉"])
        w.writerow(["小区垃圾没有及时清运，希望处理", "愤怒", "投诉"])
        w.writerow(["请问心理咨询师资格证在哪里办理", "中性", "咨询"])
        w.writerow(["建议增加公交线路", "中性", "建言"])
    r = hotline("qa", "evaluate-emotion", "--csv", str(data), data_dir=tmp_path)
    assert r.returncode == 0, r.stderr
    last = json.loads(r.stdout.strip().splitlines()[-1])
    assert (last["rows"], last["alerts"], last["precision"], last["recall"]) == (4, 1, 1.0, 0.5)
    assert last["categories"] == {"anger": 1}
