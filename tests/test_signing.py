"""Issue 16, deliberate signing and actions that can succeed: the leader reads the draft with
the contacts and the co-handling opinions, confirms the signing or sends the draft back with
a note; a contact before signing is a body setting; co-handling assignments end with their
item; a dispute only inside its window; an extension up to its limit, granted shorter if
staff choose; 不满意 with a reason; a planned completion date in the future."""

import datetime as dt
import importlib

import pytest
from django.apps import apps
from django.contrib.messages import get_messages
from django.urls import reverse

from banli.bodies import services as bodies
from banli.bodies.models import Body, BodyRules
from banli.core.actors import ActorKind
from banli.core.errors import DeadlinePassed, InvalidTransition, NotAllowed, ValidationFailed
from banli.core.models import HistoryEntry
from banli.handling import services as handling
from banli.handling.models import Assignment, AssignmentRole, Evaluation, Extension, Reply
from banli.handling.workflow import OPEN_STATES

from .factories import World, make_user, on

DAY = dt.date(2026, 3, 2)  # a Monday: the dispute window ends on Monday 9 March
LATER = dt.date(2026, 3, 20)
AFTER_THE_WINDOW = dt.date(2026, 4, 20)


@pytest.fixture(autouse=True)
def _on_a_working_day():
    with on(DAY):
        yield


def fresh(obj):
    return type(obj).objects.get(pk=obj.pk)


def act(client, assignment, action, **data):
    return client.post(reverse("handling:assignment_action", args=[assignment.pk, action]), data)


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def entries(obj, action):
    return list(HistoryEntry.objects.for_target(obj).filter(action=action).order_by("id"))


def in_hand(world, **kw):
    """An item assigned to the first unit, accepted, with a drafted reply."""
    item = world.assigned(**kw)
    lead = world.lead_assignment(item)
    handling.accept_assignment(lead, by=world.coord[lead.unit_id])
    handling.draft_reply(
        lead, by=world.handler[lead.unit_id], text="经研究，已新增停车泊位120个。", result_class="A"
    )
    return item, fresh(lead)


# Signing is deliberate --------------------------------------------------------------------


def test_the_signing_page_shows_contacts_and_warns_of_a_missing_opinion(client, world):
    co_unit = world.add_unit("市城管局")
    item, lead = in_hand(world, co=[world.units[1], co_unit])
    sent, silent = (item.assignments.get(unit=u) for u in (world.units[1], co_unit))
    handling.accept_assignment(sent, by=world.coord[sent.unit_id])
    handling.send_opinion(sent, by=world.handler[sent.unit_id], text="建议统筹停车资源。")
    handling.log_contact(
        lead, by=world.handler[lead.unit_id], stage="before", method="phone", on=DAY
    )
    client.force_login(world.leader[lead.unit_id])
    page = client.get(reverse("handling:signing")).content.decode()
    assert "经研究，已新增停车泊位120个。" in page  # the draft itself
    assert "A — solved or basically solved, adopted" in page  # its class
    assert "Before drafting: done" in page and "During handling: not yet" in page
    assert "After the reply: not yet" in page
    assert "建议统筹停车资源。" in page  # the opinion that arrived
    assert "Not every co-handling unit has sent its opinion: 市城管局." in page
    assert f'id="id_a{lead.pk}_confirm"' in page  # the confirmation
    assert "Send the draft back to the handler" in page


def test_signing_without_the_confirmation_is_refused(client, world):
    item, lead = in_hand(world)
    client.force_login(world.leader[lead.unit_id])
    response = act(client, lead, "sign_reply")
    assert response.status_code == 400
    assert "Tick the box to confirm: a signed reply cannot change." in response.content.decode()
    assert not Reply.objects.get(assignment=lead).is_sent
    assert fresh(lead).state == "handling" and not entries(lead, "assignment.sign_reply")

    response = act(client, lead, "sign_reply", confirm="on")
    assert response.status_code == 302
    assert Reply.objects.get(assignment=lead).signed_by == world.leader[lead.unit_id]
    assert fresh(item).state == "replied"


