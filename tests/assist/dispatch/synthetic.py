"""Small separable appeal sets for tests: each label has its own matter words, all share filler."""

from __future__ import annotations

import random

MATTERS = {
    "市人社局": ["拖欠工资", "欠薪", "劳动合同", "社保断缴", "加班费", "工伤认定"],
    "市城管局": ["占道经营", "违章建筑", "乱摆摊", "油烟扰民", "渣土车", "户外广告"],
    "市教育局": ["学位", "入学", "校外培训", "学校收费", "转学", "教师补课"],
    "建宁水务": ["停水", "水压低", "水费", "水表", "自来水浑浊", "供水管爆裂"],
    "市交通运输局": ["出租车拒载", "网约车", "公交线路", "公交车站", "绕路", "打表"],
}
PLACES = [
    "青秀区民族大道",
    "西乡塘区大学东路",
    "江南区星光大道",
    "兴宁区朝阳路",
    "良庆区五象大道",
    "邕宁区蒲庙镇",
]
FILLER = [
    "市民来电反映",
    "希望有关部门尽快处理",
    "已经持续很久",
    "严重影响生活",
    "请尽快核实",
    "多次反映无果",
]


def appeal(label: str, rng: random.Random) -> str:
    words = rng.sample(MATTERS[label], 2)
    return (
        f"{rng.choice(FILLER)}，{rng.choice(PLACES)}附近{words[0]}的问题，"
        f"还有{words[1]}，{rng.choice(FILLER)}，{rng.choice(FILLER)}。"
    )


def dataset(n_per_label: int, seed: int = 0, labels: list[str] | None = None) -> tuple[list[str], list[str]]:
    rng = random.Random(seed)
    texts, out = [], []
    for label in labels or list(MATTERS):
        for _ in range(n_per_label):
            texts.append(appeal(label, rng))
            out.append(label)
    order = list(range(len(texts)))
    rng.shuffle(order)
    return [texts[i] for i in order], [out[i] for i in order]
