"""/api/qa: rules per tenant, transcripts beside the player, scores, review, appeals, alerts, stats."""

from __future__ import annotations

import shutil
import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.orm import sessionmaker

from assist.qa import service
from models.qa import QaPolicy, ScoreStatus
from tests.assist.asr_qa.conftest import AUDIO
from tests.assist.asr_qa.helpers import ANGRY, GOOD, NO_GREETING, scored_call, segment, user


@pytest.fixture
def strict_policy(db):
    """Review everything below 96 and sample nothing extra beyond the 5 % floor."""
    tenant_id = user(db, "agent01").tenant_id
    service.set_policy(db, tenant_id, sample_rate=0.05, review_threshold=96)
    db.commit()
    yield
    service.set_policy(db, tenant_id, review_threshold=80)
    db.commit()


def test_rules_crud_and_validation(client, auth):
    qa = auth("qa")
    rules = client.get("/api/qa/rules", headers=qa).json()
    assert {"greeting", "closing", "forbidden", "emotion", "ticket_consistency"} <= {r["code"] for r in rules}

    body = {
        "code": "no_slang_t",
        "name": "网络用语",
        "kind": "keywords",
        "params": {"words": ["亲", "集美"], "label": "网络用语"},
        "deduction": 2,
        "max_deduction": 4,
    }
    r = client.post("/api/qa/rules", json=body, headers={**qa, "Idempotency-Key": "rule-no-slang"})
    assert r.status_code == 201, r.text
    rule = r.json()
    retry = client.post("/api/qa/rules", json=body, headers={**qa, "Idempotency-Key": "rule-no-slang"})
    assert retry.status_code == 201 and retry.json()["id"] == rule["id"]  # the first result, nothing new
    assert client.post("/api/qa/rules", json=body, headers=qa).status_code == 409  # code taken

    bad = client.post("/api/qa/rules", json={**body, "code": "x1", "kind": "magic"}, headers=qa)
    assert bad.status_code == 422 and bad.json()["field"] == "kind"
    bad = client.post("/api/qa/rules", json={**body, "code": "x2", "params": {"words": []}}, headers=qa)
    assert bad.status_code == 422 and bad.json()["field"] == "params.words"
    bad = client.post("/api/qa/rules", json={**body, "code": "x3", "deduction": 500}, headers=qa)
    assert bad.status_code == 422 and bad.json()["field"] == "deduction"

    r = client.patch(
        f"/api/qa/rules/{rule['id']}", json={"weight": 2, "version": rule["version"]}, headers=qa
    )
    assert r.status_code == 200 and r.json()["weight"] == 2
    stale = client.patch(
        f"/api/qa/rules/{rule['id']}", json={"weight": 3, "version": rule["version"]}, headers=qa
    )
    assert stale.status_code == 409
    # agents may not change rules; supervisors may read them
    assert (
        client.patch(f"/api/qa/rules/{rule['id']}", json={"weight": 1}, headers=auth("agent01")).status_code
        == 403
    )
    assert client.get(f"/api/qa/rules/{rule['id']}", headers=auth("supervisor")).status_code == 200
    assert client.delete(f"/api/qa/rules/{rule['id']}", headers=qa).status_code == 204
    assert client.get(f"/api/qa/rules/{rule['id']}", headers=qa).status_code == 404


def test_policy_enforces_five_percent_floor(client, auth):
    qa = auth("qa")
    r = client.put("/api/qa/policy", json={"sample_rate": 0.01}, headers=qa)
    assert r.status_code == 422 and r.json()["field"] == "sample_rate"
    r = client.put("/api/qa/policy", json={"sample_rate": 0.1}, headers=qa)
    assert r.status_code == 200 and r.json()["sample_rate"] == 0.1
    assert client.put("/api/qa/policy", json={"sample_rate": 0.05}, headers=qa).status_code == 200


def test_transcript_beside_the_player_and_search(client, auth, db):
    transcript, score = scored_call(db, GOOD)
    qa = auth("qa")
    r = client.get(f"/api/qa/transcripts/{transcript.id}", headers=qa)
    assert r.status_code == 200
    body = r.json()
    assert body["status"] == "done" and body["score_id"] == score.id
    assert body["recording_url"].endswith(f"/transcripts/{transcript.id}/recording")
    assert [s["speaker"] for s in body["segments"]] == ["agent", "citizen", "agent", "citizen", "agent"]
    assert body["segments"][1]["start"] == 5.0

    hits = client.get("/api/qa/transcripts/search", params={"q": "路灯坏了"}, headers=qa).json()
    assert any(h["transcript_id"] == transcript.id and h["speaker"] == "citizen" for h in hits["items"])
    assert client.get("/api/qa/transcripts/search", params={"q": "燃气泄漏"}, headers=qa).json()["total"] == 0
    # the agent sees their own calls only
    other, _ = scored_call(db, GOOD, agent="agent02")
    assert client.get(f"/api/qa/transcripts/{other.id}", headers=auth("agent01")).status_code == 404
    assert client.get(f"/api/qa/transcripts/{transcript.id}", headers=auth("agent01")).status_code == 200
    own = client.get("/api/qa/transcripts/search", params={"q": "路灯坏了"}, headers=auth("agent01")).json()
    assert {h["agent_id"] for h in own["items"]} == {user(db, "agent01").id}
    # a recording file that is gone: 404 with a reason
    assert client.get(f"/api/qa/transcripts/{transcript.id}/recording", headers=qa).status_code == 404


