"""Who may read, write and review a category branch, an article, an independent knowledge base.

Rules: a grant (`CategoryPermission`) on a category applies to its whole branch; the nearest category
on the path that has grants decides. Without any grant on the path: everyone in scope reads, knowledge
editors write and review. On top of that, a unit's user works only on its unit's articles (review "by
a knowledge editor of the owning unit or the centre"), and admin may do everything.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from kb.enums import ArticleStatus, Permission
from models.errors import NotFound, PermissionDenied
from models.kb import Article, Category, CategoryPermission, KnowledgeBase
from models.org import Role, Tenant
from models.scope import Scope

_FLAG = {Permission.read: "can_read", Permission.write: "can_write", Permission.review: "can_review"}


def readable_tenant_ids(db: Session, scope: Scope) -> frozenset[int]:
    """The user's subtree plus the tenants above it: centre knowledge is shared downwards."""
    tenant = db.get(Tenant, scope.tenant_id)
    above = {int(p) for p in tenant.path.strip("/").split("/") if p} if tenant else set()
    return frozenset(scope.tenant_ids | above)


def _rules_on_path(db: Session, category: Category) -> list[CategoryPermission]:
    ids = [int(p) for p in category.path.strip("/").split("/") if p]
    rules = list(db.scalars(select(CategoryPermission).where(CategoryPermission.category_id.in_(ids))))
    for cid in reversed(ids):  # nearest first
        here = [r for r in rules if r.category_id == cid]
        if here:
            return here
    return []


def _rule_matches(rule: CategoryPermission, scope: Scope) -> bool:
    if rule.role and not scope.has(rule.role):
        return False
    return not (rule.unit_id and rule.unit_id not in scope.unit_ids)


def category_allows(db: Session, scope: Scope, category: Category | None, perm: Permission) -> bool:
    if scope.has(Role.admin):
        return True
    rules = _rules_on_path(db, category) if category is not None else []
    if rules:
        return any(getattr(r, _FLAG[perm]) and _rule_matches(r, scope) for r in rules)
    if perm is Permission.read:
        return True
    return scope.has(Role.kb_editor)


def base_allows(base: KnowledgeBase, scope: Scope, perm: Permission) -> bool:
    """Independent bases: the owner (person, or users of the owning unit) does everything."""
    if base.kind == "personal":
        owner = base.owner_user_id == scope.user_id
    else:
        owner = base.owner_unit_id is not None and base.owner_unit_id in scope.unit_ids
    if owner:
        return True
    return perm is Permission.read and base.shared and base.tenant_id in scope.tenant_ids


def article_allows(db: Session, scope: Scope, article: Article, perm: Permission) -> bool:
    if article.base_id is not None:
        base = db.get(KnowledgeBase, article.base_id)
        return base is not None and base_allows(base, scope, perm)
    if perm is Permission.read:
        if article.tenant_id not in readable_tenant_ids(db, scope):
            return False
    elif article.tenant_id not in scope.tenant_ids and not scope.has(Role.admin):
        return False
    category = db.get(Category, article.category_id) if article.category_id else None
    if not category_allows(db, scope, category, perm):
        return False
    if perm is Permission.read:
        # Agents and the chatbot see published knowledge only; editors of the branch see the rest.
        return article.status == ArticleStatus.published or category_allows(
            db, scope, category, Permission.write
        )
    # A unit's editor works on its own unit's articles only; centre editors on all.
    if scope.unit_id is not None and not scope.has(Role.admin):
        return article.unit_id is not None and article.unit_id in scope.unit_ids
    return True


def require_article(db: Session, scope: Scope, article: Article, perm: Permission) -> None:
    if not article_allows(db, scope, article, Permission.read):
        raise NotFound("知识不存在")
    if perm is not Permission.read and not article_allows(db, scope, article, perm):
        raise PermissionDenied("无权" + {"write": "编辑", "review": "审核"}[str(perm)] + "该知识")


def require_category(db: Session, scope: Scope, category_id: int | None, perm: Permission) -> None:
    category = db.get(Category, category_id) if category_id else None
    if category_id and (category is None or category.tenant_id not in readable_tenant_ids(db, scope)):
        raise NotFound("分类不存在", field="category_id")
    if not category_allows(db, scope, category, perm):
        raise PermissionDenied("无权在该分类下操作", field="category_id")
