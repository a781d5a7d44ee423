"""The case file (办理记录): every change of state is one entry, kept forever."""

import datetime as dt

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone

from banli.core.errors import InvalidTransition, NotAllowed
from banli.core.models import AppendOnlyError, HistoryEntry
from banli.handling import services as handling
from banli.items import services as items
from banli.supervision.services import mark_key

from .factories import on

D = dt.date


def changes(obj) -> list[tuple[str, str, str]]:
    """(action, from, to) of each state change of `obj`, oldest first."""
    return [
        (e.action, e.from_state, e.to_state)
        for e in HistoryEntry.objects.for_target(obj).order_by("id")
        if e.changes_state
    ]


def test_a_whole_life_is_one_entry_per_change(world):
    with on(D(2026, 3, 2)):
        item = world.draft()
        items.invite_cosigners(item, by=world.deputy, members=[world.cosigner_member])
        items.confirm_cosign(item, by=world.cosigner)
        items.submit(item, by=world.deputy)
        items.receive(item, by=world.staff)
        items.return_for_revision(item, by=world.staff, reason="请补充措施")
        items.submit(item, by=world.deputy)
        items.receive(item, by=world.staff)
        items.accept(item, by=world.staff)
        handling.assign(item, by=world.staff, lead_units=[world.units[0]])
        assignment = world.lead_assignment(item)
        handling.accept_assignment(assignment, by=world.coord[assignment.unit_id])
    with on(D(2026, 4, 1)):
        handling.draft_reply(
            assignment, by=world.handler[assignment.unit_id], text="答复", result_class="C"
        )
        handling.sign_reply(assignment, by=world.leader[assignment.unit_id])
    with on(D(2026, 4, 10)):
        item.refresh_from_db()
        handling.evaluate(
            item,
            by=world.deputy,
            attitude="satisfied",
            result="unsatisfied",
            comment="问题仍未解决",
        )
    with on(D(2026, 5, 6)):
        assignment.refresh_from_db()
        handling.draft_reply(
            assignment, by=world.handler[assignment.unit_id], text="再答复", result_class="A"
        )
        handling.sign_reply(assignment, by=world.leader[assignment.unit_id])
    with on(D(2026, 5, 8)):
        item.refresh_from_db()
        handling.evaluate(item, by=world.deputy, attitude="satisfied", result="satisfied")

    assert changes(item) == [
        ("item.create", "", "draft"),
        ("item.submit", "draft", "submitted"),
        ("item.receive", "submitted", "under_review"),
        ("item.return", "under_review", "returned"),
        ("item.submit", "returned", "submitted"),
        ("item.receive", "submitted", "under_review"),
        ("item.accept", "under_review", "accepted"),
        ("item.assign", "accepted", "assigned"),
        ("item.start_handling", "assigned", "in_handling"),
        ("item.reply", "in_handling", "replied"),
        ("item.evaluate_rehandle", "replied", "rehandling"),
        ("item.reply", "rehandling", "replied"),
        ("item.evaluate_close", "replied", "closed"),
    ]
    assert changes(assignment) == [
        ("assignment.create", "", "pending"),
        ("assignment.accept", "pending", "handling"),
        ("assignment.sign_reply", "handling", "replied"),
        ("assignment.rehandle", "replied", "rehandling"),
        ("assignment.sign_reply", "rehandling", "replied"),
    ]
    # Steps within a state are kept too, without claiming a change.
    steps = HistoryEntry.objects.for_target(item).filter(action="item.confirm_cosign").get()
    assert steps.from_state == steps.to_state == "draft"
    # The item's case file holds the assignment's entries as well.
    case_file = HistoryEntry.objects.for_root(item)
    assert case_file.filter(action="assignment.sign_reply").count() == 2
    assert set(case_file.values_list("root_id", flat=True)) == {item.pk}


def test_an_entry_says_who_when_and_why(world):
    with on(D(2026, 3, 2)):
        item = world.draft()
        items.submit(item, by=world.deputy)
        items.receive(item, by=world.staff)
    with on(dt.datetime(2026, 3, 3, 15, 30)):
        items.reject(item, by=world.staff, reason="属于个人或家庭事务")
    entry = HistoryEntry.objects.for_target(item).order_by("id").last()
    assert entry.actor == world.staff
    assert timezone.localtime(entry.at).replace(tzinfo=None) == dt.datetime(2026, 3, 3, 15, 30)
    assert entry.reason == "属于个人或家庭事务"
    assert entry.target == item
    assert entry.target_type == ContentType.objects.get_for_model(item)


def test_a_refused_action_leaves_no_entry(world):
    with on(D(2026, 3, 2)):
        item = world.draft()
        before = HistoryEntry.objects.count()
        with pytest.raises(NotAllowed):
            items.submit(item, by=world.cosigner)
    assert HistoryEntry.objects.count() == before


@pytest.fixture
def entry(world):
    with on(D(2026, 3, 2)):
        item = world.draft()
    return HistoryEntry.objects.for_target(item).get()


