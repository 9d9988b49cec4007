"""Re-scoring a score under review is refused (409 naming the state) unless a reviewer forces it; a
forced re-score keeps the old score and its review history as a superseded version."""

from __future__ import annotations

import pytest

from assist.qa import service
from models.errors import PermissionDenied
from models.qa import QaAlert
from models.scope import Scope
from tests.assist.asr_qa.helpers import ANGRY, NO_GREETING, scored_call, segment

# no greeting (a deduction to adjust) and an angry citizen (an alert: always selected for review)
ANGRY_NO_GREETING = [segment("agent", 0.5, "喂请讲"), *ANGRY[1:]]

NOBODY = Scope(
    user_id=1,
    username="x",
    full_name="x",
    tenant_id=1,
    tenant_ids=frozenset({1}),
    unit_id=None,
    roles=frozenset({"supervisor"}),
)


def _adjust_first(client, headers, score_id: int) -> dict:
    score = client.get(f"/api/qa/scores/{score_id}", headers=headers).json()
    deduction = score["deductions"][0]
    r = client.post(
        f"/api/qa/scores/{score_id}/deductions/{deduction['id']}/review",
        json={"action": "adjust", "points": 1, "note": "情有可原"},
        headers=headers,
    )
    assert r.status_code == 200, r.text
    return r.json()


def test_rescore_in_review_is_refused_then_forced_keeps_history(client, auth, db):
    transcript, score = scored_call(db, ANGRY_NO_GREETING)  # an alert: always selected for review
    assert score.status == "pending_review"
    qa = auth("qa")
    adjusted = _adjust_first(client, qa, score.id)
    alerts_before = db.query(QaAlert).filter(QaAlert.transcript_id == transcript.id).count()

    r = client.post(f"/api/qa/transcripts/{transcript.id}/rescore", headers=qa)
    assert r.status_code == 409
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert body["state"] == "pending_review" and "待复核" in body["detail"] and body["score_id"] == score.id
    # nothing changed: the reviewer's adjustment is still there and the score is still current
    again = client.get(f"/api/qa/scores/{score.id}", headers=qa).json()
    assert again["status"] == "pending_review" and again["score"] == adjusted["score"]
    assert again["deductions"][0]["final_points"] == 1

    # a supervisor cannot reach the endpoint; the service refuses a force without the role as well
    assert (
        client.post(f"/api/qa/transcripts/{transcript.id}/rescore?force=true", headers=auth("supervisor"))
    ).status_code == 403
    with pytest.raises(PermissionDenied):
        service.score_transcript(db, transcript, force=True, actor=NOBODY)
    db.rollback()

    r = client.post(f"/api/qa/transcripts/{transcript.id}/rescore?force=true", headers=qa)
    assert r.status_code == 200, r.text
    new = r.json()
    assert new["id"] != score.id and new["status"] == "pending_review"
    assert new["deductions"][0]["final_points"] == new["deductions"][0]["points"]  # fresh automatic score

    old = client.get(f"/api/qa/scores/{score.id}", headers=qa).json()
    assert old["status"] == "superseded" and old["superseded_by_id"] == new["id"]
    assert old["deductions"][0]["final_points"] == 1 and old["score"] == adjusted["score"]
    actions = [a["action"] for a in client.get(f"/api/qa/scores/{score.id}/history", headers=qa).json()]
    assert actions == ["deduction_adjust", "supersede"]
    new_actions = client.get(f"/api/qa/scores/{new['id']}/history", headers=qa).json()
    assert [a["action"] for a in new_actions] == ["forced_rescore"]

    assert client.get(f"/api/qa/transcripts/{transcript.id}", headers=qa).json()["score_id"] == new["id"]
    versions = client.get(f"/api/qa/transcripts/{transcript.id}/scores", headers=qa).json()
    assert [(v["id"], v["status"]) for v in versions] == [
        (score.id, "superseded"),
        (new["id"], "pending_review"),
    ]
    listed = client.get("/api/qa/scores", params={"limit": 100}, headers=qa).json()["items"]
    assert score.id not in {s["id"] for s in listed}
    db.expire_all()
    assert db.query(QaAlert).filter(QaAlert.transcript_id == transcript.id).count() == alerts_before


def test_rescore_of_reviewed_score_names_the_state(client, auth, db):
    transcript, score = scored_call(db, ANGRY_NO_GREETING)
    qa = auth("qa")
    _adjust_first(client, qa, score.id)
    assert client.post(f"/api/qa/scores/{score.id}/complete-review", json={}, headers=qa).status_code == 200
    r = client.post(f"/api/qa/transcripts/{transcript.id}/rescore", headers=qa)
    assert r.status_code == 409 and r.json()["state"] == "reviewed" and "已复核" in r.json()["detail"]
    assert client.get(f"/api/qa/scores/{score.id}", headers=qa).json()["status"] == "reviewed"


def test_automatic_score_is_replaced_without_force(db):
    transcript, score = scored_call(db, NO_GREETING)
    if score.status != "scored":  # drawn for the review sample: take it out to test the plain path
        score.status = "scored"
        db.commit()
    new = service.score_transcript(db, transcript)
    db.commit()
    # replaced, not versioned (SQLite may reuse the deleted row's id)
    assert [(v.id, v.status) for v in service.versions(db, transcript.id)] == [(new.id, new.status)]
    assert new.status != "superseded" and service.score_for_transcript(db, transcript.id).id == new.id
