"""`hotline asr ...`: 语音转写：评测与批量转写."""

from __future__ import annotations

import csv
import json
import time
from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(help="语音转写：评测与批量转写", no_args_is_help=True)


def _model():
    from assist.asr.config import get_asr_settings
    from assist.asr.model import load_model, model_dir
    from models.settings import get_settings

    settings, asr = get_settings(), get_asr_settings()
    started = time.perf_counter()
    model = load_model(model_dir(settings.data_dir, asr.model_dir), threads=settings.whisper_threads)
    typer.echo(f"模型已加载（{time.perf_counter() - started:.1f} 秒）", err=True)
    return model, asr


def _read_manifest(manifest: Path) -> list[tuple[Path, str]]:
    if not manifest.is_file():
        raise typer.BadParameter(f"清单文件不存在：{manifest}", param_hint="--manifest")
    with manifest.open(newline="", encoding="utf-8-sig") as f:
        reader = csv.DictReader(f)
        if not reader.fieldnames or not {"path", "transcript"} <= set(reader.fieldnames):
            raise typer.BadParameter("清单须有 path,transcript 两列", param_hint="--manifest")
        rows = [(manifest.parent / row["path"], row["transcript"]) for row in reader if row.get("path")]
    if not rows:
        raise typer.BadParameter("清单为空", param_hint="--manifest")
    return rows


@app.command("evaluate")
def evaluate(
    manifest: Annotated[Path, typer.Option("--manifest", help="CSV：path,transcript（路径相对于清单）")],
) -> None:
    """在标注集上评测：字错误率（繁转简、数字归一后）与实时率；最后一行为 JSON（cer、rtf）。"""
    from tqdm import tqdm

    from assist.asr.text import character_errors
    from assist.asr.transcribe import UndecodableAudio, transcribe_call

    rows = _read_manifest(manifest)
    model, asr = _model()
    edits = length = 0
    audio = wall = 0.0
    failed = 0
    for path, reference in tqdm(rows, desc="评测", unit="条"):
        try:
            result = transcribe_call(path, model, settings=asr)
        except UndecodableAudio as exc:
            failed += 1
            typer.echo(f"{path.name}: 无法转写（{exc}）", err=True)
            continue
        e, n = character_errors(reference, result.text)
        edits, length = edits + e, length + n
        audio, wall = audio + result.duration, wall + result.elapsed
        tqdm.write(f"{path.name}: CER {e / max(n, 1):.3f}  RTF {result.rtf:.3f}  「{result.text}」")
    cer = edits / length if length else 1.0
    rtf = wall / audio if audio else 0.0
    typer.echo(f"共 {len(rows)} 条，失败 {failed} 条；音频 {audio:.1f} 秒，耗时 {wall:.1f} 秒")
    typer.echo(f"字错误率 CER = {cer:.2%}，实时率 RTF = {rtf:.3f}")
    typer.echo(
        json.dumps(
            {
                "cer": round(cer, 4),
                "rtf": round(rtf, 4),
                "files": len(rows),
                "failed": failed,
                "audio_seconds": round(audio, 2),
                "wall_seconds": round(wall, 2),
            },
            ensure_ascii=False,
        )
    )


@app.command("transcribe")
def transcribe(
    files: Annotated[list[Path], typer.Argument(help="录音文件（立体声：左声道坐席、右声道群众）")],
    as_json: Annotated[bool, typer.Option("--json", help="每个文件输出一行 JSON")] = False,
) -> None:
    """转写录音文件，显示进度与预计剩余时间。"""
    from tqdm import tqdm

    from assist.asr.transcribe import UndecodableAudio, load_channels, transcribe_call

    model, asr = _model()
    durations = {}
    for path in files:
        try:
            durations[path] = load_channels(path, asr.roles())[1]
        except UndecodableAudio as exc:
            typer.echo(f"{path}: 无法解码（{exc}）", err=True)
    total = sum(durations.values())
    failed = len(files) - len(durations)
    with tqdm(total=round(total, 1), desc="转写", unit="秒音频") as bar:
        for path in durations:
            result = transcribe_call(path, model, settings=asr, progress=lambda s: bar.update(round(s, 1)))
            if as_json:
                tqdm.write(
                    json.dumps(
                        {
                            "file": str(path),
                            "duration": result.duration,
                            "rtf": round(result.rtf, 3),
                            "segments": [s.as_dict() for s in result.segments],
                        },
                        ensure_ascii=False,
                    )
                )
            else:
                tqdm.write(f"== {path}（{result.duration:.1f} 秒，RTF {result.rtf:.2f}）")
                for s in result.segments:
                    tqdm.write(
                        f"[{s.start:7.2f}–{s.end:7.2f}] {'坐席' if s.speaker == 'agent' else '群众' if s.speaker == 'citizen' else '混合'}：{s.text}"
                    )
    if failed:
        raise typer.Exit(1)


@app.command("live")
def live() -> None:
    """通话中实时转写：跟随正在写入的录音，按停顿切分双方语音，发布 transcript 事件（供坐席知识推荐）。"""
    from assist.asr.live_run import serve
    from models.logging import configure_logging
    from models.settings import get_settings

    settings = get_settings()
    configure_logging(settings.log_level, json_lines=settings.log_json, service="asr-live")
    serve(settings)
