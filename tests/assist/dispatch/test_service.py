"""Dispatch wired to the real ticket workflow, on PostgreSQL and SQLite."""

import pytest
from sqlalchemy import select

from assist.dispatch import service
from assist.dispatch.decision import LOCAL
from models.dispatch import DispatchSuggestion
from models.errors import Conflict
from models.tickets import Ticket, TicketEvent

from .helpers import accept, scope, unit_id


def test_training_source_is_ticket_history(db, trained):
    root, version = trained
    texts, labels, weights = service.training_examples(db, root)
    assert len(texts) >= 54
    assert LOCAL in labels  # 青秀区人民政府 is learnt as 属地
    assert str(unit_id(db, "南宁市教育局")) in labels
    row = service.get_model(db, root, version)
    assert row.metrics["accuracy"] > 0.6 and row.n_samples == len(texts)


def test_suggestions_with_reasons_and_district(db, trained):
    root, _ = trained
    decision, row = service.suggest(db, tenant_id=root, text="公司老板拖欠工资半年，欠薪不发")
    top = decision.top
    assert top.unit_id == unit_id(db, "南宁市人力资源和社会保障局")
    assert len(decision.suggestions) == 3
    assert any("欠薪" in r for r in top.reasons)  # catalogue or learnt terms
    # 属地 matters go to the district government named by the address
    decision, _ = service.suggest(
        db,
        tenant_id=root,
        text="小区门口垃圾堆积无人清理，背街小巷路面坑洼",
        address="南宁市良庆区五象大道1号",
    )
    assert decision.top.label == LOCAL
    assert decision.top.unit_id == unit_id(db, "良庆区人民政府")
    assert any("良庆区" in r for r in decision.top.reasons)


def test_shadow_mode_then_auto_dispatch_in_timeline(db, trained):
    root, version = trained
    with pytest.raises(Conflict):
        service.set_auto_dispatch(db, tenant_id=root, enabled=True)  # no shadow comparisons yet
    db.rollback()
    # shadow mode: suggest only; the dispatcher's choice is compared
    tid = accept(db, "小区停水", "我们小区突然停水没有通知，自来水也浑浊发黄")
    suggestion = service.auto_dispatch(db, tid)
    assert suggestion is not None and not suggestion.auto
    assert db.get(Ticket, tid).state == "accepted"
    from tickets import service as tickets

    water = unit_id(db, "南宁建宁水务投资集团有限责任公司")
    tickets.apply_action(db, scope(db, "dispatcher"), tid, "dispatch", lead_unit_id=water)
    assert service.sync_outcomes(db) >= 1
    db.refresh(suggestion)
    assert suggestion.chosen_unit_id == water and suggestion.agreed == (suggestion.top_unit_id == water)
    stats = service.shadow_stats(db, root)
    assert stats["compared"] >= 1
    # switched on: a sure ticket is dispatched by "auto-dispatch", with model version and confidence
    service.set_auto_dispatch(db, tenant_id=root, enabled=True, force=True)
    tid = accept(db, "校外培训", "孩子上的校外培训机构乱收费，学校也违规收取补课费")
    model_row = service.current_model(db, root)
    decision, _ = service.suggest_for_ticket(db, tid, record=False)
    assert decision.top.confidence >= 0.3
    # this small model is sure enough; its chosen thresholds (from 18 tickets a label) are stricter
    trained_model = service.load_model(db, model_row)
    trained_model.thresholds = {label: 0.3 for label in trained_model.labels}
    suggestion = service.auto_dispatch(db, tid)
    assert suggestion.auto
    ticket = db.get(Ticket, tid)
    assert ticket.state == "to_sign" and ticket.lead_unit_id == unit_id(db, "南宁市教育局")
    event = db.scalar(
        select(TicketEvent).where(TicketEvent.ticket_id == tid, TicketEvent.action == "dispatch")
    )
    assert event.actor_label == "auto-dispatch" and event.actor_id is None
    assert f"v{model_row.version}" in (event.note or "") + str(event.payload)
    service.set_auto_dispatch(db, tenant_id=root, enabled=False)
    service._MODELS.clear()
    db.rollback()


