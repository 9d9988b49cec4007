"""Tenants, units and users: the only writers of the organisation tables."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from models.errors import Conflict, Invalid, NotFound
from models.org import Role, Tenant, Unit, UnitKind, User
from models.scope import Scope
from models.security import hash_password


def create_tenant(
    db: Session,
    *,
    code: str,
    name: str,
    parent_id: int | None = None,
    district: str | None = None,
    called_numbers: Iterable[str] = (),
) -> Tenant:
    if db.scalar(select(Tenant.id).where(Tenant.code == code)):
        raise Conflict(f"租户编码 {code} 已存在", field="code")
    parent = None
    if parent_id is not None:
        parent = db.get(Tenant, parent_id)
        if parent is None:
            raise Invalid("上级租户不存在", field="parent_id")
    tenant = Tenant(
        code=code, name=name, parent_id=parent_id, district=district, called_numbers=list(called_numbers)
    )
    db.add(tenant)
    db.flush()
    tenant.path = f"{parent.path if parent else '/'}{tenant.id}/"
    db.flush()
    return tenant


def create_unit(
    db: Session,
    *,
    tenant_id: int,
    code: str,
    name: str,
    kind: UnitKind | str = UnitKind.city_unit,
    parent_id: int | None = None,
    **fields: Any,
) -> Unit:
    if db.get(Tenant, tenant_id) is None:
        raise Invalid("租户不存在", field="tenant_id")
    if db.scalar(select(Unit.id).where(Unit.tenant_id == tenant_id, Unit.code == code)):
        raise Conflict(f"单位编码 {code} 已存在", field="code")
    if parent_id is not None and db.get(Unit, parent_id) is None:
        raise Invalid("上级单位不存在", field="parent_id")
    unit = Unit(tenant_id=tenant_id, code=code, name=name, kind=str(kind), parent_id=parent_id, **fields)
    db.add(unit)
    db.flush()
    return unit


def create_user(
    db: Session,
    *,
    username: str,
    full_name: str,
    password: str,
    tenant_id: int,
    roles: Iterable[Role | str],
    unit_id: int | None = None,
    **fields: Any,
) -> User:
    roles = [str(Role(r)) for r in roles]
    if not roles:
        raise Invalid("至少需要一个角色", field="roles")
    if len(password) < 8:
        raise Invalid("密码至少 8 位", field="password")
    if db.scalar(select(User.id).where(User.username == username)):
        raise Conflict(f"用户名 {username} 已存在", field="username")
    if db.get(Tenant, tenant_id) is None:
        raise Invalid("租户不存在", field="tenant_id")
    if unit_id is not None and db.get(Unit, unit_id) is None:
        raise Invalid("单位不存在", field="unit_id")
    if any(r in (Role.unit_handler, Role.unit_leader) for r in roles) and unit_id is None:
        raise Invalid("承办人和部门领导必须属于一个单位", field="unit_id")
    if fields.get("agent_number") and db.scalar(
        select(User.id).where(User.agent_number == fields["agent_number"])
    ):
        raise Conflict(f"工号 {fields['agent_number']} 已被使用", field="agent_number")
    user = User(
        username=username,
        full_name=full_name,
        password_hash=hash_password(password),
        tenant_id=tenant_id,
        unit_id=unit_id,
        roles=roles,
        **fields,
    )
    db.add(user)
    db.flush()
    return user


def get_tenant(db: Session, scope: Scope, tenant_id: int) -> Tenant:
    tenant = db.get(Tenant, tenant_id)
    if tenant is None or not scope.can_see_tenant(tenant.id):
        raise NotFound("租户不存在")
    return tenant


def list_tenants(db: Session, scope: Scope) -> list[Tenant]:
    return list(db.scalars(select(Tenant).where(Tenant.id.in_(scope.tenant_ids)).order_by(Tenant.path)))


def visible_units_query(scope: Scope):
    """Units a user may see: every unit of the tenants in scope, plus ancestors' units for workstations."""
    return select(Unit).where(Unit.tenant_id.in_(scope.tenant_ids))


def list_units(
    db: Session,
    scope: Scope,
    *,
    q: str | None = None,
    kind: str | None = None,
    district: str | None = None,
    parent_id: int | None = None,
    offset: int = 0,
    limit: int = 50,
) -> tuple[list[Unit], int]:
    stmt = visible_units_query(scope)
    if q:
        like = f"%{q}%"
        stmt = stmt.where(or_(Unit.name.like(like), Unit.duties.like(like), Unit.short_name.like(like)))
    if kind:
        stmt = stmt.where(Unit.kind == kind)
    if district:
        stmt = stmt.where(Unit.district == district)
    if parent_id is not None:
        stmt = stmt.where(Unit.parent_id == parent_id)
    total = db.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = db.scalars(stmt.order_by(Unit.id).offset(offset).limit(limit))
    return list(rows), total


def get_unit(db: Session, scope: Scope, unit_id: int) -> Unit:
    unit = db.get(Unit, unit_id)
    if unit is None or not scope.can_see_tenant(unit.tenant_id):
        raise NotFound("单位不存在")
    return unit


def get_user(db: Session, scope: Scope, user_id: int) -> User:
    user = db.get(User, user_id)
    if user is None or not scope.can_see_tenant(user.tenant_id):
        raise NotFound("用户不存在")
    return user


def list_users(
    db: Session,
    scope: Scope,
    *,
    q: str | None = None,
    role: str | None = None,
    unit_id: int | None = None,
    offset: int = 0,
    limit: int = 50,
) -> tuple[list[User], int]:
    stmt = select(User).where(User.tenant_id.in_(scope.tenant_ids))
    if q:
        like = f"%{q}%"
        stmt = stmt.where(
            or_(User.username.like(like), User.full_name.like(like), User.agent_number.like(like))
        )
    if unit_id is not None:
        stmt = stmt.where(User.unit_id == unit_id)
    users = list(db.scalars(stmt.order_by(User.id)))
    if role:
        users = [u for u in users if role in u.roles]  # JSON membership differs per backend
    return users[offset : offset + limit], len(users)
