"""The handling unit's pages: the inbox, the unit's items, the reply editor, the signing queue,
the assignment actions and the unit's panel on the item page."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from banli.core.models import Attachment, HistoryEntry
from banli.handling import services as handling
from banli.handling.models import CoHandlingOpinion, Contact, Extension, Reply

from .factories import World, on

DAY = dt.date(2026, 3, 2)  # a Monday; the dispute deadline is five working days later


@pytest.fixture(autouse=True)
def _on_a_working_day():
    with on(DAY):
        yield


@pytest.fixture
def item(world):
    return world.assigned(title="关于增加老旧小区停车位的建议")


@pytest.fixture
def lead(world, item):
    return world.lead_assignment(item)


@pytest.fixture
def accepted(world, lead):
    handling.accept_assignment(lead, by=world.coord[lead.unit_id])
    return lead


def act(client, assignment, action, **data):
    return client.post(reverse("handling:assignment_action", args=[assignment.pk, action]), data)


def reply_url(assignment):
    return reverse("handling:reply", args=[assignment.pk])


def last_action(assignment) -> str:
    return HistoryEntry.objects.for_target(assignment).order_by("id").last().action


# The whole loop


def test_the_unit_takes_an_item_from_the_inbox_to_the_reply(client, world, item, lead):
    unit = lead.unit_id
    inbox = reverse("handling:inbox")

    client.force_login(world.coord[unit])
    page = client.get(inbox).content.decode()
    assert item.title in page and "Accept the assignment" in page

    response = act(client, lead, "accept", next=inbox)
    assert response.status_code == 302 and response["Location"] == inbox
    lead.refresh_from_db()
    item.refresh_from_db()
    assert (lead.state, item.state) == ("handling", "in_handling")
    assert "The assignment is accepted" in client.get(inbox).content.decode()
    assert item.title not in client.get(inbox).content.decode()

    act(client, lead, "name_handler", handler=world.handler[unit].pk, phone="0514-8888")
    lead.refresh_from_db()
    assert (lead.handler, lead.handler_phone) == (world.handler[unit], "0514-8888")

    client.force_login(world.handler[unit])
    listed = client.get(reverse("handling:unit_items")).content.decode()
    assert item.title in listed and "unit-mine-row" in listed

    response = act(client, lead, "log_contact", stage="before", method="phone", on="2026-03-02")
    assert response.status_code == 302
    assert Contact.objects.get(assignment=lead).stage == "before"

    response = client.post(
        reply_url(lead),
        {"result_class": "A", "text": "经研究，已新增停车泊位120个。", "contact_name": "张科长"},
    )
    assert response.status_code == 302
    draft = Reply.objects.get(assignment=lead)
    assert (draft.result_class, draft.is_sent, draft.drafted_by) == (
        "A",
        False,
        world.handler[unit],
    )

    client.force_login(world.leader[unit])
    signing = reverse("handling:signing")
    queue = client.get(signing).content.decode()
    assert "经研究，已新增停车泊位120个。" in queue and "Sign and send the reply" in queue

    response = act(client, lead, "sign_reply", next=signing, confirm="on")
    assert response.status_code == 302 and response["Location"] == signing
    draft.refresh_from_db()
    item.refresh_from_db()
    assert (draft.signed_by, draft.replied_on) == (world.leader[unit], DAY)
    assert (item.state, item.result_class) == ("replied", "A")
    assert last_action(lead) == "assignment.sign_reply"
    after = client.get(signing).content.decode()
    assert "The reply is signed and sent" in after and "No reply is waiting" in after


def test_the_leader_signs_from_the_item_page(client, world, accepted):
    unit = accepted.unit_id
    handling.draft_reply(accepted, by=world.handler[unit], text="答复如下。", result_class="C")
    client.force_login(world.leader[unit])
    page = client.get(reverse("items:detail", args=[accepted.item_id])).content.decode()
    assert "Sign and send the reply" in page and "答复如下。" in page
    act(client, accepted, "sign_reply", confirm="on")
    assert Reply.objects.get(assignment=accepted).is_sent


def test_the_recently_replied_stay_on_the_unit_list_for_a_month(client, world):
    replied = world.replied("A", title="关于完善公交线路的建议")
    unit = world.units[0].pk
    client.force_login(world.coord[unit])
    assert replied.title in client.get(reverse("handling:unit_items")).content.decode()
    with on(DAY + dt.timedelta(days=40)):
        assert replied.title not in client.get(reverse("handling:unit_items")).content.decode()


def test_overdue_items_come_first(client, world):
    first = world.assigned(title="早交办的建议")
    with on(DAY + dt.timedelta(days=60)):
        second = world.assigned(title="晚交办的建议")
    for item in (first, second):
        a = world.lead_assignment(item)
        handling.accept_assignment(a, by=world.coord[a.unit_id])
    client.force_login(world.coord[world.units[0].pk])
    with on(DAY + dt.timedelta(days=100)):
        page = client.get(reverse("handling:unit_items")).content.decode()
    assert page.index("早交办的建议") < page.index("晚交办的建议")
    assert "days overdue" in page
    filtered = client.get(reverse("handling:unit_items"), {"state": "replied"}).content.decode()
    assert "早交办的建议" not in filtered


# Co-handling


def test_a_co_handling_unit_sends_its_opinion_and_has_no_reply_editor(client, world):
    item = world.assigned(lead=[world.units[0]], co=[world.units[1]])
    co = item.assignments.get(unit=world.units[1])
    client.force_login(world.coord[co.unit_id])
    act(client, co, "accept")
    co.refresh_from_db()
    assert co.state == "handling"

    page = client.get(reverse("items:detail", args=[item.pk])).content.decode()
    assert "Send the opinion" in page
    assert "Write the reply" not in page and reply_url(co) not in page
    response = client.get(reply_url(co))
    assert response.status_code == 409
    assert "only lead units reply" in response.content.decode()

    assert (
        act(client, co, "send_opinion", text="建议住建局会同交通局统筹停车规划。").status_code
        == 302
    )
    co.refresh_from_db()
    assert co.state == "opinion_sent"
    assert CoHandlingOpinion.objects.get(assignment=co).sent_by == world.coord[co.unit_id]

    lead = world.lead_assignment(item)
    handling.accept_assignment(lead, by=world.coord[lead.unit_id])
    client.force_login(world.handler[lead.unit_id])
    assert "建议住建局会同交通局统筹停车规划。" in client.get(reply_url(lead)).content.decode()


def test_a_lead_unit_cannot_send_an_opinion(client, world, accepted):
    client.force_login(world.coord[accepted.unit_id])
    response = act(client, accepted, "send_opinion", text="意见")
    assert response.status_code == 409
    assert "a lead unit replies" in response.content.decode()
    assert not CoHandlingOpinion.objects.exists()


# Disputes


def test_a_unit_disputes_in_time(client, world, lead):
    client.force_login(world.coord[lead.unit_id])
    with on(DAY + dt.timedelta(days=4)):
        response = act(client, lead, "dispute", reason="停车泊位规划属于交通局职责。")
    assert response.status_code == 302
    lead.refresh_from_db()
    assert lead.state == "disputed"
    entry = HistoryEntry.objects.for_target(lead).get(action="assignment.dispute")
    assert (entry.reason, entry.actor) == (
        "停车泊位规划属于交通局职责。",
        world.coord[lead.unit_id],
    )
    inbox = client.get(reverse("handling:inbox")).content.decode()
    assert "Disputed, awaiting the staff" in inbox and "停车泊位规划属于交通局职责。" in inbox


def test_a_dispute_after_the_deadline_is_refused(client, world, lead):
    client.force_login(world.coord[lead.unit_id])
    with on(dt.date(2026, 3, 10)):  # the deadline was Monday 9 March
        response = act(client, lead, "dispute", reason="不属于本单位职责。")
    assert response.status_code == 409
    assert "could only be disputed until 2026-03-09" in response.content.decode()
    lead.refresh_from_db()
    assert lead.state == "pending"


def test_a_dispute_needs_a_reason(client, world, lead):
    client.force_login(world.coord[lead.unit_id])
    response = act(client, lead, "dispute", reason="   ")
    assert response.status_code == 400
    assert 'class="unit-field field-error"' in response.content.decode()
    lead.refresh_from_db()
    assert lead.state == "pending"


# Extensions


def test_a_unit_asks_for_an_extension(client, world, accepted):
    client.force_login(world.coord[accepted.unit_id])
    until = accepted.due_on + dt.timedelta(days=30)
    response = act(
        client, accepted, "request_extension", until=until.isoformat(), reason="需专题调研。"
    )
    assert response.status_code == 302
    extension = Extension.objects.get(assignment=accepted)
    assert (extension.state, extension.requested_due_on) == ("pending", until)
    inbox = client.get(reverse("handling:inbox")).content.decode()
    assert "需专题调研。" in inbox
    page = client.get(reverse("items:detail", args=[accepted.item_id])).content.decode()
    assert "awaiting the staff" in page and "Ask for an extension" not in page

    second = act(client, accepted, "request_extension", until=until.isoformat(), reason="再次")
    assert second.status_code == 409
    assert Extension.objects.count() == 1


def test_an_extension_must_move_the_due_date_later(client, world, accepted):
    client.force_login(world.leader[accepted.unit_id])
    response = act(
        client, accepted, "request_extension", until=accepted.due_on.isoformat(), reason="调研"
    )
    assert response.status_code == 400
    assert "must be later than the current one" in response.content.decode()
    assert not Extension.objects.exists()


# Who may do what


def test_a_handler_cannot_sign(client, world, accepted):
    unit = accepted.unit_id
    handling.draft_reply(accepted, by=world.handler[unit], text="答复。", result_class="A")
    client.force_login(world.handler[unit])
    assert act(client, accepted, "sign_reply").status_code == 403
    assert client.get(reverse("handling:signing")).status_code == 403
    assert client.get(reverse("handling:inbox")).status_code == 403
    page = client.get(reverse("items:detail", args=[accepted.item_id])).content.decode()
    assert "Sign and send the reply" not in page and "Name the handler" not in page
    assert not Reply.objects.get(assignment=accepted).is_sent


def test_another_units_people_get_404(client, world, lead):
    other = world.coord[world.units[1].pk]
    client.force_login(other)
    assert act(client, lead, "accept").status_code == 404
    assert client.get(reply_url(lead)).status_code == 404
    lead.refresh_from_db()
    assert lead.state == "pending"
    page = client.get(reverse("handling:inbox")).content.decode()
    assert "关于增加老旧小区停车位的建议" not in page


def test_another_bodys_unit_gets_404(client, world, lead):
    elsewhere = World()
    client.force_login(elsewhere.coord[elsewhere.units[0].pk])
    assert act(client, lead, "accept").status_code == 404
    assert client.get(reply_url(lead)).status_code == 404


@pytest.mark.parametrize("who", ["deputy", "staff", "auditor"])
def test_people_without_a_unit_role_get_403(client, world, lead, who):
    client.force_login(getattr(world, who))
    for name in ("handling:inbox", "handling:unit_items", "handling:signing"):
        assert client.get(reverse(name)).status_code == 403
    assert client.get(reply_url(lead)).status_code == 403
    assert act(client, lead, "accept").status_code == 403


def test_unknown_ids_and_actions_are_404_and_get_is_405(client, world, lead):
    client.force_login(world.coord[lead.unit_id])
    assert act(client, lead, "delete").status_code == 404
    assert client.get(reverse("handling:reply", args=[10**18])).status_code == 404
    missing = reverse("handling:assignment_action", args=[10**18, "accept"])
    assert client.post(missing).status_code == 404
    assert client.get("/handling/assignment/abc/reply/").status_code == 404
    assert (
        client.get(reverse("handling:assignment_action", args=[lead.pk, "accept"])).status_code
        == 405
    )
    lead.refresh_from_db()
    assert lead.state == "pending"


def test_the_login_page_comes_first(client, lead):
    response = client.get(reverse("handling:inbox"))
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_next_does_not_leave_the_site(client, world, lead):
    client.force_login(world.coord[lead.unit_id])
    response = act(client, lead, "accept", next="https://evil.example/")
    assert response["Location"] == reverse("items:detail", args=[lead.item_id])


# Bad input


def test_class_b_without_a_date_is_refused_next_to_the_field(client, world, accepted):
    client.force_login(world.handler[accepted.unit_id])
    response = client.post(reply_url(accepted), {"result_class": "B", "text": "正在推进。"})
    assert response.status_code == 400
    body = response.content.decode()
    planned = body[body.index('class="unit-planned field-error"') :]
    assert planned.index("needs the planned completion date") < planned.index(
        "</div>\n        <div"
    )
    assert not Reply.objects.exists()

    response = client.post(
        reply_url(accepted), {"result_class": "B", "text": "正在推进。", "planned_on": "2026-12-31"}
    )
    assert response.status_code == 302
    assert Reply.objects.get().planned_on == dt.date(2026, 12, 31)


@pytest.mark.parametrize(
    "data",
    [
        {"result_class": "Z", "text": "答复。"},
        {"result_class": "A", "text": "   "},
        {"text": "答复。"},
        {"result_class": "B", "text": "答复。", "planned_on": "2026-02-30"},
    ],
)
def test_bad_replies_are_form_errors(client, world, accepted, data):
    client.force_login(world.handler[accepted.unit_id])
    response = client.post(reply_url(accepted), data)
    assert response.status_code == 400
    assert "errorlist" in response.content.decode()
    assert not Reply.objects.exists()


def test_the_body_decides_the_classes(client, db):
    world = World(result_classes=["A", "B", "C", "D"])
    item = world.assigned()
    a = world.lead_assignment(item)
    handling.accept_assignment(a, by=world.coord[a.unit_id])
    client.force_login(world.handler[a.unit_id])
    page = client.get(reply_url(a)).content.decode()
    assert "D — kept for reference" in page and "B — being solved" in page
    assert client.post(reply_url(a), {"result_class": "D", "text": "留作参考。"}).status_code == 302


@pytest.mark.parametrize(
    "action, data",
    [
        ("log_contact", {"stage": "x", "method": "phone", "on": "2026-03-02"}),
        ("log_contact", {"stage": "before", "method": "phone", "on": "2026-13-45"}),
        ("log_contact", {}),
        ("name_handler", {"handler": "abc"}),
        ("name_handler", {"handler": str(10**20)}),
        ("request_extension", {"until": "soon", "reason": "x"}),
        ("send_opinion", {}),
    ],
)
def test_malformed_fields_are_form_errors(client, world, accepted, action, data):
    client.force_login(world.coord[accepted.unit_id])
    response = act(client, accepted, action, **data)
    assert response.status_code in (400, 409)
    assert last_action(accepted) == "assignment.accept"


def test_the_handler_must_be_of_the_unit(client, world, accepted):
    client.force_login(world.coord[accepted.unit_id])
    stranger = world.handler[world.units[1].pk]
    response = act(client, accepted, "name_handler", handler=stranger.pk)
    assert response.status_code == 400
    accepted.refresh_from_db()
    assert accepted.handler is None


def test_a_contact_cannot_be_in_the_future(client, world, accepted):
    client.force_login(world.handler[accepted.unit_id])
    response = act(
        client, accepted, "log_contact", stage="before", method="meeting", on="2026-03-03"
    )
    assert response.status_code == 400
    assert "future date" in response.content.decode()
    assert not Contact.objects.exists()


def test_accepting_twice_says_why(client, world, accepted):
    client.force_login(world.coord[accepted.unit_id])
    response = act(client, accepted, "accept")
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "not possible in this state" in page


def test_the_unit_list_ignores_malformed_filters(client, world, accepted):
    client.force_login(world.coord[accepted.unit_id])
    for params in ({"state": "bogus"}, {"page": "x"}, {"page": "999"}, {"mine": "maybe"}):
        assert client.get(reverse("handling:unit_items"), params).status_code == 200


# Attachments


def test_files_go_with_the_reply(client, world, accepted):
    client.force_login(world.handler[accepted.unit_id])
    letter = SimpleUploadedFile("答复函.pdf", b"%PDF-1.4 letter", content_type="application/pdf")
    response = client.post(
        reply_url(accepted), {"result_class": "A", "text": "答复。", "attachments": [letter]}
    )
    assert response.status_code == 302
    reply = Reply.objects.get()
    attachment = Attachment.objects.get()
    assert (attachment.target_id, attachment.root_id, attachment.name) == (
        reply.pk,
        accepted.item_id,
        "答复函.pdf",
    )
    assert "答复函.pdf" in client.get(reply_url(accepted)).content.decode()


def test_a_disguised_file_saves_nothing(client, world, accepted):
    client.force_login(world.handler[accepted.unit_id])
    fake = SimpleUploadedFile("答复函.pdf", b"MZ\x90\x00 not a pdf")
    response = client.post(
        reply_url(accepted), {"result_class": "A", "text": "答复。", "attachments": [fake]}
    )
    assert response.status_code == 400
    assert "does not match its type" in response.content.decode()
    assert not Reply.objects.exists() and not Attachment.objects.exists()


# The panel on the item page


def test_the_panel_offers_what_the_table_allows(client, world, lead):
    url = reverse("items:detail", args=[lead.item_id])
    client.force_login(world.coord[lead.unit_id])
    page = client.get(url).content.decode()
    assert "our handling" in page
    assert "Accept the assignment" in page and "Dispute the assignment" in page
    assert "Log a contact" not in page

    act(client, lead, "accept")
    page = client.get(url).content.decode()
    assert "Accept the assignment" not in page
    assert "Name the handler" in page and "Log a contact" in page and "Write the reply" in page


def test_the_panel_is_only_for_the_units_of_the_item(client, world, lead):
    url = reverse("items:detail", args=[lead.item_id])
    client.force_login(world.staff)
    assert "our handling" not in client.get(url).content.decode()
    client.force_login(world.deputy)
    assert "our handling" not in client.get(url).content.decode()


def test_a_sent_reply_can_no_longer_be_edited(client, world):
    item = world.replied("A")
    a = world.lead_assignment(item)
    client.force_login(world.handler[a.unit_id])
    page = client.get(reply_url(a)).content.decode()
    assert "cannot be changed in this state" in page and "Replies sent" in page
    response = client.post(reply_url(a), {"result_class": "C", "text": "改。"})
    assert response.status_code == 409
    assert Reply.objects.get().result_class == "A"


def test_rehandling_starts_a_second_draft(client, world):
    item = world.replied("C")
    handling.evaluate(
        item, by=world.deputy, attitude="satisfied", result="unsatisfied", comment="未落实"
    )
    a = world.lead_assignment(item)
    client.force_login(world.handler[a.unit_id])
    page = client.get(reply_url(a)).content.decode()
    assert "未落实" in page and "Round 2" in page
    assert client.post(reply_url(a), {"result_class": "A", "text": "再次答复。"}).status_code == 302
    assert list(Reply.objects.order_by("round").values_list("round", "result_class")) == [
        (1, "C"),
        (2, "A"),
    ]
    client.force_login(world.leader[a.unit_id])
    queue = client.get(reverse("handling:signing")).content.decode()
    assert "再次答复。" in queue


def test_the_signing_queue_holds_only_my_units_drafts(client, world):
    item = world.assigned(lead=[world.units[0], world.units[1]])
    for unit in world.units:
        a = world.lead_assignment(item, unit)
        handling.accept_assignment(a, by=world.coord[unit.pk])
        handling.draft_reply(
            a, by=world.handler[unit.pk], text=f"{unit.name}的答复。", result_class="A"
        )
    client.force_login(world.leader[world.units[1].pk])
    queue = client.get(reverse("handling:signing")).content.decode()
    assert "市交通局的答复。" in queue and "市住建局的答复。" not in queue
    act(client, world.lead_assignment(item, world.units[1]), "sign_reply", confirm="on")
    item.refresh_from_db()
    assert item.state == "in_handling"  # the other lead unit has not replied yet


def test_the_inbox_marks_a_dispute_date_counted_without_the_official_calendar(client, world):
    """2027 is not yet in the package: the date is counted Monday to Friday, and says so."""
    with on(dt.date(2027, 3, 1)):
        estimated = world.assigned(title="二〇二七年的建议")
        lead = world.lead_assignment(estimated)
        client.force_login(world.coord[lead.unit_id])
        page = client.get(reverse("handling:inbox")).content.decode()
        panel = client.get(reverse("items:detail", args=[estimated.pk])).content.decode()
    assert lead.dispute_due_estimated is True
    marker = "(estimated: official calendar for 2027 not yet published)"
    assert "2027-03-08" in page and marker in page
    assert marker in panel


def test_the_reply_editor_saves_the_letter_and_its_files_in_one_call(client, world, accepted):
    client.force_login(world.handler[accepted.unit_id])
    letter = SimpleUploadedFile(
        "答复函.pdf", b"%PDF-1.4\n% letter\n", content_type="application/pdf"
    )
    response = client.post(
        reply_url(accepted),
        {"result_class": "A", "text": "经研究，已解决。", "attachments": [letter]},
    )
    assert response.status_code == 302
    reply = Reply.objects.get(assignment=accepted)
    assert [a.name for a in Attachment.objects.all()] == ["答复函.pdf"]
    drafted = HistoryEntry.objects.for_target(accepted).get(action="assignment.draft_reply")
    assert drafted.data["files"] == ["答复函.pdf"] and reply.text == "经研究，已解决。"
