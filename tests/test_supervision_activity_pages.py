"""The supervision activities through the pages: the year's list with its count by kind,
recording one (from a key item's panel), its page and files, the leader's board with each
item's last activity, and who may see what."""

import datetime as dt
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from banli.core.models import Attachment
from banli.supervision.models import SupervisionActivity

from .factories import make_user, on
from .factories_h3 import activity, key_item, second_leader

DAY = dt.date(2026, 3, 16)
PDF = b"%PDF-1.4\n% minutes\n"


@pytest.fixture(autouse=True)
def _english(client, settings, tmp_path):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    settings.MEDIA_ROOT = tmp_path / "uploads"


def page(client, user, name, *args, query=""):
    client.force_login(user)
    response = client.get(reverse(name, args=args) + query)
    return response


def test_the_years_activities_are_counted_by_kind(client, world, other_world):
    with on(DAY):
        key = key_item(world)
        for n in range(2):
            activity(world, [key], kind="meeting", title=f"督办座谈会{n}")
        activity(world, [key], kind="site_visit", title="实地视察", held_on=dt.date(2026, 2, 3))
        activity(world, [key], kind="meeting", title="去年的会", held_on=dt.date(2025, 11, 3))
        gone = activity(world, [key], kind="meeting", title="误录的会")
        from banli.supervision.services import withdraw_activity

        withdraw_activity(gone, by=world.staff, reason="重复")
        activity(other_world, [key_item(other_world)], title="别处的会")
    text = page(
        client, world.auditor, "supervision:activities", query="?year=2026"
    ).content.decode()
    assert "In 2026, 3 supervision activities were held." in text
    assert re.search(r'id="count-meeting"><div class="n">2<', text)
    assert re.search(r'id="count-site_visit"><div class="n">1<', text)
    assert "督办座谈会1" in text and "实地视察" in text
    for absent in ("去年的会", "误录的会", "别处的会"):
        assert absent not in text
    meetings = page(client, world.staff, "supervision:activities", query="?year=2026&kind=meeting")
    assert "实地视察" not in meetings.content.decode()
    last_year = page(client, world.supervisor, "supervision:activities", query="?year=2025")
    assert "In 2025, 1 supervision activity was held." in last_year.content.decode()
    # A malformed filter is the current year, never an error.
    assert (
        page(client, world.staff, "supervision:activities", query="?year=x&kind=<b>").status_code
        == 200
    )


def test_the_list_pages_by_keys_newest_first(client, world):
    with on(DAY):
        key = key_item(world)
        for n in range(30):
            activity(
                world,
                [key],
                title=f"第{n:02d}次督办",
                held_on=dt.date(2026, 1, 1) + dt.timedelta(days=n),
            )
    first = page(client, world.staff, "supervision:activities", query="?year=2026").content.decode()
    assert "In 2026, 30 supervision activities were held." in first
    assert "第29次督办" in first and "第04次督办" not in first
    older = (
        re.search(r'href="([^"]*cursor=[^"]*)" rel="next"', first).group(1).replace("&amp;", "&")
    )
    second = client.get(older).content.decode()
    assert "第04次督办" in second and "第29次督办" not in second


def test_who_reads_the_activities(client, world, other_world):
    with on(DAY):
        held = activity(world, [key_item(world)])
    for user in (world.deputy, world.coord[world.units[0].pk], other_world.deputy):
        assert page(client, user, "supervision:activities").status_code == 403
        assert page(client, user, "supervision:activity", held.pk).status_code == 403
    assert page(client, other_world.staff, "supervision:activity", held.pk).status_code == 404
    assert (
        page(client, world.staff, "supervision:activity", 99999999999999999999).status_code == 404
    )
    assert page(client, world.auditor, "supervision:activity", held.pk).status_code == 200
    assert page(client, world.auditor, "supervision:record_activity").status_code == 403
    client.logout()
    assert client.get(reverse("supervision:activities")).status_code == 302


def test_the_leader_records_a_meeting_from_the_key_items_panel(client, world):
    with on(DAY):
        key = key_item(world)
    item_page = page(client, world.supervisor, "items:detail", key.pk).content.decode()
    record_url = reverse("supervision:record_activity") + f"?item={key.pk}"
    assert record_url in item_page
    form = client.get(record_url).content.decode()
    assert re.search(rf'value="{key.pk}"[^>]*checked', form)
    minutes = SimpleUploadedFile("纪要.pdf", PDF, content_type="application/pdf")
    with on(DAY):
        response = client.post(
            record_url,
            {
                "kind": "meeting",
                "held_on": "2026-03-15",
                "title": "停车难问题专题督办会",
                "items": [key.pk],
                "participants": "副主任、住建局",
                "notes": "要求年内完成",
                "files": [minutes],
            },
        )
    held = SupervisionActivity.objects.get()
    assert response.status_code == 302 and response.url == reverse(
        "supervision:activity", args=[held.pk]
    )
    shown = client.get(response.url).content.decode()
    assert "停车难问题专题督办会" in shown and "纪要.pdf" in shown
    attachment = Attachment.objects.get()
    download = client.get(reverse("supervision:activity_file", args=[held.pk, attachment.pk]))
    assert download.status_code == 200 and b"".join(download.streaming_content) == PDF
    # The panel now names the latest activity.
    item_page = client.get(reverse("items:detail", args=[key.pk])).content.decode()
    assert "停车难问题专题督办会" in item_page and "1 activity in all" in item_page


