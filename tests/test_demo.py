"""`banli demo`: two bodies with a year of items, every state, and an account per role.

The demo is built once for the module inside a transaction that is rolled back at the end,
so the other modules never see it (Django's setUpTestData, at module scope).
"""

import datetime as dt
import re
from collections import Counter, defaultdict
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.db import transaction
from django.http import HttpRequest
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from banli.bodies.models import Body, BodyType, Role, Unit
from banli.core.models import HistoryEntry
from banli.demo import builder
from banli.handling.models import (
    Assignment,
    CoHandlingOpinion,
    Extension,
    Reply,
    ResultClassChange,
)
from banli.items.models import CoSigner, Item, Kind
from banli.items.workflow import ItemState
from banli.supervision.models import KeyItem
from tests.factories import membership_of

# The demo hashes its password once; a fast hasher keeps the logins below quick.
FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
HAN = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(scope="module")
def built(django_db_setup, django_db_blocker):
    with (
        # The assertions read the command's English output (the default language is Chinese).
        override_settings(PASSWORD_HASHERS=FAST_HASHERS, LANGUAGE_CODE="en"),
        django_db_blocker.unblock(),
        transaction.atomic(),
    ):
        out = StringIO()
        call_command("demo", stdout=out)
        yield out.getvalue()
        transaction.set_rollback(True)


@pytest.fixture
def demo(built, db):
    """The command's output; each test runs in a savepoint inside the module's build."""
    return built


def bodies():
    return Body.objects.get(code=builder.NPC), Body.objects.get(code=builder.CPPCC)


def accounts_table(output: str) -> str:
    return output[output.index("\n\n") :]


def test_a_city_congress_and_a_district_cppcc_with_about_300_items(demo):
    npc, cppcc = bodies()
    assert (npc.body_type, cppcc.body_type) == (BodyType.CONGRESS, BodyType.CPPCC)
    assert Item.objects.for_body(npc).count() == 220
    assert Item.objects.for_body(cppcc).count() == 80
    for body in (npc, cppcc):
        assert list(body.categories.values_list("name", flat=True)) == [
            "经济发展类",
            "城乡建设管理类",
            "社会事业类",
            "社会治理及其他类",
        ]
        units = Unit.objects.filter(body=body)
        assert units.count() >= 20
        assert not units.filter(contact_name="").exists()
        government = units.get(parent=None, name__endswith="人民政府")
        assert government.children.count() >= 18
    assert "示范市人民代表大会: 220 items" in demo
    assert "示范区政协: 80 items" in demo


def test_every_state_of_the_lifecycle_is_there_in_both_bodies(demo):
    for body in bodies():
        states = set(Item.objects.for_body(body).values_list("state", flat=True))
        assert states == set(ItemState.values), body
        # Not states, but steps a walk-through shows.
        awaiting = CoSigner.objects.filter(
            item__body=body, item__state="draft", confirmed_at=None, declined_at=None
        )
        assert awaiting.exists()
        assert Assignment.objects.filter(item__body=body, state="disputed").exists()
        assert Assignment.objects.filter(item__body=body, state="reassigned").exists()
        assert CoHandlingOpinion.objects.filter(assignment__item__body=body).exists()
        assert Reply.objects.filter(assignment__item__body=body, signed_at=None).exists()
        closures = set(Item.objects.for_body(body).values_list("closure", flat=True))
        assert {"satisfied", "basically_satisfied", "not_evaluated"} <= closures
        assert Item.objects.for_body(body).filter(state="closed", reply_round=2).exists()
    # 不予立案 always says why.
    assert all(e.reason for e in HistoryEntry.objects.filter(action="item.reject"))
    npc, _cppcc = bodies()
    extensions = Counter(
        Extension.objects.filter(assignment__item__body=npc).values_list("state", flat=True)
    )
    assert extensions["approved"] and extensions["refused"] and extensions["pending"]
    assert Item.objects.for_body(npc).filter(converted_from_motion=True).count() >= 2


def test_every_history_chain_runs_from_nothing_to_the_current_state(demo):
    """Items and assignments alike: each state change starts where the previous ended."""
    for model in (Item, Assignment):
        entries = HistoryEntry.objects.filter(
            target_type=ContentType.objects.get_for_model(model)
        ).order_by("at", "id")
        chains = defaultdict(list)
        for entry in entries:
            if entry.changes_state:
                chains[entry.target_id].append((entry.from_state, entry.to_state))
        for obj in model.objects.all():
            chain = chains[obj.pk]
            assert chain[0][0] == "", obj
            assert all(a[1] == b[0] for a, b in zip(chain, chain[1:], strict=False)), obj
            assert chain[-1][1] == obj.state, obj
    times = HistoryEntry.objects.order_by("at").values_list("at", flat=True)
    first, last = timezone.localtime(times.first()), timezone.localtime(times.last())
    assert first.date() >= dt.date(2026, 1, 1)
    assert last.date() < builder.ANCHOR


def test_items_are_overdue_and_due_soon_relative_to_today(demo):
    # The demo's dates are fixed; open due dates are spread until May 2027. After that
    # the demo looks stale and its ANCHOR and session dates should move a year on.
    today = timezone.localdate()
    for body in bodies():
        items = Item.objects.for_body(body)
        assert items.overdue(today).count() >= 2, body
        assert items.due_within(today, 30).exists(), f"{body}: nothing due soon; move ANCHOR"


