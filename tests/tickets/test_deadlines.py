"""Working-calendar arithmetic across National Day 2026 and its make-up working days."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from models.tickets import CalendarDay
from tickets import calendar, deadlines
from tickets.calendar import WorkingCalendar
from tickets.enums import WarningColour

TZ = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def cal(db) -> WorkingCalendar:
    if not calendar.list_days(db, 2026):
        calendar.seed_year(db, 2026)
        db.commit()
    return WorkingCalendar.load(db, "Asia/Shanghai")


def local(*args) -> datetime:
    return datetime(*args, tzinfo=TZ)


def test_seeded_2026_national_day_and_make_up_days(cal):
    assert not cal.is_working(date(2026, 10, 1)) and not cal.is_working(date(2026, 10, 7))
    assert cal.is_working(date(2026, 10, 10))  # Saturday, make-up working day
    assert cal.is_working(date(2026, 9, 20))  # Sunday, make-up working day
    assert not cal.is_working(date(2026, 10, 11))  # an ordinary Sunday
    assert cal.is_working(date(2026, 10, 8))


def test_handling_deadline_skips_the_holiday_and_counts_the_make_up_saturday(cal):
    policy = deadlines.Policy(handling_days=5)
    start = local(2026, 9, 30, 10, 0)
    # 14 h on 30 Sep, 1–7 Oct off, then 8, 9, 10 (Sat, make-up) Oct, 11 Oct off, 12 Oct, 10 h on 13 Oct
    assert deadlines.handling_deadline(cal, policy, "normal", start) == local(2026, 10, 13, 10, 0)


def test_normal_sign_window_before_the_holiday_ends_after_it(cal):
    assert deadlines.sign_deadline(cal, "normal", local(2026, 9, 30, 18, 0)) == local(2026, 10, 8, 18, 0)
    # urgent tickets are signed within 30 minutes whatever the day
    assert deadlines.sign_deadline(cal, "urgent", local(2026, 10, 3, 9, 0)) == local(2026, 10, 3, 9, 30)


def test_dispatch_window_starting_on_a_holiday_starts_on_the_next_working_day(cal):
    assert deadlines.dispatch_deadline(cal, local(2026, 10, 2, 15, 0)) == local(2026, 10, 9, 0, 0)


def test_working_time_between_and_yellow_point(cal):
    start, due = local(2026, 9, 30, 12, 0), local(2026, 10, 8, 12, 0)
    assert cal.working_between(start, due) == timedelta(hours=24)
    # 80 % of 24 working hours = 19.2 h: 12 h on 30 Sep, then 7.2 h into 8 Oct
    assert deadlines.warn_time(cal, start, due, 0.8) == local(2026, 10, 8, 7, 12)


def test_manual_day_overrides_the_seed(db):
    calendar.set_day(db, day=date(2031, 3, 3), working=False, name="台风停工")
    cal = WorkingCalendar.load(db, "Asia/Shanghai")
    assert not cal.is_working(date(2031, 3, 3))
    assert deadlines.dispatch_deadline(cal, local(2031, 3, 3, 9, 0)) == local(2031, 3, 5, 0, 0)
    db.rollback()


def test_colour_rule():
    due, warn = local(2026, 10, 8, 12, 0), local(2026, 10, 8, 7, 12)
    assert deadlines.colour(due, warn, local(2026, 10, 8, 7, 0)) == WarningColour.none
    assert deadlines.colour(due, warn, local(2026, 10, 8, 7, 12)) == WarningColour.yellow
    assert deadlines.colour(due, warn, local(2026, 10, 8, 12, 0)) == WarningColour.red
    assert deadlines.colour(None, None, local(2026, 10, 8, 12, 0)) == WarningColour.none


def test_calendar_admin_api(client, auth):
    r = client.put(
        "/api/tickets/calendar/2030-05-06", json={"working": False, "name": "调休"}, headers=auth("admin")
    )
    assert r.status_code == 200 and r.json()["source"] == "manual"
    days = client.get("/api/tickets/calendar?year=2030", headers=auth("dispatcher")).json()
    assert {"day": "2030-05-06", "working": False, "name": "调休", "source": "manual"} in days
    assert (
        client.put(
            "/api/tickets/calendar/2030-05-07", json={"working": True}, headers=auth("dispatcher")
        ).status_code
        == 403
    )
    assert client.delete("/api/tickets/calendar/2030-05-06", headers=auth("admin")).status_code == 204
    assert client.delete("/api/tickets/calendar/2030-05-06", headers=auth("admin")).status_code == 404
    r = client.post("/api/tickets/calendar/2026/seed", headers=auth("admin"))
    assert r.status_code == 200 and r.json()["days"] > 20
    r = client.post("/api/tickets/calendar/2099/seed", headers=auth("admin"))
    assert r.status_code == 422 and r.json()["field"] == "year"
    assert CalendarDay.__tablename__ == "calendar_days"


def test_sla_rule_sets_handling_deadline(flow, client, auth):
    body = {"handling_days": 3, "yellow_pct": 0.5}
    r = client.put("/api/tickets/sla-rules/测试分类/三日", json=body, headers=auth("admin"))
    assert r.status_code == 200 and r.json()["category"] == "测试分类/三日"
    assert client.put("/api/tickets/sla-rules/x", json=body, headers=auth("dispatcher")).status_code == 403
    r = client.put("/api/tickets/sla-rules/x", json={"handling_days": 0}, headers=auth("admin"))
    assert r.status_code == 422 and r.json()["field"] == "handling_days"
    t = flow.dispatched(category="测试分类/三日")
    disp = datetime.fromisoformat(t["dispatched_at"])
    from sqlalchemy.orm import Session

    with Session(client.app.state.engine) as s:
        cal = WorkingCalendar.load(s)
    assert datetime.fromisoformat(t["handling_deadline"]) == cal.add_days(disp, 3)


def test_cli_seeds_calendar_and_sweeps(db_url, monkeypatch):
    from typer.testing import CliRunner

    from api.cli import app
    from models.settings import get_settings

    monkeypatch.setenv("HOTLINE_DATABASE_URL", db_url)
    get_settings.cache_clear()
    try:
        runner = CliRunner()
        r = runner.invoke(app, ["tickets", "seed-calendar", "2026"])
        assert r.exit_code == 0 and "2026:" in r.output, r.output
        r = runner.invoke(app, ["tickets", "sweep"])
        assert r.exit_code == 0 and '"red"' in r.output, r.output
    finally:
        get_settings.cache_clear()
