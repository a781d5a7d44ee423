"""The start page (工作台, banli.desk): each role finds what waits for it today, counted and
linked to the page where the work is done, and nothing of another body or another unit; the
staff's queue of accepted items waiting to be assigned (待交办); a fixed number of queries
whatever the number of items."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from banli.core import clock, desk
from banli.handling import services as handling
from banli.items import services as items
from banli.supervision.services import mark_key

from .factories import make_member, make_user, on

DAY = dt.date(2026, 3, 2)
SOON = dt.date(2026, 3, 12)
# After every reply of an assignment made on DAY fell due (three months).
LATE = dt.date(2026, 7, 15)


def start_page(client, user, day=SOON):
    client.force_login(user)
    with on(day):
        response = client.get(reverse("home"))
    assert response.status_code == 200
    return response


def sections(response) -> dict:
    """{section title: {queue key: queue}} of the page's main column."""
    return {
        str(s["context"]["title"]): {q.key: q for q in s["context"]["queues"]}
        for s in response.context["sections"]["main"]
        if "queues" in s["context"]
    }


def counts(section: dict) -> dict:
    return {key: int(q.count) for key, q in section.items()}


def titles(queue) -> list[str]:
    found = []
    for row in queue.rows:
        item = getattr(row, "item", None) or getattr(getattr(row, "assignment", None), "item", row)
        found.append(item.title)
    return found


def replied(world, title):
    """An item its lead unit has replied to, a contact with the proposer logged first."""
    item = world.assigned(title=title)
    a = world.lead_assignment(item)
    coord = world.coord[a.unit_id]
    handling.accept_assignment(a, by=coord)
    handling.log_contact(a, by=coord, stage="before", method="phone", on=clock.today())
    handling.draft_reply(
        a, by=world.handler[a.unit_id], text="经研究，答复如下。", result_class="A"
    )
    handling.sign_reply(a, by=world.leader[a.unit_id])
    item.refresh_from_db()
    return item


def staff_work(world, prefix=""):
    """One item waiting in each of the staff's queues (two to assign), made on DAY."""
    with on(DAY):
        submitted = world.draft(title=f"{prefix}待收件")
        items.submit(submitted, by=world.deputy)
        reviewing = world.draft(title=f"{prefix}审查中件")
        items.submit(reviewing, by=world.deputy)
        items.receive(reviewing, by=world.staff)
        world.accepted(title=f"{prefix}待交办甲")
        world.accepted(title=f"{prefix}待交办乙")
        disputed = world.assigned(title=f"{prefix}申请调整件")
        handling.dispute(
            world.lead_assignment(disputed), by=world.coord[world.units[0].pk], reason="不属我局"
        )
        extended = world.assigned(title=f"{prefix}延期件", lead=[world.units[1]])
        assignment = world.lead_assignment(extended, world.units[1])
        handling.accept_assignment(assignment, by=world.coord[world.units[1].pk])
        handling.request_extension(
            assignment,
            by=world.coord[world.units[1].pk],
            until=assignment.due_on + dt.timedelta(days=20),
            reason="需要实地调研",
        )
        replied(world, f"{prefix}已答复件")


# The staff ------------------------------------------------------------------------------------


def test_the_staff_see_every_queue_of_their_body_counted_and_linked(client, world, other_world):
    staff_work(world)
    staff_work(other_world, prefix="别处")
    response = start_page(client, world.staff, day=LATE)
    office = sections(response)["The office's work"]
    assert counts(office) == {
        "submitted": 1,
        "under_review": 1,
        "accepted": 2,
        "disputes": 1,
        "extensions": 1,
        "replied": 1,
        # The disputed and the extended assignments are open lead assignments past due.
        "overdue": 2,
    }
    assert titles(office["submitted"]) == ["待收件"]
    assert titles(office["under_review"]) == ["审查中件"]
    assert titles(office["accepted"]) == ["待交办甲", "待交办乙"]
    assert titles(office["disputes"]) == ["申请调整件"]
    assert titles(office["extensions"]) == ["延期件"]
    assert titles(office["replied"]) == ["已答复件"]
    assert set(titles(office["overdue"])) == {"申请调整件", "延期件"}
    html = response.content.decode()
    assert "别处" not in html
    # Each count leads to the page where the work is done; each item to assign to its 交办.
    assert office["submitted"].url == reverse("items:review") + "?state=submitted"
    assert office["accepted"].url == reverse("desk:to_assign")
    assert office["disputes"].url == reverse("handling:disputes")
    assert office["extensions"].url == reverse("handling:extensions")
    accepted = [item for item in office["accepted"].rows]
    for item in accepted:
        assert f'href="{reverse("handling:assign", args=[item.pk])}"' in html
    assert f'href="{reverse("desk:to_assign")}"' in html


def test_a_start_page_shows_the_first_rows_and_links_to_all(client, world):
    with on(DAY):
        for n in range(7):
            world.accepted(title=f"待交办{n}")
    office = sections(start_page(client, world.staff))["The office's work"]
    queue = office["accepted"]
    assert int(queue.count) == 7 and len(queue.rows) == 5 and queue.more
    assert titles(queue) == [f"待交办{n}" for n in range(5)]


