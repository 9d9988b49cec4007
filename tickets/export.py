"""Tickets to an Excel workbook (xlsx), with the same filters and scope as the list."""

from __future__ import annotations

import io

from openpyxl import Workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from models.db import utcnow
from models.org import Unit
from models.scope import Scope
from tickets import access, deadlines, queries
from tickets.enums import APPEAL_TYPE_LABELS, STATE_LABELS, AppealType, TicketState

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
COLOURS = {"none": "", "yellow": "黄灯", "red": "红灯"}
HEADER = ["工单编号", "受理时间", "渠道", "诉求类型", "紧急程度", "标题", "内容", "诉求人", "联系电话", "县区",
          "地址", "分类", "状态", "主办单位", "办理时限", "预警", "疑难", "督办", "重办次数", "答复", "满意度"]  # fmt: skip


def tickets_xlsx(db: Session, scope: Scope, filters: queries.Filters, *, limit: int = 10000) -> bytes:
    now = utcnow()
    stmt = queries.select_tickets(db, scope, filters, now).limit(limit)
    units = dict(db.execute(select(Unit.id, Unit.name)).all())
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("工单")
    ws.append(HEADER)
    tz = None
    for t in db.scalars(stmt):
        if tz is None:
            from tickets.calendar import WorkingCalendar

            tz = WorkingCalendar.load(db).tz
        name, phone = access.citizen_for(t, scope)
        ws.append(
            [
                t.number,
                t.created_at.astimezone(tz).strftime("%Y-%m-%d %H:%M"),
                t.channel,
                APPEAL_TYPE_LABELS.get(AppealType(t.appeal_type), t.appeal_type),
                "紧急" if t.urgency == "urgent" else "一般",
                t.title,
                t.content,
                name,
                phone,
                t.district,
                t.address,
                t.category,
                STATE_LABELS.get(TicketState(t.state), t.state),
                units.get(t.lead_unit_id),
                t.handling_deadline.astimezone(tz).strftime("%Y-%m-%d %H:%M")
                if t.handling_deadline
                else None,
                COLOURS[deadlines.ticket_colour(t, now)],
                "是" if t.difficult else "",
                "是" if t.supervised else "",
                t.reopen_count,
                t.answer or t.reply,
                t.satisfaction,
            ]
        )
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
