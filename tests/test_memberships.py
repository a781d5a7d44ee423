"""A person may belong to several bodies (a deputy of the city and of the province congress,
provincial staff who oversee a city body): each membership has its own roles, the pages work
in the body chosen with the switcher, and isolation holds per membership (docs/domain.md §1)."""

import datetime as dt

import pytest
from django.urls import reverse

from banli.bodies.access import current_membership, membership_in, memberships_of
from banli.bodies.models import Membership
from banli.core.actors import Actor, ActorKind
from banli.core.errors import NotAllowed
from banli.core.history import record
from banli.core.models import HistoryEntry
from banli.items import services as items
from banli.items.models import Item
from banli.items.permissions import item_roles

from .factories import make_member, on

DAY = dt.date(2026, 3, 2)


@pytest.fixture(autouse=True)
def _on_a_session_day():
    with on(DAY):
        yield


@pytest.fixture
def two_bodies(world, other_world):
    """world.staff is also a deputy of the other congress."""
    member = make_member(other_world.body, "陈立新")
    Membership.objects.create(
        user=world.staff, body=other_world.body, roles=["proposer"], member=member
    )
    return world, other_world


def test_a_person_holds_a_membership_in_each_body(two_bodies):
    world, other = two_bodies
    assert [m.body for m in memberships_of(world.staff)] == [world.body, other.body]
    assert membership_in(world.staff, other.body).roles == ["proposer"]
    assert current_membership(world.staff).body == world.body


def test_roles_come_from_the_membership_in_the_items_body(two_bodies):
    world, other = two_bodies
    theirs = items.create_draft(
        by=world.staff,
        session=other.session,
        kind="suggestion",
        title="关于公交线路的建议",
        text="建议优化线路。",
        category=other.category,
    )
    assert "lead_proposer" in item_roles(world.staff, theirs)
    assert "staff" not in item_roles(world.staff, theirs)
    submitted = other.draft()
    items.submit(submitted, by=other.deputy)
    # Staff of the first body only: the proposer's membership gives no review right there.
    with pytest.raises(NotAllowed):
        items.receive(submitted, by=world.staff)


def test_lists_show_the_current_body_only(client, two_bodies):
    world, other = two_bodies
    here = world.accepted(title="本市的建议")
    theirs = items.create_draft(
        by=world.staff,
        session=other.session,
        kind="suggestion",
        title="另一机关的草稿",
        text="正文。",
        category=other.category,
    )
    client.force_login(world.staff)
    page = client.get(reverse("items:list"))
    assert here.title in page.content.decode()
    assert theirs.title not in page.content.decode()

    client.post(reverse("switch_body"), {"body": other.body.pk})
    page = client.get(reverse("items:list"))
    assert theirs.title in page.content.decode()
    assert here.title not in page.content.decode()
    # Working in the other body, the first body's item is out of reach.
    assert client.get(reverse("items:detail", args=[here.pk])).status_code in {403, 404}


def test_the_switcher_refuses_a_body_the_user_does_not_belong_to(client, world, other_world):
    client.force_login(world.staff)
    response = client.post(reverse("switch_body"), {"body": other_world.body.pk}, follow=True)
    assert "You do not belong to that body." in response.content.decode()
    assert client.session.get("banli_body") is None
    response = client.post(reverse("switch_body"), {"body": "x' or 1=1"}, follow=True)
    assert response.status_code == 200


def test_the_switcher_is_shown_only_to_people_of_several_bodies(client, two_bodies):
    world, other = two_bodies
    client.force_login(world.staff)
    assert 'name="body"' in client.get(reverse("items:list")).content.decode()
    client.force_login(world.auditor)
    assert 'name="body"' not in client.get(reverse("items:list")).content.decode()


def test_an_inactive_membership_gives_nothing(world):
    membership = Membership.objects.get(user=world.staff)
    membership.active = False
    membership.save()
    world.staff.refresh_from_db()
    fresh = type(world.staff).objects.get(pk=world.staff.pk)
    assert current_membership(fresh) is None
    assert not Item.objects.visible_to(fresh).exists()


# Actors beyond users


@pytest.mark.parametrize(
    ("actor", "kind", "label", "has_user"),
    [
        (None, ActorKind.SYSTEM, "", False),
        (Actor.system("close_unevaluated"), ActorKind.SYSTEM, "close_unevaluated", False),
        (Actor.citizen("Q7K2-9XWD"), ActorKind.CITIZEN, "Q7K2-9XWD", False),
    ],
)
def test_history_names_actors_who_are_not_users(world, actor, kind, label, has_user):
    item = world.draft()
    entry = record(item, "item.note", by=actor)
    assert (entry.actor_kind, entry.actor_label, entry.actor is not None) == (
        kind,
        label,
        has_user,
    )


def test_history_names_an_import_row_and_an_api_token_with_their_user(world):
    item = world.draft()
    by_import = record(
        item, "item.note", by=Actor.import_row(user=world.staff, file="2024.xlsx", row=12)
    )
    by_api = record(item, "item.note", by=Actor.api_client(token_name="12345-bridge"))
    assert (by_import.actor_kind, by_import.actor_label, by_import.actor) == (
        ActorKind.IMPORT,
        "2024.xlsx:12",
        world.staff,
    )
    assert (by_api.actor_kind, by_api.actor_label, by_api.actor) == (
        ActorKind.API,
        "12345-bridge",
        None,
    )


def test_a_person_is_named_as_written_at_the_time(world):
    item = world.draft()
    entry = HistoryEntry.objects.for_root(item).get(action="item.create")
    assert (entry.actor_kind, entry.actor_label) == (ActorKind.USER, world.deputy.username)


def test_a_citizen_has_no_role_on_an_item(world):
    item = world.accepted()
    assert item_roles(Actor.citizen("Q7K2-9XWD"), item) == set()
    assert item_roles(None, item) == {"system"}


def test_the_timeline_names_each_kind_of_actor(world):
    item = world.draft()
    record(item, "item.note", by=Actor.import_row(user=world.staff, file="2024.xlsx", row=12))
    record(item, "item.note", by=None)
    names = [e.actor_name for e in HistoryEntry.objects.for_root(item).select_related("actor")]
    assert names[0] == world.deputy.username
    assert names[1] == f"Import (2024.xlsx:12, {world.staff.username})"
    assert names[2] == "System"
