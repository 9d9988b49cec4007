"""Demo knowledge: a category tree and published articles for Nanning's 12345 (idempotent, fast).

Nothing is embedded here: the search index loads lazily and passage vectors are computed in the
background (or by `hotline kb rebuild`).
"""

from __future__ import annotations

import logging

from sqlalchemy import select
from sqlalchemy.orm import Session

from kb import service
from kb.demo_articles import ARTICLES
from kb.enums import ArticleAction
from models.kb import Article, Category
from models.org import Tenant, Unit, User
from models.scope import scope_for

log = logging.getLogger("hotline.kb")

CENTRE_CODE = "NN"
EDITOR = "editor"


def _category(db: Session, scope, path: str, cache: dict[str, int]) -> int:
    parent_id = None
    built = ""
    for name in path.split("/"):
        built = f"{built}/{name}"
        if built not in cache:
            found = db.scalar(
                select(Category.id).where(
                    Category.tenant_id == scope.tenant_id,
                    Category.name == name,
                    Category.parent_id.is_(None) if parent_id is None else Category.parent_id == parent_id,
                )
            )
            cache[built] = found or service.create_category(db, scope, name=name, parent_id=parent_id).id
        parent_id = cache[built]
    return parent_id


def load_demo(db: Session) -> None:
    centre = db.scalar(select(Tenant).where(Tenant.code == CENTRE_CODE))
    editor = db.scalar(select(User).where(User.username == EDITOR))
    if centre is None or editor is None:
        return
    have = set(
        db.scalars(select(Article.title).where(Article.tenant_id == centre.id, Article.base_id.is_(None)))
    )
    if all(a[2] in have for a in ARTICLES):
        return
    scope = scope_for(db, editor)
    units = {u.name: u.id for u in db.scalars(select(Unit))}
    cats: dict[str, int] = {}
    for path, unit, title, keywords, district, body, template in ARTICLES:
        if title in have:
            continue
        art = service.create_article(
            db,
            scope,
            title=title,
            body=body,
            category_id=_category(db, scope, path, cats),
            unit_id=units.get(unit) if unit else None,
            keywords=keywords,
            district=district,
            reply_template=template,
        )
        for action in (ArticleAction.submit, ArticleAction.approve, ArticleAction.publish):
            service.transition(db, scope, art.id, action)
    log.info("demo knowledge loaded", extra={"articles": len(ARTICLES)})