def test_the_to_assign_queue_lists_the_accepted_items_with_their_assign_step(
    client, world, other_world
):
    with on(DAY):
        first = world.accepted(title="先受理")
        second = world.accepted(title="后受理")
        world.assigned(title="已交办")
        other_world.accepted(title="别处受理")
    client.force_login(world.staff)
    response = client.get(reverse("desk:to_assign"))
    assert response.status_code == 200
    assert [i.title for i in response.context["page"].object_list] == ["先受理", "后受理"]
    html = response.content.decode()
    assert "已交办" not in html and "别处受理" not in html
    for item in (first, second):
        assert reverse("handling:assign", args=[item.pk]) in html
    # The staff's queue alone: a unit or a deputy are refused.
    for user in (world.coord[world.units[0].pk], world.deputy, world.auditor):
        client.force_login(user)
        assert client.get(reverse("desk:to_assign")).status_code == 403


def test_the_auditor_reads_the_office_counts_without_rows(client, world):
    staff_work(world)
    response = start_page(client, world.auditor, day=LATE)
    overview = sections(response)["The office's work (read only)"]
    assert int(overview["accepted"].count) == 2
    assert all(not q.rows for q in overview.values())
    # To the lists an auditor may read, not to the staff's review queue.
    assert overview["accepted"].url == reverse("items:list") + "?state=accepted"
    assert reverse("items:review") not in response.content.decode()


# The units ------------------------------------------------------------------------------------


@pytest.fixture
def unit_work(world):
    """Unit 0: one assignment to accept, three replies in hand (one drafted, one named to the
    handler), one co-handling opinion owed; unit 1 has work of its own."""
    ours, theirs = world.units
    coord, handler = world.coord[ours.pk], world.handler[ours.pk]
    with on(DAY):
        world.assigned(title="待签收件")
        world.assigned(title="别单位待签收", lead=[theirs])
        early = world.assigned(title="在办早")
        drafted = world.assigned(title="待签发件")
        co_item = world.assigned(title="协办件", lead=[theirs], co=[ours])
    with on(DAY + dt.timedelta(days=5)):
        late = world.assigned(title="在办晚")
    with on(DAY + dt.timedelta(days=6)):
        for item in (early, drafted, late):
            handling.accept_assignment(world.lead_assignment(item), by=coord)
        handling.name_handler(world.lead_assignment(late), by=coord, handler=handler)
        handling.draft_reply(
            world.lead_assignment(drafted), by=handler, text="经研究，答复如下。", result_class="A"
        )
        co = co_item.assignments.get(unit=ours, role="co")
        handling.accept_assignment(co, by=coord)
        handling.accept_assignment(
            world.lead_assignment(co_item, theirs), by=world.coord[theirs.pk]
        )
    return world


def test_the_coordinator_sees_the_units_work_and_nothing_of_another_unit(client, unit_work):
    world = unit_work
    ours = world.units[0]
    response = start_page(client, world.coord[ours.pk], day=LATE)
    work = sections(response)["My unit's work"]
    assert counts(work) == {"to_accept": 1, "in_hand": 3, "overdue": 3, "opinions": 1}
    assert titles(work["to_accept"]) == ["待签收件"]
    # The soonest due first.
    assert titles(work["in_hand"]) == ["在办早", "待签发件", "在办晚"]
    assert titles(work["opinions"]) == ["协办件"]
    html = response.content.decode()
    assert "别单位待签收" not in html
    assert "overdue" in html  # the due badges mark them
    assert work["to_accept"].url == reverse("handling:inbox")


def test_the_unit_leader_has_the_drafts_to_sign(client, unit_work):
    world = unit_work
    ours, theirs = world.units
    work = sections(start_page(client, world.leader[ours.pk]))["My unit's work"]
    assert int(work["to_sign"].count) == 1
    assert titles(work["to_sign"]) == ["待签发件"]
    assert work["to_sign"].url == reverse("handling:signing")
    # The other unit's leader signs nothing of ours.
    other = sections(start_page(client, world.leader[theirs.pk]))["My unit's work"]
    assert int(other["to_sign"].count) == 0


def test_the_handler_sees_what_they_were_named_for(client, unit_work):
    world = unit_work
    work = sections(start_page(client, world.handler[world.units[0].pk]))["My unit's work"]
    assert "to_accept" not in work and "to_sign" not in work
    assert titles(work["in_hand"]) == ["在办晚"]
    assert work["in_hand"].url == reverse("handling:unit_items") + "?mine=on"


# The supervising leader -----------------------------------------------------------------------


