"""The staff's handling pages (assign, disputes, extensions, the deadline board), the
proposer's evaluation and the handling panels of the item page, used through the browser's
requests."""

import datetime as dt

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from banli.core.models import HistoryEntry
from banli.handling import services as handling
from banli.handling.models import Assignment, Evaluation
from banli.items import services as items
from banli.items.models import Item
from banli.notices.models import Notice

from .factories import make_proposer, make_unit, on

DAY = dt.date(2026, 3, 2)  # a Monday


@pytest.fixture(autouse=True)
def _english(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def fresh(obj):
    return type(obj).objects.get(pk=obj.pk)


# Assignment (交办) ---------------------------------------------------------------------------


def test_staff_assign_with_due_dates_previewed_first(client, world):
    with on(DAY):
        item = world.accepted()
    client.force_login(world.staff)
    url = reverse("handling:assign", args=[item.pk])
    with on(DAY):
        page = client.get(url)
        preview = client.get(
            reverse("handling:assign_preview", args=[item.pk]),
            {"lead_units": [world.units[0].pk], "co_units": [world.units[1].pk], "complex": "on"},
            HTTP_HX_REQUEST="true",
        )
    assert page.status_code == 200
    body = page.content.decode()
    assert "市住建局" in body and "市交通局" in body
    assert "2026-06-02" in body  # three months; nothing ticked yet
    assert preview.status_code == 200
    fragment = preview.content.decode()
    assert "<html" not in fragment
    assert "2026-09-02" in fragment  # complex: six months
    assert "2026-04-02" in fragment  # the co-handling opinion: one month
    assert "2026-03-09" in fragment  # five working days to dispute

    with on(DAY):
        response = client.post(
            url,
            {"lead_units": [world.units[0].pk], "co_units": [world.units[1].pk], "complex": "on"},
        )
    assert response.status_code == 302
    assert response.url == reverse("items:detail", args=[item.pk])
    assert "The item was assigned. The reply is due on 2026-09-02." in messages_of(response)
    item = fresh(item)
    assert (item.state, item.is_complex, item.assigned_on) == ("assigned", True, DAY)
    lead = Assignment.objects.get(item=item, role="lead")
    co = Assignment.objects.get(item=item, role="co")
    assert (lead.unit, lead.due_on, co.unit, co.due_on) == (
        world.units[0],
        dt.date(2026, 9, 2),
        world.units[1],
        dt.date(2026, 4, 2),
    )
    assert HistoryEntry.objects.for_target(item).filter(action="item.assign").exists()


def test_several_lead_units_share_the_item(client, world):
    with on(DAY):
        item = world.accepted()
    client.force_login(world.staff)
    with on(DAY):
        client.post(
            reverse("handling:assign", args=[item.pk]),
            {"lead_units": [u.pk for u in world.units]},
        )
    leads = Assignment.objects.filter(item=item, role="lead")
    assert {a.unit for a in leads} == set(world.units)
    assert {a.due_on for a in leads} == {dt.date(2026, 6, 2)}


def test_units_are_grouped_under_their_parent(client, world):
    government = make_unit(world.body, "市人民政府")
    for unit in world.units:
        unit.parent = government
        unit.save()
    with on(DAY):
        item = world.accepted()
    client.force_login(world.staff)
    body = client.get(reverse("handling:assign", args=[item.pk])).content.decode()
    # The government is a unit of its own among the top-level ones, and heads its departments.
    assert body.index("Top-level units") < body.index(">市人民政府</th>")
    assert body.index(">市人民政府</th>") < body.index("市交通局") < body.index("市住建局")


@pytest.mark.parametrize(
    ("data", "field_error"),
    [
        ({"co_units": ["{u1}"]}, "Choose at least one lead unit."),
        ({"lead_units": ["{u0}"], "co_units": ["{u0}"]}, "A unit can be given the item only once"),
        ({"lead_units": ["abc"]}, "Select a valid choice"),
        ({"lead_units": ["99999999999999999999"]}, "Select a valid choice"),
    ],
)
def test_assign_errors_are_shown_next_to_the_units(client, world, data, field_error):
    with on(DAY):
        item = world.accepted()
    ids = {"{u0}": str(world.units[0].pk), "{u1}": str(world.units[1].pk)}
    data = {k: [ids.get(v, v) for v in values] for k, values in data.items()}
    client.force_login(world.staff)
    response = client.post(reverse("handling:assign", args=[item.pk]), data)
    assert response.status_code == 200
    assert field_error in response.content.decode()
    assert fresh(item).state == "accepted"
    assert not Assignment.objects.filter(item=item).exists()


def test_a_unit_of_another_body_cannot_be_chosen(client, world, other_world):
    with on(DAY):
        item = world.accepted()
    client.force_login(world.staff)
    response = client.post(
        reverse("handling:assign", args=[item.pk]), {"lead_units": [other_world.units[0].pk]}
    )
    assert "Select a valid choice" in response.content.decode()
    assert not Assignment.objects.filter(item=item).exists()


def test_only_the_bodys_staff_assign(client, world, other_world):
    with on(DAY):
        item = world.accepted(is_public=True)
    url = reverse("handling:assign", args=[item.pk])
    for user in (world.deputy, world.supervisor, world.coord[world.units[0].pk]):
        client.force_login(user)
        assert client.get(url).status_code == 403
        assert client.post(url, {"lead_units": [world.units[0].pk]}).status_code == 403
    # Another body's item answers as if it did not exist.
    client.force_login(other_world.staff)
    assert client.get(url).status_code == 404
    assert client.get(reverse("handling:assign_preview", args=[item.pk])).status_code == 404
    assert not Assignment.objects.filter(item=item).exists()


def test_an_item_not_accepted_cannot_be_assigned(client, world):
    with on(DAY):
        submitted = world.draft()
        items.submit(submitted, by=world.deputy)
        assigned = world.assigned()
    client.force_login(world.staff)
    for item in (submitted, assigned):
        response = client.get(reverse("handling:assign", args=[item.pk]))
        assert response.status_code == 409
        assert "Cannot assign: not possible in this state." in response.content.decode()
    response = client.post(
        reverse("handling:assign", args=[assigned.pk]), {"lead_units": [world.units[1].pk]}
    )
    assert response.status_code == 409
    assert Assignment.objects.filter(item=assigned).count() == 1


def test_the_preview_ignores_malformed_input(client, world):
    with on(DAY):
        item = world.accepted()
    client.force_login(world.staff)
    url = reverse("handling:assign_preview", args=[item.pk])
    for params in (
        {"lead_units": ["abc", "99999999999999999999", "-1"]},
        {"complex": "false", "co_units": [""]},
        {},
    ):
        with on(DAY):
            response = client.get(url, params)
        assert response.status_code == 200
        assert "2026-06-02" in response.content.decode()
        assert "Choose at least one lead unit." in response.content.decode()
    assert client.post(url).status_code == 405


def test_unknown_items_are_404(client, world):
    client.force_login(world.staff)
    assert client.get("/handling/item/999999/assign/").status_code == 404
    assert client.get("/handling/item/99999999999999999999/assign/").status_code == 404
    assert client.get("/handling/item/abc/assign/").status_code == 404


# Disputes ------------------------------------------------------------------------------------


@pytest.fixture
def disputed(world):
    with on(DAY):
        item = world.assigned()
        assignment = world.lead_assignment(item)
        handling.dispute(
            assignment, by=world.coord[assignment.unit_id], reason="本事项属于交通管理职责"
        )
    return assignment


def test_staff_read_the_units_reason_and_reassign(client, world, disputed):
    client.force_login(world.staff)
    page = client.get(reverse("handling:disputes"))
    assert page.status_code == 200
    assert "本事项属于交通管理职责" in page.content.decode()
    with on(DAY + dt.timedelta(days=3)):
        response = client.post(
            reverse("handling:reassign", args=[disputed.pk]),
            {"to_unit": world.units[1].pk, "reason": "职责调整"},
        )
    assert response.status_code == 302 and response.url == reverse("handling:disputes")
    assert fresh(disputed).state == "reassigned"
    new = Assignment.objects.get(replaces=disputed)
    assert (new.unit, new.state, new.assigned_on) == (
        world.units[1],
        "pending",
        dt.date(2026, 3, 5),
    )
    assert any("市交通局" in m for m in messages_of(response))
    assert "本事项属于交通管理职责" not in client.get(reverse("handling:disputes")).content.decode()


def test_staff_keep_the_assignment_with_a_reason(client, world, disputed):
    client.force_login(world.staff)
    url = reverse("handling:dismiss", args=[disputed.pk])
    response = client.post(url, {"reason": "  "})
    assert response.status_code == 200
    assert "Please give a reason." in response.content.decode()
    assert fresh(disputed).state == "disputed"

    response = client.post(url, {"reason": "属于住建部门职责"})
    assert response.status_code == 302
    assert fresh(disputed).state == "pending"
    entry = HistoryEntry.objects.for_target(disputed).last()
    assert (entry.action, entry.reason) == ("assignment.dismiss_dispute", "属于住建部门职责")


def test_reassign_input_is_checked(client, world, disputed, other_world):
    client.force_login(world.staff)
    url = reverse("handling:reassign", args=[disputed.pk])
    bad = (
        {},
        {"to_unit": "x"},
        {"to_unit": other_world.units[0].pk},
        {"to_unit": disputed.unit_id},
    )
    for data in bad:
        response = client.post(url, data)
        assert response.status_code == 200
        assert 'class="errorlist"' in response.content.decode()
    assert fresh(disputed).state == "disputed"


def test_a_unit_that_already_has_the_item_is_refused(client, world):
    with on(DAY):
        item = world.assigned(co=[world.units[1]])
        lead = world.lead_assignment(item)
        handling.dispute(lead, by=world.coord[lead.unit_id], reason="不属于本单位职责")
    client.force_login(world.staff)
    response = client.post(
        reverse("handling:reassign", args=[lead.pk]), {"to_unit": world.units[1].pk}
    )
    # The reassign list offers only units not on the item: the choice is refused next to
    # the field (the service refuses it too, test_handling_services).
    assert response.status_code == 200
    assert 'class="errorlist"' in response.content.decode()
    assert fresh(lead).state == "disputed"


def test_a_decided_dispute_cannot_be_decided_again(client, world, disputed):
    client.force_login(world.staff)
    client.post(reverse("handling:dismiss", args=[disputed.pk]), {"reason": "保持"})
    response = client.post(
        reverse("handling:reassign", args=[disputed.pk]), {"to_unit": world.units[1].pk}
    )
    assert response.status_code == 302
    assert any("not possible in this state" in m for m in messages_of(response))
    assert not Assignment.objects.filter(replaces=disputed).exists()


def test_disputes_are_the_staffs(client, world, disputed, other_world):
    for user in (world.deputy, world.supervisor, world.auditor, world.coord[disputed.unit_id]):
        client.force_login(user)
        # Leaders and auditors read the list (see test_privacy.py); nobody else does.
        if user not in (world.supervisor, world.auditor):
            assert client.get(reverse("handling:disputes")).status_code == 403
        assert (
            client.post(
                reverse("handling:dismiss", args=[disputed.pk]), {"reason": "x"}
            ).status_code
            == 403
        )
    client.force_login(other_world.staff)
    assert "本事项" not in client.get(reverse("handling:disputes")).content.decode()
    response = client.post(reverse("handling:dismiss", args=[disputed.pk]), {"reason": "x"})
    assert response.status_code == 404
    assert client.get(reverse("handling:reassign", args=[disputed.pk])).status_code == 405
    client.force_login(world.staff)
    assert client.post("/handling/assignment/99999999999999999999/dismiss/").status_code == 404
    assert fresh(disputed).state == "disputed"


# Extensions -----------------------------------------------------------------------------------


@pytest.fixture
def extension(world):
    with on(DAY):
        item = world.assigned()
        assignment = world.lead_assignment(item)
        handling.accept_assignment(assignment, by=world.coord[assignment.unit_id])
    with on(dt.date(2026, 5, 20)):
        return handling.request_extension(
            assignment,
            by=world.coord[assignment.unit_id],
            until=dt.date(2026, 7, 31),
            reason="需协调多个部门，现场施工受雨季影响",
        )


def test_staff_approve_an_extension_and_the_proposers_are_told(client, world, extension):
    client.force_login(world.staff)
    page = client.get(reverse("handling:extensions"))
    body = page.content.decode()
    assert "需协调多个部门" in body
    assert "2026-06-02" in body and "2026-07-31" in body
    with on(dt.date(2026, 5, 21)):
        response = client.post(
            reverse("handling:decide_extension", args=[extension.pk]),
            {"decision": "approve", "note": ""},
        )
    assert response.status_code == 302 and response.url == reverse("handling:extensions")
    assert "Approved: 市住建局 now replies by 2026-07-31; the proposers were told." in messages_of(
        response
    )
    assert fresh(extension).state == "approved"
    assert fresh(extension.assignment).due_on == dt.date(2026, 7, 31)
    notice = Notice.objects.get(item_id=extension.assignment.item_id, kind="item.extended")
    assert notice.recipient == world.deputy and notice.params["due_on"] == "2026-07-31"


def test_a_refusal_needs_a_note_and_keeps_the_due_date(client, world, extension):
    client.force_login(world.staff)
    url = reverse("handling:decide_extension", args=[extension.pk])
    response = client.post(url, {"decision": "refuse", "note": ""})
    assert response.status_code == 200
    assert "Say why the request is refused" in response.content.decode()
    assert fresh(extension).state == "pending"

    response = client.post(url, {"decision": "refuse", "note": "理由不充分"})
    assert response.status_code == 302
    assert fresh(extension).state == "refused"
    assert fresh(extension.assignment).due_on == dt.date(2026, 6, 2)
    assert not Notice.objects.filter(kind="item.extended").exists()
    # Decided once: a second decision is refused with the service's message.
    response = client.post(url, {"decision": "approve"})
    assert "This request has already been decided." in messages_of(response)
    assert fresh(extension.assignment).due_on == dt.date(2026, 6, 2)


def test_extension_input_and_access(client, world, extension, other_world):
    client.force_login(world.staff)
    url = reverse("handling:decide_extension", args=[extension.pk])
    for data in ({}, {"decision": "maybe"}):
        response = client.post(url, data)
        assert response.status_code == 200
        assert 'class="form-errors"' in response.content.decode()
    assert client.post("/handling/extension/123456789/decide/").status_code == 404
    client.force_login(world.coord[extension.assignment.unit_id])
    assert client.get(reverse("handling:extensions")).status_code == 403
    assert client.post(url, {"decision": "approve"}).status_code == 403
    client.force_login(other_world.staff)
    assert client.post(url, {"decision": "approve"}).status_code == 404
    assert fresh(extension).state == "pending"


# The deadline board -----------------------------------------------------------------------------

TODAY = dt.date(2026, 4, 15)


@pytest.fixture
def board_items(world):
    made = {}
    for name, day in [
        ("ten_days_late", dt.date(2026, 1, 5)),  # due 04-05
        ("two_days_late", dt.date(2026, 1, 13)),  # due 04-13
        ("due_in_5", dt.date(2026, 1, 20)),  # due 04-20
        ("due_in_20", dt.date(2026, 2, 5)),  # due 05-05
        ("later", dt.date(2026, 3, 1)),  # due 06-01
    ]:
        with on(day):
            made[name] = world.assigned(title=f"建议 {name}")
    with on(dt.date(2026, 1, 13)):
        made["other_unit_late"] = world.assigned(
            title="建议 other_unit_late", lead=[world.units[1]]
        )
    with on(dt.date(2026, 4, 1)):
        made["waiting"] = world.replied(title="建议 waiting")  # evaluation due 05-01
    with on(dt.date(2026, 3, 1)):
        made["window_passed"] = world.replied(title="建议 window_passed")  # due 04-01
    return made


def test_board_counts_and_the_most_overdue_first(client, world, board_items):
    client.force_login(world.staff)
    with on(TODAY):
        response = client.get(reverse("handling:board"))
    assert response.status_code == 200
    assert response.context["counts"] == {
        "open": 6,
        "overdue": 3,
        "week": 1,
        "month": 2,
        "waiting": 1,
        "passed": 1,
    }
    overdue = [a.item.title for a in response.context["overdue"]]
    assert overdue == ["建议 ten_days_late", "建议 two_days_late", "建议 other_unit_late"]
    soon = [a.item.title for a in response.context["soon"]]
    assert soon == ["建议 due_in_5", "建议 due_in_20"]
    body = response.content.decode()
    assert "10 days overdue" in body and "5 days left" in body
    assert "Close as not evaluated" in body


def test_board_filters_by_unit(client, world, board_items):
    client.force_login(world.staff)
    with on(TODAY):
        response = client.get(reverse("handling:board"), {"unit": world.units[1].pk})
    assert response.context["counts"]["overdue"] == 1
    assert [a.item.title for a in response.context["overdue"]] == ["建议 other_unit_late"]
    assert response.context["counts"]["passed"] == 0
    for bad in ("x", "99999999999999999999", "-1"):
        assert client.get(reverse("handling:board"), {"unit": bad}).status_code == 200


def test_board_queries_do_not_grow_with_the_items(client, world, django_assert_max_num_queries):
    client.force_login(world.staff)
    with on(dt.date(2026, 1, 5)):
        world.assigned()
    with on(TODAY):
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as few:
            client.get(reverse("handling:board"))
    with on(dt.date(2026, 1, 6)):
        for _ in range(6):
            world.assigned()
    with on(TODAY), django_assert_max_num_queries(len(few.captured_queries)):
        client.get(reverse("handling:board"))


def test_leaders_and_auditors_watch_the_board_but_do_not_close(client, world, board_items):
    for user in (world.supervisor, world.auditor):
        client.force_login(user)
        with on(TODAY):
            response = client.get(reverse("handling:board"))
        assert response.status_code == 200
        assert "Close as not evaluated" not in response.content.decode()
        item = board_items["window_passed"]
        with on(TODAY):
            assert client.post(reverse("handling:close", args=[item.pk])).status_code == 403
    for user in (world.deputy, world.coord[world.units[0].pk]):
        client.force_login(user)
        assert client.get(reverse("handling:board")).status_code == 403


def test_staff_close_an_item_whose_evaluation_window_passed(client, world, board_items):
    client.force_login(world.staff)
    waiting, passed = board_items["waiting"], board_items["window_passed"]
    with on(TODAY):
        response = client.post(
            reverse("handling:close", args=[waiting.pk]), {"next": reverse("handling:board")}
        )
    assert "The proposer may still evaluate this reply." in messages_of(response)
    assert fresh(waiting).state == "replied"
    with on(TODAY):
        response = client.post(
            reverse("handling:close", args=[passed.pk]), {"next": "https://evil.example/"}
        )
    assert response.status_code == 302 and response.url == reverse("handling:board")
    passed = fresh(passed)
    assert (passed.state, passed.closure, passed.closed_on) == ("closed", "not_evaluated", TODAY)


# The proposer's evaluation ------------------------------------------------------------------------


def _replied_with_cosigner(world, **kw):
    """A joint item, replied: 王代表 leads, 李代表 co-signed and confirmed."""
    item = world.draft(**kw)
    items.invite_cosigners(item, by=world.deputy, members=[world.cosigner_member])
    items.confirm_cosign(item, by=world.cosigner)
    items.submit(item, by=world.deputy)
    items.receive(item, by=world.staff)
    items.accept(item, by=world.staff)
    handling.assign(item, by=world.staff, lead_units=[world.units[0]])
    a = world.lead_assignment(item)
    handling.accept_assignment(a, by=world.coord[a.unit_id])
    handling.draft_reply(
        a,
        by=world.handler[a.unit_id],
        text="经研究，已新增停车泊位120个。",
        result_class="A",
        contact_name="张科长",
        contact_phone="0514-87654321",
    )
    handling.sign_reply(a, by=world.leader[a.unit_id])
    return fresh(item)


def test_the_lead_proposer_is_satisfied_and_the_item_closes(client, world):
    with on(DAY):
        item = _replied_with_cosigner(world)
    client.force_login(world.deputy)
    url = reverse("handling:evaluate", args=[item.pk])
    with on(DAY + dt.timedelta(days=5)):
        page = client.get(url)
    body = page.content.decode()
    assert page.status_code == 200
    assert "经研究，已新增停车泊位120个。" in body and "张科长" in body and "0514-87654321" in body
    assert "the units handle the item again" in body
    with on(DAY + dt.timedelta(days=5)):
        response = client.post(
            url, {"attitude": "satisfied", "result": "basically_satisfied", "comment": "办理认真"}
        )
    assert response.status_code == 302 and response.url == reverse("items:detail", args=[item.pk])
    assert "Thank you. The item is closed." in messages_of(response)
    item = fresh(item)
    assert (item.state, item.closure) == ("closed", "basically_satisfied")
    evaluation = Evaluation.objects.get(item=item)
    assert (evaluation.member, evaluation.counts, evaluation.comment) == (
        world.member,
        True,
        "办理认真",
    )


def test_unsatisfied_first_reply_starts_rehandling_and_the_second_is_final(client, world):
    with on(DAY):
        item = world.replied()
    client.force_login(world.deputy)
    url = reverse("handling:evaluate", args=[item.pk])
    with on(dt.date(2026, 3, 10)):
        response = client.post(
            url, {"attitude": "satisfied", "result": "unsatisfied", "comment": "未落实"}
        )
    assert (
        "Thank you. The units will handle the item again and reply by 2026-04-10."
        in messages_of(response)
    )
    item = fresh(item)
    assert (item.state, item.reply_round) == ("rehandling", 2)
    assignment = world.lead_assignment(item)
    assert (assignment.state, assignment.due_on) == ("rehandling", dt.date(2026, 4, 10))
    # While the units work again, there is nothing to evaluate: the page shows the
    # evaluation given, without a form.
    with on(dt.date(2026, 3, 11)):
        page = client.get(url)
    assert page.status_code == 200 and "Send the evaluation" not in page.content.decode()
    assert "Your evaluation" in page.content.decode()

    with on(dt.date(2026, 4, 1)):
        handling.draft_reply(
            assignment, by=world.handler[assignment.unit_id], text="再次答复", result_class="A"
        )
        handling.sign_reply(assignment, by=world.leader[assignment.unit_id])
        page = client.get(url)
    assert "It is final" in page.content.decode()
    assert "再次答复" in page.content.decode()
    with on(dt.date(2026, 4, 2)):
        response = client.post(
            url, {"attitude": "unsatisfied", "result": "unsatisfied", "comment": "仍未落实"}
        )
    item = fresh(item)
    assert (item.state, item.closure) == ("closed", "unsatisfied")
    assert Evaluation.objects.filter(item=item, counts=True).count() == 2


def test_a_cosigners_evaluation_is_kept_but_does_not_count(client, world):
    with on(DAY):
        item = _replied_with_cosigner(world)
    client.force_login(world.cosigner)
    url = reverse("handling:evaluate", args=[item.pk])
    with on(DAY + dt.timedelta(days=1)):
        page = client.get(url)
    assert "As a co-signer you may add your evaluation" in page.content.decode()
    with on(DAY + dt.timedelta(days=2)):
        response = client.post(
            url, {"attitude": "satisfied", "result": "unsatisfied", "comment": "未落实"}
        )
    assert "Your evaluation was recorded with the item." in messages_of(response)
    assert fresh(item).state == "replied"
    evaluation = Evaluation.objects.get(item=item)
    assert (evaluation.member, evaluation.counts) == (world.cosigner_member, False)
    # Once is enough: the page shows the evaluation instead of the form, and a second
    # POST is told so.
    with on(DAY + dt.timedelta(days=2)):
        page = client.get(url)
        assert "Send the evaluation" not in page.content.decode()
        again = client.post(url, {"attitude": "satisfied", "result": "satisfied"})
    assert "You have already evaluated this reply." in messages_of(again)
    assert Evaluation.objects.filter(item=item).count() == 1


def test_only_the_proposers_evaluate(client, world, other_world):
    with on(DAY):
        item = world.replied(is_public=True)
    url = reverse("handling:evaluate", args=[item.pk])
    stranger, _member = make_proposer(world.body, "赵代表")
    for user in (world.staff, stranger, world.leader[world.units[0].pk]):
        client.force_login(user)
        assert client.get(url).status_code == 403
        assert client.post(url, {"attitude": "satisfied", "result": "satisfied"}).status_code == 403
    client.force_login(other_world.deputy)
    assert client.get(url).status_code == 404
    assert client.post(url, {"attitude": "satisfied", "result": "satisfied"}).status_code == 404
    assert fresh(item).state == "replied"
    with on(DAY):
        assigned = world.assigned()
    client.force_login(world.deputy)
    response = client.get(reverse("handling:evaluate", args=[assigned.pk]))
    assert response.status_code == 409


def test_evaluation_input_errors_are_on_the_form(client, world):
    with on(DAY):
        item = world.replied()
    client.force_login(world.deputy)
    url = reverse("handling:evaluate", args=[item.pk])
    for data in ({}, {"attitude": "great", "result": "satisfied"}, {"attitude": "satisfied"}):
        with on(DAY + dt.timedelta(days=1)):
            response = client.post(url, data)
        assert response.status_code == 200
        assert 'class="errorlist"' in response.content.decode()
    assert fresh(item).state == "replied"
    assert not Evaluation.objects.exists()


def test_an_evaluation_after_the_window_is_refused_on_the_form(client, world):
    with on(DAY):
        item = world.replied()
    client.force_login(world.deputy)
    with on(dt.date(2026, 4, 10)):
        response = client.post(
            reverse("handling:evaluate", args=[item.pk]),
            {"attitude": "satisfied", "result": "satisfied"},
        )
    assert response.status_code == 200
    assert "The time to evaluate this reply has passed." in response.content.decode()
    assert fresh(item).state == "replied"


# The item page's handling panels --------------------------------------------------------------


def test_the_staff_panel_offers_the_next_step_from_the_workflow(client, world):
    with on(DAY):
        accepted = world.accepted()
        draft = world.draft()
        replied = world.replied()
    client.force_login(world.staff)
    assign_url = reverse("handling:assign", args=[accepted.pk])
    assert assign_url in client.get(reverse("items:detail", args=[accepted.pk])).content.decode()
    assert "/assign/" not in client.get(reverse("items:detail", args=[draft.pk])).content.decode()
    close_url = reverse("handling:close", args=[replied.pk])
    page = reverse("items:detail", args=[replied.pk])
    with on(DAY + dt.timedelta(days=10)):
        assert close_url not in client.get(page).content.decode()
    with on(dt.date(2026, 4, 10)):
        assert close_url in client.get(page).content.decode()
    client.force_login(world.deputy)
    with on(DAY + dt.timedelta(days=10)):
        body = client.get(page).content.decode()
    assert reverse("handling:evaluate", args=[replied.pk]) in body
    assert close_url not in body
    with on(dt.date(2026, 4, 10)):
        assert (
            reverse("handling:evaluate", args=[replied.pk]) not in client.get(page).content.decode()
        )


def test_progress_panel_shows_units_replies_evaluations_and_extensions(client, world):
    with on(DAY):
        item = world.assigned(co=[world.units[1]])
        lead, co = world.lead_assignment(item), item.assignments.get(role="co")
        handling.accept_assignment(lead, by=world.coord[lead.unit_id])
        handling.accept_assignment(co, by=world.coord[co.unit_id])
        handling.send_opinion(co, by=world.handler[co.unit_id], text="协办意见：同意增设泊位")
    with on(dt.date(2026, 5, 20)):
        extension = handling.request_extension(
            lead, by=world.coord[lead.unit_id], until=dt.date(2026, 7, 1), reason="需要更多时间"
        )
        handling.decide_extension(extension, by=world.staff, approve=True, note="同意")
    with on(dt.date(2026, 6, 20)):
        handling.draft_reply(
            lead,
            by=world.handler[lead.unit_id],
            text="答复：计划明年建成",
            result_class="B",
            planned_on=dt.date(2027, 6, 30),
        )
        handling.sign_reply(lead, by=world.leader[lead.unit_id])
    with on(dt.date(2026, 6, 25)):
        handling.evaluate(fresh(item), by=world.deputy, attitude="satisfied", result="satisfied")

    client.force_login(world.deputy)
    body = client.get(reverse("items:detail", args=[item.pk])).content.decode()
    assert "Handling progress" in body
    for text in ("市住建局", "市交通局", "答复：计划明年建成", "2027-06-30", "需要更多时间"):
        assert text in body
    assert "2026-06-02 → 2026-07-01" in body
    assert "Satisfied" in body and "counts" in body
    assert "协办意见" not in body  # the co-handling opinion is for the lead unit
    client.force_login(world.staff)
    assert (
        "协办意见：同意增设泊位"
        in client.get(reverse("items:detail", args=[item.pk])).content.decode()
    )
    client.force_login(world.coord[lead.unit_id])
    assert (
        "协办意见：同意增设泊位"
        in client.get(reverse("items:detail", args=[item.pk])).content.decode()
    )


def test_a_non_public_reply_is_not_shown_to_readers_of_a_public_item(client, world):
    with on(DAY):
        item = world.replied(is_public=True)
    reply_text = "经研究，答复如下……"
    client.force_login(world.deputy)
    assert reply_text in client.get(reverse("items:detail", args=[item.pk])).content.decode()
    reader, _member = make_proposer(world.body, "赵代表")
    client.force_login(reader)
    response = client.get(reverse("items:detail", args=[item.pk]))
    assert response.status_code == 200
    assert "Handling progress" in response.content.decode()
    assert reply_text not in response.content.decode()


def test_another_body_sees_no_handling_page(client, world, other_world):
    with on(DAY):
        item = world.replied()
    client.force_login(other_world.staff)
    assert client.get(reverse("items:detail", args=[item.pk])).status_code == 404
    assert client.post(reverse("handling:close", args=[item.pk])).status_code == 404
    assert Item.objects.get(pk=item.pk).state == "replied"


def test_reply_attachments_are_listed_with_their_download_link(client, world, settings, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from banli.core.uploads import attach

    settings.MEDIA_ROOT = tmp_path
    with on(DAY):
        item = world.replied()
    reply = world.lead_assignment(item).replies.get()
    upload = SimpleUploadedFile("答复函.pdf", b"%PDF-1.4 reply letter", "application/pdf")
    attachment = attach(reply, by=world.handler[world.units[0].pk], upload=upload, root=item)
    client.force_login(world.deputy)
    for url in (
        reverse("items:detail", args=[item.pk]),
        reverse("handling:evaluate", args=[item.pk]),
    ):
        body = client.get(url).content.decode()
        assert "答复函.pdf" in body
        assert reverse("items:attachment", args=[attachment.pk]) in body


def test_with_several_lead_units_the_form_asks_per_unit(client, world):
    with on(DAY):
        item = world.assigned(lead=world.units[:2])
        for unit in world.units[:2]:
            a = world.lead_assignment(item, unit)
            handling.accept_assignment(a, by=world.coord[unit.pk])
            handling.save_reply_draft(a, by=world.handler[unit.pk], text="答复", result_class="A")
            handling.sign_reply(a, by=world.leader[unit.pk])
    one, two = (world.lead_assignment(item, unit) for unit in world.units[:2])
    client.force_login(world.deputy)
    url = reverse("handling:evaluate", args=[item.pk])
    with on(DAY + dt.timedelta(days=3)):
        page = client.get(url).content.decode()
        assert f'name="result_{one.pk}"' in page and f'name="result_{two.pk}"' in page
        assert 'name="result"' not in page
        response = client.post(
            url,
            {
                f"attitude_{one.pk}": "satisfied",
                f"result_{one.pk}": "satisfied",
                f"attitude_{two.pk}": "satisfied",
                f"result_{two.pk}": "unsatisfied",
                "comment": "交通局未解决",
            },
        )
    assert response.status_code == 302
    assert (fresh(one).state, fresh(two).state) == ("replied", "rehandling")
    assert Evaluation.objects.filter(item=item).count() == 2


def test_a_merged_items_proposer_evaluates_from_their_own_item(client, world):
    other, _member = make_proposer(world.body, "赵代表")
    with on(DAY):
        merged = items.create_draft(
            by=other, session=world.session, kind="suggestion", title="停车难", text="同上"
        )
        items.submit(merged, by=other)
        items.receive(merged, by=world.staff)
        lead = world.draft()
        items.submit(lead, by=world.deputy)
        items.receive(lead, by=world.staff)
        items.merge(merged, by=world.staff, into=lead, reason="并案")
        items.accept(lead, by=world.staff)
        handling.assign(lead, by=world.staff, lead_units=[world.units[0]])
        a = world.lead_assignment(lead)
        handling.accept_assignment(a, by=world.coord[a.unit_id])
        handling.save_reply_draft(
            a, by=world.handler[a.unit_id], text="已增设泊位。", result_class="A"
        )
        handling.sign_reply(a, by=world.leader[a.unit_id])
    client.force_login(other)
    url = reverse("handling:evaluate", args=[merged.pk])
    with on(DAY + dt.timedelta(days=3)):
        detail = client.get(reverse("items:detail", args=[merged.pk])).content.decode()
        assert "已增设泊位。" in detail and url in detail
        page = client.get(url).content.decode()
        assert "已增设泊位。" in page and "Your item was merged into" in page
        response = client.post(url, {"attitude": "satisfied", "result": "satisfied"})
    assert "Your evaluation was recorded with your item." in messages_of(response)
    evaluation = Evaluation.objects.get(item=merged)
    assert (evaluation.reply.assignment, evaluation.counts) == (a, True)
    assert fresh(lead).state == "replied"


def test_a_request_from_a_unit_that_has_replied_can_only_be_refused(client, world):
    with on(DAY):
        item = world.assigned()
        a = world.lead_assignment(item)
        handling.accept_assignment(a, by=world.coord[a.unit_id])
        asked = handling.request_extension(
            a, by=world.coord[a.unit_id], until=dt.date(2026, 7, 1), reason="协调"
        )
        handling.save_reply_draft(a, by=world.handler[a.unit_id], text="答复", result_class="A")
        handling.sign_reply(a, by=world.leader[a.unit_id])
    client.force_login(world.staff)
    with on(DAY + dt.timedelta(days=1)):
        page = client.get(reverse("handling:extensions")).content.decode()
        assert "can only be refused" in page and 'value="approve"' not in page
        url = reverse("handling:decide_extension", args=[asked.pk])
        response = client.post(url, {"decision": "approve"})
    assert any("can only be refused" in m for m in messages_of(response))
    assert Assignment.objects.get(pk=a.pk).due_on == dt.date(2026, 6, 2)


def _listed(client, address):
    response = client.get(address)
    assert response.status_code == 200
    return [item.title for item in response.context["page"].object_list]


def test_every_board_counter_links_to_the_list_of_exactly_its_items(client, world, board_items):
    with on(dt.date(2026, 1, 13)):
        # 分办: two lead units, both late; the item is one row, counted once.
        world.assigned(title="建议 split_late", lead=[world.units[0], world.units[1]])
    client.force_login(world.staff)
    for params in ({}, {"unit": world.units[1].pk}, {"unit": world.units[0].pk}):
        with on(TODAY):
            response = client.get(reverse("handling:board"), params)
            counts, links = response.context["counts"], response.context["links"]
            page = response.content.decode()
            for name, count in counts.items():
                assert links[name].replace("&", "&amp;") in page
                titles = _listed(client, links[name])
                assert len(titles) == count, (params, name, titles)
    with on(TODAY):
        links = client.get(reverse("handling:board")).context["links"]
        overdue = _listed(client, links["overdue"])
    assert sorted(overdue) == sorted(
        ["建议 ten_days_late", "建议 two_days_late", "建议 other_unit_late", "建议 split_late"]
    )
