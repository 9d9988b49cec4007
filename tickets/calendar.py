"""Working calendar: weekends, public holidays and make-up working days (调休).

The `calendar_days` table holds the exceptions (a weekday that is a holiday, a weekend day that
is a working day); any other day is working Monday–Friday. `seed_year` fills a year from the
`chinese-calendar` package for the years it knows; admins edit single days through the API.
Working time counts whole working days (7×24 centre, so the clock runs all day on working days
and stops on rest days).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import delete, extract, select
from sqlalchemy.orm import Session

from models.errors import Invalid, NotFound
from models.settings import get_settings
from models.tickets import CalendarDay

log = logging.getLogger("hotline.tickets")
DAY = timedelta(days=1)


@dataclass(frozen=True)
class WorkingCalendar:
    exceptions: dict[date, bool]
    tz: ZoneInfo

    @classmethod
    def load(cls, db: Session, tz: str | None = None) -> WorkingCalendar:
        rows = db.execute(select(CalendarDay.day, CalendarDay.working)).all()
        return cls({d: w for d, w in rows}, ZoneInfo(tz or get_settings().timezone))

    def is_working(self, day: date) -> bool:
        found = self.exceptions.get(day)
        return found if found is not None else day.weekday() < 5

    def _midnight(self, day: date) -> datetime:
        return datetime.combine(day, time(), self.tz)

    def add(self, start: datetime, duration: timedelta) -> datetime:
        """`start` plus `duration` of working time."""
        cur = start.astimezone(self.tz)
        remaining = duration
        for _ in range(3660):  # ten years of days: a calendar with no working day is an error
            day = cur.date()
            if self.is_working(day):
                end_of_day = self._midnight(day + DAY)
                available = end_of_day - cur
                if remaining <= available:
                    return cur + remaining
                remaining -= available
            cur = self._midnight(day + DAY)
        raise Invalid("工作日历中没有足够的工作日", field="calendar")

    def add_days(self, start: datetime, days: int) -> datetime:
        return self.add(start, days * DAY)

    def working_between(self, a: datetime, b: datetime) -> timedelta:
        """Working time between two instants (zero if b <= a)."""
        if b <= a:
            return timedelta(0)
        cur = a.astimezone(self.tz)
        end = b.astimezone(self.tz)
        total = timedelta(0)
        while cur < end:
            next_midnight = self._midnight(cur.date() + DAY)
            stop = min(next_midnight, end)
            if self.is_working(cur.date()):
                total += stop - cur
            cur = stop
        return total


def seed_year(db: Session, year: int) -> int:
    """Write the year's holidays and make-up working days from `chinese-calendar`; returns days written.

    Manually edited days are kept.
    """
    import chinese_calendar

    first, last = date(year, 1, 1), date(year, 12, 31)
    try:
        chinese_calendar.is_workday(first)
        chinese_calendar.is_workday(last)
    except NotImplementedError as exc:
        raise Invalid(f"chinese-calendar 不包含 {year} 年的节假日安排，请手工维护", field="year") from exc
    manual = set(
        db.scalars(
            select(CalendarDay.day).where(
                CalendarDay.source == "manual", extract("year", CalendarDay.day) == year
            )
        )
    )
    db.execute(
        delete(CalendarDay).where(CalendarDay.source == "seed", extract("year", CalendarDay.day) == year)
    )
    written = 0
    day = first
    while day <= last:
        working = chinese_calendar.is_workday(day)
        if working != (day.weekday() < 5) and day not in manual:
            _, name = chinese_calendar.get_holiday_detail(day)
            db.add(CalendarDay(day=day, working=working, name=_holiday_name(name), source="seed"))
            written += 1
        day += DAY
    db.flush()
    log.info("calendar seeded", extra={"year": year, "days": written})
    return written


_NAMES = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "National Day": "国庆节",
    "Mid-autumn Festival": "中秋节",
    "Anti-Fascist 70th Day": "抗战胜利纪念日",
}


def _holiday_name(name: str | None) -> str | None:
    return _NAMES.get(name, name) if name else None


def list_days(db: Session, year: int) -> list[CalendarDay]:
    return list(
        db.scalars(
            select(CalendarDay).where(extract("year", CalendarDay.day) == year).order_by(CalendarDay.day)
        )
    )


def set_day(db: Session, *, day: date, working: bool, name: str | None = None) -> CalendarDay:
    row = db.get(CalendarDay, day)
    if row is None:
        row = CalendarDay(day=day)
        db.add(row)
    row.working, row.name, row.source = working, name, "manual"
    db.flush()
    return row


def delete_day(db: Session, day: date) -> None:
    row = db.get(CalendarDay, day)
    if row is None:
        raise NotFound(f"{day} 没有特殊安排", field="day")
    db.delete(row)
    db.flush()
