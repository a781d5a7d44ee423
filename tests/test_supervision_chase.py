"""催办: the staff remind the units still handling an item, from its page, from the deadline
board's rows, or for a selection of the list at once. Each unit's coordinators and leaders
are told (and the handler it named), once; the item's history names the units and the note;
a unit is reminded of an item once a day."""

import datetime as dt

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from banli.core.errors import NotAllowed, ValidationFailed
from banli.core.models import HistoryEntry
from banli.handling import services as handling
from banli.notices.models import Notice
from banli.supervision.services import chase

from .factories import on
from .test_batch import run_batch, select

DAY = dt.date(2026, 4, 20)
LATER = dt.date(2026, 7, 1)


@pytest.fixture(autouse=True)
def _english(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"


def told(world, user) -> int:
    return Notice.objects.filter(recipient=user, kind="supervision.chase").count()


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_chasing_an_item_tells_each_units_coordinator_and_leader_once(world):
    lead, co = world.units
    with on(DAY):
        item = world.assigned(lead=[lead], co=[co])
        a = world.lead_assignment(item)
        handling.accept_assignment(a, by=world.coord[lead.pk])
        handling.name_handler(a, by=world.coord[lead.pk], handler=world.handler[lead.pk])
    with on(LATER):
        reminded = chase(item, by=world.staff, note="请加快办理，月底前答复。")
    assert [u.name for u in reminded] == ["市住建局", "市交通局"]
    for unit in (lead, co):
        assert told(world, world.coord[unit.pk]) == 1
        assert told(world, world.leader[unit.pk]) == 1
    # The lead unit named its handler; the co-handling unit did not.
    assert told(world, world.handler[lead.pk]) == 1
    assert told(world, world.handler[co.pk]) == 0
    assert told(world, world.staff) == 0 and told(world, world.deputy) == 0
    notice = Notice.objects.filter(recipient=world.coord[lead.pk], kind="supervision.chase").get()
    assert notice.params["unit"] == "市住建局" and "月底前答复" in notice.params["note"]
    entry = HistoryEntry.objects.for_root(item).get(action="supervision.chase")
    assert (entry.actor, entry.reason) == (world.staff, "请加快办理，月底前答复。")
    assert entry.data["unit"] == "市住建局、市交通局"
    assert entry.data["unit_ids"] == [lead.pk, co.pk]


def test_chasing_chosen_units_only(world):
    lead, co = world.units
    with on(DAY):
        item = world.assigned(lead=[lead], co=[co])
    with on(LATER):
        chase(item, by=world.staff, units=[co])
    assert told(world, world.coord[co.pk]) == 1
    assert told(world, world.coord[lead.pk]) == 0


def test_a_unit_is_chased_once_a_day(world):
    lead, co = world.units
    with on(DAY):
        item = world.assigned(lead=[lead], co=[co])
    with on(LATER):
        chase(item, by=world.staff, units=[lead])
        with pytest.raises(
            ValidationFailed, match="市住建局 was already reminded of this item today"
        ):
            chase(item, by=world.staff, units=[lead, co])
        # By default the units not yet reminded today are.
        assert chase(item, by=world.staff) == [co]
        with pytest.raises(ValidationFailed, match="already reminded today"):
            chase(item, by=world.staff)
    with on(LATER + dt.timedelta(days=1)):
        assert len(chase(item, by=world.staff)) == 2
    assert told(world, world.coord[lead.pk]) == 2
    assert HistoryEntry.objects.for_root(item).filter(action="supervision.chase").count() == 3


def test_what_cannot_be_chased(world, other_world):
    with on(DAY):
        accepted = world.accepted()
        replied = world.replied()
        closed = world.replied()
        handling.evaluate(closed, by=world.deputy, attitude="satisfied", result="satisfied")
        closed.refresh_from_db()
        item = world.assigned()
    for case in (accepted, replied, closed):
        with pytest.raises(ValidationFailed, match="Only an item the units are handling"):
            chase(case, by=world.staff)
    for user in (
        world.supervisor,
        world.auditor,
        world.coord[world.units[0].pk],
        other_world.staff,
    ):
        with pytest.raises(NotAllowed):
            chase(item, by=user)
    with pytest.raises(ValidationFailed, match="Only the units handling this item"):
        chase(item, by=world.staff, units=[world.units[1]])
    assert not Notice.objects.filter(kind="supervision.chase").exists()
    assert not HistoryEntry.objects.filter(action="supervision.chase").exists()


def test_the_staff_chase_from_the_deadline_board(client, world):
    with on(DAY):
        item = world.assigned()
    lead = world.units[0]
    client.force_login(world.staff)
    with on(LATER):
        board = client.get(reverse("handling:board")).content.decode()
    link = reverse("supervision:chase", args=[item.pk]) + f"?unit={lead.pk}&amp;next="
    assert link in board
    with on(LATER):
        form = client.get(
            reverse("supervision:chase", args=[item.pk]),
            {"unit": lead.pk, "next": "/handling/board/"},
        )
        assert form.status_code == 200 and "市住建局" in form.content.decode()
        response = client.post(
            reverse("supervision:chase", args=[item.pk]),
            {"units": [lead.pk], "note": "逾期请尽快答复", "next": reverse("handling:board")},
        )
    assert response.status_code == 302 and response.url == reverse("handling:board")
    assert f"市住建局 reminded of {item.display_number}." in messages_of(response)
    assert told(world, world.coord[lead.pk]) == 1
    # The second time that day the refusal stays on the form.
    with on(LATER):
        again = client.post(reverse("supervision:chase", args=[item.pk]), {"units": [lead.pk]})
    assert (
        again.status_code == 200 and "already reminded of this item today" in again.content.decode()
    )
    assert told(world, world.coord[lead.pk]) == 1
    # An outside `next` is not followed.
    with on(LATER + dt.timedelta(days=1)):
        outside = client.post(
            reverse("supervision:chase", args=[item.pk]),
            {"units": [lead.pk], "next": "https://evil.example/"},
        )
    assert outside.url == reverse("items:detail", args=[item.pk])


def test_the_supervising_leaders_board_has_no_chase_link(client, world):
    with on(DAY):
        item = world.assigned()
    client.force_login(world.supervisor)
    with on(LATER):
        board = client.get(reverse("handling:board"), {"scope": "body"}).content.decode()
    assert reverse("supervision:chase", args=[item.pk]) not in board


def test_who_may_open_the_chase_page(client, world, other_world):
    with on(DAY):
        item = world.assigned()
        accepted = world.accepted()
    url = reverse("supervision:chase", args=[item.pk])
    for user, status in (
        (world.coord[world.units[0].pk], 403),
        (world.deputy, 403),
        (world.supervisor, 403),
        (other_world.staff, 404),
    ):
        client.force_login(user)
        assert client.get(url).status_code == status
        assert client.post(url, {"units": [world.units[0].pk]}).status_code == status
    client.force_login(world.staff)
    assert (
        client.get(reverse("supervision:chase", args=["99999999999999999999"])).status_code == 404
    )
    page = client.get(reverse("supervision:chase", args=[accepted.pk]))
    assert (
        page.status_code == 200 and "Only an item the units are handling" in page.content.decode()
    )
    refused = client.post(
        reverse("supervision:chase", args=[accepted.pk]), {"units": [world.units[0].pk]}
    )
    assert refused.status_code == 200
    assert not Notice.objects.filter(kind="supervision.chase").exists()


def test_the_item_page_offers_the_chase_to_staff(client, world):
    with on(DAY):
        item = world.assigned()
    client.force_login(world.staff)
    assert (
        reverse("supervision:chase", args=[item.pk])
        in client.get(reverse("items:detail", args=[item.pk])).content.decode()
    )
    client.force_login(world.auditor)
    assert (
        reverse("supervision:chase", args=[item.pk])
        not in client.get(reverse("items:detail", args=[item.pk])).content.decode()
    )


def test_batch_chase_over_a_selection(client, world):
    with on(DAY):
        handled = [world.assigned(title=f"关于第{n}件事的建议") for n in range(3)]
        waiting = world.accepted()
    client.force_login(world.staff)
    ids = [i.pk for i in handled] + [waiting.pk]
    select(client, "items", ids)
    with on(LATER):
        start = client.get(reverse("batch:start", args=["items"])).content.decode()
        assert 'id="step-chase"' in start and "3 of the 4 selected can take this step now" in start
        result = run_batch(client, "items", "chase", {"note": "请于本月底前答复"})
    assert "Only an item the units are handling can be chased" in result
    lead = world.units[0]
    assert told(world, world.coord[lead.pk]) == 3
    for item in handled:
        entry = HistoryEntry.objects.for_root(item).get(action="supervision.chase")
        assert entry.reason == "请于本月底前答复"
    # Run again the same day: every item is reported as already reminded, nobody told twice.
    select(client, "items", ids)
    with on(LATER):
        again = run_batch(client, "items", "chase", {"note": "再催"})
    assert "every unit already reminded today" in again
    assert told(world, world.coord[lead.pk]) == 3
