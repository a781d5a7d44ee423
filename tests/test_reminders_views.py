"""The reminders pages: the rules (staff read them, the body's administrator changes them),
the reminders sent, and the staff's list of public replies to publish."""

import datetime as dt

import pytest
from django.urls import reverse

from banli.core.errors import InvalidTransition, NotAllowed, ValidationFailed
from banli.core.models import HistoryEntry
from banli.handling import services as handling
from banli.reminders import services as reminders
from banli.reminders.models import ReminderRule, ReminderSent

from .factories import World, make_user, on

D = dt.date
START = D(2026, 3, 2)


@pytest.fixture
def admin(world):
    return make_user(world.body, "body_admin")


def page(client, user, name, *args, **query):
    client.force_login(user)
    return client.get(reverse(name, args=args), query)


def public_reply(world, *, public=True):
    lead = world.units[0]
    with on(START):
        item = world.assigned()
        assignment = world.lead_assignment(item)
        handling.accept_assignment(assignment, by=world.coord[lead.pk])
        handling.draft_reply(
            assignment, by=world.handler[lead.pk], text="答复", result_class="A", is_public=public
        )
        return handling.sign_reply(assignment, by=world.leader[lead.pk])


# The rules page ------------------------------------------------------------------------------


def test_staff_read_the_rules_and_only_the_administrator_has_the_forms(client, world, admin):
    response = page(client, world.staff, "reminders:rules")
    assert response.status_code == 200
    assert "Reply due" in response.text and "30, 7, 1 days before" in response.text
    assert reverse("reminders:change_rule", args=["reply.due"]) not in response.text
    response = page(client, admin, "reminders:rules")
    assert response.status_code == 200
    assert reverse("reminders:change_rule", args=["reply.due"]) in response.text


@pytest.mark.parametrize("who", ["deputy", "auditor", "supervisor"])
def test_others_may_not_open_the_rules(client, world, who):
    assert page(client, getattr(world, who), "reminders:rules").status_code == 403
    unit_leader = world.leader[world.units[0].pk]
    assert page(client, unit_leader, "reminders:rules").status_code == 403


def test_the_administrator_changes_a_rule_with_its_history(client, world, admin):
    client.force_login(admin)
    url = reverse("reminders:change_rule", args=["reply.due"])
    response = client.post(url, {"reply-due-enabled": "on", "reply-due-days": "14，3"})
    assert response.status_code == 302
    rule = ReminderRule.objects.get(body=world.body, code="reply.due")
    assert rule.enabled and rule.days == [14, 3]
    entry = HistoryEntry.objects.get(action="reminders.rule_change")
    assert entry.data["from"] == {"enabled": True, "days": [30, 7, 1]}
    assert entry.data["to"] == {"enabled": True, "days": [14, 3]}
    assert entry.actor == admin
    # Off, keeping the days.
    client.post(url, {"reply-due-days": "14, 3"})
    rule.refresh_from_db()
    assert not rule.enabled and rule.days == [14, 3]
    assert HistoryEntry.objects.filter(action="reminders.rule_change").count() == 2


@pytest.mark.parametrize("days", ["0", "91", "abc", "", "1,2,3,4,5,6"])
def test_days_out_of_bounds_are_refused_on_the_form(client, world, admin, days):
    client.force_login(admin)
    url = reverse("reminders:change_rule", args=["reply.due"])
    response = client.post(url, {"reply-due-enabled": "on", "reply-due-days": days})
    assert response.status_code == 400
    assert "error-summary" in response.text
    assert not ReminderRule.objects.exists()


def test_staff_may_not_change_a_rule_and_an_unknown_rule_is_404(client, world, admin):
    client.force_login(world.staff)
    url = reverse("reminders:change_rule", args=["reply.due"])
    assert client.post(url, {"reply-due-days": "7"}).status_code == 403
    client.force_login(admin)
    assert client.post(reverse("reminders:change_rule", args=["nope"])).status_code == 404
    assert client.get(url).status_code == 405


def test_the_service_refuses_anyone_but_the_administrator(world):
    with pytest.raises(NotAllowed):
        reminders.change_rule(world.body, "reply.due", by=world.staff, enabled=False)
    other = World()
    foreign_admin = make_user(other.body, "body_admin")
    with pytest.raises(NotAllowed):
        reminders.change_rule(world.body, "reply.due", by=foreign_admin, enabled=False)


def test_setting_the_same_values_again_writes_nothing(world, admin):
    reminders.change_rule(world.body, "reply.due", by=admin, enabled=True, days=[30, 7, 1])
    assert not HistoryEntry.objects.filter(action="reminders.rule_change").exists()
    with pytest.raises(ValidationFailed):
        reminders.change_rule(world.body, "reply.due", by=admin, enabled=True, days=[])


# The reminders sent --------------------------------------------------------------------------