def test_the_supervising_leader_sees_their_key_items_with_state_and_due_date(client, world):
    other_leader = make_user(world.body, "supervisor")
    with on(DAY):
        mine = world.assigned(title="我督办的")
        answered = replied(world, "我督办已答复")
        theirs = world.assigned(title="别人督办的")
        for item in (mine, answered):
            mark_key(item, by=world.staff, supervisor=world.supervisor)
        mark_key(theirs, by=world.staff, supervisor=other_leader)
    response = start_page(client, world.supervisor, day=LATE)
    keys = sections(response)["Under my supervision"]
    assert counts(keys) == {"key_items": 2, "overdue": 1}
    # The one with a reply due first, then the replied one (no reply due).
    assert titles(keys["key_items"]) == ["我督办的", "我督办已答复"]
    html = response.content.decode()
    assert "别人督办的" not in html
    mine.refresh_from_db()
    assert mine.next_due_on.isoformat() in html
    assert "state-replied" in html


# The proposer ---------------------------------------------------------------------------------


def test_the_proposer_sees_invitations_drafts_and_replies_to_evaluate(client, world):
    with on(DAY):
        draft = world.draft(title="我的草稿")
        items.invite_cosigners(draft, by=world.deputy, members=[world.cosigner_member])
        replied(world, "待评价件")
    response = start_page(client, world.deputy)
    (mine,) = sections(response).values()
    assert counts(mine) == {"invitations": 0, "drafts": 1, "to_evaluate": 1}
    assert titles(mine["drafts"]) == ["我的草稿"]
    assert titles(mine["to_evaluate"]) == ["待评价件"]
    html = response.content.decode()
    assert reverse("handling:evaluate", args=[mine["to_evaluate"].rows[0].pk]) in html
    # The proposer's own page (我的) stays where everything of theirs is.
    assert mine["drafts"].url == reverse("items:mine")
    assert client.get(reverse("items:mine")).status_code == 200

    invited = sections(start_page(client, world.cosigner))
    (theirs,) = invited.values()
    assert int(theirs["invitations"].count) == 1 and titles(theirs["invitations"]) == ["我的草稿"]
    assert int(theirs["to_evaluate"].count) == 0


# Several roles, the registry, the menu --------------------------------------------------------


def test_each_role_of_a_person_has_its_section(client, world):
    member = make_member(world.body, "张委员")
    both = make_user(world.body, "staff", "proposer", member=member)
    found = sections(start_page(client, both))
    assert "The office's work" in found
    assert any("invitations" in s for s in found.values())


def test_another_app_adds_its_section_through_the_registry(client, world):
    def provider(request, membership):
        return {"template": "desk/_body_admin.html", "context": {"body": membership.body}}

    desk.register(provider)
    try:
        response = start_page(client, world.staff)
    finally:
        desk._providers.remove(provider)
    assert any(
        s["template"] == "desk/_body_admin.html" for s in response.context["sections"]["main"]
    )


def test_the_menu_starts_with_today_and_keeps_the_role_pages(client, world):
    for user, page in ((world.deputy, "items:mine"), (world.staff, "items:review")):
        response = start_page(client, user)
        links = response.context["nav_links"]
        assert links[0]["url"] == reverse("home") and links[0]["active"]
        assert reverse(page) in [link["url"] for link in links]


def test_a_body_administrator_is_led_to_the_administration(client, world):
    admin = make_user(world.body, "body_admin")
    response = start_page(client, admin)
    assert reverse("bodies:overview") in response.content.decode()


# The cost -------------------------------------------------------------------------------------


def _queries(client, user, day=LATE) -> int:
    client.force_login(user)
    client.get(reverse("home"))  # the session and the caches warm
    with on(day), CaptureQueriesContext(connection) as captured:
        assert client.get(reverse("home")).status_code == 200
    return len(captured)


def test_the_number_of_queries_does_not_grow_with_the_items(
    client, world, django_assert_max_num_queries
):
    member = make_member(world.body, "多角色")
    everyone = make_user(
        world.body,
        "staff",
        "supervisor",
        "unit_coordinator",
        "unit_leader",
        "proposer",
        unit=world.units[0],
        member=member,
    )
    staff_work(world, prefix="一")
    with on(DAY):
        mark_key(world.assigned(title="重点一"), by=world.staff, supervisor=everyone)
    few = _queries(client, everyone)
    for n in range(3):
        staff_work(world, prefix=f"多{n}")
        with on(DAY):
            mark_key(world.assigned(title=f"重点多{n}"), by=world.staff, supervisor=everyone)
    assert _queries(client, everyone) == few, few
    client.force_login(everyone)
    with on(LATE), django_assert_max_num_queries(few):
        client.get(reverse("home"))


def test_without_a_body_the_start_page_says_so_or_leads_to_the_admin(client, db):
    from django.contrib.auth import get_user_model

    assert client.get(reverse("home"))["Location"].startswith(reverse("login"))
    users = get_user_model().objects
    client.force_login(users.create_superuser("root", password="pw-banli-2026"))
    assert client.get(reverse("home"))["Location"] == reverse("admin:index")
    client.force_login(users.create_user("nobody", password="pw-banli-2026"))
    response = client.get(reverse("home"))
    assert response.status_code == 200
    assert "home.html" in [t.name for t in response.templates]
