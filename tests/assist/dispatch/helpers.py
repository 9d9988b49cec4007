"""Driving tickets through the real workflow service for dispatch tests."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.org import Unit, User
from models.scope import scope_for

# unit name → (handler username, matter texts)
HISTORY = {
    "南宁市人力资源和社会保障局": (
        "rs_handler",
        ["工地老板拖欠工资三个月不发", "公司欠薪不给劳动合同", "加班费一直不发放"],
    ),
    "南宁市城市管理综合行政执法局": (
        "cg_handler",
        ["路边商贩占道经营乱摆摊", "有人搭建违章建筑", "烧烤摊油烟扰民"],
    ),
    "南宁市教育局": ("edu_handler", ["孩子小学入学学位不够", "校外培训机构乱收费", "学校违规收取补课费"]),
    "南宁建宁水务投资集团有限责任公司": (
        "water_handler",
        ["小区突然停水没有通知", "自来水浑浊发黄", "水表走字异常水费太高"],
    ),
    "南宁市公安局": ("police_handler", ["补办身份证要多久", "户口迁移需要什么材料", "居住证办理流程"]),
    "青秀区人民政府": (
        "qx_gov",
        [
            "青秀区南湖街道小区门口垃圾堆积无人清理",
            "青秀区新竹街道背街小巷路面坑洼",
            "青秀区津头街道村里排水沟堵塞",
        ],
    ),
}


def scope(db: Session, username: str):
    return scope_for(db, db.scalar(select(User).where(User.username == username)))


def unit_id(db: Session, name: str) -> int:
    return db.scalar(select(Unit.id).where(Unit.name == name))


def accept(
    db: Session, title: str, content: str, *, district: str | None = None, address: str | None = None
) -> int:
    from tickets import service as tickets

    t = tickets.accept(
        db,
        scope(db, "agent01"),
        channel="web",
        appeal_type="complaint",
        title=title,
        content=content,
        district=district,
        address=address,
    )
    return t.id


def handle(db: Session, ticket_id: int, unit_name: str, handler: str) -> None:
    """dispatch → sign → answer: the ticket ends with `unit_name` as its final unit."""
    from tickets import service as tickets

    tickets.apply_action(
        db, scope(db, "dispatcher"), ticket_id, "dispatch", lead_unit_id=unit_id(db, unit_name)
    )
    tickets.apply_action(db, scope(db, handler), ticket_id, "sign")
    tickets.apply_action(
        db,
        scope(db, handler),
        ticket_id,
        "answer",
        content="已核实处理并答复诉求人。",
        handler_name="测试",
        handled_at=datetime.now(UTC),
        method="电话联系",
    )


def build_history(db: Session, rounds: int = 3) -> None:
    n = 0
    for r in range(rounds):
        for unit_name, (handler, matters) in HISTORY.items():
            for matter in matters:
                n += 1
                tid = accept(db, f"{matter}（{r}-{n}）", f"市民反映：{matter}，希望尽快处理。编号{r}{n}")
                handle(db, tid, unit_name, handler)
