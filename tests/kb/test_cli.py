"""`hotline kb evaluate`: three modes, a JSON line last; distractors from --extra; cached vectors."""

from __future__ import annotations

import csv
import json

from typer.testing import CliRunner

from api.commands.kb import app

QA = [
    ("社保卡丢了怎么补办", "社保卡丢失后先挂失，再携带身份证到服务银行网点补办。"),
    ("公积金租房怎么提取", "无自有住房租房居住、连续缴存满三个月的，可申请租房提取公积金。"),
    ("养狗要登记吗", "城区养犬应接种狂犬疫苗后到派出所办理犬只登记。"),
    ("家里停电了找谁", "停电可拨打95598报修，先检查家中总开关是否跳闸。"),
]
EXTRA = [("无关问题", "本市气象台每日发布天气预报。"), ("无关问题二", "公园开放时间为每日六点至二十二点。")]


def _write(path, rows):
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["question", "answer", "unit"])
        for q, a in rows:
            w.writerow([q, a, "某单位"])


def test_evaluate_prints_three_modes_and_json(tmp_path, monkeypatch):
    qa, extra = tmp_path / "qa.csv", tmp_path / "extra.csv"
    _write(qa, QA)
    _write(extra, EXTRA)
    monkeypatch.setenv("HOTLINE_DATABASE_URL", f"sqlite:///{tmp_path / 'eval.db'}")
    monkeypatch.setenv("HOTLINE_DATA_DIR", str(tmp_path))
    from models.settings import get_settings

    get_settings.cache_clear()
    try:
        runner = CliRunner()
        r = runner.invoke(app, ["evaluate", "--qa", str(qa), "--extra", str(extra), "--embedder", "hash"])
        assert r.exit_code == 0, r.output
        result = json.loads(r.output.strip().splitlines()[-1])
        assert result["questions"] == 4 and result["articles"] == 6
        for mode in ("bm25", "vector", "hybrid"):
            assert set(result[mode]) == {"recall@1", "recall@5", "mrr"}
            assert 0.0 <= result[mode]["recall@1"] <= result[mode]["recall@5"] <= 1.0
        assert result["bm25"]["recall@1"] == 1.0  # these questions share words with their answers
        # second run: every passage comes from the cache
        r2 = runner.invoke(app, ["evaluate", "--qa", str(qa), "--embedder", "hash", "--mode", "bm25"])
        second = json.loads(r2.output.strip().splitlines()[-1])
        assert second["articles"] == 4 and "vector" not in second
        bad = tmp_path / "bad.csv"
        bad.write_text("q,a\n1,2\n", encoding="utf-8")
        r3 = runner.invoke(app, ["evaluate", "--qa", str(bad), "--embedder", "hash"])
        assert r3.exit_code == 2 and "question,answer" in r3.output
    finally:
        get_settings.cache_clear()
