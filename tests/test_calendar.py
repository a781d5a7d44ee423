"""Deadline arithmetic: calendar months, official working days, the 2027 fallback and the
days an admin enters."""

import datetime as dt
import logging

import pytest

from banli.core import calendar
from banli.core.calendar import (
    add_months,
    add_working_days,
    calendar_known,
    is_working_day,
    working_days_between,
)
from banli.core.models import CalendarDay
from banli.handling import services as handling
from banli.handling.models import AssignmentRole

from .factories import on

D = dt.date


@pytest.fixture
def fresh_fallback_warning():
    """The fallback warns once per year and process; forget earlier warnings."""
    calendar._warn_fallback.cache_clear()
    yield
    calendar._warn_fallback.cache_clear()


@pytest.mark.parametrize(
    "start, months, due",
    [
        (D(2026, 1, 31), 1, D(2026, 2, 28)),  # February is shorter: its last day
        (D(2026, 3, 31), 1, D(2026, 4, 30)),
        (D(2026, 3, 31), 3, D(2026, 6, 30)),
        (D(2026, 3, 15), 3, D(2026, 6, 15)),
        (D(2026, 8, 31), 6, D(2027, 2, 28)),
        (D(2027, 11, 30), 3, D(2028, 2, 29)),  # a leap year keeps the 29th
        (D(2026, 12, 15), 1, D(2027, 1, 15)),
    ],
)
def test_calendar_months(start, months, due):
    assert add_months(start, months) == due


def test_assignment_due_dates_are_calendar_months(world):
    """Reply in 3 months, 6 for a complex item, a co-handler's opinion in 1 month."""
    with on(D(2026, 3, 31)):
        plain = world.assigned(co=[world.units[1]])
        complex_item = world.assigned(complex=True)
    lead = plain.assignments.get(role=AssignmentRole.LEAD)
    co = plain.assignments.get(role=AssignmentRole.CO)
    assert (lead.assigned_on, lead.due_on) == (D(2026, 3, 31), D(2026, 6, 30))
    assert co.due_on == D(2026, 4, 30)
    assert complex_item.assignments.get().due_on == D(2026, 9, 30)


def test_planned_due_dates_match_what_assign_gives(world):
    with on(D(2026, 1, 31)):
        item = world.accepted()
        planned = handling.planned_due_dates(item, complex=False)
        (assignment,) = handling.assign(item, by=world.staff, lead_units=[world.units[0]])
    assert planned == {
        "lead": D(2026, 4, 30),
        "co": D(2026, 2, 28),
        # Sat 31 Jan itself does not count; Mon 2 to Fri 6 Feb are the five working days.
        "dispute": D(2026, 2, 6),
    }
    assert (assignment.due_on, assignment.dispute_due_on) == (planned["lead"], planned["dispute"])


def test_body_rules_change_the_months(db):
    from .factories import World

    world = World(reply_months=2, co_opinion_months=2, dispute_working_days=10)
    with on(D(2026, 3, 2)):
        item = world.assigned(co=[world.units[1]])
    lead = item.assignments.get(role=AssignmentRole.LEAD)
    co = item.assignments.get(role=AssignmentRole.CO)
    assert (lead.due_on, co.due_on) == (D(2026, 5, 2), D(2026, 5, 2))
    assert lead.dispute_due_on == D(2026, 3, 16)


def test_spring_festival_and_its_adjusted_saturdays(db):
    """2026: Sat 14 Feb and Sat 28 Feb are working days; 15-23 Feb is the holiday."""
    assert is_working_day(D(2026, 2, 14))
    assert is_working_day(D(2026, 2, 28))
    assert not any(is_working_day(D(2026, 2, day)) for day in range(15, 24))
    assert add_working_days(D(2026, 2, 13), 1) == D(2026, 2, 14)
    assert add_working_days(D(2026, 2, 14), 1) == D(2026, 2, 24)
    assert add_working_days(D(2026, 2, 13), 5) == D(2026, 2, 27)
    assert add_working_days(D(2026, 2, 13), 6) == D(2026, 2, 28)
    assert add_working_days(D(2026, 2, 13), 7) == D(2026, 3, 2)
    assert working_days_between(D(2026, 2, 13), D(2026, 3, 1)) == 6


def test_dispute_window_spans_the_spring_festival(world):
    with on(D(2026, 2, 12)):
        item = world.assigned()
    # Fri 13, Sat 14 (adjusted), Tue 24, Wed 25, Thu 26.
    assert item.assignments.get().dispute_due_on == D(2026, 2, 26)