def test_recording_plays_only_from_the_recording_directory(client, auth, db, app):
    inside = app.state.settings.data_dir / "recordings" / "call_standard.wav"
    inside.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(AUDIO / "call_standard.wav", inside)
    playable, _ = scored_call(db, GOOD, recording_path=str(inside))
    r = client.get(f"/api/qa/transcripts/{playable.id}/recording", headers=auth("qa"))
    assert r.status_code == 200 and r.headers["content-type"] == "audio/wav"
    assert r.content == inside.read_bytes()
    outside, _ = scored_call(db, GOOD, recording_path=str(AUDIO / "call_standard.wav"))
    assert client.get(f"/api/qa/transcripts/{outside.id}/recording", headers=auth("qa")).status_code == 404


def test_low_score_goes_to_review_then_reviewer_adjusts_and_rejects(client, auth, db, strict_policy):
    _t, score = scored_call(db, NO_GREETING)
    qa = auth("qa")
    body = client.get(f"/api/qa/scores/{score.id}", headers=qa).json()
    assert (
        body["score"] == 95 and body["status"] == "pending_review" and "low_score" in body["review_reasons"]
    )
    [greeting] = body["deductions"]
    assert greeting["rule_code"] == "greeting" and greeting["speaker"] == "agent" and greeting["start"] == 0.5
    assert greeting["words"] == "喂请讲"
    assert score.id in [
        s["id"] for s in client.get("/api/qa/reviews", params={"size": 200}, headers=qa).json()["items"]
    ]

    url = f"/api/qa/scores/{score.id}/deductions/{greeting['id']}/review"
    r = client.post(url, json={"action": "adjust", "points": 2, "note": "说了您好"}, headers=qa)
    assert r.status_code == 200 and r.json()["score"] == 98
    assert client.post(url, json={"action": "adjust"}, headers=qa).json()["field"] == "points"
    r = client.post(url, json={"action": "reject"}, headers=qa)
    assert r.json()["score"] == 100
    # agents cannot review
    assert client.post(url, json={"action": "confirm"}, headers=auth("agent01")).status_code == 403

    done = client.post(f"/api/qa/scores/{score.id}/complete-review", json={"note": "复核完成"}, headers=qa)
    assert done.status_code == 200 and done.json()["status"] == "reviewed" and done.json()["score"] == 100
    again = client.post(f"/api/qa/scores/{score.id}/complete-review", json={}, headers=qa)
    assert again.status_code == 409
    assert client.post(url, json={"action": "confirm"}, headers=qa).status_code == 409


def test_agent_appeals_and_reviewer_resolves(client, auth, db, strict_policy):
    _t, score = scored_call(db, NO_GREETING)
    qa, agent = auth("qa"), auth("agent01")
    client.post(f"/api/qa/scores/{score.id}/complete-review", json={}, headers=qa)
    deduction_id = client.get(f"/api/qa/scores/{score.id}", headers=qa).json()["deductions"][0]["id"]

    assert client.post(
        f"/api/qa/scores/{score.id}/appeals", json={"reason": "不是我"}, headers=auth("agent02")
    ).status_code in (403, 404)
    appeal_body = {"reason": "开头说了您好，系统没识别", "deduction_id": deduction_id}
    keyed = {**agent, "Idempotency-Key": f"appeal-{score.id}"}
    r = client.post(f"/api/qa/scores/{score.id}/appeals", json=appeal_body, headers=keyed)
    assert r.status_code == 201, r.text
    appeal = r.json()
    retry = client.post(f"/api/qa/scores/{score.id}/appeals", json=appeal_body, headers=keyed)
    assert retry.status_code == 201 and retry.json()["id"] == appeal["id"]
    assert (
        client.post(
            f"/api/qa/scores/{score.id}/appeals", json={"reason": "再申诉"}, headers=agent
        ).status_code
        == 409
    )
    assert appeal["id"] in [
        a["id"] for a in client.get("/api/qa/appeals", params={"status": "open"}, headers=agent).json()
    ]

    r = client.post(
        f"/api/qa/appeals/{appeal['id']}/resolve", json={"accept": True, "note": "已核实"}, headers=qa
    )
    assert r.status_code == 200 and r.json()["status"] == "accepted"
    history = client.get(f"/api/qa/scores/{score.id}/history", headers=agent).json()
    assert [h["action"] for h in history] == ["complete_review", "appeal", "resolve_appeal"]
    assert history[-1]["points_after"] == 100 and history[1]["deduction_id"] == deduction_id
    final = client.get(f"/api/qa/scores/{score.id}", headers=agent).json()
    assert final["status"] == "final" and final["score"] == 100 and final["auto_score"] == 95
    assert (
        client.post(f"/api/qa/appeals/{appeal['id']}/resolve", json={"accept": False}, headers=qa).status_code
        == 409
    )


