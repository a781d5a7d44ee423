"""Supervision activities (督办活动): the staff, or a key item's own supervising leader,
record the meetings, site visits, reports heard, written opinions and instructions held on
key items; each concerned item's timeline shows them, and the year's count is the seeds'
"开展专题督办活动30次"."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from banli.bodies.terms import timeline_words
from banli.core import timeline
from banli.core.errors import NotAllowed, ValidationFailed
from banli.core.models import Attachment, HistoryEntry
from banli.supervision import services as supervision
from banli.supervision.models import SupervisionActivity

from .factories import on
from .factories_h3 import activity, key_item, second_leader

DAY = dt.date(2026, 3, 16)
PDF = b"%PDF-1.4\n% minutes of the meeting\n"


@pytest.fixture(autouse=True)
def _uploads(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "uploads"


def test_one_site_visit_on_two_key_items_shows_on_both_timelines(world):
    with on(DAY):
        parking = key_item(world)
        buses = key_item(world, world.assigned(title="关于优化公交线路的建议"))
        visit = supervision.record_activity(
            [parking, buses],
            by=world.staff,
            kind="site_visit",
            held_on=dt.date(2026, 3, 12),
            title="实地视察老旧小区停车和公交接驳",
            participants="市人大常委会副主任、城建环保工委",
            notes="现场查看停车泊位建设进度。",
        )
    assert set(visit.items.all()) == {parking, buses}
    assert (visit.body, visit.recorded_by, visit.recorded_at.date()) == (
        world.body,
        world.staff,
        DAY,
    )
    for item in (parking, buses):
        entries = HistoryEntry.objects.for_root(item).filter(action="supervision.activity")
        assert entries.count() == 1
        entry = entries.get()
        assert entry.actor == world.staff
        assert entry.data["kind"] == "site_visit" and entry.data["held_on"] == "2026-03-12"
        shown = timeline.rows([entry], timeline_words(item))[0]
        assert shown.label == "recorded a supervision activity"
        assert "实地视察老旧小区停车和公交接驳" in shown.details


def test_a_leader_records_on_their_own_key_items_and_no_other(world, other_world):
    other = second_leader(world)
    with on(DAY):
        mine = key_item(world)
        theirs = key_item(world, supervisor=other)
        recorded = activity(world, [mine], by=world.supervisor, kind="instruction", title="批示")
        assert recorded.recorded_by == world.supervisor
        for items in ([theirs], [mine, theirs]):
            with pytest.raises(NotAllowed):
                activity(world, items, by=world.supervisor)
        unit_leader = world.leader[world.units[0].pk]
        for user in (world.auditor, world.deputy, unit_leader, other_world.staff):
            with pytest.raises(NotAllowed):
                activity(world, [mine], by=user)
    assert SupervisionActivity.objects.count() == 1


def test_what_an_activity_must_be(world, other_world):
    with on(DAY):
        key = key_item(world)
        plain = world.assigned()
        refusals = [
            ({"items": []}, "at least one key item"),
            ({"items": [plain]}, "key items only"),
            ({"items": [key], "held_on": DAY + dt.timedelta(days=1)}, "future"),
            ({"items": [key], "kind": "banquet"}, "kind of activity"),
            ({"items": [key], "title": "  "}, "title"),
        ]
        for given, message in refusals:
            with pytest.raises(ValidationFailed, match=message):
                activity(world, given.pop("items"), **given)
        theirs = key_item(other_world)
        with pytest.raises(NotAllowed):
            activity(world, [key, theirs])
        # Today is fine.
        activity(world, [key], held_on=DAY)
    assert SupervisionActivity.objects.count() == 1


def test_files_are_checked_and_kept_with_the_activity(world):
    with on(DAY):
        key = key_item(world)
        minutes = SimpleUploadedFile("座谈会纪要.pdf", PDF, content_type="application/pdf")
        recorded = activity(world, [key], files=[minutes])
        bad = SimpleUploadedFile("纪要.exe", b"MZ\x90\x00", content_type="application/octet-stream")
        with pytest.raises(ValidationFailed, match="not accepted"):
            activity(world, [key], files=[bad])
    files = Attachment.objects.filter(
        target_id=recorded.pk, target_type__model="supervisionactivity"
    )
    assert [f.name for f in files] == ["座谈会纪要.pdf"]
    # The refused upload recorded nothing.
    assert SupervisionActivity.objects.count() == 1


def test_an_activity_recorded_by_mistake_is_withdrawn_and_stops_counting(world):
    with on(DAY):
        key = key_item(world)
        wrong = activity(world, [key], by=world.supervisor, title="误录")
        with pytest.raises(NotAllowed):
            supervision.withdraw_activity(wrong, by=world.auditor, reason="错了")
        with pytest.raises(ValidationFailed, match="reason"):
            supervision.withdraw_activity(wrong, by=world.staff, reason=" ")
        # The person who recorded it may withdraw it too.
        supervision.withdraw_activity(wrong, by=world.supervisor, reason="重复录入")
        with pytest.raises(ValidationFailed, match="already withdrawn"):
            supervision.withdraw_activity(wrong, by=world.staff, reason="再撤")
    wrong.refresh_from_db()
    assert (wrong.withdrawn_by, wrong.withdrawn_reason) == (world.supervisor, "重复录入")
    assert not SupervisionActivity.objects.current().exists()
    entry = HistoryEntry.objects.for_root(key).get(action="supervision.activity_withdrawn")
    assert entry.reason == "重复录入"


def test_activities_outlive_the_key_item(world):
    with on(DAY):
        key = key_item(world)
        held = activity(world, [key])
        supervision.unmark_key(key, by=world.staff, reason="转为常规办理")
    assert list(held.items.all()) == [key]


def test_each_supervising_leader_hears_of_an_activity_on_their_key_item(world):
    from banli.notices.models import Notice

    other = second_leader(world)
    with on(DAY):
        mine = key_item(world)
        theirs = key_item(world, supervisor=other)
        meeting = activity(world, [mine, theirs], title="专题督办座谈会")
        # A leader's own instruction is not announced back to them.
        activity(world, [mine], by=world.supervisor, kind="instruction", title="批示")
    told = Notice.objects.filter(kind="supervision.activity").order_by("recipient_id")
    assert [(n.recipient_id, n.item_id) for n in told] == sorted(
        [(world.supervisor.pk, mine.pk), (other.pk, theirs.pk)]
    )
    assert all(n.url == f"/supervision/activities/{meeting.pk}/" for n in told)
    assert "专题督办座谈会" in told.first().message
