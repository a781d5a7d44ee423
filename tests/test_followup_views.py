"""The follow-up pages: opening a round after seeing how many items it takes, the round page
with its summary and the staff's confirmation, a unit's items with its report form, the
cross-year items with their history of classes; who reads what, 404 for another body."""

import datetime as dt

import pytest
from django.urls import reverse

from banli.followup import services
from banli.followup.models import FollowUpRound, RoundItem
from banli.handling import services as handling

from .factories import make_session, on
from .factories_h4 import closed_item, year_world

OPENED = dt.date(2024, 3, 1)


@pytest.fixture(autouse=True)
def _english(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"


@pytest.fixture
def w(db):
    return year_world(2023)


@pytest.fixture
def round_(w):
    first, second = w.units
    w.b_item = closed_item(w, "B", unit=first)
    w.c_item = closed_item(w, "C", unit=second)
    with on(OPENED):
        return services.open_round(
            w.body, year=2023, by=w.staff, title="2023年回头看", due_on=dt.date(2024, 5, 31)
        )


def test_staff_open_a_round_after_seeing_how_many_items_it_takes(client, w):
    closed_item(w, "B")
    closed_item(w, "C")
    closed_item(w, "A")
    client.force_login(w.staff)
    url = reverse("followup:open_round")
    with on(OPENED):
        assert client.get(url).status_code == 200
        data = {"year": 2023, "title": "2023年建议回头看", "due_on": "2024-05-31"}
        preview = client.post(url, data)
        assert preview.status_code == 200
        assert "The round will take 2 items." in preview.content.decode()
        assert not FollowUpRound.objects.exists()
        done = client.post(url, {**data, "confirm": "1"})
    round_ = FollowUpRound.objects.get()
    assert done.status_code == 302 and done.url == reverse("followup:round", args=[round_.pk])
    assert round_.entries.count() == 2
    page = client.get(reverse("followup:rounds")).content.decode()
    assert "2023年建议回头看" in page


def test_opening_an_empty_round_shows_the_refusal_on_the_form(client, w):
    client.force_login(w.staff)
    with on(OPENED):
        data = {"year": 2023, "title": "回头看", "due_on": "2024-05-31", "confirm": "1"}
        response = client.post(reverse("followup:open_round"), data)
    assert response.status_code == 200
    assert "waits for a follow-up" in response.content.decode()
    bad = client.post(reverse("followup:open_round"), {"year": "x", "title": "", "due_on": "no"})
    assert bad.status_code == 200 and not FollowUpRound.objects.exists()


def test_staff_confirm_a_class_on_the_round_page_and_the_summary_follows(client, w, round_):
    client.force_login(w.staff)
    url = reverse("followup:round", args=[round_.pk])
    page = client.get(url).content.decode()
    entry = RoundItem.objects.get(round=round_, item=w.b_item)
    assert reverse("followup:confirm", args=[entry.pk]) in page
    assert "Of the 1 class B item of 2023, none has changed class yet" in page
    with on(dt.date(2024, 4, 1)):
        response = client.post(
            reverse("followup:confirm", args=[entry.pk]),
            {f"c{entry.pk}-to_class": "A", f"c{entry.pk}-reason": "已解决", f"c{entry.pk}-on": ""},
        )
    assert response.status_code == 302 and response.url == url
    w.b_item.refresh_from_db()
    assert w.b_item.result_class == "A"
    page = client.get(url).content.decode()
    assert "Of the 1 class B item of 2023, 1 became class A" in page
    # A reason is required: the form comes back with the error, nothing changes.
    other = RoundItem.objects.get(round=round_, item=w.c_item)
    with on(dt.date(2024, 4, 1)):
        response = client.post(
            reverse("followup:confirm", args=[other.pk]),
            {f"c{other.pk}-to_class": "B", f"c{other.pk}-reason": ""},
        )
    assert response.status_code == 400 and "Please give a reason." in response.content.decode()


def test_readers_see_the_round_units_and_others_do_not(client, w, round_, other_world):
    url = reverse("followup:round", args=[round_.pk])
    entry = RoundItem.objects.get(round=round_, item=w.b_item)
    for reader in (w.supervisor, w.auditor):
        client.force_login(reader)
        page = client.get(url)
        assert page.status_code == 200
        assert reverse("followup:confirm", args=[entry.pk]) not in page.content.decode()
        assert client.get(reverse("followup:rounds")).status_code == 200
        assert client.get(reverse("followup:cross_year")).status_code == 200
        assert client.get(reverse("followup:open_round")).status_code == 403
    for outsider in (w.coord[w.units[0].pk], w.deputy):
        client.force_login(outsider)
        assert client.get(url).status_code == 403
        assert client.get(reverse("followup:rounds")).status_code == 403
    client.force_login(w.coord[w.units[0].pk])
    confirm = reverse("followup:confirm", args=[entry.pk])
    assert client.post(confirm, {f"c{entry.pk}-to_class": "A"}).status_code == 403
    client.force_login(other_world.staff)
    assert client.get(url).status_code == 404
    assert client.post(confirm, {f"c{entry.pk}-to_class": "A"}).status_code == 404
    assert client.post(reverse("followup:close", args=[round_.pk])).status_code == 404


def test_a_unit_reads_and_reports_only_its_own_items(client, w, round_):
    first, second = w.units
    mine = RoundItem.objects.get(round=round_, item=w.b_item)
    theirs = RoundItem.objects.get(round=round_, item=w.c_item)
    client.force_login(w.handler[first.pk])
    page = client.get(reverse("followup:unit_items")).content.decode()
    assert w.b_item.title in page and reverse("followup:report", args=[mine.pk]) in page
    assert reverse("followup:report", args=[theirs.pk]) not in page
    with on(dt.date(2024, 4, 1)):
        response = client.post(
            reverse("followup:report", args=[mine.pk]),
            {f"r{mine.pk}-text": "停车场已开工建设。", f"r{mine.pk}-proposed_class": "A"},
        )
        assert response.status_code == 302
        refused = client.post(
            reverse("followup:report", args=[theirs.pk]), {f"r{theirs.pk}-text": "越权"}
        )
    assert refused.status_code == 404
    assert mine.reports.get().text == "停车场已开工建设。"
    assert not theirs.reports.exists()
    empty = client.post(reverse("followup:report", args=[mine.pk]), {f"r{mine.pk}-text": ""})
    assert empty.status_code == 400
    client.force_login(w.staff)
    page = client.get(reverse("followup:round", args=[round_.pk])).content.decode()
    assert "停车场已开工建设。" in page
    assert client.get(reverse("followup:unit_items")).status_code == 403


def test_staff_close_a_round(client, w, round_):
    client.force_login(w.supervisor)
    assert client.post(reverse("followup:close", args=[round_.pk])).status_code == 403
    client.force_login(w.staff)
    with on(dt.date(2024, 7, 1)):
        response = client.post(reverse("followup:close", args=[round_.pk]))
    assert response.status_code == 302
    round_.refresh_from_db()
    assert not round_.is_open
    page = client.get(reverse("followup:round", args=[round_.pk])).content.decode()
    assert reverse("followup:close", args=[round_.pk]) not in page
    assert "/confirm/" not in page


def test_cross_year_items_with_their_history_of_classes_until_solved(
    client, w, django_assert_max_num_queries
):
    solved_later = closed_item(w, "B", planned_on=dt.date(2024, 6, 30))
    still_open = closed_item(w, "B", planned_on=dt.date(2025, 6, 30))
    with on(dt.date(2024, 1, 5)):
        services.apply_cross_year_rule(w.body)
    w.session = make_session(w.body, year=2024, number=5)
    with on(dt.date(2024, 3, 1)):
        first = services.open_round(
            w.body, year=2024, by=w.staff, title="2024", due_on=dt.date(2024, 5, 1)
        )
    with on(dt.date(2024, 12, 1)):
        services.close_round(first, by=w.staff)
    with on(dt.date(2025, 3, 1)):
        second = services.open_round(
            w.body, year=2025, by=w.staff, title="2025", due_on=dt.date(2025, 5, 1)
        )
        services.confirm_class(
            RoundItem.objects.get(round=second, item=solved_later),
            by=w.staff,
            to_class="A",
            reason="已建成",
        )
    client.force_login(w.staff)
    url = reverse("followup:cross_year")
    page = client.get(url).content.decode()
    assert still_open.title in page
    assert "2023 B → 2024 B" in page
    solved = client.get(url, {"status": "solved"}).content.decode()
    assert "2023 B → 2024 B → 2025 A" in solved
    everything = client.get(url, {"status": "all", "year": "2023"}).content.decode()
    assert everything.count("2023 B → 2024 B") == 2
    for _ in range(6):
        closed_item(w, "B", planned_on=dt.date(2026, 6, 30))
    with on(dt.date(2025, 1, 5)):
        services.apply_cross_year_rule(w.body)
    with django_assert_max_num_queries(20):
        assert client.get(url, {"status": "all"}).status_code == 200
    client.get(reverse("followup:cross_year"), {"year": "nonsense", "status": "x"})


def test_the_round_page_reads_a_page_of_items_in_a_fixed_number_of_queries(
    client, w, django_assert_max_num_queries
):
    for _ in range(8):
        closed_item(w, "B", unit=w.units[0])
        closed_item(w, "C", unit=w.units[1])
    with on(OPENED):
        round_ = services.open_round(
            w.body, year=2023, by=w.staff, title="回头看", due_on=dt.date(2024, 5, 31)
        )
    with on(dt.date(2024, 4, 1)):
        for entry in round_.entries.select_related("item")[:6]:
            unit = entry.item.assignments.get().unit_id
            services.report_progress(entry, by=w.coord[unit], text="进展")
    client.force_login(w.staff)
    with django_assert_max_num_queries(25):
        assert client.get(reverse("followup:round", args=[round_.pk])).status_code == 200
    client.force_login(w.coord[w.units[0].pk])
    with django_assert_max_num_queries(25):
        assert client.get(reverse("followup:unit_items")).status_code == 200
    assert client.get(reverse("followup:unit_items"), {"round": "x"}).status_code == 200


def test_malformed_ids_are_not_found(client, w):
    client.force_login(w.staff)
    assert client.get("/followup/999999/").status_code == 404
    assert client.post("/followup/entry/999999/confirm/").status_code == 404
    assert client.get("/followup/entry/1/confirm/").status_code == 405


def test_marking_by_staff_still_works(w):
    item = closed_item(w, "C")
    handling.mark_cross_year(item, by=w.staff, reason="需跨年度推进")
    item.refresh_from_db()
    assert item.is_cross_year


def test_the_admin_shows_the_rounds_read_only(client, w, round_):
    from django.contrib.auth import get_user_model

    admin = get_user_model().objects.create_superuser("root-h4", password="pw-banli-2026")
    client.force_login(admin)
    for name in ("followupround", "rounditem", "progressreport"):
        assert client.get(reverse(f"admin:followup_{name}_changelist")).status_code == 200
    assert client.get(reverse("admin:followup_followupround_add")).status_code == 403
