"""Business hours and holidays: is a tenant open at a given moment, and which prompt if not."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from functools import lru_cache
from zoneinfo import ZoneInfo

from routing.config import BusinessHours, Prompts


class OpenState(StrEnum):
    open = "open"
    closed = "closed"  # outside the weekly windows
    holiday = "holiday"


@dataclass(frozen=True, slots=True)
class HoursDecision:
    state: OpenState
    prompt: str | None  # the prompt to play when not open

    @property
    def is_open(self) -> bool:
        return self.state is OpenState.open


@lru_cache(maxsize=64)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def open_state(hours: BusinessHours, now: datetime) -> OpenState:
    """Open, closed or holiday at `now` (aware). A 7×24 tenant ignores holidays;
    otherwise holidays win over windows, and 调休 workdays count as a Monday."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    local = now.astimezone(_zone(hours.timezone))
    today = local.date()
    if hours.always_open:
        return OpenState.open
    if today in hours.holidays:
        return OpenState.holiday
    weekday = 1 if today in hours.workdays else local.isoweekday()
    t = local.time().replace(tzinfo=None)
    yesterday = 7 if weekday == 1 else weekday - 1
    for w in hours.windows:
        if w.start < w.end:
            if weekday in w.weekdays and w.start <= t < w.end:
                return OpenState.open
        elif (weekday in w.weekdays and t >= w.start) or (yesterday in w.weekdays and t < w.end):
            return OpenState.open  # an overnight window, e.g. 22:00–06:00 opened on the listed days
    return OpenState.closed


def check_hours(hours: BusinessHours, prompts: Prompts, now: datetime) -> HoursDecision:
    state = open_state(hours, now)
    prompt = {OpenState.open: None, OpenState.closed: prompts.closed, OpenState.holiday: prompts.holiday}[
        state
    ]
    return HoursDecision(state, prompt)


def office_hours(timezone: str = "Asia/Shanghai") -> BusinessHours:
    """Chinese government office hours: Mon–Fri 8:00–12:00 and 14:30–17:30 (sample for workstations)."""
    from datetime import time

    from routing.config import TimeWindow

    weekdays = frozenset({1, 2, 3, 4, 5})
    return BusinessHours(
        timezone=timezone,
        always_open=False,
        windows=(
            TimeWindow(weekdays, time(8, 0), time(12, 0)),
            TimeWindow(weekdays, time(14, 30), time(17, 30)),
        ),
    )
