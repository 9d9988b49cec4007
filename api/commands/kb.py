"""`hotline kb ...`: 知识库：导入、导出、重建索引、评测."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from models.settings import get_settings

app = typer.Typer(help="知识库：导入、导出、重建索引、评测", no_args_is_help=True)


def _sessionmaker():
    from models.db import make_engine, make_sessionmaker
    from models.migrate import upgrade

    url = get_settings().resolved_database_url()
    upgrade(url)
    return make_sessionmaker(make_engine(url))


@app.command("evaluate")
def evaluate_cmd(
    qa: Annotated[
        Path, typer.Option("--qa", exists=True, dir_okay=False, help="问答 CSV（列 question,answer）")
    ],
    extra: Annotated[
        Path | None,
        typer.Option("--extra", exists=True, dir_okay=False, help="干扰答案 CSV（列 question,answer）"),
    ] = None,
    embedder: Annotated[str | None, typer.Option(help="向量模型（默认取配置 HOTLINE_EMBEDDER）")] = None,
    limit: Annotated[int, typer.Option(help="只评测前 N 个问题（0 为全部）")] = 0,
) -> None:
    """评测检索：每个答案作为一篇知识，问题须检出自己的答案；输出 BM25 / 向量 / 混合的 Recall@1、Recall@5、MRR。

    段落向量缓存在数据库（按内容哈希与模型名），重复评测不再计算。最后一行为 JSON。
    """
    from tqdm import tqdm

    from kb.search.embedders import get_embedder
    from kb.search.evaluate import MODES, evaluate, read_qa
    from kb.search.store import embed_passages

    items = read_qa(qa)
    if limit:
        items = items[:limit]
    extras = read_qa(extra) if extra else []
    model = get_embedder(embedder or get_settings().embedder)
    factory = _sessionmaker()

    def embed(texts: list[str]):
        with factory() as db:
            bar = tqdm(total=None, desc="计算段落向量", unit="段", dynamic_ncols=True)

            def on_batch(done: int, total: int) -> None:
                db.commit()  # keep progress if interrupted
                bar.total = total
                bar.n = done
                bar.refresh()

            vecs = embed_passages(db, model, texts, on_batch=on_batch)
            db.commit()
            bar.close()
            return vecs

    result = evaluate(items, extras, model, embed, progress=typer.echo)
    typer.echo(f"\n模型 {result['embedder']}：{result['questions']} 个问题，{result['articles']} 篇知识")
    typer.echo(f"{'模式':<8}{'Recall@1':>10}{'Recall@5':>10}{'MRR':>8}")
    for m in MODES:
        r = result[m]
        typer.echo(f"{m:<8}{r['recall@1']:>10.4f}{r['recall@5']:>10.4f}{r['mrr']:>8.4f}")
    th = result["threshold"]
    if th:
        typer.echo(f"智能问答阈值（余弦）：{th['cosine']}，判定准确率 {th['accuracy']:.4f}")
    typer.echo(json.dumps(result, ensure_ascii=False))