def test_the_leader_sends_the_draft_back_with_a_note(client, world):
    item, lead = in_hand(world)
    unit = lead.unit_id
    client.force_login(world.leader[unit])
    response = act(client, lead, "return_draft", note="请补充停车泊位的具体位置。", next="/")
    assert response.status_code == 302
    assert "The draft was sent back to the handler with your note." in messages_of(response)
    reply = Reply.objects.get(assignment=lead)
    # The draft stays as written, unsigned and editable; the note and the step are kept.
    assert (reply.text, reply.is_sent, reply.awaits_revision) == (
        "经研究，已新增停车泊位120个。",
        False,
        True,
    )
    (entry,) = entries(lead, "assignment.return_draft")
    assert (entry.actor, entry.reason, entry.from_state, entry.to_state) == (
        world.leader[unit],
        "请补充停车泊位的具体位置。",
        "handling",
        "handling",
    )
    # Once is enough until the handler saves again.
    with pytest.raises(InvalidTransition, match="already sent back"):
        handling.return_reply_draft(fresh(lead), by=world.leader[unit], note="再改")

    # The handler reads the note in the unit's workspace and edits the draft.
    client.force_login(world.handler[unit])
    page = client.get(reverse("items:detail", args=[item.pk])).content.decode()
    assert "sent the draft back on 2026-03-02" in page and "请补充停车泊位的具体位置。" in page
    assert "Edit the reply" in page
    handling.draft_reply(
        fresh(lead), by=world.handler[unit], text="已在东门新增泊位120个。", result_class="A"
    )
    reply = fresh(reply)
    assert not reply.awaits_revision and reply.return_note == "请补充停车泊位的具体位置。"
    handling.sign_reply(fresh(lead), by=world.leader[unit])
    assert fresh(reply).is_sent


def test_the_reply_editor_signs_with_the_confirmation_too(client, world):
    item, lead = in_hand(world)
    handling.return_reply_draft(lead, by=world.leader[lead.unit_id], note="请写明完成时限。")
    client.force_login(world.handler[lead.unit_id])
    page = client.get(reverse("handling:reply", args=[lead.pk])).content.decode()
    assert "请写明完成时限。" in page and f'id="id_a{lead.pk}_confirm"' not in page
    client.force_login(world.leader[lead.unit_id])
    page = client.get(reverse("handling:reply", args=[lead.pk])).content.decode()
    assert f'id="id_a{lead.pk}_confirm"' in page
    # Sent back once, the draft is not sent back again before the handler saves it.
    assert "Send the draft back to the handler" not in page


def test_sending_back_needs_a_note_a_draft_and_the_leader(world):
    item = world.assigned()
    lead = world.lead_assignment(item)
    handling.accept_assignment(lead, by=world.coord[lead.unit_id])
    leader = world.leader[lead.unit_id]
    with pytest.raises(InvalidTransition, match="no drafted reply"):
        handling.return_reply_draft(fresh(lead), by=leader, note="请修改")
    handling.draft_reply(fresh(lead), by=world.handler[lead.unit_id], text="答复", result_class="A")
    written = HistoryEntry.objects.count()
    with pytest.raises(ValidationFailed, match="what the handler should change"):
        handling.return_reply_draft(fresh(lead), by=leader, note="  ")
    with pytest.raises(NotAllowed):
        handling.return_reply_draft(fresh(lead), by=world.handler[lead.unit_id], note="请修改")
    assert HistoryEntry.objects.count() == written
    assert not Reply.objects.get(assignment=lead).awaits_revision


# A contact before signing, a body setting --------------------------------------------------


def test_a_contact_before_signing_is_asked_by_default():
    assert BodyRules().contact_before_signing is True
    assert Body(code="x", name="x").rules.contact_before_signing is True


def test_the_rule_refuses_signing_until_a_contact_is_logged(client, db):
    world = World(contact_before_signing=True)
    item, lead = in_hand(world)
    leader = world.leader[lead.unit_id]
    written = HistoryEntry.objects.count()
    with pytest.raises(ValidationFailed, match="Log a contact with the proposer before signing"):
        handling.sign_reply(fresh(lead), by=leader)
    assert HistoryEntry.objects.count() == written
    assert fresh(lead).state == "handling" and not Reply.objects.get(assignment=lead).is_sent

    # The page does not offer the signing, and says why.
    client.force_login(leader)
    page = client.get(reverse("handling:signing")).content.decode()
    assert "log the contact first" in page and f'id="id_a{lead.pk}_confirm"' not in page

    handling.log_contact(
        fresh(lead), by=world.handler[lead.unit_id], stage="before", method="meeting", on=DAY
    )
    handling.sign_reply(fresh(lead), by=leader)
    assert fresh(item).state == "replied"