def test_an_entry_cannot_be_changed(entry):
    entry.reason = "改写历史"
    with pytest.raises(AppendOnlyError):
        entry.save()
    with pytest.raises(AppendOnlyError):
        entry.save(update_fields=["reason"])
    assert HistoryEntry.objects.get(pk=entry.pk).reason == ""


def test_an_entry_cannot_be_deleted(entry):
    with pytest.raises(AppendOnlyError):
        entry.delete()
    assert HistoryEntry.objects.filter(pk=entry.pk).exists()


def test_querysets_cannot_update_or_delete_history(entry):
    with pytest.raises(AppendOnlyError):
        HistoryEntry.objects.filter(pk=entry.pk).update(reason="x")
    with pytest.raises(AppendOnlyError):
        HistoryEntry.objects.all().delete()
    with pytest.raises(AppendOnlyError):
        HistoryEntry.objects.for_root(entry.target).delete()
    entry.reason = "x"
    with pytest.raises(AppendOnlyError), transaction.atomic():
        HistoryEntry.objects.bulk_update([entry], ["reason"])
    assert HistoryEntry.objects.get(pk=entry.pk).reason == ""


def test_a_stale_copy_cannot_write_its_old_state_back(world):
    """Two staff open the same item; the second click is refused, not recorded twice."""
    with on(D(2026, 3, 2)):
        item = world.draft()
        items.submit(item, by=world.deputy)
        mine, yours = (type(item).objects.get(pk=item.pk) for _ in range(2))
        items.receive(mine, by=world.staff)
        with pytest.raises(InvalidTransition, match="changed meanwhile"):
            items.receive(yours, by=world.staff)
        items.accept(mine, by=world.staff)
        stale = type(item).objects.get(pk=item.pk)
        handling.assign(mine, by=world.staff, lead_units=[world.units[0]])
        # A step within a state would otherwise save "accepted" over "assigned".
        with pytest.raises(InvalidTransition, match="changed meanwhile"):
            mark_key(stale, by=world.staff, supervisor=world.supervisor)
    assert type(item).objects.get(pk=item.pk).state == "assigned"
    assert [c[0] for c in changes(item)].count("item.receive") == 1


def test_a_stale_assignment_cannot_write_its_old_state_back(world):
    with on(D(2026, 3, 2)):
        item = world.assigned()
        mine = world.lead_assignment(item)
        yours = type(mine).objects.get(pk=mine.pk)
        handling.accept_assignment(mine, by=world.coord[mine.unit_id])
        with pytest.raises(InvalidTransition, match="changed meanwhile"):
            handling.dispute(yours, by=world.coord[yours.unit_id], reason="非本单位")
    assert type(mine).objects.get(pk=mine.pk).state == "handling"
    assert changes(mine) == [
        ("assignment.create", "", "pending"),
        ("assignment.accept", "pending", "handling"),
    ]


def test_no_internal_path_of_the_orm_rewrites_history(entry):
    """The base manager (used by Django's own related-object and deletion code) is the
    append-only one too, and an upsert cannot overwrite an entry."""
    with pytest.raises(AppendOnlyError):
        HistoryEntry._base_manager.filter(pk=entry.pk).delete()
    with pytest.raises(AppendOnlyError):
        HistoryEntry._base_manager.filter(pk=entry.pk).update(reason="x")
    with pytest.raises(AppendOnlyError):
        HistoryEntry.objects.filter(pk=entry.pk)._raw_delete(HistoryEntry.objects.db)
    copy = HistoryEntry(**{f.attname: getattr(entry, f.attname) for f in entry._meta.fields})
    copy.reason = "x"
    with pytest.raises(AppendOnlyError):
        HistoryEntry.objects.bulk_create(
            [copy], update_conflicts=True, unique_fields=["id"], update_fields=["reason"]
        )
    assert HistoryEntry.objects.get(pk=entry.pk).reason == ""


def test_the_account_that_acted_cannot_be_deleted(entry):
    from django.db.models import ProtectedError

    with pytest.raises(ProtectedError), transaction.atomic():
        entry.actor.delete()
    assert HistoryEntry.objects.filter(pk=entry.pk, actor__isnull=False).exists()


def _raw(sql: str, params) -> None:
    from django.db import connection

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql.format(table=HistoryEntry._meta.db_table), params)


def test_the_database_refuses_a_raw_update(entry):
    from django.db import DatabaseError

    with pytest.raises(DatabaseError, match="append-only"):
        _raw("UPDATE {table} SET reason = %s WHERE id = %s", ["改写历史", entry.pk])
    assert HistoryEntry.objects.get(pk=entry.pk).reason == ""


def test_the_database_refuses_a_raw_delete(entry):
    from django.db import DatabaseError, connection

    if connection.vendor != "postgresql":
        # Django's flush empties SQLite tables with DELETE (the transactional tests need it),
        # so SQLite only refuses updates; see core migration 0003.
        pytest.skip("PostgreSQL refuses deletes; SQLite's flush needs DELETE")
    with pytest.raises(DatabaseError, match="append-only"):
        _raw("DELETE FROM {table} WHERE id = %s", [entry.pk])
    assert HistoryEntry.objects.filter(pk=entry.pk).exists()
