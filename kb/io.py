"""Import and export of articles and yellow pages as xlsx and docx.

Bulk import checks every row on its own (in a savepoint): bad rows are reported with the row
number, the field and the reason, the rest are imported. Imported articles start as drafts.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import Any

from openpyxl import Workbook, load_workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from kb import service, yellow_pages
from kb.enums import STATUS_LABELS, ArticleStatus
from models.errors import DomainError, Invalid
from models.kb import Article, Category
from models.org import Unit
from models.scope import Scope

ARTICLE_COLUMNS = {
    "标题": "title",
    "分类": "category",
    "正文": "body",
    "关键词": "keywords",
    "适用区域": "district",
    "所属单位": "unit",
    "答复口径": "reply_template",
    "有效期起": "valid_from",
    "有效期止": "valid_until",
}
YP_COLUMNS = {
    "单位名称": "name",
    "职责": "duties",
    "电话": "phones",
    "地址": "address",
    "办公时间": "office_hours",
    "关键词": "keywords",
    "联系人": "contact_person",
    "邮箱": "email",
    "网址": "website",
}
MAX_ROWS = 20000


@dataclass
class ImportReport:
    imported: int = 0
    ids: list[int] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"imported": self.imported, "failed": len(self.errors), "ids": self.ids, "errors": self.errors}


# ---------------------------------------------------------------- helpers


def _category_paths(db: Session, tenant_ids) -> dict[str, int]:
    cats = {c.id: c for c in db.scalars(select(Category).where(Category.tenant_id.in_(list(tenant_ids))))}
    out = {}
    for c in cats.values():
        names = [cats[int(i)].name for i in c.path.strip("/").split("/") if i and int(i) in cats]
        out["/".join(names)] = c.id
    return out


def _path_of(db: Session, category_id: int | None, cache: dict[int, str]) -> str:
    if category_id is None:
        return ""
    if category_id not in cache:
        cat = db.get(Category, category_id)
        ids = [int(i) for i in cat.path.strip("/").split("/") if i]
        cache[category_id] = "/".join(db.get(Category, i).name for i in ids)
    return cache[category_id]


def _date(value: Any, fieldname: str) -> datetime | None:
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, date):
        return datetime.combine(value, time(), tzinfo=UTC)
    try:
        d = datetime.fromisoformat(str(value).strip().replace("/", "-"))
    except ValueError as exc:
        raise Invalid(f"日期格式不正确：{value}（应为 YYYY-MM-DD）", field=fieldname) from exc
    return d if d.tzinfo else d.replace(tzinfo=UTC)


def _article_fields(db: Session, raw: dict[str, Any], paths: dict[str, int], units: dict[str, int]) -> dict:
    title = str(raw.get("title") or "").strip()
    if not title:
        raise Invalid("标题不能为空", field="标题")
    body = str(raw.get("body") or "").strip()
    if not body:
        raise Invalid("正文不能为空", field="正文")
    cat = str(raw.get("category") or "").strip().strip("/")
    if cat and cat not in paths:
        raise Invalid(f"分类“{cat}”不存在", field="分类")
    unit = str(raw.get("unit") or "").strip()
    if unit and unit not in units:
        raise Invalid(f"单位“{unit}”不存在", field="所属单位")
    return {
        "title": title,
        "body": body,
        "category_id": paths.get(cat) if cat else None,
        "keywords": str(raw.get("keywords") or ""),
        "district": str(raw.get("district") or "").strip() or None,
        "unit_id": units.get(unit) if unit else None,
        "reply_template": str(raw.get("reply_template") or ""),
        "valid_from": _date(raw.get("valid_from"), "有效期起"),
        "valid_until": _date(raw.get("valid_until"), "有效期止"),
    }


def _import_rows(db: Session, scope: Scope, rows: list[tuple[int, dict[str, Any]]]) -> ImportReport:
    from kb.permissions import readable_tenant_ids

    report = ImportReport()
    paths = _category_paths(db, readable_tenant_ids(db, scope))
    units = {u.name: u.id for u in db.scalars(select(Unit))}
    seen: set[tuple[str, int | None]] = set()
    for rowno, raw in rows:
        try:
            with db.begin_nested():  # a bad row leaves nothing behind
                fields = _article_fields(db, raw, paths, units)
                key = (fields["title"], fields["category_id"])
                if key in seen or db.scalar(
                    select(Article.id).where(
                        Article.title == fields["title"],
                        Article.category_id.is_(None)
                        if fields["category_id"] is None
                        else Article.category_id == fields["category_id"],
                        Article.status != ArticleStatus.archived,
                    )
                ):
                    raise Invalid("同一分类下已有同名知识", field="标题")
                art = service.create_article(db, scope, **fields)
                seen.add(key)
            report.imported += 1
            report.ids.append(art.id)
        except DomainError as exc:
            report.errors.append({"row": rowno, "field": _label(exc.field), "reason": exc.detail})
    return report


def _label(fieldname: str | None) -> str | None:
    back = {v: k for k, v in ARTICLE_COLUMNS.items()} | {"category_id": "分类", "unit_id": "所属单位"}
    return back.get(fieldname, fieldname) if fieldname else None


def _read_xlsx(data: bytes, columns: dict[str, str]) -> list[tuple[int, dict[str, Any]]]:
    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:
        raise Invalid("无法读取 xlsx 文件", field="file") from exc
    ws = wb.active
    it = ws.iter_rows(values_only=True)
    header = next(it, None)
    if not header:
        raise Invalid("文件为空", field="file")
    names = [str(h).strip() if h is not None else "" for h in header]
    first = next(iter(columns))
    if first not in names:
        raise Invalid(f"缺少表头“{first}”", field="file")
    rows = []
    for i, values in enumerate(it, start=2):
        if values is None or all(v in (None, "") for v in values):
            continue
        if len(rows) >= MAX_ROWS:
            raise Invalid(f"一次最多导入 {MAX_ROWS} 行", field="file")
        raw = {columns[n]: v for n, v in zip(names, values, strict=False) if n in columns}
        rows.append((i, raw))
    wb.close()
    return rows


# ---------------------------------------------------------------- articles


def import_articles_xlsx(db: Session, scope: Scope, data: bytes) -> ImportReport:
    return _import_rows(db, scope, _read_xlsx(data, ARTICLE_COLUMNS))


def export_articles_xlsx(db: Session, articles: list[Article]) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "知识"
    ws.append([*ARTICLE_COLUMNS, "状态", "版本"])
    cache: dict[int, str] = {}
    units = {u.id: u.name for u in db.scalars(select(Unit))}
    for a in articles:
        ws.append(
            [
                a.title,
                _path_of(db, a.category_id, cache),
                a.body,
                "，".join(a.keywords or []),
                a.district or "",
                units.get(a.unit_id, "") if a.unit_id else "",
                a.reply_template or "",
                a.valid_from.date().isoformat() if a.valid_from else "",
                a.valid_until.date().isoformat() if a.valid_until else "",
                STATUS_LABELS.get(ArticleStatus(a.status), a.status),
                a.version,
            ]
        )
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


DOCX_META = {
    "分类": "category",
    "关键词": "keywords",
    "适用区域": "district",
    "所属单位": "unit",
    "答复口径": "reply_template",
    "有效期起": "valid_from",
    "有效期止": "valid_until",
}


def export_articles_docx(db: Session, articles: list[Article]) -> bytes:
    """One article per Heading 1; metadata as "字段：值" lines, then the body."""
    from docx import Document

    doc = Document()
    doc.add_heading("知识库导出", level=0)
    cache: dict[int, str] = {}
    units = {u.id: u.name for u in db.scalars(select(Unit))}
    for a in articles:
        doc.add_heading(a.title, level=1)
        meta = {
            "分类": _path_of(db, a.category_id, cache),
            "关键词": "，".join(a.keywords or []),
            "适用区域": a.district or "",
            "所属单位": units.get(a.unit_id, "") if a.unit_id else "",
            "答复口径": a.reply_template or "",
            "有效期止": a.valid_until.date().isoformat() if a.valid_until else "",
        }
        for k, v in meta.items():
            if v:
                doc.add_paragraph(f"{k}：{v}")
        for para in (a.body or "").split("\n"):
            if para.strip():
                doc.add_paragraph(para)
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def import_articles_docx(db: Session, scope: Scope, data: bytes) -> ImportReport:
    """Rows are the document's Heading 1 sections, numbered from 1."""
    from docx import Document

    try:
        doc = Document(io.BytesIO(data))
    except Exception as exc:
        raise Invalid("无法读取 docx 文件", field="file") from exc
    rows: list[tuple[int, dict[str, Any]]] = []
    cur: dict[str, Any] | None = None
    body: list[str] = []
    for p in doc.paragraphs:
        style = (p.style.name or "") if p.style is not None else ""
        text = p.text.strip()
        if style in ("Heading 1", "标题 1"):
            if cur is not None:
                cur["body"] = "\n".join(body)
                rows.append((len(rows) + 1, cur))
            cur, body = {"title": text}, []
            continue
        if cur is None or not text:
            continue
        key, sep, value = text.partition("：")
        if sep and key in DOCX_META and not body:
            cur[DOCX_META[key]] = value.strip()
        else:
            body.append(text)
    if cur is not None:
        cur["body"] = "\n".join(body)
        rows.append((len(rows) + 1, cur))
    if not rows:
        raise Invalid("文档中没有一级标题（每篇知识以一级标题开始）", field="file")
    return _import_rows(db, scope, rows)


