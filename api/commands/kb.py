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
    bm25_weight: Annotated[
        float | None, typer.Option(help="混合检索中 BM25 的融合权重（默认取内置值）")
    ] = None,
    min_coverage: Annotated[
        float | None, typer.Option(help="混合检索中词项匹配的最低查询覆盖率（IDF 占比，默认取内置值）")
    ] = None,
    mode: Annotated[
        list[str] | None, typer.Option("--mode", help="只评测这些模式（bm25 / vector / hybrid）")
    ] = None,
) -> None:
    """评测检索：每个答案作为一篇知识，问题须检出自己的答案；输出 BM25 / 向量 / 混合的 Recall@1、Recall@5、MRR。

    段落向量缓存在数据库（按内容哈希与模型名），重复评测不再计算。最后一行为 JSON。
    """
    from tqdm import tqdm

    from kb.retrieval import QA_THRESHOLDS
    from kb.search.embedders import get_embedder
    from kb.search.engine import FUSION_WEIGHTS
    from kb.search.evaluate import MODES, evaluate, read_qa
    from kb.search.store import embed_passages, embed_queries_cached

    try:
        items = read_qa(qa)
        extras = read_qa(extra) if extra else []
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from exc
    if limit:
        items = items[:limit]
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

    def embed_q(texts: list[str]):
        with factory() as db:
            vecs = embed_queries_cached(db, model, texts)
            db.commit()
            return vecs

    weights = dict(FUSION_WEIGHTS)
    if bm25_weight is not None:
        weights["bm25"] = bm25_weight
    modes = tuple(mode) if mode else MODES
    result = evaluate(
        items,
        extras,
        model,
        embed,
        embed_queries=embed_q,
        weights=weights,
        min_coverage=min_coverage,
        modes=modes,
        qa_rule=QA_THRESHOLDS.get(model.name),
        progress=typer.echo,
    )
    typer.echo(f"\n模型 {result['embedder']}：{result['questions']} 个问题，{result['articles']} 篇知识")
    typer.echo(f"{'模式':<8}{'Recall@1':>10}{'Recall@5':>10}{'MRR':>8}")
    for m in modes:
        r = result[m]
        typer.echo(f"{m:<8}{r['recall@1']:>10.4f}{r['recall@5']:>10.4f}{r['mrr']:>8.4f}")
    th = result["threshold"]
    if th:
        typer.echo(
            f"智能问答阈值（本集最优）：余弦 ≥ {th['cosine']} 且领先次优 ≥ {th['margin']}，判定准确率 {th['accuracy']:.4f}"
        )
        if "configured" in th:
            c = th["configured"]
            typer.echo(
                f"当前配置：余弦 ≥ {c['cosine']} 且领先次优 ≥ {c['margin']}，判定准确率 {c['accuracy']:.4f}，"
                f"作答率 {c['answer_rate']:.4f}，作答准确率 {c['precision_when_answering']}"
            )
    typer.echo(json.dumps(result, ensure_ascii=False))


def _scope(db, username: str):
    from sqlalchemy import select

    from models.org import User
    from models.scope import scope_for

    user = db.scalar(select(User).where(User.username == username))
    if user is None:
        raise typer.BadParameter(f"用户 {username} 不存在", param_hint="--user")
    return scope_for(db, user)


@app.command("rebuild")
def rebuild_cmd(
    embed: Annotated[
        bool, typer.Option("--embed/--no-embed", help="先为缺少向量的已上架知识计算段落向量")
    ] = True,
) -> None:
    """重建检索索引：计算缺失的段落向量（缓存于数据库），重建 BM25 与 FAISS 索引并保存到数据目录。"""
    import time

    from sqlalchemy import select
    from tqdm import tqdm

    from kb import flows
    from kb.enums import ArticleStatus
    from kb.search.embedders import get_embedder
    from kb.search.index import get_index
    from models.kb import Article

    settings = get_settings()
    factory = _sessionmaker()
    model = get_embedder(settings.embedder)
    if embed:
        with factory() as db:
            ids = list(db.scalars(select(Article.id).where(Article.status == ArticleStatus.published)))
        for aid in tqdm(ids, desc="计算段落向量", unit="篇", dynamic_ncols=True):
            with factory() as db:
                flows.embed_articles(db, model, [aid])
                db.commit()
    t0 = time.perf_counter()
    with factory() as db:
        index = get_index(
            db_url=settings.resolved_database_url(),
            embedder_spec=settings.embedder,
            data_dir=settings.data_dir,
        )
        n = index.rebuild(db)
    typer.echo(
        f"索引已重建：{n} 篇已上架知识，{len(index.engine.vectors or [])} 篇有向量，"
        f"用时 {time.perf_counter() - t0:.1f} 秒，快照清单 {index.path.with_suffix('.json')}"
    )


@app.command("import")
def import_cmd(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="xlsx 或 docx 文件")],
    user: Annotated[str, typer.Option("--user", help="以哪个用户的身份导入（决定权限与所属单位）")] = "admin",
    yellow_pages: Annotated[
        bool, typer.Option("--yellow-pages", help="导入部门黄页（xlsx）而不是知识")
    ] = False,
) -> None:
    """批量导入知识（导入为草稿）或部门黄页；逐行报告错误，其余照常导入。"""
    from kb import io

    data = file.read_bytes()
    ext = file.suffix.lower()
    with _sessionmaker()() as db:
        scope = _scope(db, user)
        if yellow_pages:
            report = io.import_yellow_pages_xlsx(db, scope, data)
        elif ext == ".xlsx":
            report = io.import_articles_xlsx(db, scope, data)
        elif ext == ".docx":
            report = io.import_articles_docx(db, scope, data)
        else:
            raise typer.BadParameter("只支持 .xlsx 或 .docx", param_hint="FILE")
        db.commit()
    for e in report.errors:
        typer.echo(f"第 {e['row']} 行（{e['field'] or '-'}）：{e['reason']}", err=True)
    typer.echo(json.dumps(report.as_dict(), ensure_ascii=False))


@app.command("export")
def export_cmd(
    file: Annotated[Path, typer.Argument(dir_okay=False, help="输出文件，.xlsx 或 .docx")],
    user: Annotated[str, typer.Option("--user")] = "admin",
    status: Annotated[str | None, typer.Option(help="只导出某状态，如 published")] = None,
    yellow_pages: Annotated[bool, typer.Option("--yellow-pages", help="导出部门黄页")] = False,
) -> None:
    """导出知识或部门黄页为 xlsx / docx。"""
    from kb import io, service
    from kb import yellow_pages as yp

    ext = file.suffix.lower()
    if ext not in (".xlsx", ".docx"):
        raise typer.BadParameter("只支持 .xlsx 或 .docx", param_hint="FILE")
    with _sessionmaker()() as db:
        scope = _scope(db, user)
        if yellow_pages:
            rows, _ = yp.search(db, scope, offset=0, limit=1_000_000)
            data = io.export_yellow_pages_xlsx(rows) if ext == ".xlsx" else io.export_yellow_pages_docx(rows)
        else:
            rows, _ = service.list_articles(db, scope, status=status, offset=0, limit=1_000_000)
            data = io.export_articles_xlsx(db, rows) if ext == ".xlsx" else io.export_articles_docx(db, rows)
    file.write_bytes(data)
    typer.echo(f"已导出 {len(rows)} 条到 {file}")
