"""The daily hot-issue report as an xlsx workbook."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from io import BytesIO

from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill

HEADERS = [
    "序号",
    "热点话题",
    "属地",
    "窗口内工单数",
    "近一日",
    "基线日均",
    "突增指数",
    "趋势",
    "逐日数量",
    "代表工单",
    "突增预警",
]


def hotspot_workbook(day: date, items: Sequence[dict], *, title: str = "12345热线热点问题日报") -> bytes:
    """`items`: hotspot dicts (as stored). Returns the xlsx bytes."""
    wb = Workbook()
    ws = wb.active
    ws.title = "热点问题"
    ws.append([f"{title}（{day.isoformat()}）"])
    ws["A1"].font = Font(bold=True, size=14)
    ws.append(HEADERS)
    for cell in ws[2]:
        cell.font = Font(bold=True)
    alert = PatternFill("solid", fgColor="FFC7CE")
    for n, h in enumerate(items, start=1):
        ws.append(
            [
                n,
                h["topic"],
                h.get("district") or "未识别",
                h["count"],
                h["recent"],
                h["expected"],
                h["burst"],
                h["direction"],
                " ".join(str(v) for v in h["trend"]),
                "、".join(str(v) for v in h["representatives"]),
                "是" if h.get("surge") else "",
            ]
        )
        if h.get("surge"):
            for cell in ws[ws.max_row]:
                cell.fill = alert
    for col, width in zip("ABCDEFGHIJK", (6, 30, 22, 12, 8, 10, 10, 8, 20, 24, 10), strict=True):
        ws.column_dimensions[col].width = width
    buf = BytesIO()
    wb.save(buf)
    return buf.getvalue()
