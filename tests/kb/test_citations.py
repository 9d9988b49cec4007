"""Citations and views feed the hot ranking, with time decay, per category and period."""

from __future__ import annotations

from datetime import timedelta

from kb import citations, service
from kb.enums import ArticleAction
from models.db import utcnow
from models.kb import ArticleHit


def _published(kb_db, scope, title, category_id):
    a = service.create_article(kb_db, scope, title=title, body="正文", category_id=category_id)
    for action in (ArticleAction.submit, ArticleAction.approve, ArticleAction.publish):
        service.transition(kb_db, scope, a.id, action)
    return a


def test_citations_rank_with_decay(kb_db, scope_of, uniq):
    editor, agent = scope_of("editor"), scope_of("agent01")
    cat = service.create_category(kb_db, editor, name=f"热度{uniq}")
    sub = service.create_category(kb_db, editor, name="子类", parent_id=cat.id)
    fresh = _published(kb_db, editor, "近期常用", sub.id)
    old = _published(kb_db, editor, "过去常用", cat.id)
    viewed = _published(kb_db, editor, "常被浏览", cat.id)
    now = utcnow()
    # old: 3 citations five days ago; fresh: 2 citations an hour ago; viewed: 4 views an hour ago
    for t in range(3):
        citations.record(
            kb_db, article_ids=[old.id], ticket_id=9_000_000 + t, scope=agent, at=now - timedelta(days=5)
        )
    for t in range(2):
        citations.record(
            kb_db, article_ids=[fresh.id], ticket_id=9_100_000 + t, scope=agent, at=now - timedelta(hours=1)
        )
    for _ in range(4):
        citations.record_view(kb_db, article_id=viewed.id, scope=agent, at=now - timedelta(hours=1))
    # the same ticket citing the same article twice counts once
    assert citations.record(kb_db, article_ids=[fresh.id], ticket_id=9_100_000, scope=agent) == []
    kb_db.commit()

    week = citations.hot_ranking(
        kb_db, tenant_ids=agent.tenant_ids, period="week", category_id=cat.id, now=now
    )
    order = [r["article_id"] for r in week]
    assert order == [fresh.id, viewed.id, old.id]  # 2 recent citations beat 3 old ones
    assert week[0]["citations"] == 2 and week[1]["views"] == 4
    # per category: the sub-branch holds only `fresh`
    sub_rank = citations.hot_ranking(
        kb_db, tenant_ids=agent.tenant_ids, period="week", category_id=sub.id, now=now
    )
    assert [r["article_id"] for r in sub_rank] == [fresh.id]
    # per period: five days ago is outside "day"
    day = citations.hot_ranking(kb_db, tenant_ids=agent.tenant_ids, period="day", category_id=cat.id, now=now)
    assert old.id not in [r["article_id"] for r in day]
    # an unpublished article leaves the ranking
    service.transition(kb_db, editor, fresh.id, ArticleAction.unpublish)
    kb_db.commit()
    week = citations.hot_ranking(
        kb_db, tenant_ids=agent.tenant_ids, period="week", category_id=cat.id, now=now
    )
    assert fresh.id not in [r["article_id"] for r in week]


def test_citations_api_and_views(kb_client, auth, kb_db, new_category, new_article, uniq):
    cat = new_category(f"引用接口{uniq}")
    a = new_article(publish=True, title=f"被引用{uniq}", category_id=cat["id"])
    b = new_article(publish=True, title=f"被浏览{uniq}", category_id=cat["id"])
    r = kb_client.post(
        "/api/kb/citations",
        json={"article_ids": [a["id"], a["id"]], "ticket_id": 4242},
        headers=auth("agent05"),
    )
    assert r.status_code == 201 and r.json() == {"recorded": 1}
    kb_client.get(f"/api/kb/articles/{b['id']}", headers=auth("agent05"))  # a view
    hot = kb_client.get(
        "/api/kb/hot", params={"category_id": cat["id"], "period": "day"}, headers=auth("agent05")
    ).json()
    assert [h["article_id"] for h in hot] == [a["id"], b["id"]]
    assert kb_db.query(ArticleHit).filter_by(article_id=a["id"], ticket_id=4242).count() == 1
    r = kb_client.post("/api/kb/citations", json={"article_ids": [987654321]}, headers=auth("agent05"))
    assert r.status_code == 404 and r.json()["field"] == "article_ids"
    assert (
        kb_client.get("/api/kb/hot", params={"period": "decade"}, headers=auth("agent05")).status_code == 422
    )
