"""Importing units from xlsx: bad rows are reported with the reason, the rest imported."""

from __future__ import annotations

import uuid

from openpyxl import Workbook
from sqlalchemy import select

from api.units_import import import_units_xlsx
from models.org import Unit


def test_import_reports_bad_rows_and_imports_rest(db, tmp_path):
    tag = uuid.uuid4().hex[:6]
    wb = Workbook()
    ws = wb.active
    ws.append(["编码", "名称", "类型", "上级编码", "职责", "电话"])
    ws.append([f"T{tag}1", f"测试单位甲{tag}", "市直单位", "", "测试职责", "0771-1111111，0771-2222222"])
    ws.append([f"T{tag}2", "", "市直单位", "", "", ""])  # no name
    ws.append([f"T{tag}3", f"测试单位丙{tag}", "外星机构", "", "", ""])  # bad kind
    ws.append([f"T{tag}4", f"测试科室{tag}", "下属单位", f"T{tag}1", "", ""])  # child of the first row
    ws.append([f"T{tag}5", f"测试科室{tag}", "下属单位", "NOPE", "", ""])  # unknown parent
    ws.append([f"T{tag}1", f"重复编码{tag}", "市直单位", "", "", ""])  # duplicate code
    path = tmp_path / "units.xlsx"
    wb.save(path)

    report = import_units_xlsx(db, path, tenant_code="NN")
    db.commit()

    assert report["imported"] == 2
    assert [(e["row"], e["field"]) for e in report["errors"]] == [
        (3, "名称"),
        (4, "类型"),
        (6, "上级编码"),
        (7, "code"),
    ]
    child = db.scalar(select(Unit).where(Unit.code == f"T{tag}4"))
    parent = db.scalar(select(Unit).where(Unit.code == f"T{tag}1"))
    assert child.parent_id == parent.id
    assert parent.phones == ["0771-1111111", "0771-2222222"]
