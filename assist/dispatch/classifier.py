"""Text → label classifier: jieba-word and character n-gram TF-IDF (+ duty-catalogue hits, + optional
sentence embeddings) into a linear SVM, calibrated on out-of-fold scores.

Calibration: the SVM's decision scores from K-fold cross-fitting train a multinomial logistic
regression (matrix scaling). The same out-of-fold probabilities give the per-label thresholds, so
one training run yields the model, its calibration and its honest coverage/accuracy curve.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold
from sklearn.svm import LinearSVC

from assist.dispatch.catalogue import CatalogueFeatures, DutyEntry
from assist.dispatch.text import normalise, tokenize

Embedder = Callable[[list[str]], np.ndarray]
# (stage, fraction of that stage done): "vectorise", "cross_validate", "calibrate"
StageProgress = Callable[[str, float], None]


def _quiet(stage: str, fraction: float) -> None:
    pass


def _words(text: str) -> list[str]:
    return tokenize(text)


@dataclass(frozen=True)
class Ranked:
    label: str
    confidence: float


class TextClassifier:
    """fit(texts, labels[, sample_weight]) → predict_proba / rank / explain. Picklable (joblib)."""

    def __init__(
        self,
        *,
        catalogue: Sequence[DutyEntry] = (),
        embedder: Embedder | None = None,
        folds: int = 5,
        c: float = 0.5,
        max_char_features: int = 200_000,
        seed: int = 0,
    ) -> None:
        self.catalogue = list(catalogue)
        self.embedder = embedder
        self.folds = folds
        self.c = c
        self.max_char_features = max_char_features
        self.seed = seed

    # features -----------------------------------------------------------------------------------
    def _fit_features(self, texts: list[str]) -> sparse.csr_matrix:
        min_df = 2 if len(texts) >= 200 else 1
        self.words_ = TfidfVectorizer(analyzer=_words, sublinear_tf=True, min_df=min_df)
        self.chars_ = TfidfVectorizer(
            analyzer="char",
            ngram_range=(1, 3),
            sublinear_tf=True,
            min_df=min_df,
            max_features=self.max_char_features,
        )
        self.duties_ = CatalogueFeatures(self.catalogue)
        blocks = [self.words_.fit_transform(texts), self.chars_.fit_transform(texts)]
        return self._stack(blocks, texts)

    def _features(self, texts: list[str]) -> sparse.csr_matrix:
        return self._stack([self.words_.transform(texts), self.chars_.transform(texts)], texts)

    def _stack(self, blocks: list, texts: list[str]) -> sparse.csr_matrix:
        if self.catalogue:
            blocks.append(self.duties_.transform(texts))
        if self.embedder is not None:
            blocks.append(sparse.csr_matrix(np.asarray(self.embedder(texts), dtype=np.float64)))
        return sparse.hstack(blocks).tocsr()

    def feature_names(self) -> np.ndarray:
        names = [
            self.words_.get_feature_names_out(),
            np.array([f"「{n}」" for n in self.chars_.get_feature_names_out()], dtype=object),
        ]
        if self.catalogue:
            names.append(self.duties_.get_feature_names_out())
        return np.concatenate(names)

    # training -----------------------------------------------------------------------------------
    def fit(
        self,
        texts: Sequence[str],
        labels: Sequence[str],
        sample_weight: Sequence[float] | None = None,
        progress: StageProgress | None = None,
    ) -> TextClassifier:
        progress = progress or _quiet
        progress("vectorise", 0.0)
        texts = [normalise(t) for t in texts]
        y = np.asarray([str(label) for label in labels])
        weights = None if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
        self.classes_ = np.unique(y)
        self.names_ = None  # feature names, built on the first explanation
        if len(self.classes_) < 2:
            raise ValueError("训练数据至少需要两个类别")
        x = self._fit_features(texts)
        # the catalogue also teaches directly: each duty and keyword is a short example of its label
        pseudo = [
            (t, e.label) for e in self.catalogue if e.label in set(y) for t in (e.duty, *e.keywords) if t
        ]
        self.pseudo_ = (
            (self._features([t for t, _ in pseudo]), np.array([label for _, label in pseudo]))
            if pseudo
            else None
        )
        progress("cross_validate", 0.0)
        self.oof_scores_ = self._out_of_fold_scores(x, y, weights, progress)
        progress("calibrate", 0.0)
        self.calibrator_ = LogisticRegression(C=1.0, max_iter=1000)
        self.calibrator_.fit(self.oof_scores_, y)
        self.oof_proba_ = self.calibrator_.predict_proba(self.oof_scores_)
        self.oof_labels_ = y
        progress("calibrate", 0.2)  # the final SVM on everything: about one fold and a quarter of work
        self.svm_ = self._fit_svm(x, y, weights)
        progress("calibrate", 1.0)
        return self

    def _fit_svm(self, x, y: np.ndarray, weights: np.ndarray | None) -> LinearSVC:
        if self.pseudo_ is not None:
            px, py = self.pseudo_
            x = sparse.vstack([x, px]).tocsr()
            y = np.concatenate([y, py])
            weights = None if weights is None else np.concatenate([weights, np.ones(len(py))])
        svm = LinearSVC(C=self.c, class_weight="balanced")
        svm.fit(x, y, sample_weight=weights)
        return svm

    def _scores(self, svm: LinearSVC, x: sparse.csr_matrix) -> np.ndarray:
        """Decision scores aligned to self.classes_ (a fold may miss a rare class)."""
        raw = svm.decision_function(x)
        if raw.ndim == 1:
            raw = np.column_stack([-raw, raw])
        out = np.full((x.shape[0], len(self.classes_)), -2.0)
        index = {c: i for i, c in enumerate(self.classes_)}
        for j, c in enumerate(svm.classes_):
            out[:, index[c]] = raw[:, j]
        return out

    def _out_of_fold_scores(
        self, x, y: np.ndarray, weights: np.ndarray | None, progress: StageProgress = _quiet
    ) -> np.ndarray:
        k = max(2, min(self.folds, int(np.bincount(np.unique(y, return_inverse=True)[1]).min()), len(y) // 2))
        splitter = StratifiedKFold(n_splits=k, shuffle=True, random_state=self.seed)
        oof = np.zeros((len(y), len(self.classes_)))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            for n, (train, held) in enumerate(splitter.split(np.zeros(len(y)), y), start=1):
                if len(np.unique(y[train])) >= 2:
                    svm = self._fit_svm(x[train], y[train], None if weights is None else weights[train])
                    oof[held] = self._scores(svm, x[held])
                progress("cross_validate", n / k)
        return oof

    # prediction ---------------------------------------------------------------------------------
    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        """Calibrated probabilities, columns in `classes_` order."""
        x = self._features([normalise(t) for t in texts])
        return self.calibrator_.predict_proba(self._scores(self.svm_, x))

    def features(self, text: str) -> sparse.csr_matrix:
        return self._features([normalise(text)])

    def rank(
        self, text: str, k: int = 3, exclude: Sequence[str] = (), row: sparse.csr_matrix | None = None
    ) -> list[Ranked]:
        row = self.features(text) if row is None else row
        proba = self.calibrator_.predict_proba(self._scores(self.svm_, row))[0]
        order = np.argsort(-proba)
        out = [
            Ranked(str(self.classes_[i]), float(proba[i])) for i in order if self.classes_[i] not in exclude
        ]
        return out[:k]

    def explain(self, text: str, label: str, n: int = 5, row: sparse.csr_matrix | None = None) -> list[str]:
        """The words/character n-grams that pushed `text` towards `label` most."""
        index = np.where(self.classes_ == label)[0]
        if not len(index):
            return []
        row = self.features(text) if row is None else row
        coef = self.svm_.coef_
        weights = coef[0] * (1 if label == self.classes_[1] else -1) if coef.shape[0] == 1 else coef[index[0]]
        contrib = row.multiply(weights).tocsr()
        if contrib.nnz == 0:
            return []
        if getattr(self, "names_", None) is None:
            self.names_ = self.feature_names()
        order = np.argsort(-contrib.data)[: n * 3]
        terms: list[str] = []
        for i in order:
            if contrib.data[i] <= 0:
                break
            name = str(self.names_[contrib.indices[i]])
            bare = name.strip("「」")
            if len(bare) < 2 or any(bare in t for t in terms):
                continue
            terms.append(name)
            if len(terms) == n:
                break
        return terms
