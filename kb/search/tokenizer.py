"""Chinese tokens for BM25 and highlighting: jieba with the hotline's own dictionary.

The user dictionary (userdict.txt beside this file, generated once from the demo organisation) holds
Nanning's districts, streets and towns, member-unit names and hotline terms, so "青秀区" or "公积金" stay whole words.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterable
from pathlib import Path

log = logging.getLogger("hotline.kb")

USERDICT = Path(__file__).with_name("userdict.txt")

STOPWORDS = frozenset(
    [
        "的",
        "了",
        "吗",
        "呢",
        "吧",
        "啊",
        "呀",
        "是",
        "在",
        "和",
        "与",
        "及",
        "或",
        "也",
        "都",
        "就",
        "还",
        "要",
        "我",
        "你",
        "您",
        "他",
        "她",
        "它",
        "我们",
        "你们",
        "他们",
        "这",
        "那",
        "这个",
        "那个",
        "哪",
        "哪里",
        "哪些",
        "什么",
        "怎么",
        "怎样",
        "怎么样",
        "如何",
        "请问",
        "您好",
        "你好",
        "为什么",
        "是否",
        "能否",
        "可以",
        "可否",
        "能",
        "会",
        "需要",
        "有",
        "没有",
        "有没有",
        "吗",
        "么",
        "多少",
        "几",
        "一下",
        "一个",
        "个",
        "对",
        "把",
        "被",
        "给",
        "让",
        "向",
        "从",
        "到",
        "由",
        "于",
        "为",
        "以",
        "之",
        "其",
        "等",
        "请",
        "想",
        "问",
        "咨询",
        "一般",
        "相关",
        "进行",
        "如果",
        "因为",
        "所以",
        "已经",
        "可",
        "不",
        "该",
        "应",
        "应当",
        "应该",
        "谢谢",
        "好",
        "中",
        "上",
        "下",
        "后",
        "前",
        "时",
        "时候",
        "里",
        "内",
        "外",
        "自己",
        "我家",
        "我的",
        "本人",
        "现在",
        *[
            "去",
            "来",
            "找",
            "谁",
            "哪个",
            "很",
            "一直",
            "这边",
            "那边",
            "东西",
            "这样",
            "那样",
            "嘛",
            "啦",
            "哦",
            "喂",
            "嗯",
        ],
    ]
)
_PUNCT = re.compile(r"^[\W_]+$", re.UNICODE)

_lock = threading.Lock()
_tokenizer = None


def get_tokenizer():
    """One jieba Tokenizer per process, with the hotline dictionary (building it costs ~1 s)."""
    global _tokenizer
    if _tokenizer is None:
        with _lock:
            if _tokenizer is None:
                import jieba

                jieba.setLogLevel(logging.WARNING)
                tk = jieba.Tokenizer()
                tk.initialize()
                if USERDICT.exists():
                    tk.load_userdict(str(USERDICT))
                _tokenizer = tk
    return _tokenizer


def add_words(words: Iterable[str]) -> None:
    tk = get_tokenizer()
    for w in words:
        if w and len(w) > 1:
            tk.add_word(w, freq=20000)


def tokenize(text: str) -> list[str]:
    """Search-mode tokens (long words also yield their sub-words), lower-cased, no stop words."""
    if not text:
        return []
    out = []
    for t in get_tokenizer().cut_for_search(text.lower()):
        t = t.strip()
        if not t or t in STOPWORDS or _PUNCT.match(t):
            continue
        out.append(t)
    return out


def query_terms(text: str) -> list[str]:
    """Distinct tokens of a query worth highlighting (longest first, so 公积金 wins over 公积)."""
    terms = {t for t in tokenize(text) if len(t) > 1}
    return sorted(terms, key=lambda t: (-len(t), t))
