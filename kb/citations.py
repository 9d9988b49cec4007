"""Citations (a ticket reply cites articles) and views; both feed the hot ranking (热度排行).

Heat of an article = Σ weight(kind) · 2^(−age / half-life) over its hits in the period, so a
citation last hour counts more than one last week. The half-life follows the period asked for.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from prometheus_client import Counter
from sqlalchemy import select
from sqlalchemy.orm import Session

from kb.enums import HitKind, Permission
from kb.permissions import require_article
from kb.service import category_branch_ids
from models.db import utcnow
from models.errors import Invalid, NotFound
from models.kb import Article, ArticleHit
from models.scope import Scope

HITS = Counter("hotline_kb_hits_total", "知识浏览与引用次数", ["kind"])

WEIGHTS = {HitKind.view: 1.0, HitKind.cite: 3.0}
# period → (window, half-life)
PERIODS: dict[str, tuple[timedelta, timedelta]] = {
    "day": (timedelta(days=1), timedelta(hours=6)),
    "week": (timedelta(days=7), timedelta(days=2)),
    "month": (timedelta(days=30), timedelta(days=7)),
    "year": (timedelta(days=365), timedelta(days=60)),
}


def record(
    db: Session,
    *,
    article_ids: Iterable[int],
    ticket_id: int | None,
    scope: Scope,
    at: datetime | None = None,
) -> list[ArticleHit]:
    """A ticket reply cites these articles (once per ticket and article; repeats are ignored)."""
    ids = list(dict.fromkeys(int(a) for a in article_ids))
    if not ids:
        return []
    out = []
    for aid in ids:
        article = db.get(Article, aid)
        if article is None:
            raise NotFound(f"知识 {aid} 不存在", field="article_ids")
        require_article(db, scope, article, Permission.read)
        if ticket_id is not None and db.scalar(
            select(ArticleHit.id).where(
                ArticleHit.article_id == aid,
                ArticleHit.ticket_id == ticket_id,
                ArticleHit.kind == HitKind.cite,
            )
        ):
            continue
        hit = ArticleHit(
            tenant_id=article.tenant_id,
            article_id=aid,
            kind=str(HitKind.cite),
            ticket_id=ticket_id,
            user_id=scope.user_id,
            at=at or utcnow(),
        )
        db.add(hit)
        out.append(hit)
        HITS.labels("cite").inc()
    db.flush()
    return out


def record_view(db: Session, *, article_id: int, scope: Scope, at: datetime | None = None) -> ArticleHit:
    article = db.get(Article, article_id)
    if article is None:
        raise NotFound("知识不存在")
    hit = ArticleHit(
        tenant_id=article.tenant_id,
        article_id=article_id,
        kind=str(HitKind.view),
        user_id=scope.user_id,
        at=at or utcnow(),
    )
    db.add(hit)
    db.flush()
    HITS.labels("view").inc()
    return hit


def hot_ranking(
    db: Session,
    *,
    tenant_ids: Iterable[int],
    period: str = "week",
    category_id: int | None = None,
    limit: int = 10,
    now: datetime | None = None,
) -> list[dict[str, Any]]:
    """Published articles by heat in the period, optionally within one category branch."""
    if period not in PERIODS:
        raise Invalid(f"统计周期只能是 {'、'.join(PERIODS)}", field="period")
    now = now or utcnow()
    window, half_life = PERIODS[period]
    stmt = (
        select(ArticleHit.article_id, ArticleHit.kind, ArticleHit.at)
        .join(Article, Article.id == ArticleHit.article_id)
        .where(
            ArticleHit.tenant_id.in_(list(tenant_ids)),
            ArticleHit.at > now - window,
            ArticleHit.at <= now,
            Article.status == "published",
            Article.base_id.is_(None),
        )
    )
    if category_id is not None:
        stmt = stmt.where(Article.category_id.in_(category_branch_ids(db, category_id)))
    heat: dict[int, float] = defaultdict(float)
    counts: dict[int, dict[str, int]] = defaultdict(lambda: {"view": 0, "cite": 0})
    hl = half_life.total_seconds()
    for aid, kind, at in db.execute(stmt):
        age = max((now - at).total_seconds(), 0.0)
        heat[aid] += WEIGHTS[HitKind(kind)] * 0.5 ** (age / hl)
        counts[aid][kind] += 1
    top = sorted(heat, key=lambda a: (-heat[a], a))[:limit]
    titles = {i: t for i, t in db.execute(select(Article.id, Article.title).where(Article.id.in_(top)))}
    return [
        {
            "article_id": aid,
            "title": titles.get(aid, ""),
            "heat": round(heat[aid], 4),
            "views": counts[aid]["view"],
            "citations": counts[aid]["cite"],
        }
        for aid in top
    ]
