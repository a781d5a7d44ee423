"""One decision, once (docs/domain.md §11.4): a second request — a double POST, a second
member of staff, a copy read before the first request decided — gets a clear message, never
a 500 and never a second history entry.

The stale second request is simulated by calling the service with objects read before the
first call; on PostgreSQL one test also runs two requests truly at the same moment."""

import datetime as dt
import threading

import pytest
from django.db import connection, connections
from django.urls import reverse

from banli.core.errors import InvalidTransition
from banli.core.models import HistoryEntry
from banli.handling import services as handling
from banli.handling.models import CoHandlingOpinion, Evaluation, Extension
from banli.items import services as items
from banli.notices.models import Notice

from .factories import World, on

D = dt.date
START = D(2026, 3, 2)


def copy(obj):
    """What a second request read from the database: a separate, soon stale object."""
    return type(obj).objects.get(pk=obj.pk)


def entries(item, action):
    return HistoryEntry.objects.for_root(item).filter(action=action).count()


def working(world, **kw):
    with on(START):
        item = world.assigned(**kw)
        assignment = world.lead_assignment(item)
        handling.accept_assignment(assignment, by=world.coord[assignment.unit_id])
    return item, assignment


def test_two_staff_deciding_one_extension_give_one_decision(world):
    """Today both decisions were recorded and the proposer was told a date that was then
    reverted."""
    item, assignment = working(world)
    with on(D(2026, 5, 1)):
        asked = handling.request_extension(
            assignment, by=world.coord[assignment.unit_id], until=D(2026, 7, 1), reason="协调"
        )
        first, second = copy(asked), copy(asked)
        handling.decide_extension(first, by=world.staff, approve=True)
        with pytest.raises(InvalidTransition, match="already been decided"):
            handling.decide_extension(second, by=world.staff, approve=False, note="不同意")
    assert copy(asked).state == "approved"
    assert copy(assignment).due_on == D(2026, 7, 1)
    assert entries(item, "assignment.decide_extension") == 1
    assert Notice.objects.filter(kind="extension.decided").count() == 1


def test_coordinator_and_leader_cannot_open_two_waiting_requests(world):
    item, assignment = working(world)
    by_coordinator, by_leader = copy(assignment), copy(assignment)
    with on(D(2026, 5, 1)):
        handling.request_extension(
            by_coordinator, by=world.coord[assignment.unit_id], until=D(2026, 7, 1), reason="协调"
        )
        with pytest.raises(InvalidTransition, match="already waiting"):
            handling.request_extension(
                by_leader, by=world.leader[assignment.unit_id], until=D(2026, 8, 1), reason="再议"
            )
    assert Extension.objects.count() == 1
    assert entries(item, "assignment.request_extension") == 1


def test_a_double_evaluation_is_told_it_is_already_done(world):
    with on(START):
        item = world.replied()
    first, second = copy(item), copy(item)
    with on(D(2026, 3, 10)):
        handling.evaluate(first, by=world.deputy, attitude="satisfied", result="satisfied")
        with pytest.raises(handling.AlreadyEvaluated, match="already evaluated"):
            handling.evaluate(
                second,
                by=world.deputy,
                attitude="satisfied",
                result="unsatisfied",
                comment="问题仍未解决",
            )
    assert Evaluation.objects.count() == 1
    assert copy(item).closure == "satisfied"
    assert entries(item, "item.evaluate_close") == 1
    assert entries(item, "item.evaluate_rehandle") == 0


def test_a_double_unsatisfied_evaluation_starts_one_re_handling(world):
    with on(START):
        item = world.replied()
    first, second = copy(item), copy(item)
    with on(D(2026, 3, 10)):
        handling.evaluate(
            first,
            by=world.deputy,
            attitude="satisfied",
            result="unsatisfied",
            comment="问题仍未解决",
        )
        with pytest.raises(handling.AlreadyEvaluated):
            handling.evaluate(
                second,
                by=world.deputy,
                attitude="satisfied",
                result="unsatisfied",
                comment="问题仍未解决",
            )
    assert entries(item, "item.evaluate_rehandle") == 1
    assert entries(item, "assignment.rehandle") == 1


def test_a_double_post_of_the_evaluation_form_answers_a_message(client, world):
    with on(START):
        item = world.replied()
    client.force_login(world.deputy)
    url = reverse("handling:evaluate", args=[item.pk])
    with on(D(2026, 3, 10)):
        client.post(url, {"attitude": "satisfied", "result": "satisfied"})
        again = client.post(url, {"attitude": "satisfied", "result": "satisfied"})
    assert again.status_code == 302
    assert "You have already evaluated this reply." in [
        m.message for m in again.wsgi_request._messages
    ]
    assert Evaluation.objects.count() == 1


