"""Deadline arithmetic: calendar months and official working days.

Working days follow the Chinese official calendar, holidays and adjusted working weekends
(调休) included. Days an admin entered (CalendarDay) take precedence over the
chinese-calendar package; for a year neither knows, Monday to Friday is used and a warning
is logged, so the fallback is never silent.
"""

import datetime as dt
import logging
from functools import lru_cache

import chinese_calendar
from dateutil.relativedelta import relativedelta

logger = logging.getLogger("banli.calendar")


def add_months(start: dt.date, months: int) -> dt.date:
    """Same day `months` calendar months later; the month's last day when it is shorter."""
    return start + relativedelta(months=months)


@lru_cache(maxsize=64)
def _warn_fallback(year: int) -> None:
    if calendar_known(year):
        return  # an admin entered the year: Monday to Friday plus the entered days is right
    logger.warning(
        "The official calendar for %s is not known; counting Monday to Friday as working days.",
        year,
    )


def calendar_known(year: int) -> bool:
    """Whether the package or an admin's entries cover `year`."""
    from .models import CalendarDay

    try:
        chinese_calendar.is_workday(dt.date(year, 6, 1))
        return True
    except NotImplementedError:
        return CalendarDay.objects.filter(date__year=year).exists()


def _overrides(start: dt.date, end: dt.date) -> dict[dt.date, bool]:
    from .models import CalendarDay

    rows = CalendarDay.objects.filter(date__gte=start, date__lte=end)
    return {row.date: row.is_working_day for row in rows}


def _package_says(day: dt.date) -> bool:
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:
        _warn_fallback(day.year)
        return day.weekday() < 5


def is_working_day(day: dt.date) -> bool:
    override = _overrides(day, day).get(day)
    return override if override is not None else _package_says(day)


def add_working_days(start: dt.date, days: int) -> dt.date:
    """The date `days` working days after `start` (start itself not counted)."""
    if days < 0:
        raise ValueError("days must be >= 0")
    # Enough room for the Spring Festival week and a weekend on either side.
    overrides = _overrides(start, start + dt.timedelta(days=days * 3 + 30))
    day, counted = start, 0
    while counted < days:
        day += dt.timedelta(days=1)
        working = overrides.get(day)
        if working is None:
            working = _package_says(day)
        if working:
            counted += 1
    return day


def working_days_between(start: dt.date, end: dt.date) -> int:
    """Working days after `start` up to and including `end`."""
    if end <= start:
        return 0
    overrides = _overrides(start, end)
    count, day = 0, start
    while day < end:
        day += dt.timedelta(days=1)
        working = overrides.get(day)
        if working is None:
            working = _package_says(day)
        count += bool(working)
    return count


# Apps whose open deadlines count working days register here, to recompute them when an
# admin enters the official calendar (DOMAIN.md §3: each moved date in the item's history).
_CALENDAR_LISTENERS: list = []


def on_calendar_change(listener) -> None:
    if listener not in _CALENDAR_LISTENERS:
        _CALENDAR_LISTENERS.append(listener)


def calendar_changed(*, by) -> int:
    """Recompute every open working-day deadline; returns how many moved."""
    return sum(listener(by=by) for listener in _CALENDAR_LISTENERS)
