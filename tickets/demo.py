"""Demo data: the working calendar, handling rules and ~30 Nanning tickets in every state.

Idempotent: the tickets carry idempotency keys `demo-NN` and are created once. Each ticket is
driven through the real service, backdated, so timelines, deadlines and warnings are genuine.
"""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.db import utcnow
from models.errors import Invalid
from models.org import Unit, User
from models.scope import scope_for
from models.tickets import SlaRule, Ticket
from tickets import calendar, service

log = logging.getLogger("hotline.tickets")

SLA = [  # category, working days, urgent working days
    ("城乡建设/物业管理", 7, 2),
    ("环境保护/噪声", 3, 1),
    ("交通运输/公交", 5, 1),
    ("劳动和社会保障/欠薪", 10, 3),
    ("教育文体/入学", 5, 2),
    ("卫生计生/医疗", 5, 1),
    ("商贸旅游/消费维权", 7, 2),
    ("城市管理/占道经营", 3, 1),
    ("供水供电/停水", 2, 1),
    ("政策咨询", 3, 1),
]

# title, content, appeal type, category, district, address, lead unit, stage
# stages: accepted review to_dispatch to_sign late_sign handling yellow extension returned answered
#         revisit closed replied difficult workstation withdrawn
TICKETS: list[tuple[str, str, str, str, str, str, str, str]] = [
    ("凤岭北小区电梯频繁故障", "凤岭北某小区3栋电梯本月已停运四次，老人上下楼困难，物业一直拖延维修，请督促物业尽快修好。",
     "complaint", "城乡建设/物业管理", "青秀区", "青秀区凤岭北路18号", "南宁市住房和城乡建设局", "handling"),
    ("江南区工地夜间施工噪音扰民", "白沙大道附近工地每晚十一点后还在打桩，噪音很大，孩子无法休息，请查处夜间违规施工。",
     "complaint", "环境保护/噪声", "江南区", "江南区白沙大道与亭洪路交叉口", "南宁市生态环境局", "late_sign"),
    ("咨询新生儿医保如何办理", "孩子刚出生一个月，想咨询新生儿在南宁参加城乡居民医保需要什么材料，在哪里办理。",
     "consultation", "政策咨询", "西乡塘区", "西乡塘区北湖路", "南宁市医疗保障局", "replied"),
    ("公司拖欠三个月工资", "本人在西乡塘区某装修公司工作，公司已拖欠三个月工资共一万二千元，老板不接电话，请帮忙追讨。",
     "help", "劳动和社会保障/欠薪", "西乡塘区", "西乡塘区大学东路", "南宁市人力资源和社会保障局", "yellow"),
    ("朝阳路人行道占道经营", "朝阳路步行街入口处每天傍晚有大量流动摊贩占用盲道和人行道，行人只能走机动车道，很危险。",
     "complaint", "城市管理/占道经营", "兴宁区", "兴宁区朝阳路", "南宁市城市管理综合行政执法局", "to_sign"),
    ("建议加密706路公交早高峰班次", "706路早高峰7点到8点半间隔超过20分钟，车上非常拥挤，建议加密班次或增开区间车。",
     "suggestion", "交通运输/公交", "良庆区", "良庆区五象大道", "南宁市交通运输局", "answered"),
    ("小区突然停水未提前通知", "仙葫大道某小区从今天早上开始停水，没有任何通知，家里有老人小孩，请问什么时候恢复供水。",
     "help", "供水供电/停水", "青秀区", "青秀区仙葫大道东", "南宁建宁水务投资集团有限责任公司", "closed"),
    ("表扬南湖派出所民警热心帮助", "前天在南湖公园走失的老人被南湖派出所民警找到并送回家，特此表扬，感谢民警的热心帮助。",
     "praise", "政策咨询", "青秀区", "青秀区南湖公园", "南宁市公安局", "revisit"),
    ("举报餐馆后厨卫生脏乱", "中山路美食街某餐馆后厨老鼠出没，餐具不消毒，举报人要求对身份保密，请市场监管部门查处。",
     "report", "商贸旅游/消费维权", "青秀区", "青秀区中山路美食街", "南宁市市场监督管理局", "handling"),
    ("孩子入学学位分配咨询", "户籍在兴宁区，房产在青秀区，孩子今年上一年级，想咨询应该在哪个学区报名，需要哪些材料。",
     "consultation", "教育文体/入学", "兴宁区", "兴宁区民生路", "南宁市教育局", "accepted"),
    ("预付卡健身房突然关门", "在琅东某健身房办了年卡三千八百元，健身房突然关门，老板联系不上，请求帮助退款。",
     "complaint", "商贸旅游/消费维权", "青秀区", "青秀区琅东八里", "南宁市市场监督管理局", "extension"),
    ("小区门口路灯不亮", "安吉大道某小区门口路灯已坏了两周，晚上一片漆黑，已有老人摔倒，请尽快维修。",
     "help", "城市管理/占道经营", "西乡塘区", "西乡塘区安吉大道", "南宁市市政设施管理中心", "returned"),
    ("物业乱收停车费", "小区物业未经业主大会同意，将停车费从每月150元涨到300元，业主多次反映无果。",
     "complaint", "城乡建设/物业管理", "西乡塘区", "西乡塘区衡阳路", "南宁市住房和城乡建设局", "difficult"),
    ("医院挂号难、号贩子倒号", "某三甲医院专家号一放号就没了，门口有人高价倒卖号源，请卫健部门整治。",
     "complaint", "卫生计生/医疗", "青秀区", "青秀区七星路", "南宁市卫生健康委员会", "review"),
    ("咨询灵活就业人员社保缴费", "本人是灵活就业人员，想咨询在南宁如何缴纳养老保险，每月最低缴费多少。",
     "consultation", "政策咨询", "江南区", "江南区星光大道", "南宁市人力资源和社会保障局", "replied"),
    ("新竹街道小区垃圾清运不及时", "新竹路某小区垃圾桶满溢三天无人清运，气味很大，蚊蝇滋生。",
     "complaint", "城市管理/占道经营", "青秀区", "青秀区新竹路", "新竹街道", "workstation"),
    ("网约车绕路多收费", "昨晚从吴圩机场打网约车到琅东，司机绕路多走15公里，多收费60元，平台客服不处理。",
     "complaint", "交通运输/公交", "江南区", "吴圩国际机场", "南宁市交通运输局", "to_dispatch"),
    ("建议在五象湖公园增设公厕", "五象湖公园东门附近没有公厕，周末游客多，很不方便，建议增设。",
     "suggestion", "城市管理/占道经营", "良庆区", "良庆区五象湖公园", "南宁市城市管理综合行政执法局", "closed"),
    ("邻居饲养犬只夜间吠叫", "楼上邻居养了两条大狗，每天夜里吠叫，沟通无效，请问该找哪个部门处理。",
     "complaint", "环境保护/噪声", "兴宁区", "兴宁区长堽路", "南宁市公安局", "handling"),
    ("充电桩安装物业不配合", "在小区购买了车位，申请安装新能源汽车充电桩，物业以各种理由拒绝出具同意证明。",
     "help", "城乡建设/物业管理", "良庆区", "良庆区平乐大道", "南宁市住房和城乡建设局", "to_sign"),
    ("学校周边交通拥堵", "每天早上7点半民主路小学门口接送车辆乱停乱放，造成严重拥堵，建议交警加强疏导。",
     "suggestion", "交通运输/公交", "青秀区", "青秀区民主路", "南宁市公安局", "answered"),
    ("购买到过期食品", "在某超市购买的牛奶已过期两天，要求超市赔偿被拒绝。",
     "complaint", "商贸旅游/消费维权", "西乡塘区", "西乡塘区明秀西路", "南宁市市场监督管理局", "revisit"),
    ("咨询公租房申请条件", "想咨询南宁市公租房申请需要满足什么条件，外地户籍能否申请。",
     "consultation", "政策咨询", "兴宁区", "兴宁区兴宁路", "南宁市住房保障和房产管理局", "replied"),
    ("自来水发黄有异味", "最近一周家里自来水打开时发黄，有铁锈味，担心水质问题。",
     "complaint", "供水供电/停水", "江南区", "江南区福建园街道", "南宁建宁水务投资集团有限责任公司", "yellow"),
    ("培训机构退费难", "给孩子报了某校外培训机构课程，只上了三节课，机构以各种理由拒绝退剩余课时费。",
     "complaint", "教育文体/入学", "青秀区", "青秀区东葛路", "南宁市教育局", "late_sign"),
    ("企业偷排污水入内河", "那考河上游某厂房晚上向河道排放不明污水，河水发黑发臭。",
     "report", "环境保护/噪声", "兴宁区", "兴宁区那考河", "南宁市生态环境局", "handling"),
    ("公交司机服务态度差", "乘坐B11路公交时，司机对老人态度恶劣，请公交集团加强管理。",
     "complaint", "交通运输/公交", "西乡塘区", "西乡塘区秀厢大道", "南宁公共交通集团有限责任公司", "closed"),
    ("市民撤回的噪音投诉", "楼下商铺音响声音大，现已协商解决，撤回诉求。",
     "complaint", "环境保护/噪声", "青秀区", "青秀区金湖路", "南宁市公安局", "withdrawn"),
    ("老旧小区改造进度咨询", "请问我们小区列入今年老旧小区改造计划了吗，什么时候开工。",
     "consultation", "城乡建设/物业管理", "兴宁区", "兴宁区民生街道", "南宁市住房和城乡建设局", "to_sign"),
    ("道路井盖破损存在隐患", "大学东路某公交站旁井盖破损下陷，电动车经过很危险，请尽快修复。",
     "help", "城市管理/占道经营", "西乡塘区", "西乡塘区大学东路", "南宁市市政设施管理中心", "late_sign"),
]  # fmt: skip