def test_concurrent_reviews_one_wins(app, db, strict_policy):
    _t, score = scored_call(db, NO_GREETING)
    from models.scope import scope_for

    factory = sessionmaker(app.state.engine, expire_on_commit=False)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def complete() -> None:
        session = factory()
        try:
            s = service.get_score(session, scope_for(session, user(session, "qa")), score.id)
            barrier.wait()
            service.complete_review(session, scope_for(session, user(session, "qa")), s)
            session.commit()
            outcomes.append("ok")
        except Exception as exc:  # the loser must see a Conflict
            session.rollback()
            outcomes.append(type(exc).__name__)
        finally:
            session.close()

    threads = [threading.Thread(target=complete) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["Conflict", "ok"]


def test_alert_raised_listed_and_acknowledged(client, auth, db):
    transcript, score = scored_call(db, ANGRY)
    assert score.status == ScoreStatus.pending_review and "alert" in score.review_reasons
    sup = auth("supervisor")
    alerts = [
        a
        for a in client.get("/api/qa/alerts", params={"status": "open"}, headers=sup).json()
        if a["transcript_id"] == transcript.id
    ]
    assert {a["category"] for a in alerts} == {"anger", "self_harm"}
    harm = next(a for a in alerts if a["category"] == "self_harm")
    assert harm["severity"] == "critical" and harm["words"] == "不想活了" and 5 < harm["start"] < 10
    assert client.get("/api/qa/alerts", headers=auth("agent01")).status_code == 403
    r = client.post(f"/api/qa/alerts/{harm['id']}/acknowledge", headers=sup)
    assert r.status_code == 200 and r.json()["status"] == "acknowledged"
    assert client.post(f"/api/qa/alerts/{harm['id']}/acknowledge", headers=sup).status_code == 409


def test_sampling_rate_is_honoured(db):
    rate = 0.05
    picked = sum(service.in_sample(i, rate) for i in range(1, 20001))
    assert 0.04 < picked / 20000 < 0.06
    assert [service.in_sample(i, rate) for i in range(1, 50)] == [
        service.in_sample(i, rate) for i in range(1, 50)
    ]
    policy = db.get(QaPolicy, user(db, "agent01").tenant_id)
    assert policy is not None and policy.sample_rate >= 0.05


def test_stats_per_agent_and_team(client, auth, db):
    when = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # a Monday, apart from other tests' calls
    scored_call(db, GOOD, agent="agent03", team="三班", started=when)
    scored_call(db, NO_GREETING, agent="agent03", team="三班", started=when + timedelta(days=1))
    scored_call(db, GOOD, agent="agent04", team="三班", started=when + timedelta(days=8))
    params = {"since": "2026-03-01T00:00:00Z", "until": "2026-03-31T00:00:00Z"}
    qa = auth("qa")
    rows = client.get(
        "/api/qa/stats", params={**params, "group_by": "agent", "period": "week"}, headers=qa
    ).json()
    a3 = user(db, "agent03").id
    [week] = [r for r in rows if r["agent"] == a3]
    assert week["period"] == "2026-W10" and week["calls"] == 2 and week["average_score"] == 97.5
    assert week["top_deductions"] == [{"rule": "标准开头语", "count": 1}]
    teams = client.get(
        "/api/qa/stats", params={**params, "group_by": "team", "period": "month"}, headers=qa
    ).json()
    [march] = [r for r in teams if r["team"] == "三班"]
    assert march["calls"] == 3 and march["min_score"] == 95
    # an agent sees only their own figures
    mine = client.get("/api/qa/stats", params=params, headers=auth("agent03")).json()
    assert {r["agent"] for r in mine} == {a3}
    # days are the centre's days: Sunday 17:00 UTC is Monday 01:00 in Nanning
    scored_call(db, GOOD, agent="agent08", started=datetime(2026, 3, 8, 17, 0, tzinfo=UTC))
    rows = client.get("/api/qa/stats", params={**params, "period": "day"}, headers=qa).json()
    [late] = [r for r in rows if r["agent"] == user(db, "agent08").id]
    assert late["period"] == "2026-03-09" and late["name"] == user(db, "agent08").full_name
    bad = client.get(
        "/api/qa/stats", params={"since": "2026-04-01T00:00:00Z", "until": "2026-03-01T00:00:00Z"}, headers=qa
    )
    assert bad.status_code == 422 and bad.json()["field"] == "since"


def test_ticket_consistency_from_the_ticket_text(db):
    heard = [*GOOD[:1], segment("citizen", 5.0, "青秀区民族大道一百号的路东坏了晚上没有照明"), *GOOD[2:]]
    _t, ok = scored_call(db, heard, ticket_text="青秀区民族大道一百号路灯损坏，夜间无照明")
    assert "ticket_consistency" not in [d.rule_code for d in ok.deductions]
    _t, bad = scored_call(db, heard, ticket_text="兴宁区朝阳路燃气泄漏，居民要求燃气公司上门检修")
    assert "ticket_consistency" in [d.rule_code for d in bad.deductions]


def test_submit_validates_and_backlog_counts(client, auth, db):
    qa = auth("qa")
    r = client.post("/api/qa/transcripts", json={"recording_path": ""}, headers=qa)
    assert r.status_code == 422
    r = client.post("/api/qa/transcripts", json={"recording_path": "/x.wav", "agent_id": 999999}, headers=qa)
    assert r.status_code == 422 and r.json()["field"] == "agent_id"
    # only files under the recording directories: the API must not become a file reader
    r = client.post("/api/qa/transcripts", json={"recording_path": "/etc/passwd"}, headers=qa)
    assert r.status_code == 422 and r.json()["field"] == "recording_path"
    figures = client.get("/api/qa/backlog", headers=auth("supervisor")).json()
    assert set(figures) >= {
        "queued",
        "running",
        "retrying",
        "failed",
        "audio_seconds_waiting",
        "oldest_waiting_s",
    }


def test_rescore_after_a_rule_change(client, auth, db):
    transcript, score = scored_call(db, NO_GREETING)
    assert score.score == 95
    if score.status != "scored":  # drawn for the review sample: a plain re-score would be refused
        score.status = "scored"
        db.commit()
    qa = auth("qa")
    greeting = next(r for r in client.get("/api/qa/rules", headers=qa).json() if r["code"] == "greeting")
    r = client.patch(f"/api/qa/rules/{greeting['id']}", json={"deduction": 8, "max_deduction": 8}, headers=qa)
    assert r.status_code == 200
    try:
        r = client.post(f"/api/qa/transcripts/{transcript.id}/rescore", headers=qa)
        assert r.status_code == 200 and r.json()["score"] == 92
        assert [(d["rule_code"], d["points"]) for d in r.json()["deductions"]] == [("greeting", 8)]
        assert (
            client.get(f"/api/qa/transcripts/{transcript.id}", headers=qa).json()["score_id"]
            == r.json()["id"]
        )
    finally:
        client.patch(f"/api/qa/rules/{greeting['id']}", json={"deduction": 5, "max_deduction": 5}, headers=qa)


def test_workstation_inherits_the_centre_rules(db):
    from sqlalchemy import select

    from models.org import Tenant
    from models.qa import QaRule

    centre = db.scalar(select(Tenant).where(Tenant.parent_id.is_(None)))
    district = db.scalar(select(Tenant).where(Tenant.parent_id == centre.id, Tenant.name.like("%邕宁%")))
    assert district is not None
    service.create_rule(
        db,
        tenant_id=centre.id,
        code="inherit_t",
        name="推诿",
        kind="keywords",
        params={"words": ["找别人去"]},
        deduction=4,
    )
    db.flush()
    codes = {r.code for r in service.list_rules(db, district.id)}
    assert "inherit_t" in codes and "greeting" in codes
    db.rollback()
    assert db.scalar(select(QaRule).where(QaRule.code == "inherit_t")) is None


def test_supervisor_requests_review_of_an_unselected_call(client, auth, db):
    score = next(s for _t, s in (scored_call(db, GOOD) for _ in range(20)) if s.status == ScoreStatus.scored)
    url = f"/api/qa/scores/{score.id}/request-review"
    r = client.post(url, json={"note": "群众来电投诉服务态度"}, headers=auth("supervisor"))
    assert r.status_code == 200 and r.json()["status"] == "pending_review"
    assert r.json()["review_reasons"] == ["manual"]
    assert client.post(url, json={}, headers=auth("supervisor")).status_code == 409
    assert client.post(url, json={}, headers=auth("agent01")).status_code == 403