def test_returned_unit_is_not_suggested_again(db, trained):
    root, _ = trained
    tid = accept(db, "补办身份证", "身份证丢了要补办身份证，户口在这边")
    police = unit_id(db, "南宁市公安局")
    decision, _ = service.suggest_for_ticket(db, tid, record=False)
    assert decision.top.unit_id == police
    service.record_feedback(db, tenant_id=root, ticket_id=tid, unit_id=police, kind="returned")
    decision, _ = service.suggest_for_ticket(db, tid, record=False)
    assert police not in [s.unit_id for s in decision.suggestions]
    db.rollback()


def test_correction_changes_the_next_model_and_rollback(db, trained):
    root, _ = trained
    text = "共享电单车乱停乱放堵住人行道"
    before, old = service.suggest(db, tenant_id=root, text=text)
    cg = unit_id(db, "南宁市城市管理综合行政执法局")
    traffic = unit_id(db, "南宁市交通运输局") if before.top.unit_id == cg else cg
    p_before = next((s.confidence for s in before.suggestions if s.unit_id == traffic), 0.0)
    for variant in (text, "共享电单车乱停乱放", "人行道上共享电单车乱停", "共享电单车堆满路口乱停放"):
        service.record_feedback(db, tenant_id=root, text=variant, unit_id=traffic, kind="correct")
    new = service.train_model(db, tenant_id=root, promote=True)
    after, used = service.suggest(db, tenant_id=root, text=text)
    assert used.version == new.version == old.version + 1
    assert after.top.unit_id == traffic
    assert after.top.confidence > p_before
    back = service.rollback(db, tenant_id=root)
    assert back.version == old.version
    assert service.current_model(db, root).version == old.version
    db.rollback()


def test_periodic_pass_suggests_new_tickets_and_flags_duplicates(db, trained):
    from assist.dispatch.tasks import dispatch_new
    from models.dispatch import DuplicateFlag

    first = accept(db, "工资", "建筑工地老板拖欠工资三个月，共十二名工人被欠薪", address="江南区星光大道")
    second = accept(
        db, "欠薪", "星光大道建筑工地拖欠工资三个月，十二名工人欠薪未发", address="江南区星光大道"
    )
    assert dispatch_new(db) >= 2
    rows = list(
        db.scalars(select(DispatchSuggestion).where(DispatchSuggestion.ticket_id.in_([first, second])))
    )
    assert {r.ticket_id for r in rows} == {first, second}
    assert all(r.top_unit_id == unit_id(db, "南宁市人力资源和社会保障局") for r in rows)
    assert not any(r.auto for r in rows)  # shadow mode: suggestions only
    flags = list(db.scalars(select(DuplicateFlag).where(DuplicateFlag.ticket_id == second)))
    assert first in [f.candidate_id for f in flags]
    assert dispatch_new(db) == 0  # each ticket once
    db.rollback()


def test_celery_tasks_run_against_the_database(db, db_url, trained):
    from assist.dispatch.tasks import dispatch_new_task, sync_outcomes_task
    from assist.hotspot.tasks import daily_report_task, sync_merges_task

    tid = accept(db, "户口", "想咨询户口迁移需要什么材料，居住证怎么办理")
    db.commit()
    assert dispatch_new_task.apply(kwargs={"url": db_url}).get() >= 1
    db.expire_all()
    row = db.scalar(select(DispatchSuggestion).where(DispatchSuggestion.ticket_id == tid))
    assert row is not None and row.top_unit_id == unit_id(db, "南宁市公安局")
    assert sync_outcomes_task.apply(kwargs={"url": db_url}).get() >= 0
    assert sync_merges_task.apply(kwargs={"url": db_url}).get() >= 0
    assert daily_report_task.apply(kwargs={"url": db_url}).get() >= 0
