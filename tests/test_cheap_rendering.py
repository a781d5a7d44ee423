"""What the cheaper drawing of pages must keep: the same labels in both languages, escaped
options with the chosen one selected, records chosen by id within the body, and each body's
deadline board counting its own assignments only."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import translation

from banli.bodies.models import Unit
from banli.core.widgets import PlainSelect, RecordChoiceField, options_html
from banli.handling.forms_staff import BoardFilterForm
from banli.handling.models import Assignment, AssignmentRole
from banli.items.models import Item, Kind
from banli.items.workflow import ItemState

from .factories import World, on


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_every_state_and_kind_label_is_djangos_own(db, language):
    item = Item()
    with translation.override(language):
        for state, label in ItemState.choices:
            item.state = state
            assert item.get_state_display() == str(label)
        for kind, label in Kind.choices:
            item.kind = kind
            assert item.get_kind_display() == str(label)


def test_labels_follow_the_language_of_the_request(db):
    item = Item(state=ItemState.SUBMITTED)
    with translation.override("en"):
        english = item.get_state_display()
    with translation.override("zh-hans"):
        chinese = item.get_state_display()
    assert english == "Submitted" and chinese != english


def test_a_value_outside_the_choices_shows_as_itself(db):
    assert Item(state="no-such-state").get_state_display() == "no-such-state"


def test_options_are_escaped_and_the_chosen_one_selected():
    html = options_html([("", "—"), (1, "<b>住建局</b>"), (2, '教育"局')], "1")
    assert '<option value="1" selected>&lt;b&gt;住建局&lt;/b&gt;</option>' in html
    assert '<option value="2">教育&quot;局</option>' in html
    assert html.count("selected") == 1


def test_a_plain_select_keeps_its_name_id_and_choice():
    widget = PlainSelect(choices=[("", "All"), ("3", "甲"), ("4", "乙")])
    html = widget.render("unit", 4, attrs={"id": "id_unit"})
    assert html.startswith('<select id="id_unit" name="unit">')
    assert '<option value="4" selected>乙</option>' in html


def test_a_record_is_chosen_by_id_and_only_among_the_queryset(world):
    other = World()
    field = RecordChoiceField(queryset=Unit.objects.filter(body=world.body).order_by("name"))
    assert field.clean(str(world.units[0].pk)) == world.units[0].pk
    assert field.clean("") is None
    for bad in (str(other.units[0].pk), "x", "-1", "99999999999999999999"):
        with pytest.raises(Exception, match="valid choice"):
            field.clean(bad)


def test_the_board_filter_gives_the_unit_of_the_body(world):
    other = World()
    chosen = BoardFilterForm({"unit": world.units[1].pk}, body=world.body).chosen_unit
    assert chosen == world.units[1]
    foreign = BoardFilterForm({"unit": other.units[0].pk}, body=world.body)
    assert foreign.chosen_unit is None and foreign.errors


def test_an_assignment_belongs_to_its_items_body(world):
    item = world.assigned()
    assert {a.body_id for a in Assignment.objects.filter(item=item)} == {world.body.pk}


def test_each_body_counts_its_own_overdue_lead_assignments(client, world):
    other = World()
    with on(dt.date(2026, 1, 5)):
        world.assigned(title="本机关逾期")
        other.assigned(title="他机关逾期")
        other.assigned(title="他机关逾期二")
    client.force_login(world.staff)
    with on(dt.date(2026, 4, 15)):
        response = client.get(reverse("handling:board"))
    assert response.context["counts"]["overdue"] == 1
    assert [a.item.title for a in response.context["overdue"]] == ["本机关逾期"]
    leads = Assignment.objects.filter(body=other.body, role=AssignmentRole.LEAD)
    assert leads.count() == 2


def test_the_list_draws_the_unit_filter_with_every_unit_of_the_body(client, world):
    client.force_login(world.staff)
    html = client.get(reverse("items:list")).content.decode()
    for unit in world.units:
        assert f'<option value="{unit.pk}">{unit.name}</option>' in html
    chosen = client.get(reverse("items:list"), {"unit": world.units[0].pk}).content.decode()
    assert f'<option value="{world.units[0].pk}" selected>' in chosen


def test_the_review_queue_links_its_steps_and_builds_no_form(client, world):
    from banli.items import services as items

    waiting = world.draft(title="关于加快充电桩建设的建议", text="充电桩" * 80)
    items.submit(waiting, by=world.deputy)
    items.receive(waiting, by=world.staff)  # under review: accept, return, merge…
    client.force_login(world.staff)
    response = client.get(reverse("items:review"))
    [(item, actions)] = response.context["rows"]
    assert item == waiting and actions
    assert all(a["form"] is None for a in actions)
    html = response.content.decode()
    accept = reverse("items:action", args=[waiting.pk, "accept"])
    assert f'href="{accept}?next=' in html
    # The card shows the text's beginning, cut by the database.
    assert "充电桩" * 59 + "充电…" in html and "充电桩" * 61 not in html