def test_national_day_week(db):
    """2026: 1-7 Oct is the holiday; Sat 10 Oct is worked, Sun 11 Oct is not."""
    assert not any(is_working_day(D(2026, 10, day)) for day in range(1, 8))
    assert is_working_day(D(2026, 10, 10))
    assert not is_working_day(D(2026, 10, 11))
    # Wed 30 Sep, Thu 8, Fri 9, Sat 10, Mon 12.
    assert add_working_days(D(2026, 9, 29), 5) == D(2026, 10, 12)
    assert working_days_between(D(2026, 9, 30), D(2026, 10, 12)) == 4
    assert add_working_days(D(2026, 9, 29), 0) == D(2026, 9, 29)


def test_negative_working_days_are_refused(db):
    with pytest.raises(ValueError):
        add_working_days(D(2026, 3, 2), -1)


def test_known_year_needs_no_fallback(db, caplog, fresh_fallback_warning):
    with caplog.at_level(logging.WARNING, logger="banli.calendar"):
        add_working_days(D(2026, 12, 20), 5)
    assert caplog.records == []
    assert calendar_known(2026)


def test_unknown_year_falls_back_to_monday_to_friday_and_says_so(
    db, caplog, fresh_fallback_warning
):
    assert not calendar_known(2027)
    with caplog.at_level(logging.WARNING, logger="banli.calendar"):
        # Fri 1 Jan 2027 is New Year's Day in reality; the fallback cannot know.
        assert add_working_days(D(2026, 12, 31), 1) == D(2027, 1, 1)
        assert add_working_days(D(2027, 1, 1), 1) == D(2027, 1, 4)
        assert add_working_days(D(2027, 1, 1), 5) == D(2027, 1, 8)
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert warnings, "the fallback must not be silent"
    assert "2027" in warnings[0].getMessage()
    assert "Monday to Friday" in warnings[0].getMessage()


def test_entered_days_take_precedence_over_the_package(db):
    # An admin cancels the adjusted Saturday after National Day and adds a day off.
    CalendarDay.objects.create(date=D(2026, 10, 10), is_working_day=False, name="调整")
    CalendarDay.objects.create(date=D(2026, 10, 12), is_working_day=False, name="调整")
    assert not is_working_day(D(2026, 10, 10))
    # Wed 30 Sep, Thu 8, Fri 9, Tue 13, Wed 14.
    assert add_working_days(D(2026, 9, 29), 5) == D(2026, 10, 14)
    assert working_days_between(D(2026, 9, 30), D(2026, 10, 12)) == 2


def test_entered_year_beyond_the_package(db, caplog, fresh_fallback_warning):
    """The State Council's 2027 calendar, entered by an admin before the package knows it:
    entered days count as entered, the others Monday to Friday, and nothing is reported
    missing."""
    CalendarDay.objects.create(date=D(2027, 2, 6), is_working_day=True, name="春节调休")
    for day in range(8, 13):
        CalendarDay.objects.create(date=D(2027, 2, day), is_working_day=False, name="春节")
    assert calendar_known(2027)
    assert is_working_day(D(2027, 2, 6))  # a Saturday, worked
    assert not is_working_day(D(2027, 2, 8))  # a Monday, off
    with caplog.at_level(logging.WARNING, logger="banli.calendar"):
        # Fri 5 Feb, Sat 6 Feb, then 8-12 off, Mon 15 Feb.
        assert add_working_days(D(2027, 2, 4), 3) == D(2027, 2, 15)
    assert caplog.records == []


def test_assignment_in_a_fallback_year_still_gets_its_dates(world, fresh_fallback_warning):
    with on(D(2027, 1, 29)):
        item = world.assigned()
    assignment = item.assignments.get()
    assert assignment.due_on == D(2027, 4, 29)
    # Mon 1 to Fri 5 Feb: Monday to Friday, since 2027 is not known.
    assert assignment.dispute_due_on == D(2027, 2, 5)


def test_an_entered_holiday_moves_open_dispute_deadlines(client, world):
    """DOMAIN.md §3: days an admin enters take precedence; open deadlines they move are
    recomputed, each change in the item's history."""
    from django.contrib.auth import get_user_model
    from django.urls import reverse

    from banli.core.models import HistoryEntry

    # 2027 is not in the package: Monday to Friday until the admin enters the holidays.
    with on(dt.date(2027, 1, 4)):  # a Monday
        item = world.assigned()
    pending = world.lead_assignment(item)
    assert pending.dispute_due_on == dt.date(2027, 1, 11)
    admin = get_user_model().objects.create_superuser("cal-admin", "a@example.org", "pw-banli-2026")
    client.force_login(admin)
    response = client.post(
        reverse("admin:core_calendarday_add"),
        {"date": "2027-01-06", "is_working_day": "", "name": "测试假日"},
    )
    assert response.status_code == 302
    pending.refresh_from_db()
    assert pending.dispute_due_on == dt.date(2027, 1, 12)
    moved = HistoryEntry.objects.for_root(item).get(action="assignment.calendar_changed")
    assert moved.actor == admin and moved.data["to"] == "2027-01-12"
