"""Deadline arithmetic: calendar months, official working days, the 2027 fallback and the
days an admin enters."""

import datetime as dt
import logging

import pytest

from banli.core import calendar
from banli.core.calendar import (
    Deadline,
    add_months,
    add_working_days,
    calendar_known,
    complete_calendar_year,
    is_working_day,
    remove_calendar_day,
    set_calendar_day,
    working_day_deadline,
    working_days_between,
)
from banli.core.errors import NotAllowed, ValidationFailed
from banli.core.models import CalendarDay, HistoryEntry
from banli.handling import services as handling
from banli.handling.models import AssignmentRole

from .factories import on

D = dt.date


def _admin():
    from django.contrib.auth import get_user_model

    return get_user_model().objects.create_superuser("cal-admin", "a@example.org", "pw-banli-2026")


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
    assert planned == handling.PlannedDates(
        lead=D(2026, 4, 30),
        co=D(2026, 2, 28),
        # Sat 31 Jan itself does not count; Mon 2 to Fri 6 Feb are the five working days.
        dispute=D(2026, 2, 6),
        dispute_estimated=False,
    )
    assert (assignment.due_on, assignment.dispute_due_on) == (planned.lead, planned.dispute)
    assert assignment.dispute_due_estimated is False


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
    assert calendar_known(D(2026, 12, 20))


def test_unknown_year_falls_back_to_monday_to_friday_and_says_so(
    db, caplog, fresh_fallback_warning
):
    assert not calendar_known(D(2027, 1, 4))
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


def test_entered_days_beyond_the_package_are_known_one_by_one(db, caplog, fresh_fallback_warning):
    """The State Council's 2027 Spring Festival, entered by an admin before the package
    knows 2027: the entered days count as entered; the days nobody entered are still
    counted Monday to Friday, and said so (docs/domain.md §5.3)."""
    CalendarDay.objects.create(date=D(2027, 2, 6), is_working_day=True, name="春节调休")
    for day in range(8, 13):
        CalendarDay.objects.create(date=D(2027, 2, day), is_working_day=False, name="春节")
    assert calendar_known(D(2027, 2, 8))
    # Entering some days of 2027 does not make the rest of 2027 known.
    assert not calendar_known(D(2027, 2, 5))
    assert not calendar_known(D(2027, 6, 1))
    assert is_working_day(D(2027, 2, 6))  # a Saturday, worked
    assert not is_working_day(D(2027, 2, 8))  # a Monday, off
    # Sat 6 Feb worked, 8-12 off, then Mon 15 and Tue 16 Feb counted Monday to Friday: the
    # days nobody entered (7, 13-16 Feb) make the date an estimate, and the log says so.
    with caplog.at_level(logging.WARNING, logger="banli.calendar"):
        assert working_day_deadline(D(2027, 2, 5), 3) == Deadline(D(2027, 2, 16), True)
    assert [r for r in caplog.records if "2027" in r.getMessage()]


def test_a_year_entered_in_full_is_known(db, caplog, fresh_fallback_warning):
    admin = _admin()
    set_calendar_day(D(2027, 2, 8), is_working_day=False, name="春节", by=admin)
    complete_calendar_year(2027, by=admin)
    assert CalendarDay.objects.filter(date__year=2027).count() == 365
    assert calendar_known(D(2027, 6, 1))
    assert not is_working_day(D(2027, 2, 8))  # the entered holiday stays
    with caplog.at_level(logging.WARNING, logger="banli.calendar"):
        assert working_day_deadline(D(2027, 2, 5), 1) == Deadline(D(2027, 2, 9), False)
    assert caplog.records == []
    # The package already knows 2026: only the days that differ are entered there.
    with pytest.raises(ValidationFailed):
        complete_calendar_year(2026, by=admin)


def test_assignment_in_a_fallback_year_still_gets_its_dates(world, fresh_fallback_warning):
    with on(D(2027, 1, 29)):
        item = world.assigned()
    assignment = item.assignments.get()
    assert assignment.due_on == D(2027, 4, 29)
    # Mon 1 to Fri 5 Feb: Monday to Friday, since 2027 is not known.
    assert assignment.dispute_due_on == D(2027, 2, 5)


