import pytest

from assist.dispatch.gazetteer import DISTRICTS, extract_place

REAL_ADDRESSES = [
    ("南宁市青秀区民族大道136号华润大厦", "青秀区"),
    ("青秀区东葛路118号南宁青秀万达广场", "青秀区"),
    ("南宁市西乡塘区大学东路100号广西大学", "西乡塘区"),
    ("西乡塘区北湖北路与明秀东路交叉口", "西乡塘区"),
    ("南宁市兴宁区朝阳路与民生路交汇处朝阳广场", "兴宁区"),
    ("南宁市江南区星光大道富德万达广场", "江南区"),
    ("南宁市良庆区五象大道401号", "良庆区"),
    ("邕宁区蒲庙镇龙岗大道", "邕宁区"),
    ("武鸣区城厢镇灵源路", "武鸣区"),
    ("隆安县城厢镇震东社区", "隆安县"),
    ("横县六景镇", "横州市"),
    ("横州市校椅镇青桐村", "横州市"),
    ("宾阳县黎塘镇", "宾阳县"),
    ("上林县大丰镇", "上林县"),
    ("马山县白山镇", "马山县"),
    ("南宁高新区科园大道东段", "南宁高新技术产业开发区"),
    ("南宁经开区那洪街道金凯路", "南宁经济技术开发区"),
    ("广西-东盟经济技术开发区宁武镇", "广西-东盟经济技术开发区"),
    ("东盟经开区华侨大道", "广西-东盟经济技术开发区"),
    ("我家在吴圩镇，机场附近噪音", "江南区"),
]


@pytest.mark.parametrize(("address", "district"), REAL_ADDRESSES)
def test_real_nanning_addresses(address, district):
    place = extract_place(address)
    assert place.district == district, (address, place)
    assert district in place.reason()


def test_no_or_ambiguous_place():
    assert extract_place("我想咨询一下社保卡怎么补办").district is None
    # 城厢镇 is in 武鸣区 and in 隆安县: undecided without other evidence
    place = extract_place("城厢镇的路灯坏了")
    assert place.district is None and "城厢镇" in place.ambiguous
    # other cities' names and ordinary words are not Nanning towns
    assert extract_place("中华人民共和国劳动法").district is None
    assert extract_place("北京市朝阳区").district is None


def test_longest_name_wins_and_all_fifteen_are_known():
    assert extract_place("东盟经开区").district == "广西-东盟经济技术开发区"
    assert len(DISTRICTS) == 15
    for district in DISTRICTS:
        assert extract_place(f"南宁市{district}某小区").district == district
