"""The UI in Firefox (issue 7 names current Chrome, Edge, Firefox and 360; the others are Chromium).

Playwright's own Firefox build cannot be downloaded, so Debian's Firefox ESR is driven over WebDriver
BiDi by puppeteer-core (a devDependency of api/web) from tests/web/firefox_pages.mjs.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import DEMO_PASSWORD
from tests.web.conftest import DESKTOP, PHONE, ROOT, SCREENSHOTS

pytestmark = pytest.mark.browser

FIREFOX = "/usr/bin/firefox-esr"
WEB = ROOT / "api" / "web"

# user → (viewport, [(path, text proving the page rendered its API data, screenshot name)])
SESSIONS = {
    "agent01": (
        DESKTOP,
        [
            ("/home", "黄小燕", "agent-home"),
            ("/agent", "受理单", "agent-desk"),
            ("/tickets", "全部工单", "tickets-workbench"),
            ("/calls", "放弃与未接", "call-records"),
            ("/kb", "知识分类", "kb-portal"),
            ("/kb/yellow-pages", "南宁市公安局", "kb-yellow-pages"),
            ("/kb/questions", "知识提问", "kb-questions"),
        ],
    ),
    "supervisor": (
        DESKTOP,
        [
            ("/home", "覃班长", "supervisor-home"),
            ("/monitor", "1001", "supervisor-monitor"),
            ("/wallboard", "话务实时大屏", "supervisor-wallboard"),
            ("/tickets", "已超期", "supervisor-tickets"),
            ("/reports/tickets", "派单及时率", "reports-ticket-kpis"),
            ("/qa", "待复核", "qa-reviews"),
            ("/hotspots", "热点问题日报", "hotspots"),
            ("/dispatch/models", "影子运行统计", "dispatch-models"),
        ],
    ),
    "police_handler": (PHONE, [("/m", "待办", "mobile-inbox"), ("/m/search", "查询", "mobile-search")]),
}


def _run(base_url: str, tmp_path: Path) -> dict:
    if not Path(FIREFOX).exists():
        pytest.fail("缺少 /usr/bin/firefox-esr：请运行 scripts/setup.sh test")
    if not (WEB / "node_modules" / "puppeteer-core").is_dir():
        pytest.fail("缺少 puppeteer-core：请运行 scripts/setup.sh（npm ci）")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    spec = {
        "baseUrl": base_url,
        "webDir": str(WEB),
        "shots": str(SCREENSHOTS),
        "firefox": FIREFOX,
        "sessions": [
            {
                "user": user,
                "password": DEMO_PASSWORD,
                "viewport": viewport,
                "pages": [{"path": p, "text": t, "name": n} for p, t, n in pages],
            }
            for user, (viewport, pages) in SESSIONS.items()
        ],
    }
    spec_file = tmp_path / "firefox-spec.json"
    spec_file.write_text(json.dumps(spec, ensure_ascii=False))
    home = tmp_path / "home"  # Firefox writes its profile bits under HOME
    home.mkdir()
    proc = subprocess.run(
        [shutil.which("node") or "node", str(Path(__file__).with_name("firefox_pages.mjs")), str(spec_file)],
        capture_output=True,
        text=True,
        timeout=600,
        env={"PATH": "/usr/bin:/bin", "HOME": str(home), "LANG": "zh_CN.UTF-8", "MOZ_HEADLESS": "1"},
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout)


def test_main_pages_work_in_firefox_esr(base_url, switchboard, tmp_path):
    report = _run(base_url, tmp_path)
    assert report["browser"].lower().startswith("firefox/"), report["browser"]
    problems = []
    for session in report["sessions"]:
        if not session["login"]:
            problems.append(f"{session['user']} 登录失败: {session.get('error')} {session.get('console')}")
        for page in session["pages"]:
            where = f"{session['user']} {page['path']}"
            if not page["found"]:
                problems.append(f"{where}: 未显示「{page['text']}」 {page['errors']}")
            for key in ("console", "pageErrors", "serverErrors", "errorToasts"):
                if page.get(key):
                    problems.append(f"{where} {key}: {page[key]}")
            if page["found"] and not Path(page["screenshot"]).stat().st_size:
                problems.append(f"{where}: 截图为空")
    assert not problems, "\n".join(problems)
    opened = [p for s in report["sessions"] for p in s["pages"]]
    assert len(opened) == sum(len(pages) for _, pages in SESSIONS.values())
    print(f"\nFirefox {report['browser']}: {len(opened)} 个页面截图已保存到 {SCREENSHOTS}/firefox-*.png")