def test_an_entered_holiday_moves_open_dispute_deadlines(client, world):
    """docs/domain.md §5.4: days an admin enters take precedence; open deadlines they move are
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
    with on(dt.date(2027, 1, 5)):
        response = client.post(
            reverse("admin:core_calendarday_add"),
            {"date": "2027-01-06", "is_working_day": "", "name": "测试假日"},
        )
    assert response.status_code == 302
    pending.refresh_from_db()
    assert pending.dispute_due_on == dt.date(2027, 1, 12)
    moved = HistoryEntry.objects.for_root(item).get(action="assignment.calendar_changed")
    assert moved.actor == admin and moved.data["to"] == "2027-01-12"


# Entering the calendar is a service: the same rules whatever page or script enters a day.


def test_a_calendar_day_entered_by_the_service_moves_open_windows_only(world):
    """docs/domain.md §5.4: only windows still open move; a closed one never reopens."""
    with on(D(2027, 1, 4)):  # a Monday of a year the package does not know
        open_item = world.assigned()
        accepted_item = world.assigned()
        accepted = world.lead_assignment(accepted_item)
        handling.accept_assignment(accepted, by=world.coord[accepted.unit_id])
    with on(D(2026, 12, 28)):
        closed_item = world.assigned()  # window until Mon 4 Jan 2027
    window = world.lead_assignment(open_item)
    closed = world.lead_assignment(closed_item)
    assert (window.dispute_due_on, window.dispute_due_estimated) == (D(2027, 1, 11), True)
    assert closed.dispute_due_on == D(2027, 1, 4)
    with on(D(2027, 1, 5)):
        # New Year's holiday moved: 4 Jan off. The closed window would end on 5 Jan.
        entry = set_calendar_day(D(2027, 1, 4), is_working_day=False, name="调休", by=_admin())
        entry2 = set_calendar_day(D(2027, 1, 6), is_working_day=False, name="假日", by=None)
    assert (entry.moved, entry2.moved) == (0, 1)
    window.refresh_from_db()
    assert window.dispute_due_on == D(2027, 1, 12)
    closed.refresh_from_db()
    assert closed.dispute_due_on == D(2027, 1, 4)  # closed on the 4th; it stays closed
    assert fresh_due(accepted) == D(2027, 1, 11)  # accepted: no window left to move
    moves = HistoryEntry.objects.filter(action="assignment.calendar_changed")
    assert list(moves.values_list("root_id", flat=True)) == [open_item.pk]
    entered = HistoryEntry.objects.get(action="calendar.set_day", data__date="2027-01-06")
    assert entered.actor_kind == "system" and entered.data["after"]["working"] is False
    # Removing the day is the same service path: the window moves back.
    with on(D(2027, 1, 5)):
        assert remove_calendar_day(D(2027, 1, 6), by=None).moved == 1
    window.refresh_from_db()
    assert window.dispute_due_on == D(2027, 1, 11)


def fresh_due(assignment):
    return type(assignment).objects.get(pk=assignment.pk).dispute_due_on


def test_changing_a_bodys_rule_later_moves_no_deadline(world):
    """docs/domain.md §5.5: an assignment keeps the rules it was made under."""
    with on(D(2027, 1, 4)):
        item = world.assigned()
    assignment = world.lead_assignment(item)
    assert (assignment.dispute_working_days, assignment.due_months) == (5, 3)
    rules = world.body.rules
    rules.dispute_working_days, rules.reply_months, rules.max_reply_months = 10, 2, 4
    rules.save()
    with on(D(2027, 1, 5)):
        set_calendar_day(D(2027, 1, 6), is_working_day=False, name="假日", by=None)
        # Five working days, as when it was assigned, not ten: Tue 12 Jan, not Tue 19 Jan.
        assignment.refresh_from_db()
        assert assignment.dispute_due_on == D(2027, 1, 12)
        assert assignment.due_on == D(2027, 4, 4)
        # The six-month limit of the day of assignment still holds for an extension.
        handling.accept_assignment(assignment, by=world.coord[assignment.unit_id])
        handling.request_extension(
            assignment, by=world.coord[assignment.unit_id], until=D(2027, 6, 30), reason="协调"
        )


def test_only_administrators_keep_the_calendar(world):
    with pytest.raises(NotAllowed):
        set_calendar_day(D(2027, 1, 6), is_working_day=False, name="假日", by=world.staff)
    assert not CalendarDay.objects.exists()


def test_a_full_year_entered_later_ends_the_estimates(world):
    with on(D(2026, 12, 1)):
        item = world.assigned()  # 2026 is known: a date counted, not estimated
    with on(D(2027, 3, 1)):
        later = world.assigned()
    assert world.lead_assignment(item).dispute_due_estimated is False
    estimated = world.lead_assignment(later)
    assert estimated.dispute_due_estimated is True
    with on(D(2027, 3, 2)):
        complete_calendar_year(2027, by=_admin())
    estimated.refresh_from_db()
    assert (estimated.dispute_due_on, estimated.dispute_due_estimated) == (D(2027, 3, 8), False)


def test_the_due_mark_says_when_a_date_is_an_estimate(db):
    from django.template import Context, Template

    page = Template("{% load banli_dates %}{{ day|due_mark:estimated }}")
    plain = page.render(Context({"day": D(2026, 3, 9), "estimated": False}))
    assert plain == "2026-03-09"
    marked = page.render(Context({"day": D(2027, 2, 5), "estimated": True}))
    assert "2027-02-05" in marked
    assert "(estimated: official calendar for 2027 not yet published)" in marked


def test_the_assignment_preview_marks_an_estimated_dispute_date(client, world):
    from django.urls import reverse

    with on(D(2027, 3, 1)):
        item = world.accepted()
        client.force_login(world.staff)
        response = client.get(
            reverse("handling:assign_preview", args=[item.pk]),
            {"lead_units": [world.units[0].pk]},
        )
    assert response.status_code == 200
    assert "official calendar for 2027 not yet published" in response.content.decode()
