"""The search building blocks without a database: BM25 updates, FAISS add/remove, fusion, text."""

from __future__ import annotations

import numpy as np

from kb.search.bm25 import BM25Index
from kb.search.embedders import HashEmbedder
from kb.search.engine import DocMeta, Filters, SearchEngine, doc_tokens, rrf
from kb.search.text import chunks, highlight, plain_text
from kb.search.tokenizer import query_terms, tokenize
from kb.search.vectors import VectorIndex


def test_tokenizer_keeps_hotline_words():
    toks = tokenize("青秀区新竹街道的住房公积金怎么提取？")
    assert "青秀区" in toks and "新竹街道" in toks and "公积金" in toks and "提取" in toks
    assert "怎么" not in toks and "？" not in toks
    assert "社保卡" in query_terms("社保卡丢了") and all(len(t) > 1 for t in query_terms("社保卡丢了"))


def test_bm25_incremental_matches_full_build():
    docs = {
        1: "社保卡丢失补办挂失",
        2: "公积金租房提取条件",
        3: "居住证办理材料派出所",
        4: "犬只登记狂犬疫苗",
        5: "停水停电查询电话",
    }
    full = BM25Index()
    full.build((d, tokenize(t)) for d, t in docs.items())
    inc = BM25Index(compact_every=2)
    inc.build((d, tokenize(t)) for d, t in list(docs.items())[:2])
    for d, t in list(docs.items())[2:]:
        inc.add(d, tokenize(t))
    for q in ("社保卡补办", "租房提取公积金", "狂犬疫苗"):
        a, b = full.top(tokenize(q), 5), inc.top(tokenize(q), 5)
        assert [d for d, _ in a] == [d for d, _ in b]
        assert np.allclose([s for _, s in a], [s for _, s in b], rtol=1e-5)
    assert inc.remove(1) and not inc.remove(1)
    assert 1 not in [d for d, _ in inc.top(tokenize("社保卡补办"), 5)]
    inc.compact()
    assert len(inc) == 4 and 1 not in inc and 5 in inc
    assert inc.top(tokenize("停水"), 1)[0][0] == 5
    assert inc.top(tokenize("停水"), 5, allowed={2, 3}) == []


def test_vector_index_add_remove_persist(tmp_path):
    emb = HashEmbedder(64)
    vi = VectorIndex(64)
    vi.add(7, emb.embed_passages(["社保卡补办", "社保卡挂失"]))
    vi.add(9, emb.embed_passages(["公积金提取"]))
    q = emb.embed_queries(["社保卡补办"])[0]
    assert vi.search(q, 3)[0][:2] == (7, 0)
    vi.remove(7)
    assert {a for a, _, _ in vi.search(q, 3)} == {9}
    vi.add(7, emb.embed_passages(["社保卡补办"]))
    # an edit: the old text's vectors are still in FAISS until purged, but never returned
    vi.add(7, emb.embed_passages(["居住证办理"]))
    assert vi.dead == 3
    found = vi.search(q, 10)
    assert [a for a, _, _ in found].count(7) == 1
    new_score = float(emb.embed_passages(["居住证办理"])[0] @ q)
    assert abs(next(s for a, _, s in found if a == 7) - new_score) < 1e-5
    vi.save(tmp_path / "x.faiss")  # purges
    assert vi.dead == 0 and vi.index.ntotal == 2
    back = VectorIndex.load(tmp_path / "x.faiss", 64)
    assert back.n_chunks == {7: 1, 9: 1}
    assert back.search(q, 1, allowed={9})[0][0] == 9


def test_engine_filters_and_fusion():
    eng = SearchEngine(HashEmbedder(128))
    texts = {
        1: ("青秀区政务服务中心", "青秀区"),
        2: ("兴宁区政务服务中心", "兴宁区"),
        3: ("全市政务服务热线", None),
    }
    for d, (t, district) in texts.items():
        eng.upsert(
            d, doc_tokens(t, t), DocMeta(district=district, category_id=d), eng.embedder.embed_passages([t])
        )
    ids = [
        h.article_id
        for h in eng.search("政务服务中心", k=3, filters=Filters(district="兴宁区", any_base=True))
    ]
    assert 1 not in ids and 2 in ids and 3 in ids
    ids = [
        h.article_id
        for h in eng.search("政务服务", k=3, filters=Filters(category_ids=frozenset({3}), any_base=True))
    ]
    assert ids == [3]
    fused = rrf([[1, 2, 3], [3, 1]])
    assert max(fused, key=fused.get) == 1


def test_text_helpers():
    assert plain_text("<p>您好，<b>社保卡</b></p>", "html") == "您好， 社保卡"
    assert plain_text("## 标题\n- 第一条 **重点**") == "标题\n第一条 重点"
    long = "第一句话。" * 100
    cs = chunks("标题", long, size=50)
    assert all(c.startswith("标题\n") and len(c) <= 53 for c in cs) and len(cs) == 10
    assert highlight("社保卡<补办>", ["社保卡"]) == "<em>社保卡</em>&lt;补办&gt;"
