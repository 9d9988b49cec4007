"""The contract between the controller and this package, without FreeSWITCH: routing decides, the store
records. Three calls through the demo centre: answered after a missed ring, abandoned in the queue,
and an after-hours voicemail — then the CDRs, missed calls, agent log and statistics agree."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from routing.acd import Abandoned, Acd, AgentChanged, Missed, Offer
from routing.actions import Queue, Voicemail
from routing.clock import FakeClock
from routing.inbound import Outcome, inbound_route
from switch import store
from switch.demo_data import WORKSTATION_NUMBER


def test_three_calls_recorded_end_to_end(db, ids, unique):
    clock = FakeClock(datetime(2023, 3, 6, 2, 0, tzinfo=UTC))  # Monday 10:00 in Nanning
    cfg = store.load_config(db)
    acd = Acd(cfg, clock)

    def apply(events):
        for e in events:
            if isinstance(e, AgentChanged):
                store.record_agent_change(db, e.change)
            elif isinstance(e, Offer):
                store.upsert_call(
                    db,
                    e.call_id,
                    ring_started_at=clock.now(),
                    agent_number=e.agent_number,
                    agent_user_id=e.user_id,
                    extension=e.extension,
                )
            elif isinstance(e, Missed):
                store.record_missed(
                    db, call_uuid=e.call_id, caller="", agent_user_id=e.user_id, ring_s=e.ring_s
                )
            elif isinstance(e, Abandoned):
                store.record_abandoned(
                    db,
                    call_uuid=e.call_id,
                    caller="",
                    stage=e.stage,
                    skill_group=e.skill_group,
                    waited_s=e.waited_s,
                    position=e.position,
                )
        db.commit()

    for n in ("1005", "1006"):  # both in 投诉举报 (levels 4 and 5)
        apply(acd.login(n, ready=True))
        clock.advance(5)

    # call A: IVR key 2 (complaint) → 1006 (level 5) rings, no answer → 1005 answers
    a = f"{unique}-A"
    d = inbound_route(cfg, caller="13877001111", called="12345", now=clock.now())
    store.upsert_call(
        db,
        a,
        caller="13877001111",
        called="12345",
        tenant_id=d.tenant.tenant_id,
        started_at=clock.now(),
        answered_at=clock.now(),
    )
    clock.advance(8)
    [queue] = d.session.on_digits("2")
    assert isinstance(queue, Queue) and queue.skill_group == "complaint"
    store.upsert_call(
        db, a, skill_group="complaint", queue_entered_at=clock.now(), ivr_path=d.session.describe_path()
    )
    events = acd.enqueue(a, skill_group="complaint", tenant_id=queue.tenant_id, caller="13877001111")
    assert [e.agent_number for e in events if isinstance(e, Offer)] == ["1006"]
    apply(events)
    clock.advance(20)
    events = acd.ring_failed(a)
    assert [e.agent_number for e in events if isinstance(e, Offer)] == ["1005"]
    apply(events)
    clock.advance(4)
    apply(acd.answered(a))
    store.upsert_call(db, a, agent_answered_at=clock.now(), queue_left_at=clock.now())
    clock.advance(180)
    apply(acd.call_ended(a))
    store.set_satisfaction(db, a, 5)
    store.finish_call(db, a, ended_at=clock.now(), hangup_cause="NORMAL_CLEARING", hangup_by="agent")
    db.commit()

    # call B: both agents busy/not ready → waits, gives up after 40 s
    b = f"{unique}-B"
    apply(acd.set_not_ready("1006", "小休"))
    apply(acd.set_not_ready("1005", "话后整理"))
    store.upsert_call(
        db,
        b,
        caller="13877002222",
        called="12345",
        tenant_id=ids["NN"],
        started_at=clock.now(),
        skill_group="complaint",
        queue_entered_at=clock.now(),
    )
    apply(acd.enqueue(b, skill_group="complaint", tenant_id=ids["NN"]))
    clock.advance(40)
    apply(acd.abandon(b))
    store.finish_call(db, b, ended_at=clock.now(), hangup_cause="ORIGINATOR_CANCEL", hangup_by="caller")
    db.commit()

    # call C: 青秀区 on Saturday → voicemail
    c = f"{unique}-C"
    saturday = datetime(2023, 3, 11, 2, 0, tzinfo=UTC)
    d = inbound_route(cfg, caller="13877003333", called=WORKSTATION_NUMBER, now=saturday)
    assert d.outcome is Outcome.closed and isinstance(d.actions[0], Voicemail)
    store.upsert_call(
        db,
        c,
        caller="13877003333",
        called=WORKSTATION_NUMBER,
        tenant_id=d.tenant.tenant_id,
        started_at=saturday,
        disposition="voicemail",
    )
    store.add_voicemail(
        db,
        call_uuid=c,
        caller="13877003333",
        called=WORKSTATION_NUMBER,
        tenant_id=d.tenant.tenant_id,
        reason=d.actions[0].reason,
        duration_s=30.0,
    )
    store.finish_call(db, c, ended_at=saturday + timedelta(seconds=45), hangup_cause="NORMAL_CLEARING")
    db.commit()

    from models.calls import Call, MissedCall

    cdr_a = db.query(Call).filter_by(uuid=a).one()
    assert cdr_a.disposition == "answered" and cdr_a.agent_number == "1005" and cdr_a.satisfaction == 5
    assert (cdr_a.wait_s, cdr_a.ring_s, cdr_a.talk_s) == (24.0, 4.0, 180.0)  # ring: the answering agent
    assert cdr_a.ivr_path == "main:2"
    cdr_b = db.query(Call).filter_by(uuid=b).one()
    assert cdr_b.disposition == "abandoned" and cdr_b.abandon_stage == "queue" and cdr_b.wait_s == 40.0
    assert db.query(Call).filter_by(uuid=c).one().disposition == "voicemail"
    missed = {m.kind: m for m in db.query(MissedCall).filter(MissedCall.call_uuid.in_([a, b]))}
    assert missed["missed"].agent_user_id == ids["agent06"] and missed["missed"].tenant_id == ids["NN"]
    assert missed["abandoned"].waited_s == 40.0 and missed["abandoned"].position == 1
    log = [
        (e.agent_number, e.to_state) for e in store.agent_state_log(db, store_scope(db, ids), ids["agent06"])
    ]
    assert ("1006", "not_ready") in log and ("1006", "ringing") in log

    stats = store.call_stats(
        db, store_scope(db, ids), start=clock.now() - timedelta(hours=1), end=clock.now() + timedelta(days=6)
    )
    assert (stats["offered"], stats["answered"], stats["abandoned"]) == (2, 1, 1)
    assert stats["by_disposition"]["voicemail"] == 1


def store_scope(db, ids):
    from models.org import User
    from models.scope import scope_for

    return scope_for(db, db.get(User, ids["admin"]))
