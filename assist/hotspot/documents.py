"""The plain view of a ticket the duplicate finder and the miner work on, and its text vectors."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer

from assist.dispatch.gazetteer import extract_place
from assist.dispatch.text import normalise, tokenize

# places finer than a street: residential compounds, villages, roads, markets, schools
_LOCAL_PLACE = re.compile(
    r"[\u4e00-\u9fa5A-Za-z0-9]{2,12}?(?:小区|花园|苑|村|屯|路|大道|街|巷|市场|广场|学校|小学|中学|医院|公园|大厦|社区)"
)
_GENERIC = {
    "小区",
    "道路",
    "马路",
    "村里",
    "我们小区",
    "这个小区",
    "本小区",
    "该小区",
    "学校",
    "医院",
    "公园",
}

STOPWORDS = frozenset(
    [
        "的",
        "了",
        "是",
        "在",
        "我",
        "我们",
        "你们",
        "他们",
        "和",
        "与",
        "及",
        "有",
        "也",
        "都",
        "就",
        "不",
        "没有",
        "一个",
        "这个",
        "那个",
        "什么",
        "怎么",
        "为什么",
        "请问",
        "希望",
        "相关",
        "部门",
        "领导",
        "问题",
        "情况",
        "反映",
        "现在",
        "已经",
        "还是",
        "因为",
        "所以",
        "但是",
        "可以",
        "能够",
        "进行",
        "要求",
        "能否",
        "是否",
        "请",
        "您好",
        "你好",
        "市",
        "区",
        "县",
        "政府",
        "解决",
        "处理",
        "严重",
        "谢谢",
        "感谢",
        "尊敬",
        "一下",
        "一直",
        "目前",
        "非常",
        "这样",
        "这些",
        "那些",
        "如果",
        "以及",
        "对于",
        "关于",
        "由于",
        "没",
        "给",
        "到",
        "对",
        "被",
        "把",
        "让",
        "从",
        "向",
        "为",
        "上",
        "下",
        "中",
        "又",
        "还",
        "很",
        "多",
        "后",
        "前",
        "时",
        "年",
        "月",
        "日",
        "号",
        "元",
        "个",
        "人",
    ]
)


@dataclass(frozen=True)
class Doc:
    id: int
    text: str
    created_at: datetime
    district: str | None = None  # from the ticket, else from the text
    places: frozenset[str] = field(default_factory=frozenset)


def local_places(text: str) -> frozenset[str]:
    found = {m.group(0) for m in _LOCAL_PLACE.finditer(text or "")}
    return frozenset(p for p in found if p not in _GENERIC and len(p) >= 3)


def make_doc(id: int, text: str, created_at: datetime, district: str | None = None) -> Doc:
    text = normalise(text)
    return Doc(id, text, created_at, district or extract_place(text).district, local_places(text))


def matter(doc: Doc) -> str:
    """The text with its place names removed: what is wrong, not where."""
    text = doc.text
    for place in sorted(doc.places, key=len, reverse=True):
        text = text.replace(place, "")
    return text


def content_words(text: str) -> list[str]:
    # ASCII tokens are mostly codes and anonymised names (A5, 12345), not topics
    return [w for w in tokenize(text) if w not in STOPWORDS and len(w) >= 2 and not w.isascii()]


def vectorise(
    texts: Sequence[str], *, idf: bool = True, max_features: int | None = None
) -> tuple[np.ndarray, TfidfVectorizer]:
    """L2-normalised TF(-IDF) over content words and character bigrams.

    Without IDF for tiny pools (a new ticket against a few open ones), where IDF is mostly noise.
    """
    vec = TfidfVectorizer(analyzer=_features, sublinear_tf=True, use_idf=idf, max_features=max_features)
    return vec.fit_transform(list(texts)), vec


def _features(text: str) -> list[str]:
    words = content_words(text)
    chars = [text[i : i + 2] for i in range(len(text) - 1)]
    return words + words + chars  # words count double: the matter is in the words
