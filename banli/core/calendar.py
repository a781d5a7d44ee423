"""Deadline arithmetic: calendar months and official working days, and the one way in for
the official calendar an admin enters.

Working days follow the Chinese official calendar, holidays and adjusted working weekends
(调休) included (docs/domain.md §5.3). Each day is judged in this order: a day an admin
entered (CalendarDay); else the chinese-calendar package, for the years it knows; else Monday
to Friday, the fallback. A day is *known* when the package covers its year or an admin
entered that very day: entering a few days of 2027 does not make the rest of 2027 known. A
date counted over an unknown day is an estimate, and says so wherever it is shown (the
`due_mark` template filter) and in the log.
"""

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import chinese_calendar
from dateutil.relativedelta import relativedelta
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .actors import user_of
from .errors import NotAllowed, ValidationFailed
from .workflow import register_label

logger = logging.getLogger("banli.calendar")


def add_months(start: dt.date, months: int) -> dt.date:
    """Same day `months` calendar months later; the month's last day when it is shorter."""
    return start + relativedelta(months=months)


@lru_cache(maxsize=64)
def _package_knows(year: int) -> bool:
    try:
        chinese_calendar.is_workday(dt.date(year, 6, 1))
    except NotImplementedError:
        return False
    return True


@lru_cache(maxsize=64)
def _warn_fallback(year: int) -> None:
    # Called only for a day neither the package nor an admin's entry knows.
    logger.warning(
        "The official calendar for %s is not known; counting Monday to Friday as working days.",
        year,
    )


def calendar_known(day: dt.date) -> bool:
    """Whether the official calendar is known for `day`: the package covers its year, or an
    admin entered that day. Per day, not per year (docs/domain.md §5.3)."""
    from .models import CalendarDay

    return _package_knows(day.year) or CalendarDay.objects.filter(date=day).exists()


def _overrides(start: dt.date, end: dt.date) -> dict[dt.date, bool]:
    from .models import CalendarDay

    rows = CalendarDay.objects.filter(date__gte=start, date__lte=end)
    return {row.date: row.is_working_day for row in rows}


def _package_says(day: dt.date) -> tuple[bool, bool]:
    """(working day?, known?) for a day nobody entered."""
    if _package_knows(day.year):
        return bool(chinese_calendar.is_workday(day)), True
    _warn_fallback(day.year)
    return day.weekday() < 5, False


def _judge(day: dt.date, overrides: dict[dt.date, bool]) -> tuple[bool, bool]:
    entered = overrides.get(day)
    if entered is not None:
        return entered, True
    return _package_says(day)


def is_working_day(day: dt.date) -> bool:
    return _judge(day, _overrides(day, day))[0]


@dataclass(frozen=True)
class Deadline:
    """A date counted in working days, and whether the count crossed a day the official
    calendar does not know yet (then Monday to Friday was assumed: an estimate)."""

    on: dt.date
    estimated: bool


def working_day_deadline(start: dt.date, days: int) -> Deadline:
    """The date `days` working days after `start` (start itself not counted)."""
    if days < 0:
        raise ValueError("days must be >= 0")
    # Enough room for the Spring Festival week and a weekend on either side.
    overrides = _overrides(start, start + dt.timedelta(days=days * 3 + 30))
    day, counted, estimated = start, 0, False
    while counted < days:
        day += dt.timedelta(days=1)
        working, known = _judge(day, overrides)
        estimated = estimated or not known
        if working:
            counted += 1
    return Deadline(day, estimated)


def add_working_days(start: dt.date, days: int) -> dt.date:
    """The date `days` working days after `start` (start itself not counted)."""
    return working_day_deadline(start, days).on


def working_days_between(start: dt.date, end: dt.date) -> int:
    """Working days after `start` up to and including `end`."""
    if end <= start:
        return 0
    overrides = _overrides(start, end)
    count, day = 0, start
    while day < end:
        day += dt.timedelta(days=1)
        count += bool(_judge(day, overrides)[0])
    return count


# Apps whose open deadlines count working days register here, to recompute them when the
# official calendar changes (docs/domain.md §5.4: each moved date in the item's history).
_CALENDAR_LISTENERS: list[Callable[..., int]] = []


def on_calendar_change(listener: Callable[..., int]) -> None:
    if listener not in _CALENDAR_LISTENERS:
        _CALENDAR_LISTENERS.append(listener)


