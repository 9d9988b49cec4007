import random
from datetime import UTC, datetime, timedelta
from io import BytesIO

from openpyxl import load_workbook

from assist.hotspot.documents import local_places, make_doc
from assist.hotspot.duplicates import find_duplicates
from assist.hotspot.mining import mine
from assist.hotspot.report import hotspot_workbook

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)

BACKGROUND = [
    "西乡塘区大学东路路灯不亮，晚上出行不安全",
    "兴宁区朝阳路有人占道经营，影响通行",
    "江南区星光大道一工地夜间施工噪音扰民",
    "青秀区东葛路小区物业乱收停车费",
    "良庆区五象大道公交车站太远，希望增设站点",
    "邕宁区蒲庙镇农贸市场卫生脏乱差",
    "咨询社保卡补办需要什么材料",
    "孩子入学学位不足，希望增加学位",
    "出租车拒载，司机态度恶劣",
    "药店卖过期药品，请市场监管部门查处",
]


def test_duplicate_same_place_and_matter():
    base = make_doc(1, "青秀区凤岭北路荣和山水美地小区门口的下水道堵塞，污水外溢，臭气熏天", NOW)
    same = make_doc(
        2, "荣和山水美地小区门口下水道堵了，污水流到路上，很臭，请尽快疏通", NOW + timedelta(hours=3)
    )
    other_place = make_doc(3, "兴宁区朝阳路金湖花园小区门口下水道堵塞，污水外溢", NOW + timedelta(hours=4))
    other_matter = make_doc(4, "荣和山水美地小区物业乱收停车费", NOW + timedelta(hours=5))
    too_old = make_doc(5, "荣和山水美地小区门口下水道堵塞，污水外溢", NOW - timedelta(days=30))
    found = find_duplicates(same, [base, other_place, other_matter, too_old])
    assert [c.ticket_id for c in found] == [1]
    assert found[0].same_place and "荣和山水美地小区" in found[0].reason
    assert "荣和山水美地小区" in local_places(base.text)


def test_different_districts_are_never_duplicates():
    a = make_doc(1, "西乡塘区大学东路停水两天了，什么时候来水", NOW)
    b = make_doc(2, "良庆区五象大道停水两天了，什么时候来水", NOW)
    assert find_duplicates(b, [a]) == []


def _stream(rng: random.Random, days: int) -> list:
    docs, n = [], 100
    for day in range(days, 0, -1):
        for _ in range(rng.randint(3, 6)):
            n += 1
            when = NOW - timedelta(days=day) + timedelta(minutes=rng.randint(0, 1400))
            docs.append(make_doc(n, rng.choice(BACKGROUND), when))
    return docs, n


def test_synthetic_burst_is_the_top_hotspot_and_raises_a_surge():
    rng = random.Random(7)
    docs, n = _stream(rng, 35)
    # the burst: one compound's water cut, many callers within the last day
    for _ in range(12):
        n += 1
        text = rng.choice(
            [
                "西乡塘区秀灵路金湖花园小区突然停水，没有任何通知",
                "金湖花园小区停水一整天了，家里没水做饭",
                "秀灵路金湖花园停水，请水务公司尽快恢复供水",
            ]
        )
        docs.append(make_doc(n, text, NOW - timedelta(hours=rng.randint(0, 20))))
    hot = mine(docs, now=NOW, window_days=7, baseline_days=28)
    top = hot[0]
    assert top.surge and top.recent >= 10
    assert "停水" in top.topic
    assert top.district == "西乡塘区"
    assert top.direction == "上升"
    assert len(top.representatives) == 3 and set(top.representatives) <= set(top.ticket_ids)
    # the steady background produces no surge
    assert not any(h.surge for h in hot[1:])


def test_no_burst_no_surge_and_report():
    rng = random.Random(8)
    docs, _ = _stream(rng, 35)
    hot = mine(docs, now=NOW)
    assert hot and not any(h.surge for h in hot)
    data = hotspot_workbook(NOW.date(), [h.__dict__ for h in hot])
    ws = load_workbook(BytesIO(data)).active
    assert ws["A2"].value == "序号" and ws["B3"].value == hot[0].topic
    assert ws.max_row == 2 + len(hot)
