"""Uploaded article attachments: limits, allow-list, safe names, permissions, versions."""

from __future__ import annotations

from pathlib import Path

from kb import files

PDF = b"%PDF-1.4\n% test\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _upload(client, headers, aid, name, data, ctype="application/pdf", **form):
    return client.post(
        f"/api/kb/articles/{aid}/files", files={"file": (name, data, ctype)}, data=form, headers=headers
    )


def test_upload_download_version_and_delete(kb_app, kb_client, auth, new_article):
    art = new_article()
    aid = art["id"]
    r = _upload(kb_client, auth("editor"), aid, "../../etc/办事指南.pdf", PDF, version="1")
    assert r.status_code == 201, r.text
    out = r.json()
    assert out["version"] == 2
    (att,) = out["attachments"]
    assert att["name"] == "办事指南.pdf" and att["size"] == len(PDF)
    assert att["url"] == f"/api/kb/articles/{aid}/files/{att['file_id']}"
    # stored under data_dir by its random id, not by the uploaded name
    stored = Path(kb_app.state.settings.data_dir) / "kb" / "files" / att["file_id"][:2] / att["file_id"]
    assert stored.read_bytes() == PDF
    assert not list(Path(kb_app.state.settings.data_dir).rglob("*办事指南*"))

    got = kb_client.get(att["url"], headers=auth("editor"))
    assert got.status_code == 200 and got.content == PDF
    assert got.headers["content-type"] == "application/pdf"
    assert got.headers["x-content-type-options"] == "nosniff"
    assert "attachment" in got.headers["content-disposition"]

    # listed on the article; the upload is a version with a note
    assert kb_client.get(f"/api/kb/articles/{aid}", headers=auth("editor")).json()["attachments"] == [att]
    versions = kb_client.get(f"/api/kb/articles/{aid}/versions", headers=auth("editor")).json()
    assert versions[-1]["note"] == "添加附件：办事指南.pdf" and versions[0]["snapshot"]["attachments"] == []
    # a stale version number is refused
    assert _upload(kb_client, auth("editor"), aid, "b.pdf", PDF, version="1").status_code == 409

    # an ordinary edit that sends the attachments back keeps the file's metadata
    r = kb_client.patch(
        f"/api/kb/articles/{aid}", json={"title": "改标题", "attachments": [att]}, headers=auth("editor")
    )
    assert r.status_code == 200 and r.json()["attachments"] == [att]

    r = kb_client.delete(att["url"], headers=auth("editor"))
    assert r.status_code == 200, r.text
    assert r.json()["attachments"] == [] and r.json()["version"] == 4
    # the current article no longer lists it; its editors still reach it through the old version
    assert kb_client.get(att["url"], headers=auth("editor")).status_code == 200
    assert kb_client.delete(att["url"], headers=auth("editor")).status_code == 404
    restored = kb_client.post(f"/api/kb/articles/{aid}/versions/2/restore", headers=auth("editor"))
    assert restored.json()["attachments"] == [att]


def test_agents_download_published_only(kb_client, auth, new_article):
    draft = new_article()
    att = _upload(kb_client, auth("editor"), draft["id"], "a.pdf", PDF).json()["attachments"][0]
    assert kb_client.get(att["url"], headers=auth("agent01")).status_code == 404
    assert _upload(kb_client, auth("agent01"), draft["id"], "b.pdf", PDF).status_code in (403, 404)

    pub = new_article(publish=True)
    r = _upload(kb_client, auth("editor"), pub["id"], "政策.pdf", PDF)
    assert r.status_code == 201, r.text
    att = r.json()["attachments"][0]
    assert kb_client.get(att["url"], headers=auth("agent01")).content == PDF
    # a file id of another article is not served through this one
    assert (
        kb_client.get(f"/api/kb/articles/{pub['id']}/files/{'0' * 32}", headers=auth("agent01")).status_code
        == 404
    )
    assert (
        kb_client.get(f"/api/kb/articles/{pub['id']}/files/..%2F..%2Fx", headers=auth("agent01")).status_code
        == 404
    )


def test_upload_validation(kb_client, auth, new_article, monkeypatch):
    aid = new_article()["id"]
    h = auth("editor")
    cases = [
        ("run.exe", b"MZ\x90\x00", "application/octet-stream", "不支持的附件类型"),
        ("page.html", b"<script>x</script>", "text/html", "不支持的附件类型"),
        ("fake.pdf", b"<script>alert(1)</script>", "application/pdf", "不是有效的 .pdf"),
        ("pic.png", PDF, "image/png", "不是有效的 .png"),
        ("doc.pdf", PDF, "text/html", "不符"),
        ("empty.pdf", b"", "application/pdf", "空文件"),
        ("gbk.txt", "中文".encode("gbk"), "text/plain", "UTF-8"),
    ]
    for name, data, ctype, reason in cases:
        r = _upload(kb_client, h, aid, name, data, ctype)
        assert r.status_code == 422 and r.json()["field"] == "file", (name, r.text)
        assert reason in r.json()["detail"], (name, r.json()["detail"])
    monkeypatch.setattr(files, "MAX_FILE_BYTES", 1024)
    r = _upload(kb_client, h, aid, "big.pdf", PDF + b"0" * 2048)
    assert r.status_code == 422 and "不能超过" in r.json()["detail"]
    # nothing was attached and no version was made
    art = kb_client.get(f"/api/kb/articles/{aid}", headers=h).json()
    assert art["attachments"] == [] and art["version"] == 1
    ok = _upload(kb_client, h, aid, "说明.txt", "第一条".encode(), "text/plain")
    assert ok.status_code == 201 and ok.json()["attachments"][0]["content_type"].startswith("text/plain")


def test_safe_name():
    assert files.safe_name("..\\..\\a\\b.pdf") == "b.pdf"
    assert files.safe_name("x/\x00evil\r\n.pdf") == "evil.pdf"
    assert files.safe_name(".hidden.txt") == "hidden.txt"
    assert len(files.safe_name("长" * 300 + ".pdf")) == 120


def _stored(kb_app) -> set[Path]:
    root = Path(kb_app.state.settings.data_dir) / "kb" / "files"
    return {p for p in root.rglob("*") if p.is_file()} if root.exists() else set()


def test_failed_upload_leaves_no_file(kb_app, kb_client, kb_db, auth, scope_of, new_article):
    aid = new_article()["id"]
    before = _stored(kb_app)
    # refused after the file was written (stale version): the file goes with the transaction
    stale = _upload(kb_client, auth("editor"), aid, "过期.pdf", PDF, version="7")
    assert stale.status_code == 409, stale.text
    assert _stored(kb_app) == before

    data_dir = Path(kb_app.state.settings.data_dir)
    files.add_file(
        kb_db, scope_of("editor"), aid, data_dir=data_dir, filename="回滚.pdf", content_type=None, data=PDF
    )
    (written,) = _stored(kb_app) - before
    assert written.read_bytes() == PDF  # on disk while the transaction is open
    kb_db.rollback()  # e.g. the commit failed
    assert not written.exists() and _stored(kb_app) == before

    article = files.add_file(
        kb_db, scope_of("editor"), aid, data_dir=data_dir, filename="提交.pdf", content_type=None, data=PDF
    )
    kb_db.commit()
    kb_db.rollback()  # a later rollback does not touch what the commit kept
    (kept,) = _stored(kb_app) - before
    assert kept.name == article.attachments[-1]["file_id"]
