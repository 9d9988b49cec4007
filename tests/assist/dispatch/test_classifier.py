import numpy as np
import pytest

from assist.dispatch.catalogue import Catalogue, DutyEntry, split_duties
from assist.dispatch.classifier import TextClassifier
from assist.dispatch.thresholds import (
    auto_share,
    coverage_at_precision,
    coverage_curve,
    label_thresholds,
    passes,
)
from assist.dispatch.training import evaluate, train

from .synthetic import MATTERS, dataset


def test_held_out_accuracy_on_separable_data():
    texts, labels = dataset(30, seed=1)
    test_texts, test_labels = dataset(10, seed=2)
    clf = TextClassifier().fit(texts, labels)
    proba = clf.predict_proba(test_texts)
    assert proba.shape == (len(test_texts), len(MATTERS))
    assert np.allclose(proba.sum(axis=1), 1.0)
    pred = clf.classes_[proba.argmax(1)]
    accuracy = float(np.mean(pred == np.array(test_labels)))
    assert accuracy >= 0.9, accuracy
    # calibrated: the top label is usually confident on such clean data, never certain
    assert 0.5 < float(np.median(proba.max(1))) < 1.0


def test_rank_excludes_returned_labels_and_explains():
    texts, labels = dataset(25, seed=3)
    clf = TextClassifier().fit(texts, labels)
    text = "西乡塘区大学东路一工地拖欠工资三个月，欠薪问题请处理"
    ranked = clf.rank(text, k=3)
    assert [r.label for r in ranked][0] == "市人社局"
    assert len(ranked) == 3 and ranked[0].confidence >= ranked[1].confidence >= ranked[2].confidence
    assert "市人社局" not in [r.label for r in clf.rank(text, k=3, exclude=["市人社局"])]
    terms = clf.explain(text, "市人社局")
    assert any("欠薪" in t or "拖欠" in t or "工资" in t for t in terms), terms


def test_unrelated_labels_and_rare_classes_train():
    texts, labels = dataset(12, seed=4)
    texts += ["出租车拒载绕路", "出租车不打表"]
    labels += ["其他类别", "其他类别"]
    clf = TextClassifier().fit(texts, labels)
    assert "其他类别" in clf.classes_
    with pytest.raises(ValueError):
        TextClassifier().fit(["甲", "乙"], ["一", "一"])


def test_catalogue_features_and_reasons():
    entries = [
        DutyEntry("1", "市人社局", "就业、欠薪", split_duties("就业、欠薪、劳动合同")),
        DutyEntry("2", "市生态环境局", "噪声", ("噪声", "噪音"), exclusions=("广场舞",)),
    ]
    cat = Catalogue.from_rows(entries)
    matches = cat.match("小区广场舞噪音太大，还有老板欠薪")
    by_label = {m.label: m for m in matches}
    assert by_label["1"].hits == ("欠薪",)
    assert by_label["2"].excluded_by == ("广场舞",) and by_label["2"].score < 0
    assert "欠薪 → 市人社局" in by_label["1"].reason()
    assert "排除项" in by_label["2"].reason()
    assert split_duties("户籍、身份证、噪音扰民（社会生活）") == ("户籍", "身份证", "噪音扰民", "社会生活")


def test_catalogue_keywords_steer_a_model_with_little_text_evidence():
    texts, labels = dataset(15, seed=5)
    entries = [DutyEntry("市城管局", "市城管局", keywords=("共享单车乱停",))]
    plain = TextClassifier().fit(texts, labels)
    with_duties = TextClassifier(catalogue=entries).fit(texts, labels)
    text = "共享单车乱停放"
    p_plain = plain.predict_proba([text])[0][list(plain.classes_).index("市城管局")]
    p_duty = with_duties.predict_proba([text])[0][list(with_duties.classes_).index("市城管局")]
    assert p_duty > p_plain + 0.02, (p_duty, p_plain)
    assert with_duties.rank(text, k=1)[0].label == "市城管局"


def test_coverage_at_precision_and_curve():
    conf = [0.99, 0.95, 0.9, 0.8, 0.7, 0.6]
    correct = [True, True, True, False, True, False]
    assert coverage_at_precision(conf, correct, 1.0) == (0.5, 0.9)
    cov, thr = coverage_at_precision(conf, correct, 0.8)
    assert (cov, thr) == (5 / 6, 0.7)
    assert coverage_at_precision([0.9], [False], 0.5) == (0.0, None)
    # ties are not split: both 0.9s go together
    assert coverage_at_precision([0.95, 0.9, 0.9], [True, True, False], 1.0) == (1 / 3, 0.95)
    curve = coverage_curve(conf, correct, points=(0.0, 0.85))
    assert curve[0].coverage == 1.0 and curve[1].coverage == 0.5 and curve[1].accuracy == 1.0


def test_label_thresholds_per_category():
    pred = ["a"] * 30 + ["b"] * 30 + ["c"] * 3
    conf = [0.5 + i / 100 for i in range(30)] * 2 + [0.99, 0.98, 0.97]
    # a: wrong below 0.65; b: wrong everywhere above 0.7 (never reaches 97 %)
    correct = [c >= 0.65 for c in conf[:30]] + [c < 0.7 for c in conf[30:60]] + [True, True, True]
    th = label_thresholds(pred, conf, correct, 0.97, min_support=20)
    assert th["a"] == pytest.approx(0.65)
    assert th["b"] is None
    assert th["c"] is not None  # too few: the global threshold
    assert passes("a", 0.7, th, None) and not passes("a", 0.6, th, None)
    # with a confidence margin, 15 right out of 15 is not yet proof of 97 %
    assert label_thresholds(pred, conf, correct, 0.97, min_support=20, z=1.0)["a"] is None
    many = [0.9] * 400
    assert (
        coverage_at_precision([0.99] * 400 + many, [True] * 400 + [True] * 392 + [False] * 8, 0.97, z=1.0)[0]
        > 0.9
    )
    assert not passes("b", 0.999, th, None)
    assert not passes("z", 0.999, th, None) and passes("z", 0.9, th, 0.8)
    coverage, precision = auto_share(pred[:30], conf[:30], correct[:30], th)
    assert precision == 1.0 and coverage == pytest.approx(0.5)


def test_train_chooses_thresholds_and_evaluate_reports_figures():
    texts, labels = dataset(24, seed=6)
    model = train(texts, labels, target_precision=0.95, min_support=5)
    assert set(model.thresholds) <= set(MATTERS)
    assert model.metrics["accuracy"] >= 0.85
    assert 0 <= model.metrics["auto_coverage"] <= 1
    result = evaluate(texts, labels, folds=3)
    for key in (
        "accuracy",
        "macro_f1",
        "top3",
        "coverage_at_97_precision",
        "coverage_at_95_precision",
        "curve",
    ):
        assert key in result
    assert result["accuracy"] >= 0.85 and result["top3"] >= result["accuracy"]
    assert result["n_eval"] == len(texts)
    held_texts, held_labels = dataset(6, seed=7)
    on_test = evaluate(texts, labels, held_texts, held_labels)
    assert on_test["n_eval"] == len(held_texts) and on_test["accuracy"] >= 0.85
