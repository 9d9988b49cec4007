"""Tenants, units and users (admin)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from api import org_service
from api.deps import DB, CurrentScope, Paging, require_roles
from api.schemas import PROBLEM_RESPONSES, ORMModel, Page
from models.errors import Invalid
from models.org import Role, Tenant, UnitKind
from models.scope import Scope

router = APIRouter(prefix="/api", tags=["组织机构"], responses=PROBLEM_RESPONSES)
Admin = Annotated[Scope, require_roles(Role.admin)]


class TenantOut(ORMModel):
    id: int
    code: str
    name: str
    parent_id: int | None
    district: str | None
    called_numbers: list[str]
    active: bool


class TenantIn(BaseModel):
    code: str = Field(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9_-]+$")
    name: str = Field(min_length=1, max_length=100)
    parent_id: int | None = None
    district: str | None = Field(default=None, max_length=50)
    called_numbers: list[str] = []


class TenantPatch(BaseModel):
    name: str | None = Field(default=None, min_length=1, max_length=100)
    called_numbers: list[str] | None = None
    active: bool | None = None


class UnitOut(ORMModel):
    id: int
    tenant_id: int
    parent_id: int | None
    code: str
    name: str
    short_name: str | None
    kind: str
    district: str | None
    duties: str
    phones: list[str]
    address: str | None
    office_hours: str | None
    active: bool


class UnitIn(BaseModel):
    tenant_id: int
    code: str = Field(min_length=1, max_length=32)
    name: str = Field(min_length=1, max_length=100)
    short_name: str | None = Field(default=None, max_length=50)
    kind: UnitKind = UnitKind.city_unit
    parent_id: int | None = None
    district: str | None = Field(default=None, max_length=50)
    duties: str = ""
    phones: list[str] = []
    address: str | None = Field(default=None, max_length=255)
    office_hours: str | None = Field(default=None, max_length=100)


class UnitPatch(BaseModel):
    name: str | None = Field(default=None, min_length=1, max_length=100)
    short_name: str | None = None
    duties: str | None = None
    phones: list[str] | None = None
    address: str | None = None
    office_hours: str | None = None
    active: bool | None = None


class UserOut(ORMModel):
    id: int
    username: str
    full_name: str
    tenant_id: int
    unit_id: int | None
    roles: list[str]
    agent_number: str | None
    extension: str | None
    phone: str | None
    active: bool


class UserIn(BaseModel):
    username: str = Field(min_length=2, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")
    full_name: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=8, max_length=128)
    tenant_id: int
    unit_id: int | None = None
    roles: list[Role] = Field(min_length=1)
    agent_number: str | None = Field(default=None, max_length=16)
    extension: str | None = Field(default=None, max_length=16)
    phone: str | None = Field(default=None, max_length=32)


class UserPatch(BaseModel):
    full_name: str | None = Field(default=None, min_length=1, max_length=64)
    roles: list[Role] | None = Field(default=None, min_length=1)
    unit_id: int | None = None
    extension: str | None = None
    phone: str | None = None
    active: bool | None = None
    password: str | None = Field(default=None, min_length=8, max_length=128)


@router.get("/tenants", response_model=list[TenantOut], tags=["组织机构"], summary="租户（中心与工作站）")
def list_tenants(db: DB, scope: CurrentScope) -> list[Tenant]:
    return org_service.list_tenants(db, scope)


@router.post("/tenants", response_model=TenantOut, status_code=201, summary="新建工作站租户")
def create_tenant(body: TenantIn, db: DB, scope: Admin) -> Tenant:
    if body.parent_id is None or not scope.can_see_tenant(body.parent_id):
        raise Invalid("上级租户必须在本人数据范围内", field="parent_id")
    tenant = org_service.create_tenant(db, **body.model_dump())
    db.commit()
    return tenant


@router.get("/tenants/{tenant_id}", response_model=TenantOut, summary="租户详情")
def get_tenant(tenant_id: int, db: DB, scope: CurrentScope) -> Tenant:
    return org_service.get_tenant(db, scope, tenant_id)


@router.patch("/tenants/{tenant_id}", response_model=TenantOut, summary="修改租户")
def patch_tenant(tenant_id: int, body: TenantPatch, db: DB, scope: Admin) -> Tenant:
    tenant = org_service.get_tenant(db, scope, tenant_id)
    for key, value in body.model_dump(exclude_unset=True).items():
        setattr(tenant, key, value)
    db.commit()
    return tenant


@router.get("/units", response_model=Page[UnitOut], summary="承办单位列表")
def list_units(
    db: DB,
    scope: CurrentScope,
    paging: Paging,
    q: Annotated[str | None, Query(description="名称或职责关键字")] = None,
    kind: UnitKind | None = None,
    district: str | None = None,
    parent_id: int | None = None,
) -> dict:
    rows, total = org_service.list_units(
        db,
        scope,
        q=q,
        kind=kind,
        district=district,
        parent_id=parent_id,
        offset=paging.offset,
        limit=paging.size,
    )
    return {"items": rows, "total": total, "page": paging.page, "size": paging.size}


@router.post("/units", response_model=UnitOut, status_code=201, summary="新建单位")
def create_unit(body: UnitIn, db: DB, scope: Admin) -> object:
    scope.check_tenant(body.tenant_id)
    unit = org_service.create_unit(db, **body.model_dump())
    db.commit()
    return unit


@router.get("/units/{unit_id}", response_model=UnitOut, summary="单位详情")
def get_unit(unit_id: int, db: DB, scope: CurrentScope) -> object:
    return org_service.get_unit(db, scope, unit_id)


@router.patch("/units/{unit_id}", response_model=UnitOut, summary="修改单位（单位可维护自己的黄页信息）")
def patch_unit(unit_id: int, body: UnitPatch, db: DB, scope: CurrentScope) -> object:
    unit = org_service.get_unit(db, scope, unit_id)
    own_unit = scope.unit_id == unit.id and scope.has(Role.unit_leader, Role.unit_handler)
    if not (scope.has(Role.admin) or own_unit):
        from models.errors import PermissionDenied

        raise PermissionDenied("只能修改本单位信息")
    for key, value in body.model_dump(exclude_unset=True).items():
        setattr(unit, key, value)
    db.commit()
    return unit


@router.get("/users", response_model=Page[UserOut], summary="用户列表")
def list_users(
    db: DB,
    scope: Admin,
    paging: Paging,
    q: str | None = None,
    role: Role | None = None,
    unit_id: int | None = None,
) -> dict:
    rows, total = org_service.list_users(
        db, scope, q=q, role=role, unit_id=unit_id, offset=paging.offset, limit=paging.size
    )
    return {"items": rows, "total": total, "page": paging.page, "size": paging.size}


@router.post("/users", response_model=UserOut, status_code=201, summary="新建用户")
def create_user(body: UserIn, db: DB, scope: Admin) -> object:
    scope.check_tenant(body.tenant_id)
    user = org_service.create_user(db, **body.model_dump())
    db.commit()
    return user


@router.get("/users/{user_id}", response_model=UserOut, summary="用户详情")
def get_user(user_id: int, db: DB, scope: Admin) -> object:
    return org_service.get_user(db, scope, user_id)


@router.patch("/users/{user_id}", response_model=UserOut, summary="修改用户、重置密码、停用")
def patch_user(user_id: int, body: UserPatch, db: DB, scope: Admin) -> object:
    from models.security import hash_password

    user = org_service.get_user(db, scope, user_id)
    data = body.model_dump(exclude_unset=True)
    if "password" in data:
        user.password_hash = hash_password(data.pop("password"))
        user.token_version += 1
    if "roles" in data:
        data["roles"] = [str(r) for r in data["roles"]]
    if data.get("active") is False:
        user.token_version += 1
    for key, value in data.items():
        setattr(user, key, value)
    db.commit()
    return user
