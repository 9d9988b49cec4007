"""Each accepted ticket is considered once per model version, "no model" included."""

from sqlalchemy import select

from assist.dispatch import service
from assist.dispatch.tasks import dispatch_new
from models.dispatch import DispatchModel, DispatchSuggestion

from .helpers import accept, scope, unit_id


def _drain(db) -> int:
    """Poll until nothing is left (other tests' tickets share the database)."""
    total = 0
    for _ in range(50):
        n = dispatch_new(db, limit=500)
        if n == 0:
            return total
        total += n
    raise AssertionError("the poll never ran dry")


def _rows(db, tid: int) -> list[DispatchSuggestion]:
    return list(db.scalars(select(DispatchSuggestion).where(DispatchSuggestion.ticket_id == tid)))


def test_no_model_marks_tickets_and_a_new_model_considers_them_once(db, trained):
    root, version = trained
    current = service.current_model(db, root)
    current.status = "retired"  # as if nothing were trained yet (rolled back at the end)
    db.flush()
    try:
        first = accept(db, "停水", "我们小区今天突然停水没有通知")
        second = accept(db, "欠薪", "工地老板拖欠工资两个月不发")
        assert _drain(db) >= 2
        assert service.considering_model(db, root) is None
        for tid in (first, second):
            (row,) = _rows(db, tid)
            assert row.model_id is None and row.suggestions == [] and not row.auto
        assert dispatch_new(db) == 0  # the next poll finds nothing to re-check
        # no stand-in "model" row is made for it: the versions listed are the trained ones only
        assert all(m.status != "none" and m.version >= 1 for m in service.list_models(db, root))
        assert db.scalar(select(DispatchModel.id).where(DispatchModel.version == 0)) is None
        from tickets import service as tickets

        water = unit_id(db, "南宁建宁水务投资集团有限责任公司")
        tickets.apply_action(db, scope(db, "dispatcher"), first, "dispatch", lead_unit_id=water)
        before = service.shadow_stats(db, root)
        service.sync_outcomes(db)
        assert _rows(db, first)[0].agreed is None
        assert service.shadow_stats(db, root)["compared"] == before["compared"]

        # a model becomes current: the still-undispatched ticket is considered once more, by it
        current.status = "current"
        db.flush()
        assert service.considering_model(db, root).id == current.id
        suggestion = service.auto_dispatch(db, second)
        assert suggestion is not None and suggestion.model_id == current.id
        assert suggestion.top_unit_id == unit_id(db, "南宁市人力资源和社会保障局")
        assert service.auto_dispatch(db, second) is None  # once per model version
        assert {r.model_id for r in _rows(db, second)} == {None, current.id}
        assert db.get(DispatchModel, current.id).version == version
    finally:
        db.rollback()