def test_the_record_form_keeps_errors_on_the_form(client, world):
    other = second_leader(world)
    with on(DAY):
        theirs = key_item(world, supervisor=other)
        key_item(world)
    client.force_login(world.supervisor)
    url = reverse("supervision:record_activity")
    for data in (
        {},
        {"kind": "meeting", "held_on": "2026-03-15", "title": "会", "items": [theirs.pk]},
        {"kind": "meeting", "held_on": "2099-01-01", "title": "会", "items": ["x"]},
        {"kind": "meeting", "held_on": "not a date", "title": "会"},
    ):
        with on(DAY):
            response = client.post(url, data)
        assert response.status_code == 200
        assert 'class="errorlist"' in response.content.decode()
    assert not SupervisionActivity.objects.exists()


def test_the_future_is_refused_next_to_the_form(client, world):
    with on(DAY):
        key = key_item(world)
    client.force_login(world.staff)
    with on(DAY):
        response = client.post(
            reverse("supervision:record_activity"),
            {"kind": "meeting", "held_on": "2026-03-17", "title": "会", "items": [key.pk]},
        )
    assert response.status_code == 200
    assert "cannot be in the future" in response.content.decode()


def test_another_activitys_file_is_not_served(client, world):
    with on(DAY):
        key = key_item(world)
        minutes = SimpleUploadedFile("纪要.pdf", PDF, content_type="application/pdf")
        first = activity(world, [key], files=[minutes])
        second = activity(world, [key], title="第二次")
    attachment = Attachment.objects.get()
    client.force_login(world.staff)
    assert (
        client.get(
            reverse("supervision:activity_file", args=[second.pk, attachment.pk])
        ).status_code
        == 404
    )
    assert (
        client.get(reverse("supervision:activity_file", args=[first.pk, attachment.pk])).status_code
        == 200
    )


def test_withdrawing_through_the_page(client, world):
    with on(DAY):
        held = activity(world, [key_item(world)])
    client.force_login(world.auditor)
    assert (
        "Withdraw this activity"
        not in client.get(reverse("supervision:activity", args=[held.pk])).content.decode()
    )
    assert (
        client.post(
            reverse("supervision:withdraw_activity", args=[held.pk]), {"reason": "x"}
        ).status_code
        == 302
    )
    held.refresh_from_db()
    assert held.withdrawn_at is None
    client.force_login(world.staff)
    client.post(reverse("supervision:withdraw_activity", args=[held.pk]), {"reason": "重复录入"})
    held.refresh_from_db()
    assert held.withdrawn_reason == "重复录入"
    assert (
        "it no longer counts"
        in client.get(reverse("supervision:activity", args=[held.pk])).content.decode()
    )


def test_the_leaders_board_shows_each_items_last_activity_in_bounded_queries(
    client, world, django_assert_max_num_queries
):
    def build(count):
        with on(DAY):
            for n in range(count):
                key = key_item(world, world.assigned(title=f"重点件{n}"))
                activity(world, [key], kind="meeting", held_on=dt.date(2026, 3, 1), title="座谈")
                activity(
                    world,
                    [key],
                    kind="site_visit",
                    held_on=dt.date(2026, 3, 9 + n % 3),
                    title="视察",
                )

    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("supervision:mine")).status_code == 200
        return len(captured)

    build(2)
    client.force_login(world.supervisor)
    with django_assert_max_num_queries(12):
        text = client.get(reverse("supervision:mine")).content.decode()
    assert text.count('class="small last-activity"><span class="num">2026-03-') == 2
    assert "Site visit" in text
    before = queries()
    build(6)
    assert queries() == before
    # The staff's list of key items shows the same column.
    client.force_login(world.staff)
    assert "Site visit" in client.get(reverse("supervision:key_items")).content.decode()


def test_a_unit_leader_of_no_key_item_has_no_board(client, world):
    assert (
        page(
            client, make_user(world.body, "unit_leader", unit=world.units[0]), "supervision:mine"
        ).status_code
        == 403
    )


def test_the_list_costs_the_same_queries_however_many_rows(client, world):
    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("supervision:activities"), {"year": 2026}).status_code == 200
        return len(captured)

    with on(DAY):
        keys = [key_item(world, world.assigned(title=f"重点{n}")) for n in range(3)]
        for key in keys:
            activity(world, [key])
    client.force_login(world.staff)
    before = queries()
    with on(DAY):
        for n in range(10):
            activity(world, keys, title=f"联合督办{n}")
    assert queries() == before
