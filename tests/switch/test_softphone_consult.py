"""POST /api/softphone/consult/complete and /consult/cancel through the bus to the controller."""

from __future__ import annotations

from pathlib import Path

import pytest

from switch.simulator import CallerScript
from tests.switch.rig import Rig, wait_until
from tests.switch.test_softphone_api import post


@pytest.fixture
def rig(app, tmp_path: Path):
    r = Rig(app.state.settings.resolved_database_url(), tmp_path, ready=False, namespace="hotline")
    yield r
    r.close()


def test_consult_complete_and_cancel_endpoints(client, auth, rig: Rig) -> None:
    first, second = auth("agent01"), auth("agent02")
    for who, ext in ((first, "8001"), (second, "8002")):
        assert post(client, "login", who, extension=ext, ready=True).status_code == 200
    assert post(client, "consult/complete", first).status_code == 409  # no call, no consult
    assert post(client, "consult/cancel", first).status_code == 409
    # 1001 takes the call (1002 made busy meanwhile), then consults 1002 and cancels, consults again and completes
    rig.ctrl.apply_acd(rig.ctrl.acd.set_not_ready("1002", "小休"))
    uuid = rig.sim.call(CallerScript(number="13877730021", digits=["1"], talk_seconds=300))
    assert rig.wait_connected(uuid) == "1001"
    rig.ctrl.apply_acd(rig.ctrl.acd.set_ready("1002"))
    assert post(client, "consult/complete", first).status_code == 409  # connected, but no consult
    assert post(client, "consult", first, target="1002").status_code == 200
    wait_until(lambda: rig.ctrl.calls[uuid].consult_answered, 30, "1002 answered")
    assert post(client, "consult/cancel", second, agent_number="1001").status_code == 403  # not 1002's to do
    r = post(client, "consult/cancel", first)
    assert r.status_code == 200 and r.json()["agent_number"] == "1001", r.text
    wait_until(lambda: rig.ctrl.acd.agents["1002"].state.value != "in_call", 20, "1002 released")
    if rig.ctrl.acd.agents["1002"].state.value != "ready":
        rig.ctrl.apply_acd(rig.ctrl.acd.set_ready("1002"))  # skip its wrap-up
    assert post(client, "consult", first, target="1002").status_code == 200
    wait_until(lambda: rig.ctrl.calls[uuid].consult_answered, 30, "1002 answered again")
    r = post(client, "consult/complete", first)
    assert r.status_code == 200 and r.json() == {
        "call_uuid": uuid,
        "transferred_to": "坐席1002",
        "agent_number": "1002",
    }
    assert post(client, "hangup", second).status_code == 200
    call = rig.wait_cdr_closed(uuid)
    assert call.agent_number == "1002" and call.transferred_to == "坐席1002"