def calendar_changed(*, by) -> int:
    """Recompute every open working-day deadline; returns how many moved."""
    return sum(listener(by=by) for listener in _CALENDAR_LISTENERS)


# Entering the official calendar ------------------------------------------------------------

register_label("calendar.set_day", gettext_lazy("entered a day of the official calendar"))
register_label("calendar.remove_day", gettext_lazy("removed a day of the official calendar"))
register_label(
    "calendar.complete_year", gettext_lazy("entered the rest of the year as ordinary days")
)


def _check_calendar_editor(by) -> None:
    """The platform's calendar is one for every body: its administrators keep it."""
    if by is None:
        return  # the system (a data load of the published calendar)
    user = user_of(by)
    if user is None or not (
        user.is_superuser or user.has_perms(["core.add_calendarday", "core.change_calendarday"])
    ):
        raise NotAllowed(_("Only the platform's administrators keep the official calendar."))


@dataclass(frozen=True)
class CalendarEntry:
    """What an entry did: the day as it now stands (None once removed) and how many open
    deadlines moved with it."""

    day: object
    moved: int


@transaction.atomic
def set_calendar_day(date: dt.date, *, is_working_day: bool, name: str = "", by) -> CalendarEntry:
    """Enter or change one day of the official calendar (法定节假日 / 调休上班日); the
    deadlines still open move with it, whatever page or script entered it."""
    from .history import record
    from .models import CalendarDay

    _check_calendar_editor(by)
    name = (name or "").strip()
    day = CalendarDay.objects.select_for_update().filter(date=date).first()
    before = None if day is None else {"working": day.is_working_day, "name": day.name}
    if day is None:
        day = CalendarDay.objects.create(date=date, is_working_day=is_working_day, name=name)
    elif (day.is_working_day, day.name) != (is_working_day, name):
        day.is_working_day, day.name = is_working_day, name
        day.save(update_fields=["is_working_day", "name"])
    else:
        return CalendarEntry(day, 0)
    record(
        day,
        "calendar.set_day",
        by=by,
        data={
            "date": date.isoformat(),
            "before": before,
            "after": {"working": is_working_day, "name": name},
        },
    )
    return CalendarEntry(day, calendar_changed(by=by))


@transaction.atomic
def remove_calendar_day(date: dt.date, *, by) -> CalendarEntry:
    """Forget an entered day: the package (or Monday to Friday) judges it again."""
    from .history import record
    from .models import CalendarDay

    _check_calendar_editor(by)
    day = CalendarDay.objects.select_for_update().filter(date=date).first()
    if day is None:
        return CalendarEntry(None, 0)
    record(
        day,
        "calendar.remove_day",
        by=by,
        data={
            "date": date.isoformat(),
            "before": {"working": day.is_working_day, "name": day.name},
            "after": None,
        },
    )
    day.delete()
    return CalendarEntry(None, calendar_changed(by=by))


@transaction.atomic
def complete_calendar_year(year: int, *, by) -> CalendarEntry:
    """The official calendar of `year` is entered in full: every day not entered yet is an
    ordinary day (Monday to Friday worked), so the whole year becomes known and its dates
    stop being estimates. Run it after entering the year's holidays and adjusted days."""
    from .history import record
    from .models import CalendarDay

    _check_calendar_editor(by)
    if _package_knows(year):
        raise ValidationFailed(
            _("The calendar for %(year)s is already known; enter only the days that differ.")
            % {"year": year}
        )
    first, last = dt.date(year, 1, 1), dt.date(year, 12, 31)
    entered = set(
        CalendarDay.objects.filter(date__gte=first, date__lte=last).values_list("date", flat=True)
    )
    missing = [
        first + dt.timedelta(days=n)
        for n in range((last - first).days + 1)
        if first + dt.timedelta(days=n) not in entered
    ]
    if not missing:
        return CalendarEntry(None, 0)
    CalendarDay.objects.bulk_create(
        CalendarDay(date=day, is_working_day=day.weekday() < 5) for day in missing
    )
    marker = CalendarDay.objects.get(date=missing[0])
    record(marker, "calendar.complete_year", by=by, data={"year": year, "added": len(missing)})
    return CalendarEntry(None, calendar_changed(by=by))
