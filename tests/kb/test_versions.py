"""Every edit is a version; diff and restore; optimistic locking."""

from __future__ import annotations


def test_edit_diff_restore(kb_client, auth, new_article):
    art = new_article(body="第一行。\n第二行：旧办法。", keywords=["旧"])
    aid = art["id"]
    r = kb_client.patch(
        f"/api/kb/articles/{aid}",
        json={"body": "第一行。\n第二行：新办法。", "keywords": ["新"], "version": 1, "note": "政策调整"},
        headers=auth("editor"),
    )
    assert r.status_code == 200 and r.json()["version"] == 2
    versions = kb_client.get(f"/api/kb/articles/{aid}/versions", headers=auth("editor")).json()
    assert [v["version"] for v in versions] == [1, 2]
    assert versions[1]["note"] == "政策调整"
    changes = kb_client.get(
        f"/api/kb/articles/{aid}/diff", params={"a": 1, "b": 2}, headers=auth("editor")
    ).json()
    by_field = {c["field"]: c for c in changes["changes"]}
    assert set(by_field) == {"body", "keywords"}
    assert "-第二行：旧办法。" in by_field["body"]["diff"] and "+第二行：新办法。" in by_field["body"]["diff"]
    assert by_field["keywords"]["before"] == ["旧"] and by_field["keywords"]["after"] == ["新"]

    r = kb_client.post(f"/api/kb/articles/{aid}/versions/1/restore", headers=auth("editor"))
    assert r.status_code == 200
    restored = r.json()
    assert (
        restored["version"] == 3
        and restored["body"] == "第一行。\n第二行：旧办法。"
        and restored["keywords"] == ["旧"]
    )
    assert len(kb_client.get(f"/api/kb/articles/{aid}/versions", headers=auth("editor")).json()) == 3
    assert (
        kb_client.get(
            f"/api/kb/articles/{aid}/diff", params={"a": 1, "b": 9}, headers=auth("editor")
        ).status_code
        == 404
    )


def test_stale_edit_is_409_and_changes_nothing(kb_client, auth, new_article):
    art = new_article()
    aid = art["id"]
    assert (
        kb_client.patch(
            f"/api/kb/articles/{aid}", json={"title": "甲改", "version": 1}, headers=auth("editor")
        ).status_code
        == 200
    )
    r = kb_client.patch(
        f"/api/kb/articles/{aid}", json={"title": "乙改", "version": 1}, headers=auth("editor")
    )
    assert r.status_code == 409 and r.json()["field"] == "version"
    assert kb_client.get(f"/api/kb/articles/{aid}", headers=auth("editor")).json()["title"] == "甲改"


def test_bad_edit_names_the_field(kb_client, auth, new_article):
    art = new_article()
    r = kb_client.patch(
        f"/api/kb/articles/{art['id']}",
        json={"valid_from": "2027-05-01T00:00:00+08:00", "valid_until": "2027-01-01T00:00:00+08:00"},
        headers=auth("editor"),
    )
    assert r.status_code == 422 and r.json()["field"] == "valid_until"
    r = kb_client.patch(f"/api/kb/articles/{art['id']}", json={"unit_id": 999999}, headers=auth("editor"))
    assert r.status_code == 422 and r.json()["field"] == "unit_id"
    bad = {"attachments": [{"name": "办事指南", "url": "javascript:alert(1)"}]}
    r = kb_client.patch(f"/api/kb/articles/{art['id']}", json=bad, headers=auth("editor"))
    assert r.status_code == 422 and r.json()["field"] == "attachments[0].url"
    ok = {"attachments": [{"name": "办事指南.pdf", "url": "/files/guide.pdf"}]}
    r = kb_client.patch(f"/api/kb/articles/{art['id']}", json=ok, headers=auth("editor"))
    assert r.status_code == 200 and r.json()["attachments"] == ok["attachments"]
    assert len(kb_client.get(f"/api/kb/articles/{art['id']}/versions", headers=auth("editor")).json()) == 2


def test_published_edit_needs_reviewer_and_reindexes(kb_client, auth, new_article, uniq):
    art = new_article(publish=True, title=f"上架后修改{uniq}", body="原来的说法。")
    r = kb_client.patch(
        f"/api/kb/articles/{art['id']}", json={"body": f"新的说法包含暗号{uniq}。"}, headers=auth("editor")
    )
    assert r.status_code == 200 and r.json()["status"] == "published"
    hits = kb_client.get(
        "/api/kb/search", params={"q": f"暗号{uniq}", "mode": "bm25"}, headers=auth("agent01")
    ).json()
    assert hits and hits[0]["article_id"] == art["id"]
