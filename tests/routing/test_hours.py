"""Business hours, holidays and 调休 workdays in the tenant's timezone."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from routing.config import BusinessHours, Prompts
from routing.hours import OpenState, check_hours, office_hours, open_state

OFFICE = office_hours()
NANNING = ZoneInfo("Asia/Shanghai")


def local(y, m, d, hh, mm=0) -> datetime:
    """Nanning local time (UTC+8) as an aware UTC datetime."""
    return datetime(y, m, d, hh, mm, tzinfo=NANNING).astimezone(UTC)


@pytest.mark.parametrize(
    ("when", "state"),
    [
        (local(2026, 3, 2, 10), OpenState.open),  # Monday morning
        (local(2026, 3, 2, 8, 0), OpenState.open),  # opening minute
        (local(2026, 3, 2, 12, 0), OpenState.closed),  # lunch (end exclusive)
        (local(2026, 3, 2, 14, 30), OpenState.open),
        (local(2026, 3, 2, 17, 30), OpenState.closed),
        (local(2026, 3, 2, 7, 59), OpenState.closed),
        (local(2026, 3, 7, 10), OpenState.closed),  # Saturday
        (local(2026, 3, 8, 10), OpenState.closed),  # Sunday
    ],
)
def test_office_hours(when, state):
    assert open_state(OFFICE, when) is state


def test_utc_is_converted_to_the_tenant_timezone():
    # 02:00 UTC is 10:00 in Nanning (open) but 02:00 in London (closed)
    when = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
    assert open_state(OFFICE, when) is OpenState.open
    assert open_state(replace(OFFICE, timezone="Europe/London"), when) is OpenState.closed


def test_holiday_closes_and_makeup_workday_opens():
    hours = replace(OFFICE, holidays=frozenset({date(2026, 10, 1)}), workdays=frozenset({date(2026, 2, 28)}))
    assert open_state(hours, local(2026, 10, 1, 10)) is OpenState.holiday  # a Thursday
    assert open_state(hours, local(2026, 2, 28, 10)) is OpenState.open  # a Saturday worked (调休)
    assert open_state(hours, local(2026, 2, 28, 13)) is OpenState.closed  # still lunch break


def test_seven_by_twenty_four_ignores_holidays():
    hours = BusinessHours(always_open=True, holidays=frozenset({date(2026, 10, 1)}))
    assert open_state(hours, local(2026, 10, 1, 3)) is OpenState.open


def test_prompts_follow_the_state():
    prompts = Prompts(closed="closed.wav", holiday="holiday.wav")
    hours = replace(OFFICE, holidays=frozenset({date(2026, 10, 1)}))
    assert check_hours(hours, prompts, local(2026, 10, 1, 10)).prompt == "holiday.wav"
    assert check_hours(hours, prompts, local(2026, 3, 7, 10)).prompt == "closed.wav"
    d = check_hours(hours, prompts, local(2026, 3, 2, 10))
    assert d.is_open and d.prompt is None


def test_naive_time_is_refused():
    with pytest.raises(ValueError):
        open_state(OFFICE, datetime(2026, 3, 2, 10))


def test_overnight_window():
    from datetime import time

    from routing.config import TimeWindow

    hours = BusinessHours(always_open=False, windows=(TimeWindow(frozenset({5}), time(22, 0), time(6, 0)),))
    assert open_state(hours, local(2026, 3, 6, 23)) is OpenState.open  # Friday night
    assert open_state(hours, local(2026, 3, 7, 5, 59)) is OpenState.open  # Saturday early morning
    assert open_state(hours, local(2026, 3, 7, 6, 0)) is OpenState.closed
    assert open_state(hours, local(2026, 3, 6, 5)) is OpenState.closed  # Thursday's night is not listed
    assert open_state(hours, local(2026, 3, 7, 23)) is OpenState.closed
    sunday = BusinessHours(always_open=False, windows=(TimeWindow(frozenset({7}), time(20, 0), time(2, 0)),))
    assert open_state(sunday, local(2026, 3, 9, 1)) is OpenState.open  # Monday 01:00, from Sunday's window
