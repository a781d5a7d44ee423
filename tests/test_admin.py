"""The admin shows bodies, units, users, items and their history, and cannot edit history."""

import datetime as dt

from django.contrib.auth import get_user_model
from django.urls import reverse

from banli.core.models import HistoryEntry

from .factories import membership_of, on


def admin_client(client):
    user = get_user_model().objects.create_superuser("root", "root@example.org", "pw-banli-2026")
    client.force_login(user)
    return client


def test_admin_lists_the_foundation(client, world):
    with on(dt.date(2026, 3, 2)):
        item = world.replied("A")
    client = admin_client(client)
    for name in (
        "bodies_body",
        "bodies_unit",
        "auth_user",
        "items_item",
        "core_historyentry",
        "handling_assignment",
    ):
        response = client.get(reverse(f"admin:{name}_changelist"))
        assert response.status_code == 200, name
    page = client.get(reverse("admin:items_item_change", args=[item.pk]))
    assert page.status_code == 200
    assert "item.assign" in page.content.decode()
    assert client.get(reverse("admin:bodies_body_change", args=[world.body.pk])).status_code == 200


def test_history_cannot_be_changed_in_the_admin(client, world):
    with on(dt.date(2026, 3, 2)):
        world.draft()
    client = admin_client(client)
    entry = HistoryEntry.objects.first()
    url = reverse("admin:core_historyentry_change", args=[entry.pk])
    client.post(url, {"action": "forged", "reason": "x"})
    entry.refresh_from_db()
    assert entry.action == "item.create"
    delete = reverse("admin:core_historyentry_delete", args=[entry.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    assert HistoryEntry.objects.filter(pk=entry.pk).exists()


def test_profile_must_stay_in_its_body(world):
    import pytest
    from django.core.exceptions import ValidationError

    from .factories import World

    other = World()
    profile = membership_of(world.staff)
    profile.unit = other.units[0]
    profile.roles = ["unit_handler"]
    with pytest.raises(ValidationError):
        profile.clean()
