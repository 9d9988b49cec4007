"""Nanning place names → county/district/development zone (属地), for deciding district vs city unit.

Names, aliases, streets/towns (街道、乡镇) and well-known roads and landmarks. A name listed under two
districts (e.g. 城厢镇 in 武鸣区 and 隆安县) only counts when other evidence decides.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# weight of a hit by kind: the district's own name is decisive, a town or street nearly so,
# a road or landmark (which may cross a boundary) less.
WEIGHTS = {"district": 5.0, "alias": 5.0, "street": 3.0, "road": 1.5, "landmark": 2.0}

# district → kind → names
GAZETTEER: dict[str, dict[str, list[str]]] = {
    "兴宁区": {
        "alias": ["兴宁"],
        "street": ["民生街道", "朝阳街道", "兴东街道", "三塘镇", "五塘镇", "昆仑镇"],
        "road": [
            "朝阳路",
            "民生路",
            "兴宁路",
            "解放路",
            "人民东路",
            "长堽路",
            "邕武路",
            "昆仑大道",
            "望仙坡",
        ],
        "landmark": ["朝阳广场", "水街", "三街两巷", "金桥客运站", "南宁动物园", "人民公园"],
    },
    "青秀区": {
        "alias": ["青秀"],
        "street": [
            "新竹街道",
            "中山街道",
            "建政街道",
            "南湖街道",
            "津头街道",
            "仙葫街道",
            "长塘镇",
            "刘圩镇",
            "南阳镇",
            "伶俐镇",
        ],
        "road": [
            "民族大道",
            "东葛路",
            "金湖路",
            "金洲路",
            "竹溪大道",
            "长湖路",
            "滨湖路",
            "双拥路",
            "桃源路",
            "七星路",
            "建政路",
            "园湖路",
            "茶花园路",
            "青山路",
            "古城路",
            "中山路",
            "凤岭北路",
            "青环路",
            "葛村路",
            "埌东",
            "柳沙",
        ],
        "landmark": [
            "青秀山",
            "南湖公园",
            "南宁国际会展中心",
            "会展中心",
            "凤岭",
            "万象城",
            "航洋国际",
            "梦之岛",
            "南宁东站",
            "埌东客运站",
            "东盟商务区",
            "五象广场",
        ],
    },
    "江南区": {
        "alias": ["江南"],
        "street": ["福建园街道", "江南街道", "沙井街道", "金鸡街道", "苏圩镇", "延安镇", "江西镇", "吴圩镇"],
        "road": [
            "星光大道",
            "亭洪路",
            "白沙大道",
            "壮锦大道",
            "淡村路",
            "南站大道",
            "五一路",
            "江南路",
            "富德",
        ],
        "landmark": ["吴圩国际机场", "吴圩机场", "江南万达", "江南客运站", "白沙大桥", "扬美古镇"],
    },
    "西乡塘区": {
        "alias": ["西乡塘"],
        "street": [
            "衡阳街道",
            "北湖街道",
            "西乡塘街道",
            "安吉街道",
            "华强街道",
            "新阳街道",
            "上尧街道",
            "安宁街道",
            "石埠街道",
            "金陵镇",
            "双定镇",
            "坛洛镇",
        ],
        "road": [
            "大学东路",
            "大学西路",
            "明秀路",
            "北大路",
            "友爱路",
            "安吉大道",
            "秀厢大道",
            "衡阳路",
            "华强路",
            "北湖路",
            "中华路",
            "新阳路",
            "罗文大道",
            "相思湖",
            "秀灵路",
            "鲁班路",
        ],
        "landmark": ["广西大学", "南宁火车站", "南宁站", "安吉客运站", "西乡塘客运站", "明秀东路", "北湖"],
    },
    "良庆区": {
        "alias": ["良庆"],
        "street": ["大沙田街道", "玉洞街道", "良庆镇", "那马镇", "南晓镇", "大塘镇", "那陈镇"],
        "road": ["五象大道", "玉洞大道", "银海大道", "平乐大道", "良玉大道", "秋月路", "龙堤路", "歌海路"],
        "landmark": ["五象新区", "五象湖公园", "广西体育中心", "南宁规划馆", "蟠龙", "大沙田"],
    },
    "邕宁区": {
        "alias": ["邕宁"],
        "street": ["蒲庙镇", "新江镇", "那楼镇", "百济镇", "中和镇"],
        "road": ["龙岗大道", "蒲兴大道", "邕宁大道", "八尺江"],
        "landmark": ["顶蛳山", "蒲庙"],
    },
    "武鸣区": {
        "alias": ["武鸣"],
        "street": [
            "城厢镇",
            "双桥镇",
            "府城镇",
            "罗波镇",
            "灵马镇",
            "太平镇",
            "甘圩镇",
            "陆斡镇",
            "马头镇",
            "两江镇",
            "仙湖镇",
        ],
        "road": ["灵源路", "标营"],
        "landmark": ["伊岭岩", "灵水", "武鸣沃柑"],
    },
    "横州市": {
        "alias": ["横州", "横县"],
        "street": [
            "横州镇",
            "六景镇",
            "校椅镇",
            "峦城镇",
            "百合镇",
            "那阳镇",
            "云表镇",
            "陶圩镇",
            "石塘镇",
            "南乡镇",
            "马岭镇",
            "新福镇",
            "平马镇",
            "莲塘镇",
            "镇龙乡",
        ],
        "road": [],
        "landmark": ["西津湖", "九龙瀑布"],
    },
    "宾阳县": {
        "alias": ["宾阳"],
        "street": [
            "宾州镇",
            "黎塘镇",
            "新桥镇",
            "新圩镇",
            "邹圩镇",
            "大桥镇",
            "武陵镇",
            "中华镇",
            "古辣镇",
            "露圩镇",
            "王灵镇",
            "和吉镇",
            "洋桥镇",
            "陈平镇",
            "思陇镇",
            "甘棠镇",
        ],
        "road": [],
        "landmark": ["炮龙节", "昆仑关"],
    },
    "上林县": {
        "alias": ["上林"],
        "street": [
            "大丰镇",
            "明亮镇",
            "白圩镇",
            "乔贤镇",
            "西燕镇",
            "巷贤镇",
            "澄泰乡",
            "木山乡",
            "三里镇",
            "塘红乡",
            "镇圩瑶族乡",
        ],
        "road": [],
        "landmark": ["大龙湖", "不孤村"],
    },
    "马山县": {
        "alias": ["马山"],
        "street": [
            "白山镇",
            "百龙滩镇",
            "林圩镇",
            "古零镇",
            "金钗镇",
            "周鹿镇",
            "永州镇",
            "乔利乡",
            "加方乡",
            "古寨瑶族乡",
            "里当瑶族乡",
        ],
        "road": [],
        "landmark": ["弄拉", "小都百屯"],
    },
    "隆安县": {
        "alias": ["隆安"],
        "street": [
            "城厢镇",
            "那桐镇",
            "乔建镇",
            "丁当镇",
            "古潭乡",
            "都结乡",
            "杨湾乡",
            "布泉乡",
            "南圩镇",
            "雁江镇",
            "屏山乡",
            "震东社区",
        ],
        "road": [],
        "landmark": ["龙虎山", "那桐香蕉"],
    },
    "南宁高新技术产业开发区": {
        "alias": ["高新区", "南宁高新区", "高新技术产业开发区"],
        "street": ["心圩街道", "科园社区"],
        "road": ["科园大道", "高新大道", "高科路", "创新路", "高新四路"],
        "landmark": ["中关村双创示范基地", "南宁高新区管委会"],
    },
    "南宁经济技术开发区": {
        "alias": ["经开区", "南宁经开区", "经济技术开发区"],
        "street": ["那洪街道", "吴圩园区"],
        "road": ["金凯路", "银凯路", "国凯大道"],
        "landmark": ["富士康"],
    },
    "广西-东盟经济技术开发区": {
        "alias": ["东盟经开区", "东盟经济技术开发区", "广西东盟经开区", "东盟开发区"],
        "street": ["宁武镇", "锣圩镇", "东盟工业园"],
        "road": ["东盟大道", "华侨大道"],
        "landmark": ["华侨农场"],
    },
}

_SUFFIX = re.compile(r"(瑶族乡|街道|社区|镇|乡)$")

# Towns are often written without 镇/乡/街道 ("黎塘"), but many short forms are ordinary words or other
# cities' names (中华, 大桥, 明亮, 永州, 沙井); only these distinctive ones are matched short.
SHORT_FORMS = frozenset(
    [
        "黎塘",
        "宾州",
        "蒲庙",
        "吴圩",
        "苏圩",
        "心圩",
        "那洪",
        "六景",
        "校椅",
        "峦城",
        "那桐",
        "乔建",
        "百龙滩",
        "林圩",
        "白圩",
        "大沙田",
        "玉洞",
        "那楼",
        "那马",
        "那陈",
        "南晓",
        "伶俐",
        "长塘",
        "刘圩",
        "仙葫",
        "津头",
        "新竹",
        "石埠",
        "坛洛",
        "双定",
        "上尧",
        "新阳",
        "灵马",
        "罗波",
        "锣圩",
        "宁武",
        "甘圩",
        "陆斡",
        "古辣",
        "露圩",
        "邹圩",
        "思陇",
        "巷贤",
        "乔贤",
        "西燕",
        "澄泰",
        "塘红",
        "周鹿",
        "古零",
        "金钗",
        "乔利",
        "加方",
        "丁当",
        "古潭",
        "都结",
        "杨湾",
        "布泉",
        "雁江",
        "震东",
        "兴东",
        "三塘",
        "五塘",
        "福建园",
        "百济",
        "新江",
        "仙湖",
        "横州",
        "陶圩",
        "云表",
        "那阳",
        "平马",
        "镇龙",
        "王灵",
        "和吉",
        "洋桥",
        "陈平",
        "南圩",
    ]
)


@dataclass(frozen=True)
class Place:
    """The district a text is about, with the evidence."""

    district: str | None
    score: float = 0.0
    matches: tuple[tuple[str, str, str], ...] = ()  # (term, kind, district)
    ambiguous: tuple[str, ...] = ()
    scores: dict[str, float] = field(default_factory=dict)

    @property
    def street(self) -> str | None:
        for term, kind, district in self.matches:
            if kind == "street" and district == self.district:
                return term
        return None

    def reason(self) -> str:
        if not self.district:
            return "未识别出属地"
        terms = "、".join(t for t, _, d in self.matches if d == self.district)
        return f"地址识别为{self.district}（{terms}）"


def _build_index() -> list[tuple[str, str, tuple[str, ...]]]:
    """(term, kind, districts) sorted longest first, so 东盟经开区 wins over 经开区."""
    by_term: dict[tuple[str, str], list[str]] = {}
    for district, kinds in GAZETTEER.items():
        by_term.setdefault((district, "district"), []).append(district)
        for kind, names in kinds.items():
            for name in names:
                by_term.setdefault((name, kind), []).append(district)
                short = _SUFFIX.sub("", name)
                # "黎塘镇" is often written "黎塘"; keep the short form if it is not too short
                if kind == "street" and short in SHORT_FORMS:
                    by_term.setdefault((short, "street_short"), []).append(district)
    seen: dict[str, tuple[str, str, tuple[str, ...]]] = {}
    for (term, kind), districts in by_term.items():
        if term in seen and seen[term][1] != "street_short":
            continue
        seen[term] = (term, kind, tuple(dict.fromkeys(districts)))
    return sorted(seen.values(), key=lambda item: -len(item[0]))


_INDEX = _build_index()
DISTRICTS: tuple[str, ...] = tuple(GAZETTEER)


def extract_place(text: str) -> Place:
    """The county/district/development zone of a Nanning address or appeal text (or None)."""
    text = text or ""
    taken = [False] * len(text)
    scores: dict[str, float] = {}
    matches: list[tuple[str, str, str]] = []
    ambiguous: list[str] = []
    for term, kind, districts in _INDEX:
        start = text.find(term)
        while start >= 0:
            end = start + len(term)
            if not any(taken[start:end]):
                for i in range(start, end):
                    taken[i] = True
                weight = WEIGHTS.get(kind, 2.0 if kind == "street_short" else 1.0)
                if len(districts) == 1:
                    scores[districts[0]] = scores.get(districts[0], 0.0) + weight
                    matches.append((term, "street" if kind == "street_short" else kind, districts[0]))
                else:
                    ambiguous.append(term)
            start = text.find(term, end)
    # an ambiguous town counts for whichever of its districts has other evidence
    for term in ambiguous:
        districts = next(d for t, _, d in _INDEX if t == term)
        backed = [d for d in districts if d in scores]
        if len(backed) == 1:
            scores[backed[0]] += WEIGHTS["street"]
            matches.append((term, "street", backed[0]))
    if not scores:
        return Place(None, ambiguous=tuple(ambiguous))
    ranked = sorted(scores.items(), key=lambda kv: -kv[1])
    best, best_score = ranked[0]
    if len(ranked) > 1 and ranked[1][1] == best_score:
        return Place(None, best_score, tuple(matches), tuple(ambiguous), scores)
    return Place(best, best_score, tuple(matches), tuple(ambiguous), scores)
