"""The search engine kept in step with one database's published articles.

Each process holds one `KBIndex` per (database, embedder). It loads lazily on first use, then
`sync()` applies only the articles whose `search_stamp` moved since the last sync (publish,
unpublish, edit, vectors ready), so publishing never needs a rebuild. The FAISS part is persisted
under `data_dir/kb/` and reused at the next start; `rebuild()` recomputes everything.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from kb.enums import ArticleStatus
from kb.search.bm25 import BM25Index
from kb.search.embedders import Embedder, get_embedder
from kb.search.engine import DocMeta, Filters, Hit, Mode, SearchEngine, doc_tokens
from kb.search.store import cached_vectors
from kb.search.text import chunks, highlight, passage_hash, plain_text, snippet_around
from kb.search.tokenizer import query_terms
from kb.search.vectors import VectorIndex
from models.db import utcnow
from models.kb import Article

log = logging.getLogger("hotline.kb")
# Stamps are taken before commit: re-read a margin so a slow transaction is never missed.
SYNC_MARGIN = timedelta(minutes=2)
LOAD_BATCH = 2000
SNAPSHOT_FORMAT = 1
SNAPSHOT_EVERY = 1800.0  # seconds: a changed index is snapshotted at most this often
_COLUMNS = (
    Article.id,
    Article.tenant_id,
    Article.base_id,
    Article.category_id,
    Article.title,
    Article.body,
    Article.body_format,
    Article.keywords,
    Article.district,
    Article.unit_id,
    Article.valid_from,
    Article.valid_until,
    Article.status,
)


def article_passages(title: str, body: str, body_format: str = "markdown") -> list[str]:
    return chunks(title, plain_text(body, body_format))


@dataclass
class Result:
    article_id: int
    title: str
    title_html: str
    snippet_html: str
    passage: str
    score: float
    cosine: float | None
    bm25: float | None
    category_id: int | None
    unit_id: int | None
    district: str | None
    valid_until: datetime | None
    reply_template: str

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _meta_to_arrays(meta: dict[int, DocMeta]) -> tuple[dict[str, np.ndarray], list[str]]:
    def num(v) -> int:
        return -1 if v is None else int(v)

    def when(v: datetime | None) -> int:
        return -1 if v is None else int(v.timestamp() * 1_000_000)

    districts = sorted({m.district for m in meta.values() if m.district})
    pos = {d: i for i, d in enumerate(districts)}
    items = list(meta.items())
    arrays = {
        "ids": np.asarray([a for a, _ in items], np.int64),
        "tenant": np.asarray([num(m.tenant_id) for _, m in items], np.int64),
        "base": np.asarray([num(m.base_id) for _, m in items], np.int64),
        "category": np.asarray([num(m.category_id) for _, m in items], np.int64),
        "unit": np.asarray([num(m.unit_id) for _, m in items], np.int64),
        "district": np.asarray([pos[m.district] if m.district else -1 for _, m in items], np.int64),
        "valid_from": np.asarray([when(m.valid_from) for _, m in items], np.int64),
        "valid_until": np.asarray([when(m.valid_until) for _, m in items], np.int64),
    }
    return arrays, districts


def _meta_from_arrays(a: dict[str, np.ndarray], districts: list[str]) -> dict[int, DocMeta]:
    def opt(v: int) -> int | None:
        return None if v < 0 else int(v)

    def when(v: int) -> datetime | None:
        return None if v < 0 else datetime.fromtimestamp(v / 1_000_000, UTC)

    out = {}
    for i, aid in enumerate(a["ids"].tolist()):
        d = int(a["district"][i])
        out[aid] = DocMeta(
            tenant_id=opt(a["tenant"][i]),
            base_id=opt(a["base"][i]),
            category_id=opt(a["category"][i]),
            district=districts[d] if d >= 0 else None,
            unit_id=opt(a["unit"][i]),
            valid_from=when(int(a["valid_from"][i])),
            valid_until=when(int(a["valid_until"][i])),
        )
    return out


class KBIndex:
    def __init__(self, *, db_url: str, embedder: Embedder, data_dir: Path) -> None:
        self.embedder = embedder
        self.engine = SearchEngine(embedder)
        self.watermark: datetime | None = None
        key = hashlib.sha1(db_url.encode()).hexdigest()[:10]
        safe = "".join(c if c.isalnum() else "_" for c in embedder.name)
        self.path = Path(data_dir) / "kb" / f"{safe}-{key}.faiss"
        self.lock = threading.RLock()
        self.missing: set[int] = set()  # published, but passage vectors not computed yet
        self._applied: dict[int, datetime] = {}  # article → search stamp last applied by sync()
        self.requested: set[int] = set()  # articles whose vectors were queued on Celery by this process
        self._saved_at = time.monotonic()

    # -- loading

    def _doc(self, row) -> tuple[list[str], DocMeta, list[str]]:
        tokens = doc_tokens(row.title, plain_text(row.body, row.body_format), row.keywords or [])
        meta = DocMeta(
            tenant_id=row.tenant_id,
            base_id=row.base_id,
            category_id=row.category_id,
            district=row.district,
            unit_id=row.unit_id,
            valid_from=row.valid_from,
            valid_until=row.valid_until,
        )
        return tokens, meta, article_passages(row.title, row.body, row.body_format)

    def _vectors_for(self, db: Session, passages: dict[int, list[str]]) -> dict[int, np.ndarray]:
        hashes = {a: [passage_hash(p) for p in ps] for a, ps in passages.items()}
        found = cached_vectors(db, [h for hs in hashes.values() for h in hs], self.embedder.name)
        out = {}
        for a, hs in hashes.items():
            if hs and all(h in found for h in hs):
                out[a] = np.vstack([found[h] for h in hs])
        return out

    def _full_load(self, db: Session) -> None:
        t0 = time.perf_counter()
        start = utcnow()
        docs, passages = [], {}
        last = 0
        while True:
            rows = db.execute(
                select(*_COLUMNS)
                .where(Article.status == ArticleStatus.published, Article.id > last)
                .order_by(Article.id)
                .limit(LOAD_BATCH)
            ).all()
            if not rows:
                break
            for row in rows:
                tokens, meta, ps = self._doc(row)
                docs.append((row.id, tokens, meta))
                passages[row.id] = ps
            last = rows[-1].id
        vecs = self._vectors_for(db, passages)
        self.engine.bulk_load(docs, list(vecs.items()))
        self.missing = {a for a in passages if a not in vecs}
        self.watermark = start
        log.info(
            "kb index loaded from the database",
            extra={
                "articles": len(docs),
                "missing_vectors": len(self.missing),
                "seconds": round(time.perf_counter() - t0, 2),
            },
        )

    # -- snapshots: BM25 arrays, metadata, FAISS, and the watermark they are valid at

    @property
    def _manifest(self) -> Path:
        return self.path.with_suffix(".json")

    def _load_snapshot(self) -> bool:
        """Load the last snapshot if it fits this embedder; the caller then syncs from its watermark."""
        if not self._manifest.exists():
            return False
        t0 = time.perf_counter()
        try:
            info = json.loads(self._manifest.read_text())
            if info.get("embedder") != self.embedder.name or info.get("format") != SNAPSHOT_FORMAT:
                return False
            stem = self.path.with_name(f"{self.path.stem}-{info['generation']}")
            with np.load(stem.with_suffix(".bm25.npz")) as z:
                arrays = {k: z[k] for k in z.files}
            vocab = stem.with_suffix(".vocab.txt").read_text(encoding="utf-8").split("\n")
            bm25 = BM25Index.from_state(arrays, vocab if arrays["shape"][1] else [])
            with np.load(stem.with_suffix(".meta.npz")) as z:
                meta = _meta_from_arrays({k: z[k] for k in z.files}, info["districts"])
            vectors = VectorIndex.load(stem.with_suffix(".faiss"), self.embedder.dim)
        except Exception:  # damaged or partial: load from the database instead
            log.warning("kb index snapshot unreadable, loading from the database", exc_info=True)
            return False
        self.engine.bm25, self.engine.meta, self.engine.vectors = bm25, meta, vectors
        self.missing = {a for a in meta if a not in vectors}
        self.watermark = datetime.fromisoformat(info["watermark"])
        log.info(
            "kb index loaded from snapshot",
            extra={"articles": len(meta), "seconds": round(time.perf_counter() - t0, 2)},
        )
        return True

    def save(self) -> None:
        """Write a snapshot (new generation files first, the manifest last, then drop old generations)."""
        if self.engine.vectors is None or self.watermark is None:
            return
        with self.lock:
            gen = f"{int(time.time() * 1000)}"
            stem = self.path.with_name(f"{self.path.stem}-{gen}")
            stem.parent.mkdir(parents=True, exist_ok=True)
            arrays, vocab = self.engine.bm25.state()
            np.savez(stem.with_suffix(".bm25.npz"), **arrays)
            stem.with_suffix(".vocab.txt").write_text("\n".join(vocab), encoding="utf-8")
            meta_arrays, districts = _meta_to_arrays(self.engine.meta)
            np.savez(stem.with_suffix(".meta.npz"), **meta_arrays)
            self.engine.vectors.save(stem.with_suffix(".faiss"))
            manifest = {
                "format": SNAPSHOT_FORMAT,
                "embedder": self.embedder.name,
                "watermark": self.watermark.isoformat(),
                "generation": gen,
                "districts": districts,
                "articles": len(self.engine.meta),
            }
            tmp = self._manifest.with_suffix(".json.tmp")
            tmp.write_text(json.dumps(manifest, ensure_ascii=False))
            os.replace(tmp, self._manifest)
            for old in self.path.parent.glob(f"{self.path.stem}-*"):
                if not old.name.startswith(f"{self.path.stem}-{gen}."):
                    old.unlink(missing_ok=True)
            self._saved_at = time.monotonic()

    # -- keeping in step

    def sync(self, db: Session) -> set[int]:
        """Apply changes since the last sync; returns published articles still lacking vectors."""
        with self.lock:
            if self.watermark is None and not self._load_snapshot():
                self._full_load(db)
                self.save()  # the next process starts from here instead of re-tokenising everything
                return set(self.missing)
            since = self.watermark
            start = utcnow()
            floor = since - SYNC_MARGIN
            rows = db.execute(
                select(*_COLUMNS, Article.search_stamp).where(Article.search_stamp > floor)
            ).all()
            # rows inside the margin are seen again next time: skip those already applied at this stamp
            rows = [r for r in rows if self._applied.get(r.id) != r.search_stamp]
            self._applied = {a: st for a, st in self._applied.items() if st > floor}
            self._applied.update((r.id, r.search_stamp) for r in rows)
            upserts, passages = [], {}
            for row in rows:
                if row.status == ArticleStatus.published:
                    tokens, meta, ps = self._doc(row)
                    upserts.append((row.id, tokens, meta))
                    passages[row.id] = ps
                else:
                    self.engine.remove(row.id)
                    self.missing.discard(row.id)
            vecs = self._vectors_for(db, passages)
            for aid, tokens, meta in upserts:
                self.engine.upsert(aid, tokens, meta, vecs.get(aid))
                if aid in vecs:
                    self.missing.discard(aid)
                else:
                    self.missing.add(aid)
            self.watermark = max(since, start)
            if rows and time.monotonic() - self._saved_at > SNAPSHOT_EVERY:
                self.save()
            return set(self.missing)

    def rebuild(self, db: Session) -> int:
        with self.lock:
            self.engine = SearchEngine(self.embedder)
            self.watermark = None
            self._applied = {}
            self._full_load(db)
            self.save()
            return len(self.engine)

    # -- querying

    def search(
        self, db: Session, query: str, *, k: int = 10, mode: Mode = "hybrid", filters: Filters | None = None
    ) -> list[Result]:
        self.sync(db)
        # embed outside the lock: other searches need not wait for the model
        qvec = self.engine.embed_query(query) if mode != "bm25" else None
        with self.lock:
            hits = self.engine.search(query, k=k, mode=mode, filters=filters, qvec=qvec)
        return self.present(db, hits, query)

    def present(self, db: Session, hits: list[Hit], query: str) -> list[Result]:
        if not hits:
            return []
        rows = {
            a.id: a for a in db.scalars(select(Article).where(Article.id.in_([h.article_id for h in hits])))
        }
        terms = query_terms(query)
        out = []
        for h in hits:
            a = rows.get(h.article_id)
            if a is None:
                continue
            ps = article_passages(a.title, a.body, a.body_format)
            body_ps = [p.split("\n", 1)[1] if "\n" in p and a.title else p for p in ps] or [a.title]
            if h.chunk_no is not None and h.chunk_no < len(body_ps):
                passage = body_ps[h.chunk_no]
            else:  # the passage with most query terms
                passage = max(body_ps, key=lambda p: sum(p.count(t) for t in terms))
            out.append(
                Result(
                    article_id=a.id,
                    title=a.title,
                    title_html=highlight(a.title, terms),
                    snippet_html=highlight(snippet_around(passage, terms, 160), terms),
                    passage=passage,
                    score=round(h.score, 6),
                    cosine=None if h.cosine is None else round(h.cosine, 4),
                    bm25=None if h.bm25 is None else round(h.bm25, 4),
                    category_id=a.category_id,
                    unit_id=a.unit_id,
                    district=a.district,
                    valid_until=a.valid_until,
                    reply_template=a.reply_template or "",
                )
            )
        return out


_indexes: dict[tuple[str, str, str], KBIndex] = {}
_registry_lock = threading.Lock()


def get_index(*, db_url: str, embedder_spec: str, data_dir: Path) -> KBIndex:
    """The process's index for this database and embedder (created on first use)."""
    key = (db_url, embedder_spec, str(data_dir))
    with _registry_lock:
        idx = _indexes.get(key)
        if idx is None:
            idx = _indexes[key] = KBIndex(
                db_url=db_url, embedder=get_embedder(embedder_spec), data_dir=data_dir
            )
        return idx
