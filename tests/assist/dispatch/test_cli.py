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