def test_the_body_admin_turns_the_rule_off(world):
    admin = make_user(world.body, "body_admin")
    bodies.change_rules(world.body, by=admin, contact_before_signing=True)
    assert BodyRules.objects.get(body=world.body).contact_before_signing is True
    bodies.change_rules(world.body, by=admin, contact_before_signing=False)
    rules = BodyRules.objects.get(body=world.body)
    assert rules.contact_before_signing is False
    changes = HistoryEntry.objects.filter(action="rules.change").order_by("id")
    last = changes.last().data
    assert (last["before"], last["after"]) == (
        {"contact_before_signing": True},
        {"contact_before_signing": False},
    )
    assert changes.last().actor == admin


def test_the_rules_page_offers_the_setting(client, world):
    admin = make_user(world.body, "body_admin")
    client.force_login(admin)
    page = client.get(reverse("bodies:rules")).content.decode()
    assert 'name="contact_before_signing"' in page
    assert "a contact with the proposer before signing" in page.lower()


# Co-handling assignments end with the item ------------------------------------------------


def _co_item(world):
    """A replied item with three co-handling units: one never accepted, one handling with an
    extension request waiting, one that sent its opinion."""
    extra = [world.add_unit("市城管局"), world.add_unit("市财政局")]
    item = world.assigned(co=[world.units[1], *extra])
    lead = world.lead_assignment(item)
    co = {a.unit_id: a for a in item.assignments.filter(role=AssignmentRole.CO)}
    waiting, handling_one, sent = co[world.units[1].pk], co[extra[0].pk], co[extra[1].pk]
    for a in (handling_one, sent):
        handling.accept_assignment(a, by=world.coord[a.unit_id])
    handling.request_extension(
        fresh(handling_one),
        by=world.coord[handling_one.unit_id],
        until=dt.date(2026, 4, 30),
        reason="需实地调研",
    )
    handling.send_opinion(fresh(sent), by=world.handler[sent.unit_id], text="同意主办单位意见。")
    handling.accept_assignment(lead, by=world.coord[lead.unit_id])
    handling.draft_reply(lead, by=world.handler[lead.unit_id], text="答复", result_class="A")
    handling.sign_reply(fresh(lead), by=world.leader[lead.unit_id])
    return fresh(item), waiting, handling_one, sent


def _no_open_co_handling(item) -> None:
    still = Assignment.objects.filter(item=item, role=AssignmentRole.CO, state__in=OPEN_STATES)
    assert not still.exists(), list(still.values_list("unit__name", "state"))


def test_closing_by_evaluation_closes_open_co_handling(client, world):
    item, waiting, handling_one, sent = _co_item(world)
    with on(LATER):
        handling.evaluate(item, by=world.deputy, attitude="satisfied", result="satisfied")
    assert fresh(item).state == "closed"
    _no_open_co_handling(item)
    assert (fresh(waiting).state, fresh(handling_one).state, fresh(sent).state) == (
        "closed",
        "closed",
        "opinion_sent",
    )
    for assignment, before in ((waiting, "pending"), (handling_one, "handling")):
        (entry,) = entries(assignment, "assignment.close_with_item")
        assert (entry.actor, entry.actor_kind, entry.from_state, entry.to_state) == (
            None,
            ActorKind.SYSTEM,
            before,
            "closed",
        )
    assert not entries(sent, "assignment.close_with_item")
    # The waiting extension request went with it.
    assert Extension.objects.get(assignment=handling_one).state == "refused"
    # Nothing waits in the co-handling unit's inbox; it still reads the item it held.
    client.force_login(world.coord[waiting.unit_id])
    inbox = client.get(reverse("handling:inbox")).content.decode()
    assert item.title not in inbox
    assert client.get(reverse("items:detail", args=[item.pk])).status_code == 200


def test_closing_as_not_evaluated_closes_open_co_handling(world):
    item, waiting, handling_one, _sent = _co_item(world)
    with on(AFTER_THE_WINDOW):
        assert handling.close_expired_evaluations() == 1
    assert fresh(item).state == "closed"
    _no_open_co_handling(item)
    assert entries(waiting, "assignment.close_with_item")[0].actor_kind == ActorKind.SYSTEM


