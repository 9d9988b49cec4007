"""Categories, articles, versions and the lifecycle: the only writers of these tables.

Functions take a session and plain values and never commit: the caller owns the transaction.
"""

from __future__ import annotations

import difflib
import logging
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, false, func, or_, select, update
from sqlalchemy.orm import Session

from kb import lifecycle
from kb.enums import ArticleAction, ArticleStatus, BaseKind, Permission
from kb.html import sanitise_html
from kb.permissions import (
    article_allows,
    base_allows,
    category_allows,
    readable_tenant_ids,
    require_article,
    require_category,
)
from models.db import utcnow
from models.errors import Conflict, Invalid, NotFound, PermissionDenied
from models.kb import Article, ArticleEvent, ArticleVersion, Category, CategoryPermission, KnowledgeBase
from models.org import Role, Unit
from models.scope import Scope

log = logging.getLogger("hotline.kb")

# The fields a version snapshots (and a restore brings back).
VERSIONED = (
    "title",
    "body",
    "body_format",
    "keywords",
    "district",
    "unit_id",
    "category_id",
    "reply_template",
    "attachments",
    "valid_from",
    "valid_until",
)
EDITABLE_FIELDS = frozenset(VERSIONED)
REMIND_BEFORE = timedelta(days=7)


# ---------------------------------------------------------------- categories


def create_category(
    db: Session, scope: Scope, *, name: str, parent_id: int | None = None, sort: int = 0
) -> Category:
    name = (name or "").strip()
    if not name:
        raise Invalid("分类名称不能为空", field="name")
    parent = None
    if parent_id is not None:
        parent = db.get(Category, parent_id)
        if parent is None or parent.tenant_id not in scope.tenant_ids:
            raise Invalid("上级分类不存在", field="parent_id")
        if not category_allows(db, scope, parent, Permission.write):
            raise PermissionDenied("无权在该分类下新建分类", field="parent_id")
    elif not scope.has(Role.admin, Role.kb_editor):
        raise PermissionDenied("需要知识采编或管理员角色")
    tenant_id = parent.tenant_id if parent else scope.tenant_id
    dup = db.scalar(
        select(Category.id).where(
            Category.tenant_id == tenant_id,
            Category.name == name,
            Category.parent_id.is_(None) if parent_id is None else Category.parent_id == parent_id,
        )
    )
    if dup:
        raise Conflict(f"同级已有分类“{name}”", field="name")
    cat = Category(tenant_id=tenant_id, parent_id=parent_id, name=name, sort=sort)
    db.add(cat)
    db.flush()
    cat.path = f"{parent.path if parent else '/'}{cat.id}/"
    db.flush()
    return cat


def list_categories(db: Session, scope: Scope) -> list[Category]:
    tenants = readable_tenant_ids(db, scope)
    cats = db.scalars(
        select(Category).where(Category.tenant_id.in_(tenants)).order_by(Category.path, Category.sort)
    )
    return [c for c in cats if category_allows(db, scope, c, Permission.read)]


def category_branch_ids(db: Session, category_id: int) -> list[int]:
    cat = db.get(Category, category_id)
    if cat is None:
        return []
    return list(db.scalars(select(Category.id).where(Category.path.startswith(cat.path))))


def set_category_permissions(
    db: Session, scope: Scope, category_id: int, grants: list[dict[str, Any]]
) -> list[CategoryPermission]:
    """Replace the grants on a branch; an empty list restores the defaults."""
    scope.require(Role.admin)
    cat = db.get(Category, category_id)
    if cat is None or cat.tenant_id not in scope.tenant_ids:
        raise NotFound("分类不存在")
    rows = []
    for i, g in enumerate(grants):
        role, unit_id = g.get("role"), g.get("unit_id")
        if role is None and unit_id is None:
            raise Invalid("授权需指定角色或单位", field=f"grants[{i}]")
        if role is not None and role not in {str(r) for r in Role}:
            raise Invalid(f"未知角色 {role}", field=f"grants[{i}].role")
        if unit_id is not None and db.get(Unit, unit_id) is None:
            raise Invalid("单位不存在", field=f"grants[{i}].unit_id")
        rows.append(
            CategoryPermission(
                category_id=category_id,
                role=role,
                unit_id=unit_id,
                can_read=bool(g.get("can_read", True)),
                can_write=bool(g.get("can_write", False)),
                can_review=bool(g.get("can_review", False)),
            )
        )
    for old in db.scalars(select(CategoryPermission).where(CategoryPermission.category_id == category_id)):
        db.delete(old)
    db.flush()
    db.add_all(rows)
    db.flush()
    return rows