def test_a_co_signers_double_evaluation(world):
    with on(START):
        item = world.draft()
        items.invite_cosigners(item, by=world.deputy, members=[world.cosigner_member])
        items.confirm_cosign(item, by=world.cosigner)
        items.submit(item, by=world.deputy)
        items.receive(item, by=world.staff)
        items.accept(item, by=world.staff)
        handling.assign(item, by=world.staff, lead_units=[world.units[0]])
        assignment = world.lead_assignment(item)
        handling.accept_assignment(assignment, by=world.coord[assignment.unit_id])
        handling.save_reply_draft(
            assignment, by=world.handler[assignment.unit_id], text="答复", result_class="A"
        )
        handling.sign_reply(assignment, by=world.leader[assignment.unit_id])
    first, second = copy(item), copy(item)
    with on(D(2026, 3, 5)):
        handling.evaluate(first, by=world.cosigner, attitude="satisfied", result="satisfied")
        with pytest.raises(handling.AlreadyEvaluated):
            handling.evaluate(second, by=world.cosigner, attitude="satisfied", result="satisfied")
    assert entries(item, "item.cosigner_evaluate") == 1


def test_two_lead_units_signing_with_stale_copies_reply_the_item_once(world):
    with on(START):
        item = world.assigned(lead=world.units[:2])
        one, two = (world.lead_assignment(item, unit) for unit in world.units[:2])
        for assignment in (one, two):
            handling.accept_assignment(assignment, by=world.coord[assignment.unit_id])
            handling.save_reply_draft(
                assignment, by=world.handler[assignment.unit_id], text="答复", result_class="A"
            )
        # Both requests read their assignment (and its item) before either signed.
        stale_one, stale_two = copy(one), copy(two)
        stale_one.item, stale_two.item = copy(item), copy(item)
        handling.sign_reply(stale_one, by=world.leader[one.unit_id])
        assert copy(item).state == "in_handling"
        handling.sign_reply(stale_two, by=world.leader[two.unit_id])
        with pytest.raises(InvalidTransition):
            handling.sign_reply(copy(two), by=world.leader[two.unit_id])
    assert copy(item).state == "replied"
    assert entries(item, "item.reply") == 1
    assert entries(item, "assignment.sign_reply") == 2


def test_a_double_accept_and_a_double_opinion_are_refused(world):
    with on(START):
        item = world.assigned(co=[world.units[1]])
        co = item.assignments.get(role="co")
        first, second = copy(co), copy(co)
        handling.accept_assignment(first, by=world.coord[co.unit_id])
        with pytest.raises(InvalidTransition, match="changed meanwhile"):
            handling.accept_assignment(second, by=world.coord[co.unit_id])
        first, second = copy(co), copy(co)
        handling.send_opinion(first, by=world.handler[co.unit_id], text="协办意见")
        with pytest.raises(InvalidTransition):
            handling.send_opinion(second, by=world.handler[co.unit_id], text="协办意见")
    assert CoHandlingOpinion.objects.count() == 1
    assert entries(item, "assignment.accept") == 1
    assert entries(item, "assignment.send_opinion") == 1


def test_a_stale_copy_saves_only_what_it_decides(world):
    """Naming the handler with a copy read before an approved extension must not put the
    old due date back: services save only the fields they change."""
    item, assignment = working(world)
    stale = copy(assignment)
    with on(D(2026, 5, 1)):
        asked = handling.request_extension(
            assignment, by=world.coord[assignment.unit_id], until=D(2026, 7, 1), reason="协调"
        )
        handling.decide_extension(asked, by=world.staff, approve=True)
        handling.name_handler(
            stale, by=world.coord[assignment.unit_id], handler=world.handler[assignment.unit_id]
        )
    assignment = copy(assignment)
    assert (assignment.due_on, assignment.handler) == (
        D(2026, 7, 1),
        world.handler[assignment.unit_id],
    )


@pytest.mark.django_db(transaction=True)
def test_two_staff_deciding_at_the_same_moment_on_postgresql():
    """Two requests in two connections at once: the row lock makes the second wait for the
    first and then read its decision."""
    if connection.vendor != "postgresql":
        pytest.skip("SQLite takes one writer at a time; the row lock is PostgreSQL's")
    world = World()
    second_staff = type(world.staff).objects.create_user("staff-2", password="pw-banli-2026")
    from banli.bodies.models import Membership

    Membership.objects.create(user=second_staff, body=world.body, roles=["staff"])
    item, assignment = working(world)
    with on(D(2026, 5, 1)):
        asked = handling.request_extension(
            assignment, by=world.coord[assignment.unit_id], until=D(2026, 7, 1), reason="协调"
        )
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def decide(by, approve):
        try:
            extension = copy(asked)
            barrier.wait()
            with on(D(2026, 5, 2)):
                handling.decide_extension(extension, by=by, approve=approve, note="决定")
            outcomes.append("decided")
        except InvalidTransition as refused:
            outcomes.append(str(refused))
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=decide, args=(world.staff, True)),
        threading.Thread(target=decide, args=(second_staff, False)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(outcomes) == ["This request has already been decided.", "decided"]
    assert entries(item, "assignment.decide_extension") == 1
