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