NAMES = ["黄建国", "韦秀兰", "李明", "覃丽华", "陆志强", "莫小燕", "蒙海", "梁春花", "农家宝", "卢静"]
HANDLERS = {  # lead unit → demo handler username (others: the centre completes the flow only up to sign)
    "南宁市公安局": "police_handler",
    "南宁市城市管理综合行政执法局": "cg_handler",
    "南宁市住房和城乡建设局": "zj_handler",
    "南宁市市场监督管理局": "sj_handler",
    "南宁市人力资源和社会保障局": "rs_handler",
    "南宁建宁水务投资集团有限责任公司": "water_handler",
    "南宁市教育局": "edu_handler",
}
SIGNING = {"to_sign", "late_sign", "returned"}


def seed_calendar(db: Session, years: range) -> None:
    for year in years:
        try:
            calendar.seed_year(db, year)
        except Invalid:  # a year chinese-calendar does not know yet is maintained by hand
            log.info("calendar year not seeded", extra={"year": year})


def seed_rules(db: Session) -> None:
    for category, days, urgent in SLA:
        if db.get(SlaRule, category) is None:
            db.add(
                SlaRule(category=category, handling_days=days, urgent_handling_days=urgent, yellow_pct=0.8)
            )
    db.flush()


def load_demo(db: Session) -> None:
    this_year = date.today().year
    if not calendar.list_days(db, this_year):
        seed_calendar(db, range(this_year - 1, this_year + 2))
    seed_rules(db)
    if db.scalar(select(User.id).where(User.username == "agent01")) is None:
        return
    if db.scalar(select(Ticket.id).where(Ticket.idempotency_key == "demo-01").limit(1)):
        return
    users = {u.username: scope_for(db, u) for u in db.scalars(select(User))}
    units = dict(db.execute(select(Unit.name, Unit.id)).all())
    now = utcnow()
    for i, row in enumerate(TICKETS, start=1):
        _one(db, i, row, users, units, now)
    log.info("demo tickets loaded", extra={"tickets": len(TICKETS)})


