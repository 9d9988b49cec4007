"""Import member units from an xlsx sheet; every bad row is reported, the rest imported."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from api import org_service
from models.errors import DomainError, Invalid
from models.org import Tenant, Unit, UnitKind

COLUMNS = ["编码", "名称", "简称", "类型", "上级编码", "区县", "职责", "电话", "地址", "办公时间"]
KINDS = {
    "市直单位": UnitKind.city_unit,
    "县区政府": UnitKind.district_government,
    "下属单位": UnitKind.sub_unit,
    "公共企业": UnitKind.enterprise,
    **{k.value: k for k in UnitKind},
}


def import_units_xlsx(db: Session, path: Path, *, tenant_code: str) -> dict[str, Any]:
    tenant = db.scalar(select(Tenant).where(Tenant.code == tenant_code))
    if tenant is None:
        raise Invalid(f"租户 {tenant_code} 不存在", field="tenant")
    sheet = load_workbook(path, read_only=True).active
    rows = list(sheet.iter_rows(values_only=True))
    if not rows:
        raise Invalid("文件为空", field="file")
    header = [str(c or "").strip() for c in rows[0]]
    missing = [c for c in ("编码", "名称") if c not in header]
    if missing:
        raise Invalid(f"缺少列：{'、'.join(missing)}", field="file")
    idx = {name: header.index(name) for name in COLUMNS if name in header}
    imported, errors = 0, []
    for line, row in enumerate(rows[1:], start=2):

        def cell(name: str, row=row) -> str:
            i = idx.get(name)
            return str(row[i]).strip() if i is not None and i < len(row) and row[i] is not None else ""

        if not any(row):
            continue
        try:
            kind = KINDS.get(cell("类型") or "市直单位")
            if kind is None:
                raise Invalid(f"类型“{cell('类型')}”无效", field="类型")
            if not cell("名称"):
                raise Invalid("名称为空", field="名称")
            parent_id = None
            if cell("上级编码"):
                parent_id = db.scalar(
                    select(Unit.id).where(Unit.tenant_id == tenant.id, Unit.code == cell("上级编码"))
                )
                if parent_id is None:
                    raise Invalid(f"上级编码 {cell('上级编码')} 不存在", field="上级编码")
            with db.begin_nested():
                org_service.create_unit(
                    db,
                    tenant_id=tenant.id,
                    code=cell("编码"),
                    name=cell("名称"),
                    short_name=cell("简称") or None,
                    kind=kind,
                    parent_id=parent_id,
                    district=cell("区县") or None,
                    duties=cell("职责"),
                    phones=[p for p in cell("电话").replace("，", ",").split(",") if p],
                    address=cell("地址") or None,
                    office_hours=cell("办公时间") or None,
                )
            imported += 1
        except DomainError as exc:
            errors.append({"row": line, "field": exc.field, "reason": exc.detail})
    return {"imported": imported, "errors": errors}