def test_the_migration_closes_those_left_open_on_closed_items(world):
    item, waiting, _handling_one, _sent = _co_item(world)
    with on(LATER):
        handling.evaluate(item, by=world.deputy, attitude="satisfied", result="satisfied")
    # As before the fix: a co-handling assignment left pending on the closed item.
    Assignment.objects.filter(pk=waiting.pk).update(state="pending")
    migration = importlib.import_module(
        "banli.handling.migrations.0008_signing_and_co_handling_closure"
    )
    migration.close_left_open(apps, None)
    assert fresh(waiting).state == "closed"
    _no_open_co_handling(item)
    last = entries(waiting, "assignment.close_with_item")[-1]
    assert (last.from_state, last.to_state, last.actor_kind) == ("pending", "closed", "system")


# A dispute only inside its window ---------------------------------------------------------


def test_a_dispute_is_offered_only_inside_its_window(client, world):
    item = world.assigned()
    lead = world.lead_assignment(item)
    client.force_login(world.coord[lead.unit_id])
    dispute_url = reverse("handling:assignment_action", args=[lead.pk, "dispute"])
    inbox = client.get(reverse("handling:inbox")).content.decode()
    assert dispute_url in inbox and "2026-03-09" in inbox
    with on(dt.date(2026, 3, 10)):
        inbox = client.get(reverse("handling:inbox")).content.decode()
        page = client.get(reverse("items:detail", args=[item.pk])).content.decode()
        assert dispute_url not in inbox and dispute_url not in page
        assert "2026-03-09" in page  # until when it could have been
        response = client.get(dispute_url)
        assert response.status_code == 302
        with pytest.raises(DeadlinePassed, match="2026-03-09"):
            handling.dispute(fresh(lead), by=world.coord[lead.unit_id], reason="非本单位")
    assert fresh(lead).state == "pending" and not entries(lead, "assignment.dispute")


# Extensions: the limit shown, a shorter grant ----------------------------------------------


def test_the_extension_form_shows_the_latest_allowed_date(client, world):
    item, lead = in_hand(world)
    client.force_login(world.coord[lead.unit_id])
    url = reverse("handling:assignment_action", args=[lead.pk, "request_extension"])
    form = client.get(url).content.decode()
    # Assigned 2 March under a six-month maximum.
    assert "the latest date allowed is 2026-09-02" in form


def test_no_extension_is_offered_when_the_limit_is_reached(client, world):
    item, lead = in_hand(world)
    Assignment.objects.filter(pk=lead.pk).update(due_on=dt.date(2026, 9, 2))
    client.force_login(world.coord[lead.unit_id])
    page = client.get(reverse("items:detail", args=[item.pk])).content.decode()
    url = reverse("handling:assignment_action", args=[lead.pk, "request_extension"])
    assert url not in page
    with pytest.raises(DeadlinePassed, match="latest date allowed, 2026-09-02"):
        handling.request_extension(
            fresh(lead), by=world.coord[lead.unit_id], until=dt.date(2026, 9, 30), reason="协调"
        )
    assert not Extension.objects.exists()


def test_staff_grant_a_shorter_extension_than_asked(client, world):
    item, lead = in_hand(world)  # due 2026-06-02
    extension = handling.request_extension(
        lead, by=world.coord[lead.unit_id], until=dt.date(2026, 8, 31), reason="需跨部门协调"
    )
    with pytest.raises(ValidationFailed, match="later date cannot be granted"):
        handling.decide_extension(
            extension, by=world.staff, approve=True, until=dt.date(2026, 9, 1)
        )
    with pytest.raises(ValidationFailed, match="later than the current one"):
        handling.decide_extension(
            extension, by=world.staff, approve=True, until=dt.date(2026, 6, 2)
        )
    assert fresh(extension).state == "pending" and fresh(lead).due_on == dt.date(2026, 6, 2)

    client.force_login(world.staff)
    page = client.get(reverse("handling:extensions")).content.decode()
    assert "Grant until" in page and "2026-09-02" in page  # the limit, beside the request
    response = client.post(
        reverse("handling:decide_extension", args=[extension.pk]),
        {"decision": "approve", "until": "2026-07-31", "note": "先延至7月底"},
    )
    assert response.status_code == 302
    assert "Approved: 市住建局 now replies by 2026-07-31; the proposers were told." in (
        messages_of(response)
    )
    extension = fresh(extension)
    assert (extension.state, extension.requested_due_on, extension.granted_due_on) == (
        "approved",
        dt.date(2026, 8, 31),
        dt.date(2026, 7, 31),
    )
    assert fresh(lead).due_on == dt.date(2026, 7, 31)
    (entry,) = entries(lead, "assignment.decide_extension")
    assert (entry.data["until"], entry.data["asked"]) == ("2026-07-31", "2026-08-31")


