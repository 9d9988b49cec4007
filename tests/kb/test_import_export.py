"""Bulk import (xlsx, docx) reports each bad row with its reason and imports the rest; export round-trips."""

from __future__ import annotations

import io

from docx import Document
from openpyxl import Workbook, load_workbook

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _xlsx(rows: list[list]) -> bytes:
    wb = Workbook()
    ws = wb.active
    for r in rows:
        ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_xlsx_import_reports_bad_rows(kb_client, auth, new_category, uniq):
    cat = new_category(f"导入测试{uniq}")
    header = ["标题", "分类", "正文", "关键词", "适用区域", "所属单位", "答复口径", "有效期起", "有效期止"]
    rows = [
        header,
        [
            f"好知识一{uniq}",
            cat["name"],
            "正文一。",
            "甲，乙",
            "青秀区",
            "南宁市教育局",
            "口径一",
            "",
            "2030-12-31",
        ],
        ["", cat["name"], "没有标题", "", "", "", "", "", ""],  # row 3
        [f"坏分类{uniq}", "不存在的分类", "正文", "", "", "", "", "", ""],  # row 4
        [f"坏单位{uniq}", cat["name"], "正文", "", "", "不存在的单位", "", "", ""],  # row 5
        [f"坏日期{uniq}", cat["name"], "正文", "", "", "", "", "", "明年春天"],  # row 6
        [f"好知识一{uniq}", cat["name"], "重复标题", "", "", "", "", "", ""],  # row 7
        [f"好知识二{uniq}", "", "正文二。", "", "", "", "", "", ""],
        [f"倒置有效期{uniq}", "", "正文", "", "", "", "", "2030-01-01", "2029-01-01"],  # row 9
    ]
    r = kb_client.post(
        "/api/kb/articles/import", files={"file": ("知识.xlsx", _xlsx(rows), XLSX)}, headers=auth("editor")
    )
    assert r.status_code == 200, r.text
    rep = r.json()
    assert rep["imported"] == 2 and rep["failed"] == 6
    errors = {e["row"]: e for e in rep["errors"]}
    assert errors[3]["field"] == "标题"
    assert errors[4]["field"] == "分类" and "不存在的分类" in errors[4]["reason"]
    assert errors[5]["field"] == "所属单位"
    assert errors[6]["field"] == "有效期止"
    assert errors[7]["field"] == "标题" and "同名" in errors[7]["reason"]
    assert errors[9]["field"] == "有效期止"
    first = kb_client.get(f"/api/kb/articles/{rep['ids'][0]}", headers=auth("editor")).json()
    assert first["status"] == "draft" and first["keywords"] == ["甲", "乙"] and first["district"] == "青秀区"
    assert first["category_id"] == cat["id"] and first["valid_until"].startswith("2030-12-31")


def test_import_rejects_wrong_files(kb_client, auth):
    r = kb_client.post(
        "/api/kb/articles/import", files={"file": ("a.csv", b"x,y", "text/csv")}, headers=auth("editor")
    )
    assert r.status_code == 422 and r.json()["field"] == "file"
    r = kb_client.post(
        "/api/kb/articles/import", files={"file": ("a.xlsx", b"not a zip", XLSX)}, headers=auth("editor")
    )
    assert r.status_code == 422 and r.json()["field"] == "file"


def test_docx_export_then_import(kb_client, auth, new_category, new_article, uniq):
    cat = new_category(f"文档导出{uniq}")
    art = new_article(
        title=f"导出知识{uniq}", body="第一段。\n第二段。", category_id=cat["id"], keywords=["导出"]
    )
    r = kb_client.get(
        "/api/kb/articles/export", params={"format": "docx", "category_id": cat["id"]}, headers=auth("editor")
    )
    assert r.status_code == 200 and r.headers["content-type"] == DOCX
    doc = Document(io.BytesIO(r.content))
    texts = [p.text for p in doc.paragraphs]
    assert art["title"] in texts and "第二段。" in texts and f"分类：{cat['name']}" in texts
    # re-import: the same title in the same category is a reported duplicate; a renamed copy imports
    doc.add_heading(f"新知识{uniq}", level=1)
    doc.add_paragraph(f"分类：{cat['name']}")
    doc.add_paragraph("新知识的正文。")
    buf = io.BytesIO()
    doc.save(buf)
    r = kb_client.post(
        "/api/kb/articles/import", files={"file": ("k.docx", buf.getvalue(), DOCX)}, headers=auth("editor")
    )
    rep = r.json()
    assert rep["imported"] == 1 and rep["failed"] == 1
    assert rep["errors"][0]["row"] == 1 and "同名" in rep["errors"][0]["reason"]
    new = kb_client.get(f"/api/kb/articles/{rep['ids'][0]}", headers=auth("editor")).json()
    assert new["body"] == "新知识的正文。" and new["category_id"] == cat["id"]


def test_xlsx_export(kb_client, auth, new_category, new_article, uniq):
    cat = new_category(f"表格导出{uniq}")
    new_article(title=f"表格知识{uniq}", category_id=cat["id"])
    r = kb_client.get("/api/kb/articles/export", params={"category_id": cat["id"]}, headers=auth("editor"))
    ws = load_workbook(io.BytesIO(r.content)).active
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0][0] == "标题" and rows[1][0] == f"表格知识{uniq}" and rows[1][1] == cat["name"]


def test_yellow_pages_import_export(kb_client, auth):
    rows = [
        ["单位名称", "职责", "电话", "地址", "办公时间", "关键词"],
        [
            "南宁市教育局",
            "招生入学、学位",
            "0771-5521401，0771-5521402",
            "南宁市青秀区竹溪大道",
            "工作日 9:00-17:00",
            "学位，招生",
        ],
        ["不存在的局", "职责", "", "", "", ""],
        ["南宁市教育局", "", "电话打不通啊", "", "", ""],
    ]
    r = kb_client.post(
        "/api/kb/yellow-pages/import",
        files={"file": ("黄页.xlsx", _xlsx(rows), XLSX)},
        headers=auth("editor"),
    )
    rep = r.json()
    assert rep["imported"] == 1 and {e["row"] for e in rep["errors"]} == {3, 4}
    assert {e["field"] for e in rep["errors"]} == {"单位名称", "phones[0]"}
    found = kb_client.get("/api/kb/yellow-pages", params={"q": "5521402"}, headers=auth("agent01")).json()
    assert found["total"] == 1 and found["items"][0]["keywords"] == ["学位", "招生"]
    r = kb_client.get("/api/kb/yellow-pages/export", params={"format": "docx"}, headers=auth("agent01"))
    assert r.status_code == 200 and r.headers["content-type"] == DOCX
    table = Document(io.BytesIO(r.content)).tables[0]
    assert table.rows[0].cells[0].text == "单位名称" and len(table.rows) > 50
