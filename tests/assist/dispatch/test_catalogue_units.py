"""A unit with no ticket history is still suggested when its duty catalogue entry matches strongly."""

from sqlalchemy import select

from assist.dispatch import service
from models.dispatch import DispatchSuggestion
from models.tickets import Ticket, TicketEvent

from .helpers import accept, unit_id

TEXT = "化工厂排污口夜里偷排废水，河水发黑发臭"


def test_unseen_unit_suggested_from_catalogue_never_auto(db, trained):
    root, _ = trained
    env = unit_id(db, "南宁市生态环境局")
    service.upsert_duty(
        db,
        tenant_id=root,
        unit_id=env,
        duty="水污染、大气污染、工业噪声",
        keywords=["偷排", "排污口", "废水"],
    )
    model = service.load_model(db, service.current_model(db, root))
    assert str(env) not in model.labels  # the model has never seen this unit

    decision, _ = service.suggest(db, tenant_id=root, text=TEXT)
    ids = [s.unit_id for s in decision.suggestions]
    assert env in ids and ids.index(env) >= 1  # after the model's own ranking
    extra = decision.suggestions[ids.index(env)]
    assert extra.source == "catalogue" and extra.confidence == 0.0
    assert any("权责清单" in r and "偷排" in r for r in extra.reasons)
    assert any("不自动派单" in r for r in extra.reasons)
    assert all(s.source == "model" for s in decision.suggestions if s.unit_id != env)

    # one keyword is not a strong match; an exclusion vetoes it
    weak, _ = service.suggest(db, tenant_id=root, text="小区门口有废水流出")
    assert env not in [s.unit_id for s in weak.suggestions]
    service.upsert_duty(
        db,
        tenant_id=root,
        unit_id=env,
        duty="水污染",
        keywords=["偷排", "排污口", "废水"],
        exclusions=["化工厂"],
    )
    vetoed, _ = service.suggest(db, tenant_id=root, text=TEXT)
    assert env not in [s.unit_id for s in vetoed.suggestions]
    service.upsert_duty(db, tenant_id=root, unit_id=env, duty="水污染", keywords=["偷排", "排污口", "废水"])

    # auto-dispatch on and every threshold at zero: the catalogue unit is still never dispatched to
    service.set_auto_dispatch(db, tenant_id=root, enabled=True, force=True)
    model.thresholds = {label: 0.0 for label in model.labels}
    try:
        tid = accept(db, "偷排废水", TEXT)
        suggestion = service.auto_dispatch(db, tid)
        stored = [s for s in suggestion.suggestions if s["unit_id"] == env]
        assert stored and stored[0]["source"] == "catalogue"
        assert db.get(Ticket, tid).lead_unit_id != env
        assert suggestion.top_unit_id != env
        row = db.scalar(select(DispatchSuggestion).where(DispatchSuggestion.ticket_id == tid))
        assert row.would_auto == suggestion.would_auto
        dispatches = list(
            db.scalars(
                select(TicketEvent).where(TicketEvent.ticket_id == tid, TicketEvent.action == "dispatch")
            )
        )
        assert all(e.unit_id != env for e in dispatches)
    finally:
        service._MODELS.clear()
        db.rollback()