def test_a_grant_outside_the_range_is_refused_next_to_the_date(client, world):
    item, lead = in_hand(world)
    extension = handling.request_extension(
        lead, by=world.coord[lead.unit_id], until=dt.date(2026, 8, 31), reason="协调"
    )
    client.force_login(world.staff)
    response = client.post(
        reverse("handling:decide_extension", args=[extension.pk]),
        {"decision": "approve", "until": "2026-09-15"},
    )
    assert response.status_code == 200
    assert "a later date cannot be granted" in response.content.decode()
    assert fresh(extension).state == "pending"


# 不满意 needs a reason that the unit and the staff read --------------------------------------


def test_dissatisfied_needs_a_reason(world):
    item = world.replied()
    written = HistoryEntry.objects.count()
    with pytest.raises(ValidationFailed, match="Say why you are not satisfied"):
        handling.evaluate(item, by=world.deputy, attitude="satisfied", result="unsatisfied")
    with pytest.raises(ValidationFailed, match="Say why you are not satisfied"):
        handling.evaluate(
            item, by=world.deputy, attitude="unsatisfied", result="satisfied", comment=" "
        )
    assert HistoryEntry.objects.count() == written and not Evaluation.objects.exists()
    assert fresh(item).state == "replied"


def test_the_reason_reaches_the_handler_and_the_staff(client, world):
    item = world.replied()
    lead = world.lead_assignment(item)
    client.force_login(world.deputy)
    url = reverse("handling:evaluate", args=[item.pk])
    response = client.post(url, {"attitude": "satisfied", "result": "unsatisfied"})
    assert response.status_code == 200
    assert 'class="field-error"' in response.content.decode()
    assert "Say why you are not satisfied" in response.content.decode()
    assert fresh(item).state == "replied"
    response = client.post(
        url, {"attitude": "satisfied", "result": "unsatisfied", "comment": "泊位仍然不足。"}
    )
    assert response.status_code == 302 and fresh(item).state == "rehandling"

    client.force_login(world.handler[lead.unit_id])
    page = client.get(reverse("items:detail", args=[item.pk])).content.decode()
    assert "Why the proposer is not satisfied" in page and "泊位仍然不足。" in page
    client.force_login(world.staff)
    page = client.get(reverse("items:detail", args=[item.pk])).content.decode()
    assert "泊位仍然不足。" in page


# A class-B planned completion date lies in the future --------------------------------------


def test_a_planned_date_must_lie_in_the_future(client, world):
    item = world.assigned()
    lead = world.lead_assignment(item)
    handling.accept_assignment(lead, by=world.coord[lead.unit_id])
    handler = world.handler[lead.unit_id]
    with pytest.raises(ValidationFailed, match="must lie in the future"):
        handling.draft_reply(fresh(lead), by=handler, text="答复", result_class="B", planned_on=DAY)
    assert not Reply.objects.exists()

    client.force_login(handler)
    response = client.post(
        reverse("handling:reply", args=[lead.pk]),
        {"result_class": "B", "text": "正在推进。", "planned_on": "2026-03-01"},
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert 'class="unit-planned field-error"' in page
    assert "The planned completion date must lie in the future, after 2026-03-02." in page
    assert not Reply.objects.exists()
    handling.draft_reply(
        fresh(lead), by=handler, text="答复", result_class="B", planned_on=dt.date(2026, 12, 31)
    )
    assert Reply.objects.get(assignment=lead).planned_on == dt.date(2026, 12, 31)


def test_the_signing_page_reads_the_same_queries_for_more_drafts(client, world):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    co_unit = world.add_unit("市城管局")

    def add_draft():
        item, lead = in_hand(world, co=[co_unit])
        handling.log_contact(
            lead, by=world.handler[lead.unit_id], stage="before", method="phone", on=DAY
        )

    client.force_login(world.leader[world.units[0].pk])
    add_draft()
    client.get(reverse("handling:signing"))  # what a first request reads once (content types)
    counts = []
    for _ in range(2):
        add_draft()
        add_draft()
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("handling:signing")).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1], counts
