"""The item page with a long case file (issue 15): a bounded number of queries for every
reader whatever the length of the timeline, the newest entries on the page and the whole
timeline on its own page, paged by a cursor on (time, id), readable exactly
where the item is."""

import datetime as dt
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from banli.core.models import HistoryEntry
from banli.core.timeline import PAGE, RECENT
from banli.core.uploads import attach
from banli.core.workflow import label_for
from banli.handling import services as handling
from banli.items import services as items
from banli.supervision.services import mark_key

from .factories import World, membership_of, on

DAY = dt.date(2026, 3, 2)  # a Monday
# The most queries the item page may make for any reader, middleware included (session,
# user, memberships, rules, second factor), however long its timeline.
MAX_QUERIES = 18


@pytest.fixture(autouse=True)
def _on_a_working_day():
    with on(DAY):
        yield


def pdf(name):
    return SimpleUploadedFile(name, b"%PDF-1.4\n% survey\n", content_type="application/pdf")


def log_contacts(world, assignment, count):
    for n in range(count):
        handling.log_contact(
            assignment,
            by=world.handler[assignment.unit_id],
            stage="during",
            method="phone",
            on=DAY,
            notes=f"第{n + 1}次电话沟通",
        )


@pytest.fixture
def case(world):
    """A replied item with a lead and a co-handling unit, the co-unit's opinion, files on the
    item and on the reply, a key item, and a long timeline (every entry at the same minute,
    so only the id orders them)."""
    world.confirmed_cosigners(item := world.draft(), 1)
    attach(item, by=world.deputy, upload=pdf("调研报告.pdf"))
    items.submit(item, by=world.deputy)
    items.receive(item, by=world.staff)
    items.accept(item, by=world.staff)
    lead, co = world.units
    handling.assign(item, by=world.staff, lead_units=[lead], co_units=[co])
    a = world.lead_assignment(item)
    handling.accept_assignment(a, by=world.coord[lead.pk])
    co_assignment = item.assignments.get(unit=co)
    handling.accept_assignment(co_assignment, by=world.coord[co.pk])
    handling.send_opinion(co_assignment, by=world.handler[co.pk], text="协办意见：同意答复。")
    mark_key(item, by=world.staff, supervisor=world.supervisor, lead_handler="副市长")
    log_contacts(world, a, 40)
    reply = handling.draft_reply(
        a, by=world.handler[lead.pk], text="经研究，答复如下。", result_class="A"
    )
    attach(reply, by=world.handler[lead.pk], upload=pdf("答复函.pdf"), root=item)
    handling.sign_reply(a, by=world.leader[lead.pk])
    item.refresh_from_db()
    return item


def readers(world):
    lead = world.units[0].pk
    return {
        "staff": world.staff,
        "unit coordinator": world.coord[lead],
        "lead proposer": world.deputy,
        "supervising leader": world.supervisor,
        "unit leader": world.leader[lead],
    }


def entries(item):
    return HistoryEntry.objects.for_root(item).count()


def shown(html):
    """The timeline entries a page shows (one "when" line each)."""
    return re.findall(r'<div class="when">', html)


def test_the_item_page_stays_within_its_queries_for_every_reader(
    client, world, case, django_assert_max_num_queries
):
    assert entries(case) > PAGE
    for name, user in readers(world).items():
        client.force_login(user)
        with django_assert_max_num_queries(MAX_QUERIES, info=name):
            response = client.get(reverse("items:detail", args=[case.pk]))
        assert response.status_code == 200, name


def test_a_longer_timeline_costs_no_query_more(client, world, case):
    def queries(user):
        client.force_login(user)
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("items:detail", args=[case.pk])).status_code == 200
        return len(captured)

    before = {name: queries(user) for name, user in readers(world).items()}
    log_contacts(world, world.lead_assignment(case), 30)
    after = {name: queries(user) for name, user in readers(world).items()}
    assert after == before


def test_the_page_shows_the_newest_entries_and_links_to_all(client, world, case):
    client.force_login(world.staff)
    body = client.get(reverse("items:detail", args=[case.pk])).content.decode()
    assert len(shown(body)) == RECENT
    total = entries(case)
    assert f"Show all {total} entries" in body
    assert reverse("items:timeline", args=[case.pk]) in body
    # The newest steps are on the page; the oldest (the draft) only on the timeline.
    newest = HistoryEntry.objects.for_root(case).order_by("-at", "-id").first()
    assert str(label_for(newest.action)) in body
    assert "created the draft" not in body
    # Everything the page showed before still shows: the files, the key item, the opinion,
    # the reply with its file.
    for text in ("调研报告.pdf", "Key item", "副市长", "协办意见：同意答复。", "答复函.pdf"):
        assert text in body, text


def test_a_short_timeline_shows_whole_without_a_link(client, world):
    item = world.accepted()
    client.force_login(world.staff)
    body = client.get(reverse("items:detail", args=[item.pk])).content.decode()
    assert len(shown(body)) == entries(item)
    assert reverse("items:timeline", args=[item.pk]) not in body


