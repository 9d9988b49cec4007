"""Satisfaction survey: a timeout leaves satisfaction empty; the per-tenant switch (call settings, through
the calls API) turns it off, and the controller picks the change up from the bus notice at once."""

from __future__ import annotations

from pathlib import Path

import gevent
import pytest

from switch.controller import SURVEY_PROMPT
from switch.prompts import prompt_url
from switch.simulator import CallerScript
from tests.switch.rig import Rig, wait_until
from tests.switch.test_call_features import _playbacks
from tests.switch.test_softphone_api import in_thread


@pytest.fixture
def rig(app, tmp_path: Path):
    r = Rig(app.state.settings.resolved_database_url(), tmp_path, namespace="hotline")
    yield r
    r.close()


def _survey_played(played: dict[str, list[str]], uuid: str) -> bool:
    return any(path == prompt_url(SURVEY_PROMPT) for path in played.get(uuid, []))


def test_survey_timeout_and_the_tenant_switch(client, auth, rig: Rig) -> None:
    played = _playbacks(rig)
    # the caller keys 1 in the menu and nothing in the survey: no rating, not a default one
    uuid = rig.sim.call(CallerScript(number="13877730051", digits=["1"], talk_seconds=3))
    rig.wait_connected(uuid)
    call = rig.wait_cdr_closed(uuid)
    assert call.disposition == "answered" and call.satisfaction is None
    assert _survey_played(played, uuid)

    admin = auth("admin")
    tenant = rig.ctrl.acd.config.tenant_for_called("12345")
    url = f"/api/call-settings/{tenant.tenant_id}"
    current = in_thread(client.get, url, headers=admin).json()
    assert current["survey_enabled"] is True
    body = {k: current[k] for k in current if k not in ("tenant_id",)}
    bad = in_thread(client.put, url, json={**body, "survey_enabled": "maybe"}, headers=admin)
    assert bad.status_code == 422 and "survey_enabled" in bad.text
    try:
        r = in_thread(client.put, url, json={**body, "survey_enabled": False}, headers=admin)
        assert r.status_code == 200 and r.json()["survey_enabled"] is False
        # announced on calls:config: reloaded well before the 30 s safety poll
        wait_until(lambda: not rig.ctrl.acd.config.tenant(tenant.tenant_id).survey, 5, "config reloaded")
        uuid = rig.sim.call(CallerScript(number="13877730052", digits=["1", "1"], talk_seconds=3))
        rig.wait_connected(uuid)
        call = rig.wait_cdr_closed(uuid)
        assert call.disposition == "answered" and call.satisfaction is None  # it would have been 5
        gevent.sleep(0.5)
        assert not _survey_played(played, uuid)
    finally:
        r = in_thread(client.put, url, json={**body, "survey_enabled": True}, headers=admin)
        assert r.status_code == 200 and r.json()["survey_enabled"] is True
    wait_until(lambda: rig.ctrl.acd.config.tenant(tenant.tenant_id).survey, 5, "config reloaded again")
    uuid = rig.sim.call(CallerScript(number="13877730053", digits=["1", "2"], talk_seconds=3))
    rig.wait_connected(uuid)
    assert rig.wait_cdr_closed(uuid).satisfaction == 3  # 基本满意
