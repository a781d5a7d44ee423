"""Batch work in the session week (成批办理): staff select many items across a list's pages
and take one step on all of them; a unit's coordinator accepts many assignments at once.
Each item goes through its own service and transaction: its own history entry, permission
and workflow check; one that fails is reported and the others stay done."""

import datetime as dt

import pytest
from django.urls import reverse

from banli.batch import runs
from banli.core.models import HistoryEntry
from banli.handling.models import Assignment
from banli.items import services as items
from banli.items.models import Item
from banli.items.workflow import ItemState
from banli.supervision.models import KeyItem

from .factories import on

DAY = dt.date(2026, 3, 2)  # a Monday


@pytest.fixture(autouse=True)
def _english(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"


def submitted(world, count: int, **kw) -> list[Item]:
    made = []
    for n in range(count):
        item = world.draft(title=f"关于第{n}个问题的建议", **kw)
        items.submit(item, by=world.deputy)
        made.append(item)
    return made


def under_review(world, count: int) -> list[Item]:
    made = submitted(world, count)
    for item in made:
        items.receive(item, by=world.staff)
    return made


def select(client, key: str, ids, *, shown=None, op: str = "update"):
    shown = list(ids) if shown is None else list(shown)
    return client.post(
        reverse("batch:select", args=[key]),
        {"shown": shown, "pick": list(ids), "op": op},
        HTTP_HX_REQUEST="true",
    )


def run_batch(client, key: str, action: str, data=None) -> str:
    """Start the step on the selection and let the page fetch chunk after chunk, as its htmx
    polling does; the finished progress fragment."""
    started = client.post(reverse("batch:start", args=[key]), {"action": action, **(data or {})})
    assert started.status_code == 302, started.content.decode()[:2000]
    page = client.get(started.url)
    assert page.status_code == 200
    run_id = started.url.rstrip("/").rsplit("/", 1)[-1]
    for _ in range(100):
        fragment = client.post(reverse("batch:step", args=[run_id]), HTTP_HX_REQUEST="true")
        assert fragment.status_code == 200
        text = fragment.content.decode()
        if 'hx-trigger="load"' not in text:
            return text
    raise AssertionError("the batch did not finish")


def accepts_by(item: Item):
    return HistoryEntry.objects.filter(
        root_id=item.pk, action="item.accept", root_type__model="item"
    )


def test_staff_receive_then_accept_twenty_with_a_category(client, world):
    category = world.body.categories.order_by("-order").first()
    with on(DAY):
        twenty = submitted(world, 20)
    client.force_login(world.staff)
    ids = [i.pk for i in twenty]
    assert "20 selected" in select(client, "review", ids).content.decode()
    with on(DAY):
        received = run_batch(client, "review", "receive")
        # The received items stay selected only if refused: select them again to accept.
        select(client, "review", ids)
        accepted = run_batch(client, "review", "accept", {"category": category.pk})
    assert "Done: 20" in received and "Done: 20" in accepted
    done = Item.objects.filter(pk__in=ids)
    assert {i.state for i in done} == {ItemState.ACCEPTED}
    assert {i.category_id for i in done} == {category.pk}
    assert sorted(i.number for i in done) == list(range(1, 21))  # each numbered once
    entries = HistoryEntry.objects.filter(action="item.accept", root_id__in=ids)
    assert entries.count() == 20
    assert {e.actor_id for e in entries} == {world.staff.pk}
    # What was done left the selection.
    assert "0 selected" in select(client, "review", [], shown=[]).content.decode()


def test_batch_assign_to_a_lead_and_a_co_handling_unit(client, world):
    lead, co = world.units
    with on(DAY):
        accepted = [world.accepted(title=f"关于第{n}条道路的建议") for n in range(5)]
    client.force_login(world.staff)
    select(client, "items", [i.pk for i in accepted])
    with on(DAY):
        page = client.get(reverse("batch:start", args=["items"]))
        assert "2026-06-02" in page.content.decode()  # the body's rules: three months
        result = run_batch(
            client, "items", "assign", {"lead_units": [lead.pk], "co_units": [co.pk]}
        )
    assert "Done: 5" in result
    for item in accepted:
        item.refresh_from_db()
        assert item.state == ItemState.ASSIGNED
        made = {(a.unit_id, a.role, a.due_on) for a in item.assignments.all()}
        assert made == {
            (lead.pk, "lead", dt.date(2026, 6, 2)),
            (co.pk, "co", dt.date(2026, 4, 2)),
        }
        entry = HistoryEntry.objects.get(root_id=item.pk, action="item.assign")
        assert entry.actor_id == world.staff.pk


def test_an_item_in_the_wrong_state_is_reported_and_the_others_are_done(client, world):
    with on(DAY):
        ready = under_review(world, 4)
        (not_received,) = submitted(world, 1)
    client.force_login(world.staff)
    select(client, "review", [i.pk for i in [*ready, not_received]])
    with on(DAY):
        result = run_batch(client, "review", "accept")
    assert "Done: 4" in result and "Refused: 1" in result
    assert "Cannot accept: not possible in this state." in result
    assert not_received.title in result
    assert Item.objects.get(pk=not_received.pk).state == ItemState.SUBMITTED
    assert Item.objects.filter(pk__in=[i.pk for i in ready], state=ItemState.ACCEPTED).count() == 4
    # The refused item stays selected, to be dealt with; the accepted ones left it.
    bar = select(client, "review", [not_received.pk]).content.decode()
    assert "1 selected" in bar


def test_another_bodys_item_is_never_selected_nor_changed(client, world, other_world):
    with on(DAY):
        mine = under_review(world, 2)
        theirs = under_review(other_world, 1)[0]
    client.force_login(world.staff)
    bar = select(client, "review", [*[i.pk for i in mine], theirs.pk]).content.decode()
    assert "2 selected" in bar
    # Even an id slipped into the selection by hand is not found and not changed.
    session = client.session
    key = f"batch.selection.review.{world.body.pk}"
    session[key] = [*session[key], theirs.pk]
    session.save()
    with on(DAY):
        result = run_batch(client, "review", "accept")
    assert "Done: 2" in result and "Not found: 1" in result
    theirs.refresh_from_db()
    assert theirs.state == ItemState.UNDER_REVIEW and theirs.number is None
    assert not accepts_by(theirs).exists()


def test_a_second_run_of_the_same_batch_applies_nothing_twice(client, world):
    with on(DAY):
        thirty = under_review(world, 30)
    ids = [i.pk for i in thirty]
    client.force_login(world.staff)
    select(client, "review", ids)
    with on(DAY):
        started = client.post(reverse("batch:start", args=["review"]), {"action": "accept"})
        run_id = started.url.rstrip("/").rsplit("/", 1)[-1]
        # One chunk, then the page is reloaded and the chunk asked for again without its
        # results having reached the session (a request cut off after the work was done).
        client.post(reverse("batch:step", args=[run_id]), HTTP_HX_REQUEST="true")
        session = client.session
        session[runs.RUNS][run_id]["results"] = {}
        session.save()
        assert client.get(reverse("batch:run", args=[run_id])).status_code == 200
        text = ""
        while 'hx-trigger="load"' not in text and "finished" not in text:
            text = client.post(
                reverse("batch:step", args=[run_id]), HTTP_HX_REQUEST="true"
            ).content.decode()
        while 'hx-trigger="load"' in text:
            text = client.post(
                reverse("batch:step", args=[run_id]), HTTP_HX_REQUEST="true"
            ).content.decode()
    assert f"Already done: {runs.CHUNK}" in text and f"Done: {30 - runs.CHUNK}" in text
    assert HistoryEntry.objects.filter(action="item.accept", root_id__in=ids).count() == 30
    assert sorted(Item.objects.filter(pk__in=ids).values_list("number", flat=True)) == list(
        range(1, 31)
    )


def test_a_unit_coordinator_accepts_many_assignments_at_once(client, world):
    unit = world.units[0]
    with on(DAY):
        given = [world.assigned(title=f"关于第{n}所学校的建议") for n in range(3)]
        elsewhere = world.assigned(lead=[world.units[1]])
    mine = [world.lead_assignment(i) for i in given]
    theirs = world.lead_assignment(elsewhere, world.units[1])
    client.force_login(world.coord[unit.pk])
    with on(DAY):
        inbox = client.get(reverse("handling:inbox")).content.decode()
    assert 'class="batch-pick"' in inbox and f'value="{mine[0].pk}"' in inbox
    bar = select(client, "inbox", [a.pk for a in mine] + [theirs.pk]).content.decode()
    assert "3 selected" in bar  # another unit's assignment is not theirs to select
    with on(DAY):
        result = run_batch(client, "inbox", "accept_assignment")
    assert "Done: 3" in result
    for assignment in mine:
        assignment.refresh_from_db()
        assert assignment.state == "handling" and assignment.accepted_on == DAY
        assert assignment.item.state == ItemState.IN_HANDLING
        entry = HistoryEntry.objects.get(target_id=assignment.pk, action="assignment.accept")
        assert entry.actor_id == world.coord[unit.pk].pk
    assert Assignment.objects.get(pk=theirs.pk).state == "pending"


def test_the_selection_survives_paging(client, world):
    with on(DAY):
        thirty = submitted(world, 30)
    client.force_login(world.staff)
    first = client.get(reverse("items:list"))
    page1 = [i.pk for i in first.context["page"].object_list]
    assert len(page1) == 25
    select(client, "items", page1[:2], shown=page1)
    second = client.get(first.context["page"].next_url)
    page2 = [i.pk for i in second.context["page"].object_list]
    assert len(page2) == 5 and not set(page1) & set(page2)
    assert "2 selected" in second.content.decode()
    select(client, "items", page2[:1], shown=page2)
    again = client.get(reverse("items:list")).content.decode()
    assert "3 selected" in again
    assert (
        f'value="{page1[0]}" form="batch-select" aria-label="{thirty[-1].title}" checked' in again
    )
    # Unticking one on the first page keeps the second page's pick.
    select(client, "items", page1[:1], shown=page1)
    session = client.session[f"batch.selection.items.{world.body.pk}"]
    assert sorted(session) == sorted([page1[0], page2[0]])
    # Select all on this page, then clear.
    assert "26 selected" in select(client, "items", [], shown=page1, op="page").content.decode()
    assert "0 selected" in select(client, "items", [], shown=[], op="clear").content.decode()


def test_batch_mark_key(client, world):
    with on(DAY):
        accepted = [world.accepted(title=f"关于第{n}条河流的建议") for n in range(3)]
    client.force_login(world.staff)
    select(client, "items", [i.pk for i in accepted])
    with on(DAY):
        result = run_batch(
            client, "items", "mark_key", {"supervisor": world.supervisor.pk, "note": "年度重点"}
        )
    assert "Done: 3" in result
    assert KeyItem.objects.filter(item__in=accepted, supervisor=world.supervisor).count() == 3


def test_only_those_who_act_on_a_list_see_its_boxes(client, world):
    with on(DAY):
        submitted(world, 1)
    client.force_login(world.deputy)
    page = client.get(reverse("items:list")).content.decode()
    assert "batch-pick" not in page and "batch-bar" not in page
    assert client.get(reverse("batch:start", args=["items"])).status_code == 403
    assert select(client, "items", [1]).status_code == 403
    client.force_login(world.staff)
    assert client.get(reverse("batch:start", args=["nosuchlist"])).status_code == 404
    assert client.get(reverse("batch:run", args=["nosuchrun"])).status_code == 404


def test_the_review_queue_offers_its_steps_on_the_picked_cards(client, world):
    with on(DAY):
        waiting = submitted(world, 3)
    client.force_login(world.staff)
    page = client.get(reverse("items:review")).content.decode()
    assert page.count('class="batch-pick"') == 3 and 'id="batch-bar"' in page
    select(client, "review", [waiting[0].pk])
    page = client.get(reverse("items:review")).content.decode()
    assert (
        f'value="{waiting[0].pk}" form="batch-select" aria-label="{waiting[0].title}" checked'
        in (page)
    )
    start = client.get(reverse("batch:start", args=["review"])).content.decode()
    assert "Start the review" in start and "Accept" in start
    assert "Assign" not in start  # assigning is offered on the item list, after acceptance


def test_a_category_of_another_body_is_refused_on_the_form(client, world, other_world):
    with on(DAY):
        waiting = under_review(world, 2)
    client.force_login(world.staff)
    select(client, "review", [i.pk for i in waiting])
    theirs = other_world.body.categories.first()
    response = client.post(
        reverse("batch:start", args=["review"]), {"action": "accept", "category": theirs.pk}
    )
    assert response.status_code == 200 and "errorlist" in response.content.decode()
    assert not Item.objects.filter(pk__in=[i.pk for i in waiting], state="accepted").exists()
    assert (
        client.post(reverse("batch:start", args=["review"]), {"action": "assign"}).status_code
        == 404
    )


def test_without_javascript_the_forms_still_work(client, world):
    with on(DAY):
        waiting = under_review(world, 3)
    client.force_login(world.staff)
    back = reverse("items:review") + "?state=under_review"
    ticked = client.post(
        reverse("batch:select", args=["review"]),
        {"shown": [i.pk for i in waiting], "pick": [waiting[0].pk, waiting[1].pk], "next": back},
    )
    assert ticked.status_code == 302 and ticked.url == back
    evil = client.post(
        reverse("batch:select", args=["review"]),
        {"shown": [], "pick": [], "next": "https://evil.example/"},
    )
    assert evil.url == reverse("items:review")
    with on(DAY):
        started = client.post(reverse("batch:start", args=["review"]), {"action": "accept"})
        page = client.get(started.url).content.decode()
        assert "<noscript>" in page and "Continue" in page
        step = started.url + "step/"
        assert client.post(step).url == started.url
        finished = client.get(started.url).content.decode()
    assert "The batch is finished." in finished and "Done: 2" in finished
    assert Item.objects.filter(pk=waiting[2].pk, state="under_review").exists()
