"""Demo call-centre configuration: skill groups, the 12 demo agents' skills, the centre's IVR menu,
a workstation without a menu (welcome prompt, then straight to its queue, as the national service
standard advises) on office hours, holidays, blacklist, 专席 rules and a few past call records.

Idempotent: does nothing once the `general` skill group exists.
"""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.calls import Disposition, SkillGroup
from models.org import Tenant, User
from models.scope import scope_for
from switch import store

log = logging.getLogger("hotline.calls")

CENTRE_CODE = "NN"
NO_MENU_WORKSTATION = "NN-QX"  # 青秀区: office hours, no menu
WORKSTATION_NUMBER = "123451"  # the number that reaches 青秀区工作站 directly (demo)

# code, name, tenant ("centre" / workstation code), overflow code, overflow after s, voicemail after s
GROUPS = [
    ("general", "综合咨询", "centre", None, 60, 300),
    ("complaint", "投诉举报", "centre", "general", 60, 300),
    ("enterprise", "企业服务", "centre", "general", 90, 300),
    ("special", "12345专席", "centre", "general", 30, 300),
    ("qx-general", "青秀区综合受理", NO_MENU_WORKSTATION, "general", 45, 240),
]

# agent01..agent12 → {group: level}
SKILLS: dict[int, dict[str, int]] = {
    1: {"general": 5},
    2: {"general": 4},
    3: {"general": 4, "complaint": 2},
    4: {"general": 3, "complaint": 3},
    5: {"general": 3, "complaint": 4},
    6: {"general": 3, "complaint": 5},
    7: {"general": 2, "complaint": 3},
    8: {"general": 2, "enterprise": 3},
    9: {"general": 2, "enterprise": 5},
    10: {"general": 2, "enterprise": 4, "qx-general": 4},
    11: {"special": 5, "general": 3},
    12: {"special": 4, "qx-general": 5, "general": 3},
}

CENTRE_MENU = {
    "name": "市中心主菜单",
    "start": "main",
    "nodes": {
        "main": {
            "prompt": "say:政策咨询请按1，投诉举报请按2，企业服务请按3，查询工单办理进度请按4，留言请按5，人工服务请按0。",
            "tries": 3,
            "timeout_ms": 6000,
            "options": {
                "1": {"type": "queue", "skill_group": "general"},
                "2": {"type": "queue", "skill_group": "complaint"},
                "3": {"type": "goto", "node": "enterprise"},
                "4": {"type": "goto", "node": "ticket"},
                "5": {"type": "voicemail"},
                "0": {"type": "queue", "skill_group": "general"},
            },
            "on_failure": {"type": "queue", "skill_group": "general"},
        },
        "enterprise": {
            "prompt": "say:涉企政策咨询请按1，营商环境投诉请按2，返回上级菜单请按星号键。",
            "options": {
                "1": {"type": "queue", "skill_group": "enterprise"},
                "2": {"type": "queue", "skill_group": "complaint", "priority": 5},
                "*": {"type": "back"},
            },
            "on_failure": {"type": "queue", "skill_group": "enterprise"},
        },
        "ticket": {
            "kind": "input",
            "prompt": "say:请输入工单编号，以井号键结束。",
            "self_service": "ticket_progress",
            "min_digits": 6,
            "max_digits": 20,
            "timeout_ms": 10000,
            "then": {"type": "back"},
            "on_failure": {"type": "queue", "skill_group": "general"},
        },
    },
}

OFFICE_HOURS = [
    {"weekdays": [1, 2, 3, 4, 5], "start": "08:00", "end": "12:00"},
    {"weekdays": [1, 2, 3, 4, 5], "start": "14:30", "end": "17:30"},
]

HOLIDAYS = [
    (date(2026, 1, 1), "元旦", "holiday"),
    (date(2026, 2, 16), "春节", "holiday"),
    (date(2026, 2, 17), "春节", "holiday"),
    (date(2026, 2, 18), "春节", "holiday"),
    (date(2026, 2, 28), "春节调休上班", "workday"),
    (date(2026, 5, 1), "劳动节", "holiday"),
    (date(2026, 10, 1), "国庆节", "holiday"),
    (date(2026, 10, 2), "国庆节", "holiday"),
]


