"""`hotline qa ...`: 质检：打分."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(help="质检：打分", no_args_is_help=True)


@app.command("score")
def score(
    call: Annotated[Path, typer.Argument(help="通话录音（立体声 WAV）")],
    rules: Annotated[
        Path | None, typer.Option(help="规则 JSON 文件（列表，字段同 /api/qa/rules）；默认用内置规则")
    ] = None,
    ticket: Annotated[str | None, typer.Option(help="工单内容，用于一致性检查")] = None,
    tenant: Annotated[str | None, typer.Option(help="租户编码：用数据库中该租户的规则")] = None,
) -> None:
    """转写并按规则打分，输出 JSON：总分、每个扣分项（时间、说话人、原话）和预警。"""
    from assist.asr.config import get_asr_settings
    from assist.asr.model import load_model, model_dir
    from assist.asr.transcribe import UndecodableAudio, transcribe_call
    from assist.qa.engine import Call, RuleIn, SegmentIn, score_call
    from assist.qa.service import default_rules_for_engine
    from models.settings import get_settings

    settings, asr = get_settings(), get_asr_settings()
    if rules is not None:
        try:
            specs = json.loads(rules.read_text(encoding="utf-8"))
            rule_list = [
                RuleIn(
                    r["code"],
                    r.get("name", r["code"]),
                    r["kind"],
                    r.get("params", {}),
                    float(r.get("deduction", 5)),
                    float(r.get("weight", 1)),
                    float(r.get("max_deduction", 0)),
                )
                for r in specs
                if r.get("enabled", True)
            ]
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise typer.BadParameter(f"规则文件无效：{exc}", param_hint="--rules") from exc
    elif tenant is not None:
        rule_list = _tenant_rules(tenant)
    else:
        rule_list = default_rules_for_engine()
    model = load_model(model_dir(settings.data_dir, asr.model_dir), threads=settings.whisper_threads)
    try:
        result = transcribe_call(call, model, settings=asr)
    except UndecodableAudio as exc:
        typer.echo(f"无法转写：{exc}", err=True)
        raise typer.Exit(2) from exc
    segments = [
        SegmentIn(i, s.speaker, s.start, s.end, s.text, [[w.start, w.end, w.text] for w in s.words])
        for i, s in enumerate(result.segments)
    ]
    scored = score_call(Call(segments, result.duration, ticket), rule_list)
    out = {
        "file": str(call),
        "duration": round(result.duration, 2),
        **scored.as_dict(),
        "segments": [
            {"speaker": s.speaker, "start": s.start, "end": s.end, "text": s.text} for s in segments
        ],
    }
    typer.echo(json.dumps(out, ensure_ascii=False, indent=1))


def _tenant_rules(code: str) -> list:
    from sqlalchemy import select

    from assist.qa.service import list_rules, rules_for_engine
    from models.db import make_engine, make_sessionmaker, session_scope
    from models.org import Tenant
    from models.settings import get_settings

    with session_scope(make_sessionmaker(make_engine(get_settings().resolved_database_url()))) as db:
        found = db.scalar(select(Tenant).where(Tenant.code == code))
        if found is None:
            raise typer.BadParameter(f"租户 {code} 不存在", param_hint="--tenant")
        return rules_for_engine(list_rules(db, found.id))


@app.command("evaluate-emotion")
def evaluate_emotion(
    csv_path: Annotated[
        Path, typer.Option("--csv", help="CSV：text,sentiment（愤怒/中性/悲伤/恐惧），如 messages_dev.csv")
    ],
    limit: Annotated[int, typer.Option(help="最多评测多少条，0 为全部")] = 0,
) -> None:
    """评测群众情绪预警规则：把每条文本当作群众的话，预警（愤怒/威胁/自伤）对照"愤怒"标注的精确率与召回率；
    最后一行为 JSON。"""
    import csv
    from collections import Counter

    from tqdm import tqdm

    from assist.qa.engine import Call, SegmentIn, score_call
    from assist.qa.service import default_rules_for_engine

    if not csv_path.is_file():
        raise typer.BadParameter(f"文件不存在：{csv_path}", param_hint="--csv")
    with csv_path.open(newline="", encoding="utf-8-sig") as f:
        reader = csv.DictReader(f)
        if not reader.fieldnames or not {"text", "sentiment"} <= set(reader.fieldnames):
            raise typer.BadParameter("CSV 须有 text,sentiment 两列", param_hint="--csv")
        rows = [r for r in reader if r.get("text")]
    rows = rows[:limit] if limit else rows
    rules = [r for r in default_rules_for_engine() if r.kind == "emotion"]
    counts, categories = Counter(), Counter()
    for row in tqdm(rows, desc="评测", unit="条"):
        alerts = score_call(Call([SegmentIn(0, "citizen", 0.0, 1.0, row["text"])]), rules).alerts
        predicted, actual = bool(alerts), row["sentiment"].strip() == "愤怒"
        counts[(predicted, actual)] += 1
        categories.update({a.category for a in alerts})
    tp, fp, fn = counts[(True, True)], counts[(True, False)], counts[(False, True)]
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    typer.echo(f"共 {len(rows)} 条，触发预警 {tp + fp} 条（{dict(categories)}）")
    typer.echo(f"对照“愤怒”：精确率 {precision:.1%}，召回率 {recall:.1%}，F1 {f1:.3f}")
    typer.echo(
        json.dumps(
            {
                "rows": len(rows),
                "alerts": tp + fp,
                "precision": round(precision, 4),
                "recall": round(recall, 4),
                "f1": round(f1, 4),
                "categories": dict(categories),
            },
            ensure_ascii=False,
        )
    )
