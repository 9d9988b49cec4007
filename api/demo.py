"""Demo organisation: Nanning's 12345 centre, its 15 workstations, member units and users.

Idempotent: loading twice changes nothing. Other domains add their demo data in the
modules of `DEMO_MODULES`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from api import org_service
from models.org import Role, Tenant, Unit, UnitKind, User

log = logging.getLogger("hotline.demo")

DEMO_PASSWORD = "Hotline@12345"
CENTRE_CODE = "NN"

# code, name, district government (unit name), streets/towns (sub-units)
DISTRICTS: list[tuple[str, str, str, list[str]]] = [
    ("XN", "兴宁区", "兴宁区人民政府", ["民生街道", "朝阳街道", "兴东街道", "三塘镇"]),
    ("QX", "青秀区", "青秀区人民政府", ["新竹街道", "中山街道", "南湖街道", "津头街道", "仙葫街道"]),
    ("JN", "江南区", "江南区人民政府", ["福建园街道", "江南街道", "沙井街道", "吴圩镇"]),
    ("XXT", "西乡塘区", "西乡塘区人民政府", ["衡阳街道", "北湖街道", "西乡塘街道", "安吉街道", "华强街道"]),
    ("LQ", "良庆区", "良庆区人民政府", ["大沙田街道", "玉洞街道", "良庆镇"]),
    ("YN", "邕宁区", "邕宁区人民政府", ["蒲庙镇", "新江镇", "那楼镇"]),
    ("WM", "武鸣区", "武鸣区人民政府", ["城厢镇", "双桥镇", "府城镇"]),
    ("HZ", "横州市", "横州市人民政府", ["横州镇", "六景镇", "校椅镇"]),
    ("BY", "宾阳县", "宾阳县人民政府", ["宾州镇", "黎塘镇", "新桥镇"]),
    ("SL", "上林县", "上林县人民政府", ["大丰镇", "明亮镇", "白圩镇"]),
    ("MS", "马山县", "马山县人民政府", ["白山镇", "百龙滩镇", "林圩镇"]),
    ("LA", "隆安县", "隆安县人民政府", ["城厢镇", "那桐镇", "乔建镇"]),
    ("GX", "南宁高新技术产业开发区", "南宁高新技术产业开发区管理委员会", ["心圩街道", "科园社区"]),
    ("JK", "南宁经济技术开发区", "南宁经济技术开发区管理委员会", ["那洪街道", "吴圩园区"]),
    ("DM", "广西-东盟经济技术开发区", "广西-东盟经济技术开发区管理委员会", ["宁武镇", "东盟工业园"]),
]

# name, short name, kind, duties (abridged 权责 summary), phone
CITY_UNITS: list[tuple[str, str, UnitKind, str, str]] = [
    (
        "南宁市发展和改革委员会",
        "市发改委",
        UnitKind.city_unit,
        "价格监管、重大项目、能源、物价投诉",
        "0771-5520100",
    ),
    (
        "南宁市教育局",
        "市教育局",
        UnitKind.city_unit,
        "中小学招生入学、学位、校外培训、教师、学校收费",
        "0771-5521401",
    ),
    (
        "南宁市科学技术局",
        "市科技局",
        UnitKind.city_unit,
        "科技项目、高新技术企业认定、科技人才",
        "0771-5521501",
    ),
    (
        "南宁市工业和信息化局",
        "市工信局",
        UnitKind.city_unit,
        "工业企业、中小企业服务、信息化、通信基站协调",
        "0771-5521601",
    ),
    (
        "南宁市民族宗教事务委员会",
        "市民宗委",
        UnitKind.city_unit,
        "民族政策、宗教事务、少数民族优惠",
        "0771-5521701",
    ),
    (
        "南宁市公安局",
        "市公安局",
        UnitKind.city_unit,
        "户籍、身份证、治安、噪音扰民（社会生活）、出入境、居住证",
        "0771-2891110",
    ),
    (
        "南宁市民政局",
        "市民政局",
        UnitKind.city_unit,
        "低保、特困、婚姻登记、养老服务、殡葬、社会组织",
        "0771-5521901",
    ),
    ("南宁市司法局", "市司法局", UnitKind.city_unit, "法律援助、公证、人民调解、律师管理", "0771-5522001"),
    ("南宁市财政局", "市财政局", UnitKind.city_unit, "财政票据、政府采购、财政补贴资金", "0771-5522101"),
    (
        "南宁市人力资源和社会保障局",
        "市人社局",
        UnitKind.city_unit,
        "就业、欠薪、劳动合同、职称、社保政策、人才引进",
        "0771-5522201",
    ),
    (
        "南宁市自然资源局",
        "市自然资源局",
        UnitKind.city_unit,
        "规划、土地、不动产、违法占地、矿产",
        "0771-5522301",
    ),
    (
        "南宁市生态环境局",
        "市生态环境局",
        UnitKind.city_unit,
        "大气、水、噪声（工业和建筑施工夜间）、固废、环评",
        "0771-5522401",
    ),
    (
        "南宁市住房和城乡建设局",
        "市住建局",
        UnitKind.city_unit,
        "物业管理、商品房、工程质量、建筑施工、老旧小区改造、燃气监管",
        "0771-5522501",
    ),
    (
        "南宁市交通运输局",
        "市交通运输局",
        UnitKind.city_unit,
        "出租车、网约车、公交线路、道路运输、公路",
        "0771-5522601",
    ),
    ("南宁市水利局", "市水利局", UnitKind.city_unit, "防汛、水库、河道、农村饮水、水土保持", "0771-5522701"),
    (
        "南宁市农业农村局",
        "市农业农村局",
        UnitKind.city_unit,
        "农业补贴、农产品质量、动物防疫、农村宅基地",
        "0771-5522801",
    ),
    ("南宁市商务局", "市商务局", UnitKind.city_unit, "商贸流通、预付卡、外贸、农贸市场建设", "0771-5522901"),
    (
        "南宁市文化广电和旅游局",
        "市文旅局",
        UnitKind.city_unit,
        "文化市场、旅游投诉、景区、广播电视、娱乐场所",
        "0771-5523001",
    ),
    (
        "南宁市卫生健康委员会",
        "市卫健委",
        UnitKind.city_unit,
        "医疗机构、医疗纠纷、疫苗接种、计划生育、职业病",
        "0771-5523101",
    ),
    (
        "南宁市退役军人事务局",
        "市退役军人局",
        UnitKind.city_unit,
        "退役军人安置、优抚、拥军优属",
        "0771-5523201",
    ),
    ("南宁市应急管理局", "市应急局", UnitKind.city_unit, "安全生产、危化品、自然灾害救助", "0771-5523301"),
    ("南宁市审计局", "市审计局", UnitKind.city_unit, "审计监督", "0771-5523401"),
    (
        "南宁市市场监督管理局",
        "市市场监管局",
        UnitKind.city_unit,
        "消费维权、食品安全、价格、特种设备、电梯、商事登记、计量",
        "0771-12315",
    ),
    ("南宁市体育局", "市体育局", UnitKind.city_unit, "全民健身、体育场馆、体育赛事", "0771-5523601"),
    ("南宁市统计局", "市统计局", UnitKind.city_unit, "统计调查、统计数据", "0771-5523701"),
    ("南宁市林业局", "市林业局", UnitKind.city_unit, "林木采伐、林地、野生动物保护", "0771-5523801"),
    (
        "南宁市医疗保障局",
        "市医保局",
        UnitKind.city_unit,
        "医保参保、医保报销、异地就医、药品集采",
        "0771-5523901",
    ),
    (
        "南宁市城市管理综合行政执法局",
        "市城管局",
        UnitKind.city_unit,
        "占道经营、违章建筑、户外广告、市容环卫、渣土、油烟",
        "0771-12319",
    ),
    (
        "南宁市行政审批局",
        "市行政审批局",
        UnitKind.city_unit,
        "政务服务大厅、审批事项、一网通办",
        "0771-5524101",
    ),
    ("南宁市大数据发展局", "市大数据局", UnitKind.city_unit, "政务数据、数字政府、爱南宁APP", "0771-5524201"),
    ("南宁市投资促进局", "市投促局", UnitKind.city_unit, "招商引资、营商环境投诉", "0771-5524301"),
    ("南宁市人民防空办公室", "市人防办", UnitKind.city_unit, "人防工程、防空警报", "0771-5524401"),
    ("南宁市信访局", "市信访局", UnitKind.city_unit, "信访事项办理", "0771-5524501"),
    (
        "南宁市地方金融监督管理局",
        "市金融局",
        UnitKind.city_unit,
        "非法集资、小额贷款、融资担保",
        "0771-5524601",
    ),
    ("南宁市机关事务管理局", "市机关事务局", UnitKind.city_unit, "公务用车、机关办公", "0771-5524701"),
    ("南宁市乡村振兴局", "市乡村振兴局", UnitKind.city_unit, "防止返贫监测、帮扶政策", "0771-5524801"),
    ("南宁市人民政府国有资产监督管理委员会", "市国资委", UnitKind.city_unit, "国有企业监管", "0771-5524901"),
    ("南宁市残疾人联合会", "市残联", UnitKind.city_unit, "残疾证、残疾人补贴、无障碍设施", "0771-5525001"),
    ("南宁市总工会", "市总工会", UnitKind.city_unit, "职工维权、困难职工帮扶", "0771-5525101"),
    ("共青团南宁市委员会", "团市委", UnitKind.city_unit, "青少年服务、志愿服务", "0771-5525201"),
    ("南宁市妇女联合会", "市妇联", UnitKind.city_unit, "妇女儿童权益、家庭暴力求助", "0771-5525301"),
    ("南宁住房公积金管理中心", "市公积金中心", UnitKind.city_unit, "公积金缴存、提取、贷款", "0771-12329"),
    (
        "南宁市不动产登记中心",
        "市不动产登记中心",
        UnitKind.city_unit,
        "不动产权证、抵押登记、办证难",
        "0771-5525501",
    ),
    (
        "南宁市社会保险事业局",
        "市社保局",
        UnitKind.city_unit,
        "养老保险、工伤保险、失业保险、社保卡",
        "0771-12333",
    ),
    (
        "南宁市消防救援支队",
        "市消防支队",
        UnitKind.city_unit,
        "消防隐患、消防通道堵塞、消防设施",
        "0771-5525701",
    ),
    ("南宁市气象局", "市气象局", UnitKind.city_unit, "天气预报、气象灾害预警", "0771-12121"),
    (
        "国家税务总局南宁市税务局",
        "市税务局",
        UnitKind.city_unit,
        "发票、个税、社保费征缴、退税",
        "0771-12366",
    ),
    ("南宁海关", "南宁海关", UnitKind.city_unit, "进出口通关、跨境电商、口岸检疫", "0771-5525901"),
    ("南宁市烟草专卖局", "市烟草局", UnitKind.city_unit, "烟草专卖、向未成年人售烟", "0771-5526001"),
    ("南宁市邮政管理局", "市邮政管理局", UnitKind.city_unit, "快递投诉、快递网点", "0771-5526101"),
    (
        "南宁市公安局交通警察支队",
        "市交警支队",
        UnitKind.city_unit,
        "交通违法、车驾管、交通信号灯、乱停车、交通拥堵",
        "0771-2891122",
    ),
    (
        "南宁市住房保障和房产管理局",
        "市房管局",
        UnitKind.city_unit,
        "公租房、保障房、房屋租赁、房产交易",
        "0771-5526301",
    ),
    ("南宁市招生考试院", "市招考院", UnitKind.city_unit, "中考、高考报名、成绩查询", "0771-5526401"),
    (
        "南宁市疾病预防控制中心",
        "市疾控中心",
        UnitKind.city_unit,
        "传染病防控、预防接种、健康体检证",
        "0771-5526501",
    ),
    ("南宁市劳动人事争议仲裁院", "市仲裁院", UnitKind.city_unit, "劳动争议仲裁", "0771-5526601"),
    ("南宁市城市内河管理处", "市内河处", UnitKind.city_unit, "内河水质、河道保洁、黑臭水体", "0771-5526701"),
    ("南宁市环境卫生管理处", "市环卫处", UnitKind.city_unit, "道路清扫、垃圾清运、公厕", "0771-5526801"),
    ("南宁市园林管理局", "市园林局", UnitKind.city_unit, "公园、绿化、树木修剪、行道树", "0771-5526901"),
    (
        "南宁市市政设施管理中心",
        "市政中心",
        UnitKind.city_unit,
        "路灯、道路破损、井盖、排水管网、积水",
        "0771-5527001",
    ),
    ("南宁市公安局出入境管理支队", "市出入境支队", UnitKind.city_unit, "护照、港澳台通行证", "0771-5527101"),
    (
        "中共南宁市委网络安全和信息化委员会办公室",
        "市委网信办",
        UnitKind.city_unit,
        "网络谣言、网络安全",
        "0771-5527201",
    ),
    ("南宁市供销合作社", "市供销社", UnitKind.city_unit, "农资供应、供销网点", "0771-5527301"),
    ("南宁市粮食和物资储备局", "市粮储局", UnitKind.city_unit, "粮食收储、物资储备", "0771-5527401"),
    (
        "南宁市数字化城市管理监督指挥中心",
        "市数字城管中心",
        UnitKind.city_unit,
        "城市部件事件采集、案件派遣",
        "0771-5527501",
    ),
    ("南宁市殡葬管理所", "市殡葬所", UnitKind.city_unit, "殡葬服务、公墓", "0771-5527601"),
    ("南宁市动物卫生监督所", "市动监所", UnitKind.city_unit, "犬只管理、动物检疫", "0771-5527701"),
    (
        "南宁市养老服务指导中心",
        "市养老中心",
        UnitKind.city_unit,
        "养老机构、居家养老服务、高龄津贴",
        "0771-5527801",
    ),
    (
        "南宁市轨道交通集团有限责任公司",
        "南宁轨道集团",
        UnitKind.enterprise,
        "地铁运营、地铁施工",
        "0771-96789",
    ),
    (
        "南宁公共交通集团有限责任公司",
        "南宁公交集团",
        UnitKind.enterprise,
        "公交运营、公交司机服务、公交卡",
        "0771-96828",
    ),
    (
        "南宁建宁水务投资集团有限责任公司",
        "建宁水务",
        UnitKind.enterprise,
        "供水、停水、水费、水质、水表",
        "0771-96868",
    ),
    (
        "广西电网有限责任公司南宁供电局",
        "南宁供电局",
        UnitKind.enterprise,
        "停电、电费、电表、供电线路",
        "95598",
    ),
    (
        "南宁中燃城市燃气发展有限公司",
        "南宁中燃",
        UnitKind.enterprise,
        "燃气供应、燃气安全、燃气缴费",
        "0771-96811",
    ),
    ("中国电信股份有限公司南宁分公司", "南宁电信", UnitKind.enterprise, "固话宽带、电信资费", "10000"),
    (
        "中国移动通信集团广西有限公司南宁分公司",
        "南宁移动",
        UnitKind.enterprise,
        "移动通信、移动资费",
        "10086",
    ),
    ("中国联合网络通信有限公司南宁市分公司", "南宁联通", UnitKind.enterprise, "联通通信、联通资费", "10010"),
]

# sub-units of a few city units, to show co-handling (工单协同)
SUB_UNITS: dict[str, list[str]] = {
    "南宁市公安局": ["南宁市公安局治安支队", "南宁市公安局人口管理支队"],
    "南宁市城市管理综合行政执法局": ["市城管局执法一大队", "市城管局执法二大队"],
    "南宁市住房和城乡建设局": ["市住建局物业管理科", "市住建局建筑市场科"],
    "南宁市市场监督管理局": ["市市场监管局消费者权益保护科", "市市场监管局食品安全科"],
}

# username, full name, roles, where (None: centre; "unit:NAME"; "ws:CODE"), agent number
USERS: list[tuple[str, str, list[Role], str | None, str | None]] = [
    ("admin", "系统管理员", [Role.admin], None, None),
    ("dispatcher", "韦工单", [Role.dispatcher], None, None),
    ("dispatcher2", "黄派单", [Role.dispatcher], None, None),
    ("supervisor", "覃班长", [Role.supervisor], None, None),
    ("qa", "莫质检", [Role.qa_reviewer], None, None),
    ("revisit", "陆督办", [Role.revisit_officer], None, None),
    ("editor", "蒙采编", [Role.kb_editor], None, None),
    ("police_handler", "李承办", [Role.unit_handler], "unit:南宁市公安局", None),
    ("police_leader", "张局长", [Role.unit_leader], "unit:南宁市公安局", None),
    ("police_sub", "周民警", [Role.unit_handler], "unit:南宁市公安局治安支队", None),
    ("cg_handler", "梁承办", [Role.unit_handler], "unit:南宁市城市管理综合行政执法局", None),
    ("cg_leader", "罗科长", [Role.unit_leader], "unit:南宁市城市管理综合行政执法局", None),
    ("zj_handler", "杨承办", [Role.unit_handler], "unit:南宁市住房和城乡建设局", None),
    ("sj_handler", "吴承办", [Role.unit_handler], "unit:南宁市市场监督管理局", None),
    ("rs_handler", "刘承办", [Role.unit_handler], "unit:南宁市人力资源和社会保障局", None),
    ("water_handler", "陈承办", [Role.unit_handler], "unit:南宁建宁水务投资集团有限责任公司", None),
    ("edu_handler", "邓承办", [Role.unit_handler], "unit:南宁市教育局", None),
    ("kb_police", "卢采编", [Role.kb_editor, Role.unit_handler], "unit:南宁市公安局", None),
    ("ws_qx", "青秀区工作站", [Role.workstation, Role.dispatcher], "ws:QX", None),
    ("ws_xn", "兴宁区工作站", [Role.workstation, Role.dispatcher], "ws:XN", None),
    ("qx_gov", "青秀区承办人", [Role.unit_handler], "unit:青秀区人民政府", None),
    ("qx_street", "新竹街道承办人", [Role.unit_handler], "unit:新竹街道", None),
    ("xn_gov", "兴宁区承办人", [Role.unit_handler], "unit:兴宁区人民政府", None),
]
AGENT_NAMES = [
    "黄小燕",
    "韦丽萍",
    "李春梅",
    "覃海燕",
    "陆秋菊",
    "莫晓红",
    "蒙丽娟",
    "梁玉兰",
    "农秀英",
    "卢美玲",
    "罗晓霞",
    "潘彩云",
]

# Each domain's demo data: a module with `load_demo(db: Session) -> None` (missing ones are skipped).
DEMO_MODULES = [
    "tickets.demo",
    "switch.demo_data",
    "kb.demo",
    "assist.demo",
    "assist.qa.demo",
    "assist.dispatch.demo",
]


def _demo_hooks() -> list[Callable[[Session], None]]:
    import importlib
    import importlib.util

    hooks = []
    for name in DEMO_MODULES:
        try:
            found = importlib.util.find_spec(name) is not None
        except ModuleNotFoundError:
            found = False
        if found:
            hooks.append(importlib.import_module(name).load_demo)
    return hooks


def load_demo(db: Session) -> dict[str, int]:
    """Load the organisation (once) and every registered domain's demo data."""
    centre = db.scalar(select(Tenant).where(Tenant.code == CENTRE_CODE))
    if centre is None:
        centre = _load_org(db)
    for hook in _demo_hooks():
        hook(db)
    db.flush()
    return {
        "tenants": db.query(Tenant).count(),
        "units": db.query(Unit).count(),
        "users": db.query(User).count(),
    }