# ---------------------------------------------------------------- independent knowledge bases


def create_base(
    db: Session, scope: Scope, *, name: str, kind: BaseKind | str, shared: bool = False
) -> KnowledgeBase:
    kind = BaseKind(kind)
    if not name.strip():
        raise Invalid("知识库名称不能为空", field="name")
    if kind is BaseKind.unit and scope.unit_id is None:
        raise Invalid("只有单位用户可以建立单位知识库", field="kind")
    base = KnowledgeBase(
        tenant_id=scope.tenant_id,
        name=name.strip(),
        kind=str(kind),
        owner_unit_id=scope.unit_id if kind is BaseKind.unit else None,
        owner_user_id=scope.user_id if kind is BaseKind.personal else None,
        shared=shared,
    )
    db.add(base)
    db.flush()
    return base


def list_bases(db: Session, scope: Scope) -> list[KnowledgeBase]:
    rows = db.scalars(
        select(KnowledgeBase).where(KnowledgeBase.tenant_id.in_(readable_tenant_ids(db, scope)))
    )
    return [b for b in rows if base_allows(b, scope, Permission.read)]


def get_base(db: Session, scope: Scope, base_id: int, perm: Permission = Permission.read) -> KnowledgeBase:
    base = db.get(KnowledgeBase, base_id)
    if base is None or not base_allows(base, scope, Permission.read):
        raise NotFound("知识库不存在", field="base_id")
    if not base_allows(base, scope, perm):
        raise PermissionDenied("无权修改该知识库")
    return base


# ---------------------------------------------------------------- articles


def _snapshot(article: Article) -> dict[str, Any]:
    snap = {}
    for f in VERSIONED:
        v = getattr(article, f)
        snap[f] = v.isoformat() if isinstance(v, datetime) else v
    return snap


def _add_version(db: Session, article: Article, editor_id: int | None, note: str) -> ArticleVersion:
    ver = ArticleVersion(
        article_id=article.id,
        version=article.version,
        snapshot=_snapshot(article),
        editor_id=editor_id,
        note=note,
    )
    db.add(ver)
    return ver


def _event(
    db: Session, article: Article, action: str, actor_id: int | None, frm: str | None, to: str | None, note=""
):
    db.add(
        ArticleEvent(
            article_id=article.id, action=action, from_status=frm, to_status=to, actor_id=actor_id, note=note
        )
    )


def _clean_fields(db: Session, fields: dict[str, Any]) -> dict[str, Any]:
    unknown = set(fields) - EDITABLE_FIELDS
    if unknown:
        raise Invalid(f"不可编辑的字段：{'、'.join(sorted(unknown))}", field=sorted(unknown)[0])
    out = dict(fields)
    if "title" in out:
        out["title"] = (out["title"] or "").strip()
        if not out["title"]:
            raise Invalid("标题不能为空", field="title")
        if len(out["title"]) > 200:
            raise Invalid("标题不能超过 200 字", field="title")
    if "body_format" in out and out["body_format"] not in ("markdown", "html"):
        raise Invalid("正文格式只能是 markdown 或 html", field="body_format")
    if "keywords" in out:
        kws = out["keywords"] or []
        if isinstance(kws, str):
            kws = [k for k in kws.replace("，", ",").replace("、", ",").split(",")]
        out["keywords"] = [k.strip() for k in kws if k and k.strip()]
    if out.get("unit_id") is not None and db.get(Unit, out["unit_id"]) is None:
        raise Invalid("所属单位不存在", field="unit_id")
    for f in ("valid_from", "valid_until"):
        v = out.get(f)
        if isinstance(v, str):
            try:
                v = datetime.fromisoformat(v)
            except ValueError as exc:
                raise Invalid("日期格式应为 YYYY-MM-DD 或 ISO 8601", field=f) from exc
        if isinstance(v, datetime) and v.tzinfo is None:
            raise Invalid("时间必须带时区", field=f)
        out[f] = v if f in fields else None
    vf = out.get("valid_from")
    vu = out.get("valid_until")
    if vf and vu and vu <= vf:
        raise Invalid("有效期止必须晚于有效期起", field="valid_until")
    if "attachments" in out:
        atts = out["attachments"] or []
        for i, a in enumerate(atts):
            if not isinstance(a, dict) or not a.get("name") or not a.get("url"):
                raise Invalid("附件需要 name 和 url", field=f"attachments[{i}]")
            url = str(a["url"]).strip().lower()
            if not (url.startswith(("http://", "https://", "/")) and not url.startswith("//")):
                raise Invalid("附件地址须为 http(s) 链接或站内路径", field=f"attachments[{i}].url")
        out["attachments"] = atts
    return {k: v for k, v in out.items() if k in fields}


