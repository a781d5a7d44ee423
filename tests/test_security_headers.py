"""The headers every page sends: a Content-Security-Policy without inline code, a
Permissions-Policy, and Cache-Control: no-store on pages that show names and phone numbers."""

import datetime as dt
import re
from pathlib import Path

from django.test import override_settings
from django.urls import reverse

from banli.handling import services as handling
from banli.navigation import links_for

from .factories import on

DAY = dt.date(2026, 3, 2)
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)
BANLI = Path(__file__).resolve().parents[1] / "banli"


def replied_with_contact(world):
    item = world.assigned()
    a = world.lead_assignment(item)
    handling.accept_assignment(a, by=world.coord[a.unit_id])
    handling.draft_reply(
        a,
        by=world.handler[a.unit_id],
        text="经研究，已新增停车泊位120个。",
        result_class="A",
        contact_name="张科长",
        contact_phone="0514-87654321",
    )
    handling.sign_reply(a, by=world.leader[a.unit_id])
    item.refresh_from_db()
    return item


def assert_private_page(response):
    assert response["Content-Security-Policy"] == CSP
    assert "camera=()" in response["Permissions-Policy"]
    assert "geolocation=()" in response["Permissions-Policy"]
    assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_the_page_with_the_units_phone_number_is_not_stored(client, world):
    with on(DAY):
        item = replied_with_contact(world)
    client.force_login(world.deputy)
    with on(DAY + dt.timedelta(days=5)):
        for url in (
            reverse("handling:evaluate", args=[item.pk]),
            reverse("items:detail", args=[item.pk]),
        ):
            page = client.get(url)
            assert page.status_code == 200
            assert_private_page(page)
        assert "0514-87654321" in page.content.decode()


def test_every_role_s_pages_send_the_headers(client, world):
    with on(DAY):
        replied_with_contact(world)
    unit = world.units[0].pk
    people = [world.staff, world.supervisor, world.auditor, world.deputy]
    people += [world.coord[unit], world.handler[unit], world.leader[unit]]
    seen = 0
    for user in people:
        client.force_login(user)
        with on(DAY + dt.timedelta(days=5)):
            for link in links_for(user):
                page = client.get(link["url"])
                assert page.status_code == 200, link
                assert_private_page(page)
                seen += 1
    assert seen >= 10


def test_the_login_page_and_the_error_pages_send_them_too(client):
    assert_private_page(client.get(reverse("login")))
    assert_private_page(client.get("/no-such-page/"))


def test_a_report_only_policy_while_trying_a_new_one_out(client):
    with override_settings(BANLI_CSP_REPORT_ONLY=True):
        page = client.get(reverse("login"))
    assert page["Content-Security-Policy-Report-Only"] == CSP
    assert "Content-Security-Policy" not in page


def test_static_files_keep_their_own_caching(client):
    response = client.get("/static/banli/app.css")
    assert response.status_code == 200
    assert "no-store" not in response.get("Cache-Control", "")


def test_htmx_injects_no_inline_style_and_evaluates_no_attribute(client):
    page = client.get(reverse("login")).content.decode()
    assert '"includeIndicatorStyles":false' in page and '"allowEval":false' in page
    # The indicator style htmx would have injected lives in the stylesheet.
    assert ".htmx-request .htmx-indicator" in (BANLI / "core/static/banli/app.css").read_text()


def test_no_template_holds_an_inline_script_or_event_handler():
    inline_script = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I)
    handler = re.compile(r"\son[a-z]+\s*=", re.I)
    found = []
    for template in BANLI.rglob("templates/**/*.html"):
        text = template.read_text()
        found += [f"{template.name}: {m.group(0)}" for m in inline_script.finditer(text)]
        found += [f"{template.name}: {m.group(0)}" for m in handler.finditer(text)]
    assert found == []
