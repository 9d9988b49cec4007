"""Tenants (centre → district workstations), units and users."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.db import Base, utcnow


class Role(enum.StrEnum):
    agent = "agent"  # 话务员
    dispatcher = "dispatcher"  # 工单员
    supervisor = "supervisor"  # 班长/值班长
    qa_reviewer = "qa_reviewer"  # 质检员
    revisit_officer = "revisit_officer"  # 督办专员
    unit_handler = "unit_handler"  # 承办人
    unit_leader = "unit_leader"  # 部门领导
    workstation = "workstation"  # 工作站
    kb_editor = "kb_editor"  # 知识采编
    admin = "admin"


ROLE_LABELS: dict[Role, str] = {
    Role.agent: "话务员",
    Role.dispatcher: "工单员",
    Role.supervisor: "班长",
    Role.qa_reviewer: "质检员",
    Role.revisit_officer: "督办专员",
    Role.unit_handler: "承办人",
    Role.unit_leader: "部门领导",
    Role.workstation: "工作站",
    Role.kb_editor: "知识采编",
    Role.admin: "管理员",
}

# Roles whose users belong to a member unit and see only that unit's tickets.
UNIT_ROLES = frozenset({Role.unit_handler, Role.unit_leader})


class UnitKind(enum.StrEnum):
    city_unit = "city_unit"  # 市直成员单位
    district_government = "district_government"  # 县区政府 / 开发区管委会
    sub_unit = "sub_unit"  # 下属单位（街道、乡镇、科室）
    enterprise = "enterprise"  # 公共服务企业（水、电、气、公交）


class Tenant(Base):
    """The city centre is the root; each district workstation is a child tenant."""

    __tablename__ = "tenants"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("tenants.id"))
    # Materialised path "/1/4/" so a subtree is one LIKE query.
    path: Mapped[str] = mapped_column(String(255), default="/", index=True)
    district: Mapped[str | None] = mapped_column(String(50))
    called_numbers: Mapped[list[str]] = mapped_column(JSON, default=list)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    parent: Mapped[Tenant | None] = relationship(remote_side=[id])


class Unit(Base):
    """A member unit (承办单位), district government or one of their sub-units."""

    __tablename__ = "units"
    __table_args__ = (UniqueConstraint("tenant_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    code: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(100), index=True)
    short_name: Mapped[str | None] = mapped_column(String(50))
    kind: Mapped[UnitKind] = mapped_column(String(32), default=UnitKind.city_unit)
    district: Mapped[str | None] = mapped_column(String(50))
    duties: Mapped[str] = mapped_column(Text, default="")
    phones: Mapped[list[str]] = mapped_column(JSON, default=list)
    address: Mapped[str | None] = mapped_column(String(255))
    office_hours: Mapped[str | None] = mapped_column(String(100))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    parent: Mapped[Unit | None] = relationship(remote_side=[id])


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    full_name: Mapped[str] = mapped_column(String(64))
    password_hash: Mapped[str] = mapped_column(String(255))
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), index=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    roles: Mapped[list[str]] = mapped_column(JSON, default=list)
    agent_number: Mapped[str | None] = mapped_column(String(16), unique=True)  # 工号
    extension: Mapped[str | None] = mapped_column(String(16))
    phone: Mapped[str | None] = mapped_column(String(32))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    token_version: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    tenant: Mapped[Tenant] = relationship()
    unit: Mapped[Unit | None] = relationship()

    def has_role(self, *roles: Role | str) -> bool:
        return any(str(r) in self.roles for r in roles)