def _sanitise_body(clean: dict[str, Any], current_format: str, current_body: str) -> None:
    """HTML bodies pass the allow-list on every write (also when an edit switches markdown to html)."""
    fmt = clean.get("body_format") or current_format
    if fmt == "html" and ("body" in clean or fmt != current_format):
        clean["body"] = sanitise_html(clean.get("body", current_body) or "")


def create_article(
    db: Session,
    scope: Scope,
    *,
    title: str,
    body: str = "",
    category_id: int | None = None,
    base_id: int | None = None,
    **fields: Any,
) -> Article:
    clean = _clean_fields(db, {"title": title, "body": body, "category_id": category_id, **fields})
    _sanitise_body(clean, "markdown", "")
    if base_id is not None:
        base = get_base(db, scope, base_id, Permission.write)
        tenant_id = base.tenant_id
    else:
        require_category(db, scope, category_id, Permission.write)
        tenant_id = scope.tenant_id
        if scope.unit_id is not None and not scope.has(Role.admin):
            unit_id = clean.get("unit_id") or scope.unit_id
            if unit_id not in scope.unit_ids:
                raise PermissionDenied("只能为本单位编写知识", field="unit_id")
            clean["unit_id"] = unit_id
    now = utcnow()
    article = Article(
        tenant_id=tenant_id,
        base_id=base_id,
        status=str(ArticleStatus.draft),
        version=1,
        author_id=scope.user_id,
        created_at=now,
        updated_at=now,
        search_stamp=now,
        **clean,
    )
    db.add(article)
    db.flush()
    _add_version(db, article, scope.user_id, "新建")
    _event(db, article, "create", scope.user_id, None, article.status)
    db.flush()
    return article


def get_article(db: Session, scope: Scope, article_id: int, perm: Permission = Permission.read) -> Article:
    article = db.get(Article, article_id)
    if article is None:
        raise NotFound("知识不存在")
    require_article(db, scope, article, perm)
    return article


def update_article(
    db: Session,
    scope: Scope,
    article_id: int,
    *,
    expected_version: int | None = None,
    note: str = "",
    **fields: Any,
) -> Article:
    """Edit content: a new version. Published content may only be changed by a reviewer of the branch."""
    article = get_article(db, scope, article_id, Permission.write)
    if ArticleStatus(article.status) not in lifecycle.EDITABLE:
        raise Conflict(f"{article.status} 状态的知识不能编辑")
    if article.status in (ArticleStatus.published, ArticleStatus.reviewed) and not article_allows(
        db, scope, article, Permission.review
    ):
        raise PermissionDenied("已审核或已上架的知识只能由审核人修改")
    clean = _clean_fields(db, fields)
    _sanitise_body(clean, article.body_format, article.body)
    if "category_id" in clean and clean["category_id"] != article.category_id and article.base_id is None:
        require_category(db, scope, clean["category_id"], Permission.write)
    if (
        "unit_id" in clean
        and scope.unit_id is not None
        and not scope.has(Role.admin)
        and clean["unit_id"] not in scope.unit_ids
    ):
        raise PermissionDenied("只能为本单位编写知识", field="unit_id")
    changed = {k: v for k, v in clean.items() if getattr(article, k) != v}
    if not changed:
        return article
    current = article.version
    if expected_version is not None and expected_version != current:
        raise Conflict(f"知识已被他人修改（当前版本 {current}），请刷新后重试", field="version")
    now = utcnow()
    # Compare-and-set on the version: of two concurrent edits exactly one wins.
    res = db.execute(
        update(Article)
        .where(Article.id == article.id, Article.version == current)
        .values(version=current + 1, updated_at=now, search_stamp=now, **changed)
        .execution_options(synchronize_session=False)
    )
    if res.rowcount != 1:
        raise Conflict("知识已被他人修改，请刷新后重试", field="version")
    db.refresh(article)
    _add_version(db, article, scope.user_id, note or "编辑")
    _event(
        db, article, "edit", scope.user_id, article.status, article.status, note="、".join(sorted(changed))
    )
    db.flush()
    return article


