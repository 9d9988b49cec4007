"""Text normalisation and jieba tokenisation shared by the classifier and the duplicate finder."""

from __future__ import annotations

import logging
import re
from functools import lru_cache

import jieba

jieba.setLogLevel(logging.WARNING)

# Long bodies add little beyond their first part and cost tokenisation time.
MAX_CHARS = 2000
_SPACE = re.compile(r"\s+")
_PUNCT = set("，。！？；：、（）《》“”‘’【】…—,.!?;:()[]<>\"'~·-_/\\|@#$%^&*+=`　")


def normalise(text: str) -> str:
    return _SPACE.sub("", text or "")[:MAX_CHARS]


@lru_cache(maxsize=50_000)
def _tokens(text: str) -> tuple[str, ...]:
    return tuple(w for w in jieba.lcut(text) if w.strip() and w not in _PUNCT)


def tokenize(text: str) -> list[str]:
    """jieba words of the normalised text, punctuation dropped (cached: CV re-reads texts)."""
    return list(_tokens(normalise(text)))