def test_the_reminders_sent_page_lists_the_bodys_reminders_by_rule(client, world):
    other = World()
    with on(START):
        item = world.assigned()
        other.assigned(title="另一机关的建议")
    reminders.scan(world.body, today=D(2026, 6, 3))
    reminders.scan(other.body, today=D(2026, 6, 3))
    response = page(client, world.staff, "reminders:sent")
    assert response.status_code == 200
    assert item.title in response.text and "另一机关的建议" not in response.text
    assert world.leader[world.units[0].pk].username in response.text
    response = page(client, world.staff, "reminders:sent", rule="reply.due")
    assert item.title not in response.text
    # A rule that does not exist, a cursor made up: the whole list, first page, no error.
    assert page(client, world.staff, "reminders:sent", rule="x", cursor="zz").status_code == 200


def test_the_reminders_sent_page_pages_by_keys(client, world):
    from banli.core import clock

    with on(START):
        item = world.assigned()
    ReminderSent.objects.bulk_create(
        ReminderSent(
            body=world.body,
            rule="reply.due",
            subject_type="handling.assignment",
            subject_id=n,
            due_on=D(2026, 6, 2),
            step=7,
            item=item,
            sent_at=clock.now(),
        )
        for n in range(1, 61)
    )
    client.force_login(world.staff)
    first = client.get(reverse("reminders:sent"))
    assert first.context["page"].count == 60
    assert len(first.context["page"].object_list) == 50
    second = client.get(first.context["page"].next_url)
    ids = [row.pk for row in second.context["page"].object_list]
    assert len(ids) == 10
    assert not set(ids) & {row.pk for row in first.context["page"].object_list}


@pytest.mark.parametrize("who", ["deputy"])
def test_proposers_and_units_may_not_read_the_reminders_sent(client, world, who):
    assert page(client, getattr(world, who), "reminders:sent").status_code == 403
    assert page(client, world.coord[world.units[0].pk], "reminders:sent").status_code == 403


def test_the_anonymous_are_sent_to_log_in(client, world):
    for name in ("reminders:rules", "reminders:sent", "reminders:disclosure"):
        response = client.get(reverse(name))
        assert response.status_code == 302 and "login" in response["Location"]


# Publishing public replies -------------------------------------------------------------------


def test_staff_record_a_public_reply_as_published_from_their_list(client, world):
    reply = public_reply(world)
    response = page(client, world.staff, "reminders:disclosure")
    assert response.status_code == 200 and reply.assignment.item.title in response.text
    with on(D(2026, 3, 10)):
        response = client.post(reverse("reminders:publish", args=[reply.pk]), {})
    assert response.status_code == 302
    reply.refresh_from_db()
    assert reply.published_on == D(2026, 3, 10)
    entry = HistoryEntry.objects.get(action="reply.publish")
    assert entry.root_id == reply.assignment.item_id and entry.actor == world.staff
    response = client.get(reverse("reminders:disclosure"))
    assert reply.assignment.item.title not in response.text
    # Once: a second recording is refused with a message, not an error page.
    response = client.post(reverse("reminders:publish", args=[reply.pk]), {}, follow=True)
    assert response.status_code == 200 and "already published" in response.text


def test_publishing_is_the_staffs_in_their_own_body(client, world):
    reply = public_reply(world)
    other = World()
    client.force_login(other.staff)
    assert client.post(reverse("reminders:publish", args=[reply.pk])).status_code == 404
    client.force_login(world.leader[world.units[0].pk])
    assert client.post(reverse("reminders:publish", args=[reply.pk])).status_code == 403
    assert page(client, world.deputy, "reminders:disclosure").status_code == 403
    client.force_login(world.staff)
    assert client.post(reverse("reminders:publish", args=[999999])).status_code == 404
    response = client.post(reverse("reminders:publish", args=[reply.pk]), {"published_on": "x"})
    assert response.status_code == 302
    reply.refresh_from_db()
    assert reply.published_on is None


def test_the_publish_service_checks_the_reply(world):
    private = public_reply(world, public=False)
    with pytest.raises(InvalidTransition):
        handling.mark_reply_published(private, by=world.staff)
    public = public_reply(world)
    with pytest.raises(NotAllowed):
        handling.mark_reply_published(public, by=world.leader[world.units[0].pk])
    with on(D(2026, 3, 10)), pytest.raises(ValidationFailed):
        handling.mark_reply_published(public, by=world.staff, on=D(2026, 3, 11))
    with on(D(2026, 3, 10)), pytest.raises(ValidationFailed):
        handling.mark_reply_published(public, by=world.staff, on=D(2026, 3, 1))
    with on(D(2026, 3, 10)):
        handling.mark_reply_published(public, by=world.staff, on=D(2026, 3, 5))
    assert public.published_on == D(2026, 3, 5)


def test_an_unsigned_reply_cannot_be_published(world):
    lead = world.units[0]
    with on(START):
        item = world.assigned()
        assignment = world.lead_assignment(item)
        handling.accept_assignment(assignment, by=world.coord[lead.pk])
        draft = handling.draft_reply(
            assignment, by=world.handler[lead.pk], text="答复", result_class="A", is_public=True
        )
        with pytest.raises(InvalidTransition):
            handling.mark_reply_published(draft, by=world.staff)