def transition(
    db: Session, scope: Scope | None, article_id: int, action: ArticleAction | str, *, note: str = ""
) -> Article:
    """Apply a lifecycle action; `scope=None` is the system (validity expiry)."""
    article = db.get(Article, article_id)
    if article is None:
        raise NotFound("知识不存在")
    t = lifecycle.next_status(article.status, action)
    if t is None:
        raise Conflict(f"当前状态（{article.status}）不能执行该操作（{action}）")
    if t.needs is None:
        if scope is not None:
            raise PermissionDenied("该操作只能由系统执行")
    else:
        if scope is None:
            raise PermissionDenied("缺少操作人")
        require_article(db, scope, article, t.needs)
    frm = article.status
    now = utcnow()
    values: dict[str, Any] = {"status": str(t.to), "updated_at": now}
    if t.to == ArticleStatus.published:
        if article.valid_until is not None and article.valid_until <= now:
            raise Conflict("有效期已过，请先修改有效期再上架", field="valid_until")
        values.update(published_at=now, review_reminded_at=None)
    if ArticleStatus.published in (t.to, frm):
        values["search_stamp"] = now
    if action == ArticleAction.approve and scope is not None:
        values["reviewer_id"] = scope.user_id
    res = db.execute(
        update(Article)
        .where(Article.id == article.id, Article.status == frm)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if res.rowcount != 1:
        raise Conflict("知识状态已被他人改变，请刷新后重试")
    db.refresh(article)
    _event(db, article, str(action), scope.user_id if scope else None, frm, article.status, note)
    db.flush()
    log.info("kb article %s", action, extra={"article_id": article.id, "from": frm, "to": article.status})
    return article


def list_articles(
    db: Session,
    scope: Scope,
    *,
    q: str | None = None,
    status: str | None = None,
    category_id: int | None = None,
    unit_id: int | None = None,
    district: str | None = None,
    base_id: int | None = None,
    due_review: bool = False,
    offset: int = 0,
    limit: int = 20,
) -> tuple[list[Article], int]:
    """A filtered page of articles the user may read, filtered and paged in SQL.

    `due_review`: published articles whose validity ends within a week (reminded by the beat task)."""
    if base_id is not None:
        get_base(db, scope, base_id)
        stmt = select(Article).where(Article.base_id == base_id)
    else:
        stmt = select(Article).where(
            Article.base_id.is_(None), Article.tenant_id.in_(readable_tenant_ids(db, scope))
        )
    if status:
        stmt = stmt.where(Article.status == status)
    if category_id is not None:
        stmt = stmt.where(Article.category_id.in_(category_branch_ids(db, category_id)))
    if unit_id is not None:
        stmt = stmt.where(Article.unit_id == unit_id)
    if district:
        stmt = stmt.where(or_(Article.district == district, Article.district.is_(None)))
    if q:
        like = f"%{q}%"
        stmt = stmt.where(or_(Article.title.like(like), Article.body.like(like)))
    if due_review:
        stmt = stmt.where(Article.status == ArticleStatus.published, Article.review_reminded_at.is_not(None))
    if base_id is None:
        stmt = stmt.where(_readable_clause(db, scope))
    total = db.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = db.scalars(stmt.order_by(Article.updated_at.desc(), Article.id.desc()).offset(offset).limit(limit))
    return list(rows), total


def _readable_clause(db: Session, scope: Scope):
    """SQL for `article_allows(read)` in the reply base: categories are few, so their grants are
    resolved here once and the article table is filtered and paged by the database."""
    cats = list(db.scalars(select(Category).where(Category.tenant_id.in_(readable_tenant_ids(db, scope)))))
    readable = [c.id for c in cats if category_allows(db, scope, c, Permission.read)]
    writable = [c.id for c in cats if c.id in readable and category_allows(db, scope, c, Permission.write)]
    none_writable = category_allows(db, scope, None, Permission.write)
    in_branch = or_(Article.category_id.is_(None), Article.category_id.in_(readable))
    # agents and the chatbot: published only; editors of a branch also see its other states
    editable = or_(
        Article.category_id.in_(writable), Article.category_id.is_(None) if none_writable else false()
    )
    return and_(in_branch, or_(Article.status == ArticleStatus.published, editable))


# ---------------------------------------------------------------- versions


def list_versions(db: Session, scope: Scope, article_id: int) -> list[ArticleVersion]:
    get_article(db, scope, article_id)
    return list(
        db.scalars(
            select(ArticleVersion)
            .where(ArticleVersion.article_id == article_id)
            .order_by(ArticleVersion.version)
        )
    )


def _version(db: Session, article_id: int, version: int) -> ArticleVersion:
    ver = db.scalar(
        select(ArticleVersion).where(
            ArticleVersion.article_id == article_id, ArticleVersion.version == version
        )
    )
    if ver is None:
        raise NotFound(f"版本 {version} 不存在", field="version")
    return ver


def diff_versions(db: Session, scope: Scope, article_id: int, a: int, b: int) -> list[dict[str, Any]]:
    """Per changed field: before, after and a line diff (unified, for text fields)."""
    get_article(db, scope, article_id)
    old, new = _version(db, article_id, a).snapshot, _version(db, article_id, b).snapshot
    out = []
    for f in VERSIONED:
        if old.get(f) == new.get(f):
            continue
        item: dict[str, Any] = {"field": f, "before": old.get(f), "after": new.get(f)}
        if isinstance(old.get(f), str) or isinstance(new.get(f), str):
            item["diff"] = list(
                difflib.unified_diff(
                    str(old.get(f) or "").splitlines(),
                    str(new.get(f) or "").splitlines(),
                    fromfile=f"v{a}",
                    tofile=f"v{b}",
                    lineterm="",
                )
            )
        out.append(item)
    return out


def restore_version(db: Session, scope: Scope, article_id: int, version: int) -> Article:
    """Bring an old version's content back as a new version (history is never rewritten)."""
    get_article(db, scope, article_id, Permission.write)
    snap = dict(_version(db, article_id, version).snapshot)
    for f in ("valid_from", "valid_until"):
        if snap.get(f):
            snap[f] = datetime.fromisoformat(snap[f])
    return update_article(db, scope, article_id, note=f"恢复到版本 {version}", **snap)


def article_events(db: Session, scope: Scope, article_id: int) -> list[ArticleEvent]:
    get_article(db, scope, article_id)
    return list(
        db.scalars(
            select(ArticleEvent).where(ArticleEvent.article_id == article_id).order_by(ArticleEvent.id)
        )
    )


# ---------------------------------------------------------------- validity


def expire_due(db: Session, *, now: datetime | None = None) -> list[int]:
    """Unpublish every published article whose validity has ended; returns their ids."""
    now = now or utcnow()
    ids = list(
        db.scalars(
            select(Article.id).where(
                Article.status == ArticleStatus.published,
                Article.valid_until.is_not(None),
                Article.valid_until <= now,
            )
        )
    )
    done = []
    for aid in ids:
        try:
            transition(db, None, aid, ArticleAction.expire, note="有效期届满，自动下架")
            done.append(aid)
        except Conflict:  # changed meanwhile by someone else
            continue
    return done


def remind_reviews(
    db: Session, *, now: datetime | None = None, before: timedelta = REMIND_BEFORE
) -> list[Article]:
    """Published articles expiring soon that have not been reminded: mark and return them."""
    now = now or utcnow()
    rows = list(
        db.scalars(
            select(Article).where(
                Article.status == ArticleStatus.published,
                Article.valid_until.is_not(None),
                Article.valid_until > now,
                Article.valid_until <= now + before,
                Article.review_reminded_at.is_(None),
            )
        )
    )
    for a in rows:
        a.review_reminded_at = now
        _event(db, a, "remind", None, a.status, a.status, note=f"有效期至 {a.valid_until:%Y-%m-%d}，请复核")
    db.flush()
    return rows


def counts_by_status(db: Session, scope: Scope) -> dict[str, int]:
    rows = db.execute(
        select(Article.status, func.count())
        .where(Article.base_id.is_(None), Article.tenant_id.in_(readable_tenant_ids(db, scope)))
        .group_by(Article.status)
    )
    return {s: n for s, n in rows}
