"""Each type of body speaks its own words (docs/domain.md §9, banli.bodies.terms): a CPPCC
proposal has 提案人 and is 立案; a congress suggestion has a 领衔代表 and 附议代表 and is
受理 then 交办; a deputy's menu never says 提案 and a CPPCC member's only 提案."""

import datetime as dt
import re

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import translation

from banli.bodies import terms
from banli.bodies.models import BodyType
from banli.items import services as items

from .factories import on

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def chinese(settings):
    settings.LANGUAGE_CODE = "zh-hans"
    with translation.override("zh-hans"):
        yield


def page(client, user, url):
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode()


def nav(html: str) -> str:
    return re.search(r'<nav class="mainnav".*?</nav>', html, re.S).group(0)


def test_every_body_type_has_words_for_every_key():
    for body_type in (BodyType.CONGRESS, BodyType.CPPCC):
        for key in terms.KEYS:
            assert str(terms.term(key, body=type("B", (), {"body_type": body_type})()))
    with pytest.raises(KeyError):
        terms.term("no_such_key")


def test_the_words_differ_by_body_type_and_by_kind():
    assert str(terms.term("lead_proposer", kind="suggestion")) == "领衔代表"
    assert str(terms.term("lead_proposer", kind="motion")) == "领衔代表"
    assert str(terms.term("lead_proposer", kind="proposal")) == "第一提案人"
    assert str(terms.term("cosigners", kind="suggestion")) == "附议代表"
    assert str(terms.term("cosigners", kind="motion")) == "联名代表"
    assert str(terms.term("cosigners", kind="proposal")) == "联名提案人"
    assert str(terms.term("accept", kind="suggestion")) == "受理"
    assert str(terms.term("accept", kind="motion")) == "列为议案"
    assert str(terms.term("accept", kind="proposal")) == "立案"
    assert str(terms.term("rejected", kind="proposal")) == "不予立案"


def test_a_deputy_never_sees_proposals_in_the_menu(world, client):
    for url in (reverse("items:mine"), reverse("items:list"), reverse("items:create")):
        html = page(client, world.deputy, url)
        assert "我的议案建议" in nav(html)
        assert "提案" not in nav(html)
    assert "提案" not in page(client, world.deputy, reverse("items:mine"))


def test_a_cppcc_member_sees_only_proposals_in_the_menu(cppcc, client):
    for url in (reverse("items:mine"), reverse("items:list")):
        menu = nav(page(client, cppcc.deputy, url))
        assert "我的提案" in menu and "撰写提案" in menu
        assert "建议" not in menu and "议案" not in menu


def test_a_suggestion_reads_with_a_lead_deputy_and_is_accepted_then_assigned(world, client):
    with on(dt.date(2026, 3, 2)):
        item = world.draft()
        world.confirmed_cosigners(item, 1)
        items.submit(item, by=world.deputy)
        items.receive(item, by=world.staff)
        html = page(client, world.staff, reverse("items:detail", args=[item.pk]))
        assert "<dt>领衔代表</dt>" in html and "<dt>附议代表</dt>" in html
        assert "受理" in html
        assert "立案" not in html and "提案" not in nav(html)
        client.force_login(world.staff)
        response = client.post(
            reverse("items:action", args=[item.pk, "accept"]),
            {"category": world.category.pk},
            follow=True,
        )
        item.refresh_from_db()
        assert [str(m) for m in get_messages(response.wsgi_request)] == [
            f"已受理，编号为{item.display_number}。"
        ]
        html = response.content.decode()
        assert '<span class="badge state-accepted">已受理</span>' in html
        assert "交办" in html
        assert "立案" not in html


def test_a_proposal_reads_with_its_proposers_and_is_registered(cppcc, client):
    with on(dt.date(2026, 3, 2)):
        item = cppcc.draft(title="关于加强社区养老服务的提案")
        cppcc.confirmed_cosigners(item, 1)
        items.submit(item, by=cppcc.deputy)
        items.receive(item, by=cppcc.staff)
        html = page(client, cppcc.staff, reverse("items:detail", args=[item.pk]))
        assert "<dt>第一提案人</dt>" in html and "<dt>联名提案人</dt>" in html
        assert "立案" in html and "不予立案" in html
        assert "领衔代表" not in html and "附议代表" not in html
        client.force_login(cppcc.staff)
        response = client.post(
            reverse("items:action", args=[item.pk, "accept"]),
            {"category": cppcc.category.pk},
            follow=True,
        )
        item.refresh_from_db()
        assert [str(m) for m in get_messages(response.wsgi_request)] == [
            f"已立案，编号为{item.display_number}。"
        ]
        assert '<span class="badge state-accepted">已立案</span>' in response.content.decode()


def test_a_motion_is_proposed_jointly_and_listed(world, client):
    with on(dt.date(2026, 3, 2)):
        item = world.draft(kind="motion", title="关于制定养老服务条例的议案")
        html = page(client, world.deputy, reverse("items:detail", args=[item.pk]))
        assert "<dt>领衔代表</dt>" in html
        assert str(terms.term("invite_cosigners", item=item)) == "邀请代表联名提出"


def test_the_english_words_follow_the_body_too(world, cppcc):
    with translation.override("en"):
        assert str(terms.term("lead_proposer", kind="suggestion")) == "Lead deputy"
        assert str(terms.term("lead_proposer", kind="proposal")) == "First proposer"
        assert str(terms.term("my_items", body=cppcc.body)) == "My proposals"


def test_the_body_administration_names_its_people_in_the_body_s_words(world, cppcc, client):
    from .factories import make_user

    for w, people, other in ((world, "代表", "委员"), (cppcc, "委员", "代表")):
        admin = make_user(w.body, "body_admin")
        html = page(client, admin, reverse("bodies:members"))
        assert f"<h1>{people} " in html
        tabs = re.search(r'<nav class="tabs".*?</nav>', html, re.S).group(0)
        assert f">{people}</a>" in tabs and other not in tabs
        assert f"新增{people}</a>" in html
        assert f"在册{people}及团体" in page(client, admin, reverse("bodies:overview"))
