"""Similar items beside a draft: what a deputy typing a title sees, and what they must not."""

import datetime as dt

from django.urls import reverse

from banli.items import services as items
from banli.items.models import Item

from .factories import World, make_proposer, make_session, on

TITLE = "关于加快社区养老服务中心建设的建议"
TEXT = "社区养老服务设施不足，建议加快建设街道养老服务中心。"


def similar(client, user, title=TITLE, text=TEXT, **extra):
    client.force_login(user)
    response = client.post(reverse("items:similar"), {"title": title, "text": text, **extra})
    assert response.status_code == 200
    return response


def test_an_accepted_similar_item_is_shown_with_its_kind_state_class_and_reply_date(client, world):
    replied = world.replied(
        result_class="A", title="关于完善社区养老服务中心的建议", text="养老服务中心覆盖不足。"
    )
    Item.objects.filter(pk=replied.pk).update(is_public=True)
    unrelated = world.accepted(title="关于增加老旧小区停车位的建议", is_public=True)
    author, _member = make_proposer(world.body, "周代表")
    page = similar(client, author).content.decode()
    assert replied.title in page
    assert replied.display_number in page
    assert "A" in page and replied.replied_on.strftime("%Y-%m-%d") in page
    assert unrelated.title not in page


def test_someone_elses_draft_a_private_item_and_another_bodys_item_are_never_shown(client, world):
    author, _member = make_proposer(world.body, "周代表")
    draft = world.draft(title="关于社区养老服务中心运营补贴的建议", text="养老服务中心运营困难。")
    private = world.accepted(title="关于社区养老服务中心医养结合的建议", is_public=False)
    other = World()
    theirs = other.accepted(title="关于社区养老服务中心建设标准的建议", is_public=True)
    page = similar(client, author).content.decode()
    assert draft.title not in page
    assert private.title not in page
    assert theirs.title not in page
    # The staff read the body's accepted items, public or not, and still not the draft.
    staff_page = similar(client, world.staff).content.decode()
    assert private.title in staff_page
    assert draft.title not in staff_page and theirs.title not in staff_page


def test_the_draft_being_revised_is_not_its_own_similar_item(client, world):
    own = world.accepted(title="关于社区养老服务中心建设的建议", is_public=True)
    page = similar(client, world.deputy, item=own.pk).content.decode()
    assert own.title not in page
    assert own.title in similar(client, world.deputy).content.decode()


def test_only_this_and_earlier_years_are_shown_and_blank_input_asks_for_typing(client, world):
    earlier = world.accepted(title="关于社区养老服务中心建设的建议", is_public=True)
    later = make_session(world.body, year=2027, number=2)
    ahead = world.accepted(title="关于社区养老服务中心规划的建议", is_public=True)
    Item.objects.filter(pk=ahead.pk).update(session=later)
    with on(dt.date(2026, 6, 1)):
        page = similar(client, world.staff).content.decode()
    assert earlier.title in page and ahead.title not in page
    with on(dt.date(2027, 6, 1)):
        assert ahead.title in similar(client, world.staff).content.decode()
    blank = similar(client, world.deputy, title="", text="").content.decode()
    assert earlier.title not in blank
    assert similar(client, world.deputy, title="的", text="").status_code == 200


def test_the_write_page_asks_for_similar_items_as_the_title_is_typed(client, world):
    client.force_login(world.deputy)
    page = client.get(reverse("items:create")).content.decode()
    assert 'hx-post="' + reverse("items:similar") + '"' in page
    assert "keyup changed delay" in page and "from:#id_title" in page


def test_the_merge_form_offers_the_most_similar_open_items_first(client, world):
    target = world.accepted(title="关于加快社区养老服务中心建设的建议")
    world.accepted(title="关于增加老旧小区停车位的建议")
    item = world.draft(title="关于社区养老服务中心建设的建议", text="养老服务中心不足。")
    items.submit(item, by=world.deputy)
    items.receive(item, by=world.staff)
    client.force_login(world.staff)
    response = client.get(reverse("items:merge_candidates", args=[item.pk]))
    assert [c.pk for c in response.context["candidates"]][:1] == [target.pk]
