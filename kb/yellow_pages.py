"""Yellow pages (部门黄页): every unit's duties, phones, address and office hours, searchable and
edited by the unit itself. The core fields live on `Unit`; `YellowPage` adds keywords and contacts."""

from __future__ import annotations

from typing import Any

from sqlalchemy import String, cast, func, or_, select
from sqlalchemy.orm import Session

from kb.permissions import readable_tenant_ids
from models.db import utcnow
from models.errors import Invalid, NotFound, PermissionDenied
from models.kb import YellowPage
from models.org import Role, Unit
from models.scope import Scope

UNIT_FIELDS = ("duties", "phones", "address", "office_hours")
PAGE_FIELDS = ("keywords", "contact_person", "email", "website", "notes")
LIMITS = {"address": 255, "office_hours": 100, "contact_person": 50, "email": 100, "website": 200}


def entry(unit: Unit, page: YellowPage | None) -> dict[str, Any]:
    return {
        "unit_id": unit.id,
        "tenant_id": unit.tenant_id,
        "name": unit.name,
        "short_name": unit.short_name,
        "kind": unit.kind,
        "district": unit.district,
        "duties": unit.duties or "",
        "phones": list(unit.phones or []),
        "address": unit.address,
        "office_hours": unit.office_hours,
        "keywords": list(page.keywords or []) if page else [],
        "contact_person": page.contact_person if page else None,
        "email": page.email if page else None,
        "website": page.website if page else None,
        "notes": page.notes if page else "",
        "updated_at": page.updated_at if page else None,
    }


def search(
    db: Session,
    scope: Scope,
    *,
    q: str | None = None,
    district: str | None = None,
    kind: str | None = None,
    offset: int = 0,
    limit: int = 20,
) -> tuple[list[dict[str, Any]], int]:
    stmt = (
        select(Unit, YellowPage)
        .outerjoin(YellowPage, YellowPage.unit_id == Unit.id)
        .where(Unit.tenant_id.in_(readable_tenant_ids(db, scope)), Unit.active.is_(True))
    )
    if q:
        for word in q.split():
            like = f"%{word}%"
            stmt = stmt.where(
                or_(
                    Unit.name.like(like),
                    Unit.short_name.like(like),
                    Unit.duties.like(like),
                    Unit.address.like(like),
                    cast(Unit.phones, String).like(like),
                    YellowPage.keywords_text.like(like),
                )
            )
    if district:
        stmt = stmt.where(Unit.district == district)
    if kind:
        stmt = stmt.where(Unit.kind == kind)
    total = db.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = db.execute(stmt.order_by(Unit.tenant_id, Unit.id).offset(offset).limit(limit))
    return [entry(u, p) for u, p in rows], total


def get(db: Session, scope: Scope, unit_id: int) -> dict[str, Any]:
    unit = db.get(Unit, unit_id)
    if unit is None or unit.tenant_id not in readable_tenant_ids(db, scope):
        raise NotFound("单位不存在")
    page = db.scalar(select(YellowPage).where(YellowPage.unit_id == unit_id))
    return entry(unit, page)


def can_edit(scope: Scope, unit: Unit) -> bool:
    if scope.has(Role.admin):
        return True
    if scope.unit_id is None:  # centre knowledge editors keep the yellow pages too
        return scope.has(Role.kb_editor) and unit.tenant_id in scope.tenant_ids
    return unit.id in scope.unit_ids and scope.has(Role.unit_leader, Role.unit_handler, Role.kb_editor)


def update(db: Session, scope: Scope, unit_id: int, **fields: Any) -> dict[str, Any]:
    unit = db.get(Unit, unit_id)
    if unit is None or unit.tenant_id not in readable_tenant_ids(db, scope):
        raise NotFound("单位不存在")
    if not can_edit(scope, unit):
        raise PermissionDenied("只有本单位人员或知识采编可以修改黄页")
    unknown = set(fields) - set(UNIT_FIELDS) - set(PAGE_FIELDS)
    if unknown:
        raise Invalid(f"不可修改的字段：{'、'.join(sorted(unknown))}", field=sorted(unknown)[0])
    for f, n in LIMITS.items():
        if fields.get(f) is not None and len(str(fields[f])) > n:
            raise Invalid(f"不能超过 {n} 字", field=f)
    for f in ("phones", "keywords"):
        if f in fields:
            v = fields[f] or []
            if isinstance(v, str):
                v = v.replace("，", ",").replace("、", ",").replace(";", ",").split(",")
            fields[f] = [s.strip() for s in v if s and s.strip()]
    for i, p in enumerate(fields.get("phones") or []):
        if not all(c.isdigit() or c in "-+ ()转" for c in p) or len(p) > 32:
            raise Invalid(f"电话号码格式不正确：{p}", field=f"phones[{i}]")
    if fields.get("email") and "@" not in fields["email"]:
        raise Invalid("邮箱格式不正确", field="email")
    for f in UNIT_FIELDS:
        if f in fields:
            setattr(unit, f, fields[f] if fields[f] is not None or f != "duties" else "")
    page = db.scalar(select(YellowPage).where(YellowPage.unit_id == unit_id))
    if page is None:
        page = YellowPage(unit_id=unit_id, keywords=[], keywords_text="", notes="")
        db.add(page)
    for f in PAGE_FIELDS:
        if f in fields:
            setattr(page, f, fields[f] if fields[f] is not None or f != "notes" else "")
    page.keywords_text = " ".join(page.keywords or [])[:500]
    page.updated_by = scope.user_id
    page.updated_at = utcnow()
    db.flush()
    return entry(unit, page)
