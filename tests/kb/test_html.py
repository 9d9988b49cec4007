"""HTML bodies are sanitised on write (allow-list); markdown bodies are stored as written."""

from __future__ import annotations

from kb.html import sanitise_html

EVIL = (
    '<p onclick="steal()">办理指南<script>alert(1)</script></p>'
    '<a href="javascript:alert(1)">点我</a><a href="/api/kb/articles/1">站内</a>'
    '<img src="https://example.org/a.png" onerror="alert(2)"><iframe src="https://x"></iframe>'
)


def _clean(body: str) -> None:
    low = body.lower()
    assert "<script" not in low and "alert(1)</script" not in low
    assert "onclick" not in low and "onerror" not in low
    assert "javascript:" not in low and "<iframe" not in low


def test_sanitise_allow_list():
    out = sanitise_html(EVIL)
    _clean(out)
    assert "<p>办理指南</p>" in out
    assert 'href="/api/kb/articles/1"' in out and 'src="https://example.org/a.png"' in out


def test_html_body_sanitised_on_create_edit_and_format_switch(kb_client, auth, new_article):
    art = new_article(body=EVIL, body_format="html")
    _clean(art["body"])
    assert "办理指南" in art["body"]
    r = kb_client.patch(
        f"/api/kb/articles/{art['id']}",
        json={"body": '<div><b>新</b><svg onload="x()"></svg></div>'},
        headers=auth("editor"),
    )
    assert r.status_code == 200, r.text
    assert r.json()["body"] == "<div><b>新</b></div>"

    md = new_article(body="# 标题\n<script>x</script> `代码`")
    assert md["body"] == "# 标题\n<script>x</script> `代码`"  # markdown is rendered escaped by clients
    r = kb_client.patch(f"/api/kb/articles/{md['id']}", json={"body_format": "html"}, headers=auth("editor"))
    assert r.status_code == 200, r.text
    assert "<script" not in r.json()["body"] and r.json()["body_format"] == "html"
    versions = kb_client.get(f"/api/kb/articles/{md['id']}/versions", headers=auth("editor")).json()
    assert "<script" not in versions[-1]["snapshot"]["body"]
