"""The duty catalogue (权责清单): label → duty, keywords, exclusions.

Used twice: as classifier features (keyword hits per entry) and as the human-readable reason shown
to the dispatcher ("命中权责清单：欠薪 → 市人社局").
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy import sparse
from sklearn.base import BaseEstimator, TransformerMixin


@dataclass(frozen=True)
class DutyEntry:
    label: str  # what the classifier predicts (a unit id in production, a category in evaluation)
    name: str  # shown to people
    duty: str = ""
    keywords: tuple[str, ...] = ()
    exclusions: tuple[str, ...] = ()  # "not ours": e.g. 噪音 for 市生态环境局 when it is 社会生活噪音


@dataclass(frozen=True)
class DutyMatch:
    label: str
    name: str
    hits: tuple[str, ...]
    excluded_by: tuple[str, ...] = ()

    @property
    def score(self) -> float:
        return len(self.hits) - 2.0 * len(self.excluded_by)

    def reason(self) -> str:
        text = f"命中权责清单：{'、'.join(self.hits)} → {self.name}" if self.hits else f"{self.name}"
        if self.excluded_by:
            text += f"（但含排除项：{'、'.join(self.excluded_by)}）"
        return text


@dataclass
class Catalogue:
    entries: list[DutyEntry] = field(default_factory=list)

    @classmethod
    def from_rows(cls, rows: Iterable[DutyEntry]) -> Catalogue:
        return cls([r for r in rows if r.keywords or r.exclusions])

    @property
    def labels(self) -> list[str]:
        return [e.label for e in self.entries]

    def match(self, text: str) -> list[DutyMatch]:
        """Entries whose keywords (or exclusions) occur in `text`, best first."""
        found = []
        for entry in self.entries:
            hits = tuple(k for k in entry.keywords if k and k in text)
            excluded = tuple(k for k in entry.exclusions if k and k in text)
            if hits or excluded:
                found.append(DutyMatch(entry.label, entry.name, hits, excluded))
        return sorted(found, key=lambda m: -m.score)

    def for_label(self, label: str) -> DutyEntry | None:
        return next((e for e in self.entries if e.label == label), None)


def split_duties(duties: str) -> tuple[str, ...]:
    """'就业、欠薪、劳动合同' → keywords; the demo units' duty summaries seed the catalogue."""
    parts = duties.replace("（", "、").replace("）", "、").replace("，", "、").replace(",", "、").split("、")
    return tuple(dict.fromkeys(p.strip() for p in parts if 2 <= len(p.strip()) <= 12))


class CatalogueFeatures(BaseEstimator, TransformerMixin):
    """One column per catalogue entry: keyword hits minus twice the exclusion hits, log-scaled."""

    def __init__(self, entries: Sequence[DutyEntry] = (), weight: float = 0.5) -> None:
        self.entries = entries
        self.weight = weight

    def fit(self, texts, y=None):
        return self

    def transform(self, texts) -> sparse.csr_matrix:
        rows, cols, vals = [], [], []
        for i, text in enumerate(texts):
            for j, entry in enumerate(self.entries):
                hits = sum(1 for k in entry.keywords if k and k in text)
                excluded = sum(1 for k in entry.exclusions if k and k in text)
                score = hits - 2 * excluded
                if score:
                    rows.append(i)
                    cols.append(j)
                    vals.append(self.weight * float(np.sign(score) * np.log1p(abs(score))))
        return sparse.csr_matrix((vals, (rows, cols)), shape=(len(texts), len(self.entries)))

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        return np.array([f"权责:{e.name}" for e in self.entries], dtype=object)
