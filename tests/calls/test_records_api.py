"""Call records: CDR search and scoping, recordings (permission-bound, logged), voicemails, missed calls."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from models.calls import Call, Disposition, RecordingAccess
from switch import store
from tests.calls.conftest import problem

BASE = datetime(2025, 6, 2, 2, 0, tzinfo=UTC)


@pytest.fixture
def calls(db, ids, unique) -> dict[str, object]:
    """Four CDRs with unique numbers: centre/agent01 answered, centre/agent02 answered, centre abandoned,
    青秀区/agent12 answered."""
    prefix = f"1{int(unique, 16) % 10**6:06d}"
    rows = [
        ("a", ids["NN"], f"{prefix}0001", "agent01", "general", 0),
        ("b", ids["NN"], f"{prefix}0002", "agent02", "complaint", 10),
        ("c", ids["NN"], f"{prefix}0003", None, "general", 20),
        ("d", ids["NN-QX"], f"{prefix}0004", "agent12", "qx-general", 30),
    ]
    out: dict[str, object] = {"prefix": prefix}
    for key, tenant, caller, agent, group, minute in rows:
        start = BASE + timedelta(minutes=minute)
        uuid = f"{unique}-{key}"
        fields = dict(
            tenant_id=tenant,
            caller=caller,
            called="12345",
            started_at=start,
            answered_at=start,
            queue_entered_at=start + timedelta(seconds=20),
            ivr_path="main:1",
        )
        if agent:
            fields |= dict(
                agent_user_id=ids[agent],
                agent_number=f"{1000 + int(agent[-2:])}",
                ring_started_at=start + timedelta(seconds=30),
                agent_answered_at=start + timedelta(seconds=35),
            )
        store.upsert_call(db, uuid, skill_group=group, **fields)
        out[key] = store.finish_call(
            db, uuid, ended_at=start + timedelta(seconds=155), hangup_cause="NORMAL_CLEARING"
        )
    db.commit()
    return out


def test_finish_call_derives_durations_and_disposition(calls):
    a, c = calls["a"], calls["c"]
    assert a.disposition == Disposition.answered
    assert (a.wait_s, a.ring_s, a.talk_s) == (15.0, 5.0, 120.0)
    assert c.disposition == Disposition.abandoned and c.abandon_stage == "queue" and c.wait_s == 135.0


def test_upsert_is_idempotent_and_rejects_unknown_fields(db, unique):
    store.upsert_call(db, f"{unique}-x", caller="1", called="12345", tenant_id=1)
    store.upsert_call(db, f"{unique}-x", hold_s=12.5)
    call = store.upsert_call(db, f"{unique}-x", satisfaction=5)
    assert call.caller == "1" and call.hold_s == 12.5 and call.satisfaction == 5
    from models.errors import Invalid

    with pytest.raises(Invalid):
        store.upsert_call(db, f"{unique}-x", colour="red")
    with pytest.raises(Invalid):
        store.set_satisfaction(db, f"{unique}-x", 7)
    db.rollback()


def test_search_by_number_agent_outcome_time_and_pagination(client, auth, calls, ids):
    prefix = calls["prefix"]
    h = auth("admin")
    r = client.get(f"/api/cdrs?number={prefix}", headers=h).json()
    assert r["total"] == 4 and [c["caller"][-1] for c in r["items"]] == ["4", "3", "2", "1"]  # newest first
    r = client.get(f"/api/cdrs?number={prefix}&size=3&page=2", headers=h).json()
    assert r["total"] == 4 and len(r["items"]) == 1 and r["page"] == 2
    r = client.get(f"/api/cdrs?number={prefix}&agent_number=1002", headers=h).json()
    assert [c["caller"] for c in r["items"]] == [f"{prefix}0002"]
    r = client.get(f"/api/cdrs?number={prefix}&disposition=abandoned", headers=h).json()
    assert [c["caller"] for c in r["items"]] == [f"{prefix}0003"]
    assert r["items"][0]["disposition_label"] == "放弃"
    start = (BASE + timedelta(minutes=5)).isoformat()
    end = (BASE + timedelta(minutes=25)).isoformat()
    r = client.get("/api/cdrs", params={"number": prefix, "start": start, "end": end}, headers=h).json()
    assert sorted(c["caller"][-1] for c in r["items"]) == ["2", "3"]
    r = client.get(f"/api/cdrs?number={prefix}&skill_group_id={ids['general']}", headers=h).json()
    assert r["total"] == 2
    problem(client.get("/api/cdrs?disposition=lost", headers=h), 422, "disposition")
    problem(client.get("/api/cdrs?start=yesterday", headers=h), 422, "start")
    problem(client.get("/api/cdrs?size=500", headers=h), 422, "size")


def test_cdr_scoping(client, auth, calls):
    prefix = calls["prefix"]

    def callers(user):
        r = client.get(f"/api/cdrs?number={prefix}", headers=auth(user))
        assert r.status_code == 200, r.text
        return sorted(c["caller"][-1] for c in r.json()["items"])

    assert callers("supervisor") == ["1", "2", "3", "4"]
    assert callers("qx_super") == ["4"]  # a workstation supervisor: their district only
    assert callers("ws_qx") == ["4"]
    assert callers("xn_admin") == []
    assert callers("agent01") == ["1"]  # agents: their own calls
    assert callers("agent12") == ["4"]
    problem(client.get(f"/api/cdrs/{calls['a'].id}", headers=auth("agent02")), 404)
    problem(client.get(f"/api/cdrs/{calls['a'].id}", headers=auth("qx_super")), 404)
    assert client.get(f"/api/cdrs/{calls['a'].id}", headers=auth("agent01")).json()["talk_s"] == 120.0
    problem(client.get("/api/cdrs", headers=auth("police_handler")), 403)


@pytest.fixture
def recording(db, calls, unique, tmp_path):
    path = tmp_path / f"{unique}.wav"
    path.write_bytes(b"RIFF" + b"\0" * 4 + b"WAVEfmt " + bytes(range(256)) * 40)
    rec = store.add_recording(db, call_uuid=calls["a"].uuid, path=str(path), started_at=BASE)
    store.finish_recording(db, path=str(path), ended_at=BASE + timedelta(seconds=120))
    db.commit()
    return rec


def _log(db, rec_id):
    db.expire_all()
    return [
        a.action
        for a in db.query(RecordingAccess).filter_by(recording_id=rec_id).order_by(RecordingAccess.id)
    ]


def test_recording_play_download_are_logged(client, auth, db, recording, ids):
    assert recording.tenant_id == ids["NN"] and recording.agent_user_id == ids["agent01"]
    assert recording.duration_s == 120.0 and recording.size_bytes > 10000
    r = client.get(f"/api/recordings/{recording.id}/audio", headers=auth("qa"))
    assert r.status_code == 200 and r.headers["content-type"] == "audio/wav"
    assert r.content.startswith(b"RIFF")
    r = client.get(f"/api/recordings/{recording.id}/audio", headers={**auth("qa"), "Range": "bytes=100-199"})
    assert r.status_code == 206 and len(r.content) == 100
    r = client.get(f"/api/recordings/{recording.id}/download", headers=auth("supervisor"))
    assert r.status_code == 200 and "attachment" in r.headers["content-disposition"]
    assert _log(db, recording.id) == ["play", "download"]  # the range request is part of the same playback
    listed = client.get(f"/api/recordings?call_uuid={recording.call_uuid}", headers=auth("qa")).json()
    assert [x["id"] for x in listed["items"]] == [recording.id]
    caller = db.get(Call, recording.call_id).caller
    listed = client.get(f"/api/recordings?number={caller}", headers=auth("qa")).json()
    assert [x["id"] for x in listed["items"]] == [recording.id]
    assert client.get("/api/recordings?number=00000000000", headers=auth("qa")).json()["total"] == 0


def test_recording_visibility(client, auth, recording):
    assert client.get(f"/api/recordings/{recording.id}", headers=auth("agent01")).status_code == 200
    problem(client.get(f"/api/recordings/{recording.id}", headers=auth("agent02")), 404)
    problem(client.get(f"/api/recordings/{recording.id}/audio", headers=auth("qx_super")), 404)
    problem(client.get(f"/api/recordings/{recording.id}/audio", headers=auth("dispatcher")), 403)


def test_recording_delete_is_admin_only_needs_a_reason_and_is_logged(client, auth, db, recording):
    from pathlib import Path

    problem(client.delete(f"/api/recordings/{recording.id}?reason=不需要", headers=auth("supervisor")), 403)
    problem(client.delete(f"/api/recordings/{recording.id}?reason=不需要", headers=auth("qa")), 403)
    problem(client.delete(f"/api/recordings/{recording.id}", headers=auth("admin")), 422, "reason")
    problem(client.delete(f"/api/recordings/{recording.id}?reason=不需要", headers=auth("qx_admin")), 404)
    assert Path(recording.path).is_file()
    r = client.delete(f"/api/recordings/{recording.id}?reason=当事人依法申请删除", headers=auth("admin"))
    assert r.status_code == 204
    assert not Path(recording.path).exists()
    log = client.get(f"/api/recordings/{recording.id}/access-log", headers=auth("admin")).json()
    assert log[0]["action"] == "delete" and log[0]["detail"] == "当事人依法申请删除"
    problem(client.get(f"/api/recordings/{recording.id}", headers=auth("admin")), 404)
    problem(client.delete(f"/api/recordings/{recording.id}?reason=再删一次", headers=auth("admin")), 404)


def test_missing_file_is_404(client, auth, db, calls, unique):
    rec = store.add_recording(db, call_uuid=calls["b"].uuid, path=f"/nonexistent/{unique}.wav")
    db.commit()
    problem(client.get(f"/api/recordings/{rec.id}/audio", headers=auth("qa")), 404)


def test_voicemails(client, auth, db, ids, unique, tmp_path):
    audio = tmp_path / "vm.wav"
    audio.write_bytes(b"RIFF" + b"\1" * 500)
    vm = store.add_voicemail(
        db,
        call_uuid=f"{unique}-vm",
        caller="13800000001",
        called="123451",
        tenant_id=ids["NN-QX"],
        reason="after_hours",
        path=str(audio),
        duration_s=12.0,
    )
    db.commit()
    items = client.get("/api/voicemails?status=new&size=100", headers=auth("qx_super")).json()["items"]
    assert vm.id in {v["id"] for v in items}
    assert vm.id not in {
        v["id"] for v in client.get("/api/voicemails?size=100", headers=auth("xn_admin")).json()["items"]
    }
    assert client.get(f"/api/voicemails/{vm.id}/audio", headers=auth("qx_super")).content.startswith(b"RIFF")
    r = client.post(f"/api/voicemails/{vm.id}/handle", json={"note": "已回电"}, headers=auth("qx_super"))
    assert (
        r.status_code == 200
        and r.json()["status"] == "handled"
        and r.json()["handled_by_id"] == ids["qx_super"]
    )
    problem(client.post(f"/api/voicemails/{vm.id}/handle", json={}, headers=auth("qx_super")), 409, "status")


def test_abandoned_and_missed_calls(client, auth, db, ids, calls, unique):
    ab = store.record_abandoned(
        db,
        call_uuid=calls["c"].uuid,
        caller=calls["c"].caller,
        stage="queue",
        tenant_id=ids["NN"],
        skill_group="general",
        waited_s=135.0,
        position=2,
    )
    ms = store.record_missed(
        db,
        call_uuid=calls["a"].uuid,
        caller=calls["a"].caller,
        agent_user_id=ids["agent02"],
        ring_s=20.0,
        tenant_id=ids["NN"],
        skill_group="general",
    )
    db.commit()
    r = client.get(
        "/api/missed-calls?kind=abandoned&callback_status=pending&size=200", headers=auth("supervisor")
    )
    assert ab.id in {m["id"] for m in r.json()["items"]}
    assert ms.id not in {m["id"] for m in r.json()["items"]}
    mine = client.get("/api/missed-calls?kind=missed&size=200", headers=auth("agent02")).json()["items"]
    assert ms.id in {m["id"] for m in mine} and all(m["agent_user_id"] == ids["agent02"] for m in mine)
    others = client.get("/api/missed-calls?kind=missed&size=200", headers=auth("agent03")).json()["items"]
    assert ms.id not in {m["id"] for m in others}
    to_call_back = client.get("/api/missed-calls?kind=abandoned&size=200", headers=auth("agent03")).json()[
        "items"
    ]
    assert ab.id in {
        m["id"] for m in to_call_back
    }  # the tenant's abandoned calls are everyone's to call back
    problem(client.get("/api/missed-calls?kind=lost", headers=auth("supervisor")), 422, "kind")
    r = client.post(
        f"/api/missed-calls/{ab.id}/callback", json={"status": "done"}, headers=auth("supervisor")
    )
    assert r.status_code == 200 and r.json()["callback_status"] == "done"
    problem(client.post(f"/api/missed-calls/{ab.id}/callback", json={}, headers=auth("supervisor")), 409)
    problem(client.post(f"/api/missed-calls/{ab.id}/callback", json={}, headers=auth("qx_super")), 404)


def test_missed_call_without_tenant_takes_it_from_the_cdr(db, calls, ids):
    row = store.record_missed(
        db, call_uuid=calls["d"].uuid, caller=calls["d"].caller, agent_user_id=ids["agent12"], ring_s=20.0
    )
    assert row.tenant_id == ids["NN-QX"] and row.skill_group_id == ids["qx-general"]
    from models.errors import Invalid

    with pytest.raises(Invalid) as err:
        store.upsert_call(db, calls["d"].uuid, disposition="lost")
    assert err.value.field == "disposition"
    db.rollback()


def test_ticket_progress_self_service(db, ids, unique):
    from models.org import User
    from models.scope import scope_for
    from tickets import service as tickets

    phone = f"139{int(unique, 16) % 10**8:08d}"
    scope = scope_for(db, db.get(User, ids["admin"]))
    ticket = tickets.accept(
        db,
        scope,
        channel="web",
        citizen_phone=phone,
        appeal_type="consultation",
        title="路灯不亮",
        content="某路段路灯连续三晚不亮",
    )
    db.commit()
    digits = ticket.number[-14:] if len(ticket.number) > 14 else ticket.number
    digits = "".join(ch for ch in digits if ch.isdigit())
    prompt = store.ticket_progress_prompt(db, digits, caller=phone)
    assert prompt.startswith("say:您查询的工单") and "状态为" in prompt and "已受理" in prompt
    assert "隐私" in store.ticket_progress_prompt(db, digits, caller="13800000000")
    assert "未查询到" in store.ticket_progress_prompt(db, "999999999999999", caller=phone)
    assert "有误" in store.ticket_progress_prompt(db, "12", caller=phone)


def test_concurrent_handling_exactly_one_wins(client, auth, db, ids, unique):
    from concurrent.futures import ThreadPoolExecutor

    vm = store.add_voicemail(
        db,
        call_uuid=f"{unique}-race",
        caller="13800000002",
        called="12345",
        tenant_id=ids["NN"],
        reason="overflow",
    )
    db.commit()
    headers = auth("supervisor")

    def handle(i: int) -> int:
        return client.post(
            f"/api/voicemails/{vm.id}/handle", json={"note": f"第{i}位"}, headers=headers
        ).status_code

    with ThreadPoolExecutor(max_workers=6) as pool:
        codes = sorted(pool.map(handle, range(6)))
    assert codes == [200, 409, 409, 409, 409, 409]
    db.expire_all()
    assert db.get(type(vm), vm.id).status == "handled"


def test_call_stats(client, auth, db, ids, unique):
    base = datetime(2024, 1, 8, 1, 0, tzinfo=UTC)
    # (wait, answered?, satisfaction): 3 answered (waits 5, 15, 40), 1 abandoned, 1 IVR hang-up (not offered)
    rows = [(5, True, 5), (15, True, None), (40, True, 3), (30, False, None)]
    for i, (wait, ok, rating) in enumerate(rows):
        uuid = f"{unique}-s{i}"
        start = base + timedelta(minutes=i)
        queued = start + timedelta(seconds=10)
        fields = dict(
            tenant_id=ids["NN"],
            caller="13800000000",
            called="12345",
            started_at=start,
            queue_entered_at=queued,
        )
        if ok:
            fields |= dict(
                agent_answered_at=queued + timedelta(seconds=wait),
                hold_s=10.0,
                wrap_up_s=15.0,
                satisfaction=rating,
                agent_user_id=ids["agent01"],
            )
        store.upsert_call(db, uuid, skill_group="general", **fields)
        store.finish_call(db, uuid, ended_at=queued + timedelta(seconds=wait + (100 if ok else 0)))
    store.upsert_call(db, f"{unique}-ivr", tenant_id=ids["NN"], caller="1", called="12345", started_at=base)
    store.finish_call(db, f"{unique}-ivr", ended_at=base + timedelta(seconds=20))
    db.commit()
    params = {"start": base.isoformat(), "end": (base + timedelta(hours=1)).isoformat()}
    r = client.get("/api/cdrs/stats", params=params, headers=auth("supervisor"))
    assert r.status_code == 200, r.text
    s = r.json()
    assert (s["calls"], s["offered"], s["answered"], s["abandoned"]) == (5, 4, 3, 1)
    assert s["service_level_20s"] == 0.5 and s["answer_rate"] == 0.75 and s["abandon_rate"] == 0.25
    assert s["avg_wait_s"] == 22.5 and s["avg_talk_s"] == 100.0 and s["avg_hold_s"] == 10.0
    assert s["rated"] == 2 and s["rating_rate"] == 0.6667 and s["avg_satisfaction"] == 4.0
    assert s["by_disposition"] == {"answered": 3, "abandoned": 1, "ivr_hangup": 1}
    assert client.get("/api/cdrs/stats", params=params, headers=auth("qx_super")).json()["calls"] == 0
    problem(client.get("/api/cdrs/stats", params=params, headers=auth("agent01")), 403)


def test_number_search_treats_wildcards_literally(client, auth, calls):
    assert client.get("/api/cdrs?number=%25", headers=auth("admin")).json()["total"] == 0
    assert client.get("/api/cdrs?number=_", headers=auth("admin")).json()["total"] == 0
