"""Data scope (分权分域): what a signed-in user may see, as a plain value."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.errors import PermissionDenied
from models.org import UNIT_ROLES, Role, Tenant, User


@dataclass(frozen=True)
class Scope:
    user_id: int
    username: str
    full_name: str
    tenant_id: int
    tenant_ids: frozenset[int]  # the user's tenant and every tenant below it
    unit_id: int | None
    roles: frozenset[str]
    unit_ids: frozenset[int] = field(default_factory=frozenset)  # the user's unit and its sub-units

    @property
    def is_unit_user(self) -> bool:
        """Department users see only their unit's tickets."""
        return bool(self.roles & {str(r) for r in UNIT_ROLES}) and not self.has(Role.admin)

    def has(self, *roles: Role | str) -> bool:
        return any(str(r) in self.roles for r in roles)

    def require(self, *roles: Role | str) -> None:
        if not self.has(*roles):
            names = "、".join(str(r) for r in roles)
            raise PermissionDenied(f"需要以下角色之一：{names}")

    def can_see_tenant(self, tenant_id: int) -> bool:
        return tenant_id in self.tenant_ids

    def check_tenant(self, tenant_id: int) -> None:
        if not self.can_see_tenant(tenant_id):
            raise PermissionDenied("超出数据权限范围")


def tenant_subtree_ids(session: Session, tenant_id: int) -> frozenset[int]:
    tenant = session.get(Tenant, tenant_id)
    if tenant is None:
        return frozenset()
    rows = session.scalars(select(Tenant.id).where(Tenant.path.startswith(tenant.path)))
    return frozenset(rows)


def unit_subtree_ids(session: Session, unit_id: int) -> frozenset[int]:
    from models.org import Unit

    ids = {unit_id}
    frontier = [unit_id]
    while frontier:
        children = list(session.scalars(select(Unit.id).where(Unit.parent_id.in_(frontier))))
        children = [c for c in children if c not in ids]
        ids.update(children)
        frontier = children
    return frozenset(ids)


def scope_for(session: Session, user: User) -> Scope:
    return Scope(
        user_id=user.id,
        username=user.username,
        full_name=user.full_name,
        tenant_id=user.tenant_id,
        tenant_ids=tenant_subtree_ids(session, user.tenant_id),
        unit_id=user.unit_id,
        roles=frozenset(user.roles),
        unit_ids=unit_subtree_ids(session, user.unit_id) if user.unit_id else frozenset(),
    )
