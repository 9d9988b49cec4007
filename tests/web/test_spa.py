"""The built web UI is served from the API's origin, with the SPA fallback not hiding API 404s."""

from __future__ import annotations

import re

import httpx


def test_spa_routes_serve_index_and_assets(base_url):
    for path in ("/", "/login", "/tickets/42", "/m/tickets/7"):
        r = httpx.get(base_url + path)
        assert r.status_code == 200
        assert '<div id="app">' in r.text
    script = re.search(r'src="(/assets/[^"]+\.js)"', httpx.get(base_url + "/").text).group(1)
    r = httpx.get(base_url + script)
    assert r.status_code == 200 and "javascript" in r.headers["content-type"]


def test_unknown_api_path_is_problem_404(base_url):
    r = httpx.get(base_url + "/api/no-such-thing")
    assert r.status_code == 404
    assert r.headers["content-type"].startswith("application/problem+json")
    assert "/api/no-such-thing" in r.json()["detail"]
