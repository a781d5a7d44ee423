"""Every page a role opens has unique element ids (a label, a skip link or a summary link
that points at an id must find one element), a skip link to the content, the favicon and the
stylesheet with its print rules."""

import datetime as dt
import re
from collections import Counter
from pathlib import Path

import pytest
from django.urls import reverse

from banli import settings as project_settings
from banli.handling import services as handling
from banli.items import services as items
from banli.navigation import links_for

from .factories import make_user, on

pytestmark = pytest.mark.django_db

ID = re.compile(r"""\sid=["']([^"']+)["']""")
APP_CSS = Path(project_settings.BASE_DIR) / "core" / "static" / "banli" / "app.css"


def duplicate_ids(html: str) -> list[str]:
    return sorted(name for name, n in Counter(ID.findall(html)).items() if n > 1)


def a_case(world):
    """An item with a co-signer, a lead and a co-handling unit and a signed reply, and one
    waiting for review: the item page shows every panel."""
    with on(dt.date(2026, 3, 2)):
        item = world.draft(title="关于加快老旧小区加装电梯的建议")
        world.confirmed_cosigners(item, 1)
        items.submit(item, by=world.deputy)
        items.receive(item, by=world.staff)
        items.accept(item, by=world.staff)
        lead = world.units[0]
        handling.assign(item, by=world.staff, lead_units=[lead], co_units=[world.units[1]])
        a = world.lead_assignment(item)
        handling.accept_assignment(a, by=world.coord[lead.pk])
        handling.draft_reply(
            a, by=world.handler[lead.pk], text="经研究，答复如下。", result_class="A"
        )
        handling.sign_reply(a, by=world.leader[lead.pk])
        waiting = world.draft(title="关于优化公交线路的建议")
        items.submit(waiting, by=world.deputy)
    return item, waiting


def roles(world):
    lead = world.units[0]
    return {
        "deputy": world.deputy,
        "staff": world.staff,
        "coordinator": world.coord[lead.pk],
        "handler": world.handler[lead.pk],
        "leader": world.leader[lead.pk],
        "supervisor": world.supervisor,
        "auditor": world.auditor,
        "body admin": make_user(world.body, "body_admin"),
    }


def test_no_page_of_any_role_repeats_an_element_id(world, client):
    item, waiting = a_case(world)
    found, seen = {}, 0
    with on(dt.date(2026, 3, 20)):
        for role, user in roles(world).items():
            client.force_login(user)
            urls = ["/", reverse("items:list"), *(link["url"] for link in links_for(user))]
            if role in ("deputy", "staff", "coordinator", "handler", "leader", "auditor"):
                urls.append(reverse("items:detail", args=[item.pk]))
            if role == "staff":
                urls.append(reverse("items:detail", args=[waiting.pk]))
            for url in dict.fromkeys(urls):
                response = client.get(url, follow=True)
                assert response.status_code == 200, (role, url)
                html = response.content.decode()
                seen += 1
                if duplicate_ids(html):
                    found[(role, url)] = duplicate_ids(html)
    assert seen > 25
    assert found == {}


def test_a_form_with_errors_lists_them_above_with_links_to_the_fields(world, client):
    client.force_login(world.deputy)
    response = client.post(reverse("items:create"), {"kind": world.kind, "title": "", "text": ""})
    html = response.content.decode()
    summary = re.search(r'<div class="error-summary" role="alert">.*?</div>', html, re.S)
    assert summary is not None
    links = re.findall(r'<a href="#([^"]+)">', summary.group(0))
    assert "id_title" in links and "id_text" in links
    for target in links:
        assert f'id="{target}"' in html
    assert duplicate_ids(html) == []


def test_every_page_has_a_skip_link_the_favicon_and_the_print_rules(world, client, settings):
    settings.LANGUAGE_CODE = "zh-hans"
    client.force_login(world.deputy)
    html = client.get(reverse("items:mine")).content.decode()
    assert re.search(r'<a class="skip-link" href="#main">跳到正文</a>', html)
    assert '<main class="container" id="main"' in html
    assert re.search(r'<link rel="icon" href="/static/banli/favicon\.svg"', html)
    assert '<link rel="stylesheet" href="/static/banli/app.css">' in html
    css = APP_CSS.read_text(encoding="utf-8")
    print_rules = css[css.index("@media print {") + len("@media print {") :]
    selectors, _, declarations = print_rules.partition("{")
    for hidden in (".topbar", "form", "button", ".button", ".footer", ".skip-link"):
        assert re.search(rf"(^|[\s,]){re.escape(hidden)}(,|\s*$)", selectors), hidden
    assert "display: none" in declarations.split("}")[0]


def test_favicon_ico_is_not_a_404(client):
    response = client.get("/favicon.ico")
    assert response.status_code in (301, 302)
    assert response["Location"] == "/static/banli/favicon.svg"
    icon = Path(project_settings.BASE_DIR) / "core" / "static" / "banli" / "favicon.svg"
    assert icon.read_text(encoding="utf-8").startswith("<svg")


def test_filters_offer_any_once_and_no_dashes(world, client):
    client.force_login(world.staff)
    html = client.get(reverse("items:list")).content.decode()
    assert "---------" not in html
    for select in re.findall(
        r'<select name="(session|category|kind|state)"[^>]*>(.*?)</select>', html, re.S
    ):
        name, options = select
        assert options.count('<option value=""') == 1, name