# ---------------------------------------------------------------- yellow pages


def export_yellow_pages_xlsx(entries: list[dict[str, Any]]) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "部门黄页"
    ws.append(list(YP_COLUMNS))
    for e in entries:
        ws.append(
            ["，".join(e[f]) if isinstance(e.get(f), list) else (e.get(f) or "") for f in YP_COLUMNS.values()]
        )
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def export_yellow_pages_docx(entries: list[dict[str, Any]]) -> bytes:
    from docx import Document

    doc = Document()
    doc.add_heading("部门黄页", level=0)
    table = doc.add_table(rows=1, cols=5)
    for cell, name in zip(table.rows[0].cells, ("单位名称", "职责", "电话", "地址", "办公时间"), strict=True):
        cell.text = name
    for e in entries:
        cells = table.add_row().cells
        cells[0].text = e["name"]
        cells[1].text = e["duties"] or ""
        cells[2].text = "，".join(e["phones"])
        cells[3].text = e["address"] or ""
        cells[4].text = e["office_hours"] or ""
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def import_yellow_pages_xlsx(db: Session, scope: Scope, data: bytes) -> ImportReport:
    """Updates existing units by name; unknown units and units the user may not edit are reported."""
    report = ImportReport()
    by_name: dict[str, list[int]] = {}
    for u in db.scalars(select(Unit)):
        by_name.setdefault(u.name, []).append(u.id)
    for rowno, raw in _read_xlsx(data, YP_COLUMNS):
        name = str(raw.pop("name", "") or "").strip()
        try:
            with db.begin_nested():
                if not name:
                    raise Invalid("单位名称不能为空", field="单位名称")
                ids = by_name.get(name, [])
                if len(ids) != 1:
                    raise Invalid(
                        f"单位“{name}”不存在" if not ids else f"单位名称“{name}”不唯一", field="单位名称"
                    )
                fields = {
                    k: (str(v) if v is not None else None) for k, v in raw.items() if v not in (None, "")
                }
                yellow_pages.update(db, scope, ids[0], **fields)
            report.imported += 1
            report.ids.append(ids[0])
        except DomainError as exc:
            label = {v: k for k, v in YP_COLUMNS.items()}.get(exc.field or "", exc.field)
            report.errors.append({"row": rowno, "field": label, "reason": exc.detail})
    return report