def older_link(body, item):
    found = re.search(
        r'href="' + re.escape(reverse("items:timeline", args=[item.pk])) + r'\?before=([^"]+)"',
        body,
    )
    return found and found.group(1)


def test_the_timeline_pages_newest_first_by_cursor_without_gaps(client, world, case):
    client.force_login(world.staff)
    url = reverse("items:timeline", args=[case.pk])
    first = client.get(url)
    assert first.status_code == 200
    body = first.content.decode()
    assert len(shown(body)) == PAGE
    cursor = older_link(body, case)
    assert cursor
    rest = client.get(url + "?before=" + cursor).content.decode()
    assert len(shown(rest)) == entries(case) - PAGE
    assert older_link(rest, case) is None
    # Newest first: the first page starts with the signed reply, the last page ends with
    # the draft's creation; no entry is shown twice or skipped.
    expected = [
        str(label_for(e.action)) for e in HistoryEntry.objects.for_root(case).order_by("-at", "-id")
    ]
    texts = re.findall(r"<strong>([^<]+)</strong>", body + rest)
    assert texts == expected
    assert texts[-1] == "created the draft"


def test_a_malformed_cursor_shows_the_first_page(client, world, case):
    client.force_login(world.staff)
    url = reverse("items:timeline", args=[case.pk])
    first = client.get(url).content.decode()
    for bad in (
        "x",
        "_",
        "2026-13-45T10:00:00_1",
        "2026-03-02T10:00:00_abc",
        "2026-03-02_-5",
        "2026-03-02T10:00:00_99999999999999999999999",
        "2026-03-02T10:00:00_1",
    ):
        response = client.get(url, {"before": bad})
        assert response.status_code == 200, bad
        # A naive time is no cursor either: the first page, not a guess at the time zone.
        assert response.content.decode().count("<strong>") == first.count("<strong>"), bad


def test_htmx_gets_the_next_rows_in_place_of_the_link(client, world, case):
    client.force_login(world.staff)
    url = reverse("items:timeline", args=[case.pk])
    page_body = client.get(reverse("items:detail", args=[case.pk])).content.decode()
    cursor = re.search(r'hx-get="[^"]*\?before=([^"]+)"', page_body).group(1)
    response = client.get(url + "?before=" + cursor, headers={"HX-Request": "true"})
    body = response.content.decode()
    assert "<html" not in body
    assert len(shown(body)) == entries(case) - RECENT


def test_the_timeline_is_read_exactly_where_the_item_is(client, world, case):
    url = reverse("items:timeline", args=[case.pk])
    other = World()
    client.force_login(other.staff)
    assert client.get(url).status_code == 404
    assert client.get(reverse("items:timeline", args=[10**12])).status_code == 404
    for name, user in readers(world).items():
        client.force_login(user)
        assert client.get(url).status_code == 200, name


def test_a_unit_reassigned_away_reads_the_timeline_no_more(client, world):
    old, new = world.units
    item = world.assigned(lead=[old])
    first = world.lead_assignment(item, old)
    handling.dispute(first, by=world.coord[old.pk], reason="不属于本单位职责")
    handling.reassign(first, by=world.staff, to_unit=new, reason="职责调整")
    url = reverse("items:timeline", args=[item.pk])
    for role in (world.coord, world.handler, world.leader):
        client.force_login(role[old.pk])
        assert client.get(url).status_code == 404
    client.force_login(world.coord[new.pk])
    assert client.get(url).status_code == 200


def test_an_invitee_reads_the_invitation_not_the_timeline(client, world):
    draft = world.draft()

    items.invite_cosigners(draft, by=world.deputy, members=[membership_of(world.cosigner).member])
    client.force_login(world.cosigner)
    assert client.get(reverse("items:detail", args=[draft.pk])).status_code == 200
    assert client.get(reverse("items:timeline", args=[draft.pk])).status_code == 404


def test_the_invitation_reads_the_item_and_the_invitations_once(
    client, world, django_assert_max_num_queries
):
    draft = world.draft()
    items.invite_cosigners(draft, by=world.deputy, members=[membership_of(world.cosigner).member])
    client.force_login(world.cosigner)
    # The middleware's five, the item (not readable yet), the invitation with its item, the
    # co-signers.
    with django_assert_max_num_queries(8):
        response = client.get(reverse("items:detail", args=[draft.pk]))
    assert reverse("items:action", args=[draft.pk, "confirm_cosign"]) in response.content.decode()


def test_a_timeline_page_is_the_item_and_one_page_of_entries(
    client, world, case, django_assert_max_num_queries
):
    client.force_login(world.staff)
    url = reverse("items:timeline", args=[case.pk])
    # The middleware's five, the item, the entries with their actors.
    with django_assert_max_num_queries(7):
        assert client.get(url).status_code == 200
