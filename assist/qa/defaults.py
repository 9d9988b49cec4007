"""The default rule set a tenant starts with (editable per tenant through the API)."""

from __future__ import annotations

from typing import Any

# code, name, kind, deduction, max_deduction, params
DEFAULT_RULES: list[tuple[str, str, str, float, float, dict[str, Any]]] = [
    (
        "greeting",
        "标准开头语",
        "greeting",
        5,
        5,
        {"phrases": ["很高兴为您服务", "请问有什么可以帮您"], "within_seconds": 10},
    ),
    ("closing", "标准结束语", "closing", 5, 5, {"phrases": ["感谢您的来电", "感谢来电"], "last_seconds": 20}),
    (
        "forbidden",
        "服务禁语",
        "keywords",
        10,
        30,
        {
            "label": "服务禁语",
            "speaker": "agent",
            "words": [
                "不归我们管",
                "你自己去",
                "不知道",
                "没办法",
                "我也没办法",
                "这不是我的事",
                "爱找谁找谁",
            ],
        },
    ),
    (
        "impolite",
        "不文明用语",
        "keywords",
        10,
        30,
        {
            "label": "不文明用语",
            "speaker": "agent",
            "words": ["你烦不烦", "有病", "神经病", "给我滚", "滚出去", "闭嘴", "听不懂吗"],
        },
    ),
    ("dead_air", "长时间静音", "dead_air", 3, 9, {"max_seconds": 8}),
    ("interruption", "抢话插话", "interruption", 2, 6, {"min_overlap_seconds": 1.0}),
    (
        "speaking_rate",
        "语速",
        "speaking_rate",
        3,
        3,
        {"min_chars_per_minute": 120, "max_chars_per_minute": 330, "min_speech_seconds": 5},
    ),
    (
        "confirm_info",
        "核对地址与电话",
        "confirm_info",
        5,
        10,
        {
            "items": {
                "address": ["地址是", "核对一下地址", "您的地址", "具体位置是"],
                "phone": ["联系电话", "电话号码", "手机号码", "来电号码"],
            },
            "labels": {"address": "地址", "phone": "联系电话"},
        },
    ),
    (
        "emotion",
        "群众情绪预警",
        "emotion",
        0,
        0,
        {
            "alert": True,
            "categories": {
                "self_harm": ["不想活了", "活不下去", "自杀", "跳楼", "跳河", "寻死"],
                "threat": ["同归于尽", "弄死你", "报复社会", "炸了你们", "砍死你"],
                "anger": [
                    "到底管不管",
                    "气死我了",
                    "什么态度",
                    "太过分了",
                    "我要投诉你",
                    "忍无可忍",
                    "欺人太甚",
                    "踢皮球",
                    "投诉无门",
                    "无法忍受",
                ],
            },
        },
    ),
    (
        "ticket_consistency",
        "工单与通话一致",
        "ticket_consistency",
        5,
        5,
        {"keywords": 8, "min_coverage": 0.6},
    ),
]

KINDS = {
    "greeting": "开头语",
    "closing": "结束语",
    "keywords": "关键词（禁语/不文明用语）",
    "dead_air": "静音",
    "interruption": "抢话",
    "speaking_rate": "语速",
    "confirm_info": "信息核对",
    "emotion": "情绪预警",
    "ticket_consistency": "工单一致性",
}
