"""Sessions end after the body's idle timeout and after BANLI_SESSION_MAX_HOURS, and a user
can end every other session of their own."""

import time

from django.test import Client
from django.urls import reverse

from banli.accounts import services
from banli.accounts.models import LoginSession

from .factories import World


def go_back(client, *, minutes=0, hours=0, key=services.SESSION_SEEN):
    """Pretend the session's last request (or its login) was that long ago."""
    session = client.session
    session[key] = int(time.time()) - minutes * 60 - hours * 3600
    session.save()


def test_staff_are_logged_out_after_thirty_idle_minutes(client, world):
    client.force_login(world.staff)
    page = reverse("items:review")
    go_back(client, minutes=29)
    assert client.get(page).status_code == 200
    go_back(client, minutes=31)
    response = client.get(page, follow=True)
    assert response.redirect_chain[0][0] == f"{reverse('login')}?next={page}"
    assert "You were logged out after a while without activity." in response.content.decode()
    assert client.get(page)["Location"].startswith(reverse("login"))
    assert not LoginSession.objects.filter(user=world.staff).exists()


def test_deputies_have_two_hours_and_a_body_sets_its_own(client, db):
    world = World(idle_timeout_minutes=10, proposer_idle_timeout_minutes=120)
    client.force_login(world.deputy)
    go_back(client, minutes=100)
    assert client.get(reverse("items:mine")).status_code == 200
    go_back(client, minutes=121)
    assert client.get(reverse("items:mine")).status_code == 302

    staff = Client()
    staff.force_login(world.staff)
    go_back(staff, minutes=11)
    assert staff.get(reverse("items:review")).status_code == 302


def test_a_session_ends_after_twelve_hours_however_active(client, world):
    client.force_login(world.staff)
    go_back(client, hours=11, key=services.SESSION_STARTED)
    assert client.get(reverse("items:review")).status_code == 200
    go_back(client, hours=13, key=services.SESSION_STARTED)
    response = client.get(reverse("items:review"), follow=True)
    assert "Your session has ended. Please log in again." in response.content.decode()


def test_log_out_my_other_sessions(client, world):
    office, home = Client(), Client()
    office.force_login(world.staff)
    home.force_login(world.staff)
    colleague = Client()
    colleague.force_login(world.auditor)
    assert home.get(reverse("items:review")).status_code == 200

    page = office.get(reverse("accounts:account"))
    assert len(page.context["sessions"]) == 2
    response = office.post(reverse("accounts:end_other_sessions"), follow=True)
    assert "Your other sessions were ended (1)." in response.content.decode()

    assert home.get(reverse("items:review"))["Location"].startswith(reverse("login"))
    assert office.get(reverse("items:review")).status_code == 200
    assert colleague.get(reverse("handling:board")).status_code == 200
    assert len(office.get(reverse("accounts:account")).context["sessions"]) == 1


def test_logging_out_closes_the_session(client, world):
    client.force_login(world.staff)
    assert LoginSession.objects.filter(user=world.staff).count() == 1
    assert client.post(reverse("logout"))["Location"] == reverse("login")
    assert not LoginSession.objects.filter(user=world.staff).exists()