def _one(db: Session, i: int, row, users, units, now: datetime) -> None:
    title, content, appeal_type, category, district, address, unit_name, stage = row
    # older tickets for later stages; "late" ones far enough back to be overdue
    age = {"late_sign": 96, "yellow": 24 * 6, "difficult": 24 * 12, "closed": 24 * 9}.get(stage, 6 + i)
    t0 = now - timedelta(hours=age)
    at = iter(t0 + timedelta(minutes=20 * k) for k in range(1, 100))
    channel = ["phone", "wechat", "web", "app", "phone"][i % 5]
    ticket = service.accept(
        db,
        users["agent01"] if channel == "phone" else users["agent02"],
        idempotency_key=f"demo-{i:02d}",
        now=t0,
        channel=channel,
        call_id=f"demo-call-{i:04d}" if channel == "phone" else None,
        citizen_name=NAMES[i % len(NAMES)],
        citizen_phone=f"1387711{(i % 12):04d}",
        appeal_type=appeal_type,
        urgency="urgent" if i % 9 == 0 else "normal",
        title=title,
        content=content,
        address=f"南宁市{address}",
        district=district,
        category=category,
        confidential=appeal_type == "report",
    )
    if stage == "accepted":
        return

    def act(user: str, action: str, **payload) -> None:
        service.apply_action(db, users[user], ticket.id, action, now=next(at), **payload)

    if stage == "replied":
        act("agent01", "reply", reply="已根据知识库政策为市民解答，市民表示清楚。")
        act("revisit", "revisit", result="satisfied", citizen_words="解答很清楚，谢谢。")
        act("dispatcher", "close")
        return
    if stage == "withdrawn":
        act("agent01", "withdraw", note="诉求人来电表示已自行解决，申请撤单")
        return
    if stage == "review":
        act("agent01", "submit-review")
        return
    if stage == "to_dispatch":
        act("agent01", "submit-review")
        act("dispatcher", "approve")
        return
    if stage == "workstation":
        ws = db.scalar(select(User).where(User.username == "ws_qx"))
        act("dispatcher", "dispatch", workstation_id=ws.tenant_id, instructions="属地街道处理")
        act("ws_qx", "sign")
        act("ws_qx", "dispatch", lead_unit_id=units[unit_name])
        return
    act("dispatcher", "dispatch", lead_unit_id=units[unit_name], instructions="请按时限办理并答复市民")
    handler = HANDLERS.get(unit_name)
    if stage in SIGNING or handler is None:
        if stage == "returned" and handler:
            act(handler, "return-request", note="不属于本单位职责")
        return
    act(handler, "sign")
    if stage in ("handling", "yellow"):
        return
    if stage == "extension":
        act(
            handler,
            "extension-request",
            note="需协调多部门核查",
            until=(now + timedelta(days=30)).isoformat(),
        )
        return
    answer = {
        "content": "经核查，已责成相关责任方整改，并电话告知市民处理结果。",
        "handler_name": users[handler].full_name,
        "handled_at": next(at).astimezone(UTC).isoformat(),
        "method": "现场核查并电话联系",
    }
    act(handler, "answer", **answer)
    if stage == "answered":
        return
    act("dispatcher", "review-answer", result="accept")
    if stage == "revisit":
        return
    if stage == "difficult":
        for _ in range(2):
            act("revisit", "revisit", result="unsatisfied", citizen_words="问题没有解决，物业还在收费。")
            if ticket.difficult:
                return
            act(handler, "sign")
            act(handler, "answer", **answer)
            act("dispatcher", "review-answer", result="accept")
        return
    act("revisit", "revisit", result="satisfied", citizen_words="处理及时，满意。")
    act("dispatcher", "close")