def _load_org(db: Session) -> Tenant:
    centre = org_service.create_tenant(
        db,
        code=CENTRE_CODE,
        name="南宁市12345政务服务便民热线中心",
        district="南宁市",
        called_numbers=["12345", "077112345"],
    )
    units_by_name: dict[str, Unit] = {}
    for i, (name, short, kind, duties, phone) in enumerate(CITY_UNITS, start=1):
        units_by_name[name] = org_service.create_unit(
            db,
            tenant_id=centre.id,
            code=f"C{i:03d}",
            name=name,
            short_name=short,
            kind=kind,
            duties=duties,
            phones=[phone],
            district="南宁市",
            address=f"南宁市青秀区民族大道{100 + i}号",
            office_hours="工作日 8:00-12:00，14:30-17:30",
        )
    for parent, subs in SUB_UNITS.items():
        for j, sub in enumerate(subs, start=1):
            p = units_by_name[parent]
            units_by_name[sub] = org_service.create_unit(
                db,
                tenant_id=centre.id,
                code=f"{p.code}-{j}",
                name=sub,
                kind=UnitKind.sub_unit,
                parent_id=p.id,
                duties=p.duties,
                district="南宁市",
            )
    workstations: dict[str, Tenant] = {}
    for k, (code, district, gov, streets) in enumerate(DISTRICTS, start=1):
        ws = org_service.create_tenant(
            db,
            code=f"NN-{code}",
            name=f"{district}12345工作站",
            parent_id=centre.id,
            district=district,
            called_numbers=[],
        )
        workstations[code] = ws
        gov_unit = org_service.create_unit(
            db,
            tenant_id=ws.id,
            code=f"D{k:02d}",
            name=gov,
            kind=UnitKind.district_government,
            district=district,
            duties=f"{district}辖区内属地管理事项",
            phones=[f"0771-{5600000 + k * 101}"],
            address=f"南宁市{district}政府大院",
            office_hours="工作日 8:00-12:00，14:30-17:30",
        )
        units_by_name[gov] = gov_unit
        for j, street in enumerate(streets, start=1):
            units_by_name.setdefault(
                street,
                org_service.create_unit(
                    db,
                    tenant_id=ws.id,
                    code=f"D{k:02d}-{j:02d}",
                    name=street,
                    kind=UnitKind.sub_unit,
                    parent_id=gov_unit.id,
                    district=district,
                    duties=f"{street}辖区内属地管理事项",
                ),
            )
    for username, full_name, roles, where, agent_no in USERS:
        tenant_id, unit_id = centre.id, None
        if where and where.startswith("unit:"):
            unit = units_by_name[where[5:]]
            tenant_id, unit_id = unit.tenant_id, unit.id
        elif where and where.startswith("ws:"):
            tenant_id = workstations[where[3:]].id
        org_service.create_user(
            db,
            username=username,
            full_name=full_name,
            password=DEMO_PASSWORD,
            tenant_id=tenant_id,
            roles=roles,
            unit_id=unit_id,
            agent_number=agent_no,
        )
    for i, name in enumerate(AGENT_NAMES, start=1):
        org_service.create_user(
            db,
            username=f"agent{i:02d}",
            full_name=name,
            password=DEMO_PASSWORD,
            tenant_id=centre.id,
            roles=[Role.agent],
            agent_number=f"{1000 + i}",
            extension=f"{8000 + i}",
        )
    log.info("demo organisation loaded", extra={"units": len(units_by_name)})
    return centre