def test_the_figures_look_like_the_seeds(demo):
    for body in bodies():
        items = Item.objects.for_body(body)
        classes = Counter(items.exclude(result_class="").values_list("result_class", flat=True))
        share_a = classes["A"] / sum(classes.values())
        assert 0.75 <= share_a <= 0.88, (body, classes)
        assert classes["B"] and classes["C"]
        replies = Reply.objects.filter(assignment__item__body=body, round=1).exclude(
            replied_on=None
        )
        on_time = [
            r for r in replies.select_related("assignment") if r.replied_on <= r.assignment.due_on
        ]
        assert 0.9 <= len(on_time) / replies.count() < 1
        keys = KeyItem.objects.filter(item__body=body).select_related("supervisor")
        assert keys.count() >= 5
        assert all(Role.SUPERVISOR in membership_of(k.supervisor).roles for k in keys)
        assert items.filter(is_public=True).exists()
        joint = items.filter(cosigners__confirmed_at__isnull=False).distinct()
        assert joint.count() >= 10
        assert items.filter(proposer__member_type__in=["delegation", "party"]).exists()
        assert ResultClassChange.objects.filter(item__body=body).exists()
    npc, _cppcc = bodies()
    for motion in Item.objects.for_body(npc).filter(
        kind=Kind.MOTION, proposer__member_type="deputy"
    ):
        assert len(motion.signers()) >= 10


def test_every_role_has_an_account_that_logs_in(demo, client):
    # django-axes checks the lockout of the request's address: client.login passes a request.
    users = get_user_model().objects.all()
    for account in builder.ACCOUNTS:
        assert client.login(
            request=HttpRequest(), username=account.username, password=builder.PASSWORD
        ), account
        user = users.get(username=account.username)
        assert HAN.search(user.first_name)
        if account.superuser:
            assert user.is_superuser
        else:
            first, *others = user.memberships.order_by("id")
            assert first.body.code == account.body
            assert set(first.roles) == set(account.roles)
            also = builder.ALSO_IN.get(account.username)
            assert [(m.body.code, set(m.roles)) for m in others] == (
                [(also[0], {str(r) for r in also[1]})] if also else []
            )
        assert account.username in demo
    for body in bodies():
        held = {
            role
            for account in builder.ACCOUNTS
            if account.body == body.code
            for role in account.roles
        }
        assert held == set(Role.values), body


def test_work_waits_for_each_account_of_a_walk_through(demo):
    users = get_user_model().objects.all()

    def profile(username):
        return membership_of(users.get(username=username))

    for body, staff, proposer, cosigner, unit in [
        (*bodies()[:1], "staff", "deputy", "deputy2", "unit-zj"),
        (*bodies()[1:], "cppcc-staff", "member", "member2", "cppcc-unit-jy"),
    ]:
        items = Item.objects.for_body(body)
        # A co-sign request, items in the staff review queue, a new assignment in the
        # unit's inbox, a reply for the unit leader to sign, a reply for the proposer to
        # evaluate.
        invited = CoSigner.objects.filter(
            member=profile(cosigner).member, confirmed_at=None, declined_at=None
        )
        assert invited.filter(item__state="draft").exists()
        assert items.filter(state__in=["submitted", "under_review"]).exists()
        unit_id = profile(f"{unit}-coord").unit_id
        assert Assignment.objects.filter(unit_id=unit_id, state="pending").exists()
        unsigned = Reply.objects.filter(assignment__unit_id=unit_id, signed_at=None)
        assert unsigned.exists()
        assert profile(f"{unit}-leader").unit_id == unit_id
        waiting = items.filter(proposer=profile(proposer).member, state="replied")
        assert waiting.filter(evaluation_due_on__gte=builder.ANCHOR).exists()
        assert items.filter(proposer=profile(proposer).member).count() >= 5
        assert Extension.objects.filter(assignment__item__body=body, state="pending").exists()
        assert profile(staff).has_role(Role.STAFF)


def test_the_item_page_opens_in_every_state(demo, client):
    """One item of each state and closure per body, read by the body's staff (a draft the
    proposer wrote, by its proposer: drafts are private): the page shows the whole timeline,
    the system's steps (未评价) included."""
    for body, staff in zip(bodies(), ("staff", "cppcc-staff"), strict=True):
        first = {}
        for pk, state, closure in Item.objects.for_body(body).values_list("pk", "state", "closure"):
            first.setdefault((state, closure), pk)
        private = set(Item.objects.private_drafts().values_list("pk", flat=True))
        for pk in first.values():
            if pk in private:
                client.force_login(Item.objects.get(pk=pk).proposer.membership.user)
            else:
                client.login(request=HttpRequest(), username=staff, password=builder.PASSWORD)
            response = client.get(reverse("items:detail", args=[pk]))
            assert response.status_code == 200, pk


def test_running_it_again_changes_nothing(demo):
    def counts():
        return [
            model.objects.count()
            for model in (Body, Item, HistoryEntry, Assignment, Reply, get_user_model())
        ]

    before = counts()
    out = StringIO()
    call_command("demo", stdout=out)
    assert counts() == before
    assert "nothing was changed" in out.getvalue()
    assert accounts_table(out.getvalue()) == accounts_table(demo)


def test_the_build_refuses_usernames_that_are_taken(demo):
    with pytest.raises(builder.DemoConflict, match="deputy2"):
        builder.build_demo()
    assert Body.objects.filter(code=builder.NPC).count() == 1
