import csv
import json

from typer.testing import CliRunner

from api.cli import app

from .synthetic import dataset


def test_evaluate_command_prints_figures_and_json_last(tmp_path):
    texts, labels = dataset(12, seed=11)
    path = tmp_path / "train.csv"
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["text", "label"])
        w.writerows(zip(texts, labels, strict=True))
    result = CliRunner().invoke(app, ["dispatch", "evaluate", "--train", str(path), "--folds", "3"])
    assert result.exit_code == 0, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    figures = json.loads(lines[-1])
    for key in ("accuracy", "macro_f1", "top3", "coverage_at_97_precision", "coverage_at_95_precision"):
        assert 0.0 <= figures[key] <= 1.0
    assert figures["accuracy"] > 0.8
    assert "覆盖率-准确率曲线" in result.output
    test_path = tmp_path / "test.csv"
    test_path.write_text("text,label\n老板拖欠工资,市人社局\n小区停水了,建宁水务\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["dispatch", "evaluate", "--train", str(path), "--test", str(test_path)])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output.strip().splitlines()[-1])["n_eval"] == 2
    bad = tmp_path / "bad.csv"
    bad.write_text("body,category\nx,y\n", encoding="utf-8")
    assert CliRunner().invoke(app, ["dispatch", "evaluate", "--train", str(bad)]).exit_code != 0


def test_train_command_shows_progress_and_records_the_job(tmp_path, monkeypatch):
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from models.db import make_engine
    from models.dispatch import TrainingJob
    from models.settings import get_settings
    from tests.conftest import make_database

    from .helpers import build_history

    url, cleanup = make_database("sqlite", tmp_path)
    monkeypatch.setenv("HOTLINE_DATABASE_URL", url)
    monkeypatch.setenv("HOTLINE_DATA_DIR", str(tmp_path))
    get_settings.cache_clear()
    engine = make_engine(url)
    try:
        # the demo alone has too little history: the job fails and says why
        result = CliRunner().invoke(app, ["dispatch", "train"])
        assert result.exit_code == 1 and "训练失败：训练样本不足" in result.output
        with Session(engine) as db:
            build_history(db)
            db.commit()
        result = CliRunner().invoke(app, ["dispatch", "train", "--candidate", "--note", "命令行测试"])
        assert result.exit_code == 0, result.output
        for text in ("读取历史工单", "交叉验证", "保存模型", "100%", "剩余约"):
            assert text in result.output
        figures = json.loads(result.output.strip().splitlines()[-1])
        assert figures["status"] == "candidate" and figures["accuracy"] > 0.6
        with Session(engine) as db:
            rows = list(db.scalars(select(TrainingJob).order_by(TrainingJob.id)))
        assert [(j.source, j.status) for j in rows] == [("cli", "failed"), ("cli", "succeeded")]
        assert rows[1].note == "命令行测试" and rows[1].model_id
    finally:
        engine.dispose()
        get_settings.cache_clear()
        cleanup()