def load_demo(db: Session) -> None:
    if db.scalar(select(SkillGroup.id).where(SkillGroup.code == "general")):
        return
    admin = db.scalar(select(User).where(User.username == "admin"))
    centre = db.scalar(select(Tenant).where(Tenant.code == CENTRE_CODE))
    qx = db.scalar(select(Tenant).where(Tenant.code == NO_MENU_WORKSTATION))
    if admin is None or centre is None or qx is None:
        return
    scope = scope_for(db, admin)
    groups: dict[str, SkillGroup] = {}
    for code, name, where, _overflow, after, vm_after in GROUPS:
        groups[code] = store.create_skill_group(
            db,
            scope,
            tenant_id=centre.id if where == "centre" else qx.id,
            code=code,
            name=name,
            overflow_after_s=after,
            voicemail_after_s=vm_after,
        )
    for code, *_rest in GROUPS:
        overflow = _rest[2]
        if overflow:
            store.update_skill_group(db, scope, groups[code].id, overflow_group_id=groups[overflow].id)
    for i, skills in SKILLS.items():
        user = db.scalar(select(User).where(User.username == f"agent{i:02d}"))
        if user is not None:
            store.update_agent(db, scope, user.id, skills=[(groups[c].id, lvl) for c, lvl in skills.items()])

    menu = store.create_menu(db, scope, tenant_id=centre.id, name=CENTRE_MENU["name"], tree=CENTRE_MENU)
    store.put_settings(db, scope, centre.id, ivr_menu_id=menu.id, default_group_id=groups["general"].id)
    # the workstation: no menu — welcome, then its queue; office hours, voicemail otherwise
    if WORKSTATION_NUMBER not in (qx.called_numbers or []):
        qx.called_numbers = [*(qx.called_numbers or []), WORKSTATION_NUMBER]
    store.put_settings(
        db,
        scope,
        qx.id,
        ivr_menu_id=None,
        default_group_id=groups["qx-general"].id,
        always_open=False,
        windows=OFFICE_HOURS,
        after_hours="voicemail",
        prompts={
            "welcome": "say:您好，这里是青秀区12345工作站，正在为您转接人工服务，请稍候。",
            "closed": "say:青秀区工作站的服务时间为工作日上午8点至12点、下午2点半至5点半，请在提示音后留言。",
        },
    )
    for day, name, kind in HOLIDAYS:
        store.add_holiday(db, scope, tenant_id=qx.id, day=day, name=name, kind=kind)

    store.add_blacklist(
        db, scope, tenant_id=centre.id, number="13000000000", reason="恶意骚扰，多次辱骂话务员"
    )
    store.add_blacklist(
        db, scope, tenant_id=centre.id, number="17100001111", reason="频繁无效来电（日均 50 次以上）"
    )
    store.create_special_seat(
        db,
        scope,
        tenant_id=centre.id,
        name="人大代表、政协委员专席",
        match_on="calling",
        pattern="13907710001",
        skill_group_id=groups["special"].id,
        priority=5,
        agent_numbers=["1011", "1012"],
        order=10,
    )
    store.create_special_seat(
        db,
        scope,
        tenant_id=centre.id,
        name="高新区企业专线",
        match_on="calling",
        pattern="07715888*",
        skill_group_id=groups["enterprise"].id,
        priority=0,
        order=20,
    )
    _sample_calls(db, centre.id, groups)
    log.info("demo call centre loaded", extra={"groups": len(groups)})


def _sample_calls(db: Session, centre_id: int, groups: dict[str, SkillGroup]) -> None:
    """A few past calls so the record lists are not empty before the simulator runs."""
    base = datetime(2026, 3, 2, 1, 30, tzinfo=UTC)  # Monday 09:30 Nanning
    agents = {u.username: u for u in db.scalars(select(User).where(User.username.like("agent%")))}
    samples = [
        ("13877100001", "agent01", "general", Disposition.answered, 12, 240),
        ("13877100002", "agent05", "complaint", Disposition.answered, 35, 410),
        ("13877100003", None, "general", Disposition.abandoned, 48, 0),
        ("13877100004", "agent09", "enterprise", Disposition.answered, 8, 185),
        ("13877100005", None, "general", Disposition.voicemail, 300, 0),
        ("13877100006", "agent02", "general", Disposition.answered, 5, 95),
    ]
    for i, (caller, agent, group, disposition, wait, talk) in enumerate(samples, start=1):
        uuid = f"demo-call-{i:04d}"
        start = base + timedelta(minutes=17 * i)
        queued = start + timedelta(seconds=25)
        user = agents.get(agent) if agent else None
        fields = {
            "tenant_id": centre_id,
            "caller": caller,
            "called": "12345",
            "started_at": start,
            "answered_at": start + timedelta(seconds=1),
            "ivr_path": "main:1",
            "queue_entered_at": queued,
        }
        if user is not None:
            answered = queued + timedelta(seconds=wait)
            fields |= {
                "agent_user_id": user.id,
                "agent_number": user.agent_number,
                "extension": user.extension,
                "ring_started_at": answered - timedelta(seconds=4),
                "agent_answered_at": answered,
                "wrap_up_s": 15.0,
            }
            end = answered + timedelta(seconds=talk)
        else:
            end = queued + timedelta(seconds=wait)
        store.upsert_call(db, uuid, skill_group=group, **fields)
        store.finish_call(db, uuid, ended_at=end, hangup_cause="NORMAL_CLEARING", disposition=disposition)
        if disposition is Disposition.abandoned:
            store.record_abandoned(
                db,
                call_uuid=uuid,
                caller=caller,
                stage="queue",
                tenant_id=centre_id,
                skill_group=group,
                waited_s=float(wait),
                position=3,
                at=end,
            )
        if disposition is Disposition.voicemail:
            store.add_voicemail(
                db,
                call_uuid=uuid,
                caller=caller,
                called="12345",
                tenant_id=centre_id,
                reason="overflow",
                skill_group=group,
                duration_s=42.0,
            )
