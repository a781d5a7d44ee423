"""Issue 13, the items side: entering an item for a proposer (代录入), one service per use case,
typed actors, stale copies and double requests, sessions and their number series, a CPPCC
refusal with its ground and its forwarding, and importing a past year's item."""

import datetime as dt
import threading
import time

import pytest
from django.contrib.messages import get_messages
from django.contrib.messages.storage.fallback import FallbackStorage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.test import RequestFactory
from django.urls import reverse

from banli.bodies.models import MemberType, SessionPeriod
from banli.core.actors import Actor
from banli.core.errors import InvalidTransition, NotAllowed, ValidationFailed
from banli.core.models import Attachment, HistoryEntry
from banli.core.web import show_refusal
from banli.items import services as items
from banli.items.forms import ItemEditForm, RefusalForm, action_form
from banli.items.models import Forwarding, Item, Kind
from banli.supervision.models import KeyItem
from banli.supervision.services import mark_key

from .factories import World, make_member, make_proposer, make_session, make_unit, on

DAY = dt.date(2026, 3, 2)
PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"
PAPER = "据纸质原件录入"


@pytest.fixture(autouse=True)
def _on_a_session_day():
    with on(DAY):
        yield


@pytest.fixture(autouse=True)
def _uploads(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "uploads"


def entries(item) -> list[str]:
    return list(HistoryEntry.objects.for_root(item).order_by("id").values_list("action", flat=True))


def fresh(item) -> Item:
    return Item.objects.get(pk=item.pk)


def reviewed(world, **kw) -> Item:
    item = world.draft(**kw)
    items.submit(item, by=item.created_by)
    items.receive(item, by=world.staff)
    return item


def delegation_motion(world, **kw) -> Item:
    delegation = make_member(world.body, "城东区代表团", member_type=MemberType.DELEGATION)
    item = world.draft(by=world.staff, proposer=delegation, source_note=PAPER, kind="motion", **kw)
    items.submit(item, by=world.staff)
    items.receive(item, by=world.staff)
    return item


# 代录入: staff enter a paper suggestion for a deputy, and only so


def test_staff_enter_a_paper_suggestion_for_a_deputy_and_the_history_says_so(world):
    item = world.draft(by=world.staff, proposer=world.member, source_note=PAPER)

    assert (item.proposer, item.created_by, item.entered_by_staff, item.source_note) == (
        world.member,
        world.staff,
        True,
        PAPER,
    )
    (entry,) = HistoryEntry.objects.for_target(item)
    assert (entry.action, entry.actor, entry.reason, entry.data) == (
        "item.enter_on_behalf",
        world.staff,
        PAPER,
        {"for": "王代表", "note": PAPER},
    )
    # The staff who entered it may edit, invite for and submit it; so may the deputy.
    items.edit_draft(item, by=world.staff, title="更正后的标题", text=item.text)
    items.invite_cosigners(item, by=world.staff, members=[world.cosigner_member])
    items.confirm_cosign(item, by=world.cosigner)
    items.submit(item, by=world.staff)
    assert fresh(item).state == "submitted"


def test_entering_for_someone_else_says_where_the_item_comes_from(world):
    with pytest.raises(ValidationFailed, match="where the item comes from"):
        world.draft(by=world.staff, proposer=world.member, source_note="  ")
    assert not Item.objects.exists()


def test_staff_never_silently_edit_or_submit_a_deputys_own_draft(world):
    item = world.draft()
    written = entries(item)
    for act in (
        lambda: items.edit_draft(item, by=world.staff, title="改", text="改"),
        lambda: items.invite_cosigners(item, by=world.staff, members=[world.cosigner_member]),
        lambda: items.submit(item, by=world.staff),
    ):
        with pytest.raises(NotAllowed, match="entered it on the proposer's behalf"):
            act()
    assert entries(item) == written
    assert (fresh(item).title, fresh(item).state) == ("关于增加老旧小区停车位的建议", "draft")


def test_the_edit_page_is_closed_to_staff_on_a_deputys_draft(client, world):
    item = world.draft(is_public=True)
    client.force_login(world.staff)
    response = client.post(reverse("items:edit", args=[item.pk]), {"title": "改", "text": "改"})
    assert response.status_code in (403, 404)
    assert fresh(item).title != "改"
    response = client.post(reverse("items:action", args=[item.pk, "submit"]))
    assert response.status_code in (403, 404)
    assert fresh(item).state == "draft"


# One way in: write_item and revise_item, each one transaction


def pdf(name="说明.pdf"):
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


def test_write_item_is_the_draft_its_invitations_and_its_files_at_once(world):
    item = items.write_item(
        by=world.deputy,
        session=world.session,
        kind="suggestion",
        title="关于增设公交站点的建议",
        text="建议在新城片区增设公交站点。",
        category=world.category,
        is_public=True,
        cosigners=[world.cosigner_member],
        files=[pdf()],
    )
    assert entries(item) == ["item.create", "item.invite_cosigners", "attachment.add"]
    assert [c.member for c in item.cosigners.all()] == [world.cosigner_member]


def test_write_item_refused_anywhere_leaves_nothing(world, other_world):
    with pytest.raises(ValidationFailed, match="another body"):
        items.write_item(
            by=world.deputy,
            session=world.session,
            kind="suggestion",
            title="关于增设公交站点的建议",
            text="建议在新城片区增设公交站点。",
            cosigners=[other_world.member],
            files=[pdf()],
        )
    assert not Item.objects.exists() and not Attachment.objects.exists()
    assert not HistoryEntry.objects.exists()


def test_revise_item_edits_invites_and_attaches_or_does_nothing(world, other_world):
    item = world.draft()
    with pytest.raises(ValidationFailed, match="another body"):
        items.revise_item(
            item,
            by=world.deputy,
            title="修改后的标题",
            text="修改后的正文",
            cosigners=[other_world.member],
            files=[pdf()],
        )
    assert fresh(item).title == "关于增加老旧小区停车位的建议"
    assert entries(item) == ["item.create"]
    items.revise_item(
        item,
        by=world.deputy,
        title="修改后的标题",
        text="修改后的正文",
        cosigners=[world.cosigner_member],
        files=[pdf()],
    )
    assert fresh(item).title == "修改后的标题"
    assert entries(item) == ["item.create", "item.edit", "item.invite_cosigners", "attachment.add"]


def test_the_edit_view_calls_revise_item(client, world):
    item = world.draft()
    client.force_login(world.deputy)
    response = client.post(
        reverse("items:edit", args=[item.pk]),
        {"title": "新标题", "text": "新正文", "cosigners": [world.cosigner_member.pk]},
    )
    assert response.status_code == 302
    assert entries(item) == ["item.create", "item.edit", "item.invite_cosigners"]


def test_one_adapter_puts_input_refusals_on_the_form_and_the_rest_in_messages(world):
    request = RequestFactory().post("/")
    request.session = {}
    request._messages = FallbackStorage(request)
    item = world.draft()
    form = ItemEditForm({"title": "t", "text": "x"}, item=item)
    form.is_valid()
    assert show_refusal(request, ValidationFailed("太长"), form=form, field="title") is True
    assert form.errors["title"] == ["太长"]
    assert show_refusal(request, NotAllowed("无权"), form=form, field="title") is False
    assert [str(m) for m in get_messages(request)] == ["无权"]


# Typed actors


def test_an_api_client_writes_for_its_owner_and_the_history_names_the_token(world):
    token = Actor.api_client(token_name="履职App", user=world.deputy)
    item = items.write_item(
        by=token,
        session=world.session,
        kind="suggestion",
        title="关于增设公交站点的建议",
        text="建议在新城片区增设公交站点。",
        files=[pdf()],
    )
    assert item.created_by == world.deputy
    assert Attachment.objects.get().uploaded_by == world.deputy
    entry = HistoryEntry.objects.for_target(item).get(action="item.create")
    assert (entry.actor, entry.actor_kind, entry.actor_label) == (world.deputy, "api", "履职App")
    items.invite_cosigners(item, by=token, members=[world.cosigner_member])
    items.confirm_cosign(item, by=Actor.api_client(token_name="App", user=world.cosigner))
    assert item.signers() == [world.member, world.cosigner_member]


def test_a_citizen_or_the_system_cannot_write_an_item(world):
    for by in (Actor.citizen("QX7K2M"), None):
        with pytest.raises(NotAllowed):
            items.create_draft(by=by, session=world.session, kind="suggestion", title="t", text="x")


# Stale copies: decide on the row as it is now, save only what changed


def test_a_copy_read_before_conversion_accepts_into_the_suggestion_series(world):
    world.accepted()  # suggestion No. 1
    motion = delegation_motion(world)
    stale = fresh(motion)
    items.convert_to_suggestion(fresh(motion), by=world.staff, reason="未列入会议议程")

    items.accept(stale, by=world.staff)

    accepted = fresh(motion)
    assert (accepted.kind, accepted.number, accepted.converted_from_motion) == (
        "suggestion",
        2,
        True,
    )
    assert stale.kind == "suggestion"  # the caller's copy is brought up to date
    assert not Item.objects.filter(kind="motion", number__isnull=False).exists()


def test_a_stale_copy_does_not_write_an_edit_back(world):
    item = world.draft()
    stale = fresh(item)
    items.edit_draft(fresh(item), by=world.deputy, title="修改后的标题", text="修改后的正文")

    items.submit(stale, by=world.deputy)

    assert (fresh(item).title, fresh(item).text, fresh(item).state) == (
        "修改后的标题",
        "修改后的正文",
        "submitted",
    )


def test_confirming_twice_is_refused_with_one_history_entry(world):
    item = world.draft()
    items.invite_cosigners(item, by=world.deputy, members=[world.cosigner_member])
    items.confirm_cosign(fresh(item), by=world.cosigner)
    with pytest.raises(InvalidTransition, match="already confirmed"):
        items.confirm_cosign(fresh(item), by=world.cosigner)
    assert entries(item).count("item.confirm_cosign") == 1
    items.decline_cosign(fresh(item), by=world.cosigner, reason="改变主意")
    with pytest.raises(InvalidTransition, match="already declined"):
        items.decline_cosign(fresh(item), by=world.cosigner)
    assert entries(item).count("item.decline_cosign") == 1


def test_a_second_confirm_from_the_page_gets_a_message_not_a_500(client, world):
    item = world.draft()
    items.invite_cosigners(item, by=world.deputy, members=[world.cosigner_member])
    client.force_login(world.cosigner)
    url = reverse("items:action", args=[item.pk, "confirm_cosign"])
    assert client.post(url).status_code == 302
    second = client.post(url)
    assert second.status_code == 302
    assert "You have already confirmed co-signing this item." in [
        str(m) for m in get_messages(second.wsgi_request)
    ]
    assert entries(item).count("item.confirm_cosign") == 1


def test_marking_a_key_item_twice_from_the_page_gets_a_message_not_a_500(client, world):
    item = world.accepted()
    client.force_login(world.staff)
    url = reverse("supervision:mark_key", args=[item.pk])
    assert client.post(url, {"supervisor": world.supervisor.pk}).status_code == 302
    again = client.post(url, {"supervisor": world.supervisor.pk})
    assert again.status_code == 200
    assert "This item is already a key item" in again.content.decode()
    assert KeyItem.objects.count() == 1
    assert entries(item).count("item.set_key") == 1


# Two requests at the same moment (PostgreSQL: SQLite serialises every write anyway)


def at_the_same_moment(first, second):
    """Run `first` in a transaction kept open until `second` has started on its own
    connection; return what each returned or raised."""
    results: dict[str, object] = {}
    started = threading.Event()

    def run(name, call, *, hold: bool):
        try:
            with on(DAY), transaction.atomic():
                results[name] = call()
                if hold:
                    started.set()
                    time.sleep(0.6)  # the second request reaches its lock meanwhile
        except Exception as error:  # the outcome under test, whatever it is
            results[name] = error
        finally:
            started.set()
            connection.close()

    def later():
        started.wait(5)
        run("second", second, hold=False)

    threads = [
        threading.Thread(target=run, args=("first", first), kwargs={"hold": True}),
        threading.Thread(target=later),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)
    return results["first"], results["second"]


postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs concurrent transactions"
)


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_two_staff_marking_one_key_item_at_once(world):
    item = world.accepted()
    first, second = at_the_same_moment(
        lambda: mark_key(fresh(item), by=world.staff, supervisor=world.supervisor),
        lambda: mark_key(fresh(item), by=world.staff, supervisor=world.supervisor),
    )
    assert isinstance(first, KeyItem)
    assert isinstance(second, ValidationFailed) and "already a key item" in str(second)
    assert entries(item).count("item.set_key") == 1


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_two_confirm_requests_at_once_write_one_entry(world):
    item = world.draft()
    items.invite_cosigners(item, by=world.deputy, members=[world.cosigner_member])
    first, second = at_the_same_moment(
        lambda: items.confirm_cosign(fresh(item), by=world.cosigner),
        lambda: items.confirm_cosign(fresh(item), by=world.cosigner),
    )
    assert not isinstance(first, Exception)
    assert isinstance(second, InvalidTransition) and "already confirmed" in str(second)
    assert entries(item).count("item.confirm_cosign") == 1


# Sessions: motions while the session sits; series told apart when shown


def test_a_motion_is_submitted_and_accepted_only_while_its_session_sits(world):
    world.session.opens_on, world.session.closes_on = dt.date(2026, 2, 26), dt.date(2026, 3, 3)
    world.session.save()
    early = delegation_motion(world)
    late = delegation_motion(world)
    items.accept(early, by=world.staff)
    assert early.number == 1
    with on(dt.date(2026, 3, 4)):
        with pytest.raises(ValidationFailed, match="while its session is open"):
            items.accept(late, by=world.staff)
        draft = world.draft(
            by=world.staff, proposer=late.proposer, source_note=PAPER, kind="motion"
        )
        with pytest.raises(ValidationFailed, match="during a session"):
            items.submit(draft, by=world.staff)
        # Converted to a suggestion, it is accepted after the session as one.
        items.convert_to_suggestion(late, by=world.staff, reason="未列入会议议程")
        items.accept(late, by=world.staff)
    assert (fresh(late).kind, fresh(late).number) == ("suggestion", 1)
    with on(dt.date(2026, 2, 25)), pytest.raises(ValidationFailed, match="during a session"):
        items.submit(draft, by=world.staff)


def test_plenary_and_between_sessions_numbers_read_apart(world):
    during = world.accepted()
    interim = make_session(world.body, period=SessionPeriod.INTERIM)
    between = items.create_draft(
        by=world.deputy, session=interim, kind=Kind.SUGGESTION, title="建议", text="正文"
    )
    items.submit(between, by=world.deputy)
    items.receive(between, by=world.staff)
    items.accept(between, by=world.staff, category=world.category)
    assert (during.number, between.number) == (1, 1)
    assert (during.display_number, between.display_number) == ("第1号", "闭会第1号")


def test_a_body_sets_its_number_format_and_a_given_number_keeps_its_form(db):
    world = World(plenary_number_format="大会建议第{number}号")
    with on(DAY):
        first = world.accepted()
    assert fresh(first).display_number == "大会建议第1号"
    rules = world.body.rule_set
    rules.plenary_number_format = "第{number}号"
    rules.save()
    with on(DAY):
        second = world.accepted()
    # The number printed on the first item's letters does not change with the setting.
    assert (fresh(first).display_number, fresh(second).display_number) == (
        "大会建议第1号",
        "第2号",
    )


# A CPPCC refusal: a ground, an explanation, the proposer told, forwarded as a linked record


def test_a_cppcc_refusal_names_one_of_the_bodys_grounds(cppcc):
    item = reviewed(cppcc)
    with pytest.raises(ValidationFailed, match="grounds"):
        items.reject(item, by=cppcc.staff, reason="内容空泛")
    with pytest.raises(ValidationFailed, match="grounds"):
        items.reject(item, by=cppcc.staff, ground="看着不顺眼", reason="内容空泛")
    with pytest.raises(ValidationFailed, match="reason"):
        items.reject(item, by=cppcc.staff, ground="内容空泛、没有具体建议的", reason=" ")
    assert fresh(item).state == "under_review"

    items.reject(item, by=cppcc.staff, ground="内容空泛、没有具体建议的", reason="未提出具体措施")

    refusal = fresh(item).refusal
    assert (refusal.ground, refusal.explanation, refusal.decided_by) == (
        "内容空泛、没有具体建议的",
        "未提出具体措施",
        cppcc.staff,
    )
    entry = HistoryEntry.objects.for_target(item).get(action="item.reject")
    assert (entry.reason, entry.data) == ("未提出具体措施", {"ground": "内容空泛、没有具体建议的"})


def test_a_congress_keeps_its_free_reason(world):
    item = reviewed(world)
    items.reject(item, by=world.staff, reason="不属于本级人大职权范围")
    assert (fresh(item).refusal.ground, fresh(item).refusal.explanation) == (
        "",
        "不属于本级人大职权范围",
    )
    assert not isinstance(action_form("reject", item), RefusalForm)


def test_the_reject_form_of_a_cppcc_offers_the_grounds(client, cppcc):
    item = reviewed(cppcc)
    form = action_form("reject", item)
    assert isinstance(form, RefusalForm)
    assert [value for value, _label in form.fields["ground"].choices][1:] == list(
        cppcc.body.rules.refusal_grounds
    )
    client.force_login(cppcc.staff)
    url = reverse("items:action", args=[item.pk, "reject"])
    missing = client.post(url, {"reason": "内容空泛"})
    assert missing.status_code == 200 and "ground" in missing.context["action"]["form"].errors
    done = client.post(url, {"ground": "属于学术研究探讨的", "reason": "属于学术争鸣"})
    assert done.status_code == 302
    assert fresh(item).refusal.ground == "属于学术研究探讨的"


def test_the_proposer_sees_the_ground_and_where_it_was_forwarded(client, cppcc):
    item = reviewed(cppcc, title="关于推广某品牌净水设备的提案")
    items.reject(item, by=cppcc.staff, ground="为企业和产品作宣传推介的", reason="属商业推介")
    unit = cppcc.units[0]
    items.forward_refused(item, by=cppcc.staff, kind="letter_to_unit", unit=unit, note="供参考")
    client.force_login(cppcc.deputy)

    start = client.get(reverse("items:mine")).content.decode()
    page = client.get(reverse("items:detail", args=[item.pk])).content.decode()

    for text in (
        "关于推广某品牌净水设备的提案",
        "为企业和产品作宣传推介的",
        "属商业推介",
        unit.name,
    ):
        assert text in start
    for text in ("为企业和产品作宣传推介的", "属商业推介", unit.name, "供参考"):
        assert text in page


def test_forwarding_a_refused_proposal_is_kept_and_recorded(cppcc, other_world):
    item = reviewed(cppcc)
    items.reject(item, by=cppcc.staff, ground="属于学术研究探讨的", reason="学术问题")
    with pytest.raises(ValidationFailed, match="unit"):
        items.forward_refused(item, by=cppcc.staff, kind="letter_to_unit")
    with pytest.raises(ValidationFailed, match="another body"):
        items.forward_refused(
            item, by=cppcc.staff, kind="letter_to_unit", unit=make_unit(other_world.body)
        )
    with pytest.raises(NotAllowed):
        items.forward_refused(item, by=cppcc.deputy, kind="social_opinion")

    items.forward_refused(item, by=cppcc.staff, kind="social_opinion", note="转社情民意信息")
    with pytest.raises(ValidationFailed, match="already been forwarded"):
        items.forward_refused(item, by=cppcc.staff, kind="social_opinion")

    (forwarding,) = Forwarding.objects.filter(item=item)
    assert (forwarding.kind, forwarding.unit, forwarding.forwarded_by) == (
        "social_opinion",
        None,
        cppcc.staff,
    )
    assert entries(item)[-1] == "item.forward"
    assert fresh(item).state == "rejected"


def test_only_a_refused_proposal_is_forwarded(world):
    item = reviewed(world)
    items.reject(item, by=world.staff, reason="不属于本级人大职权范围")
    with pytest.raises(InvalidTransition, match="Only a proposal"):
        items.forward_refused(item, by=world.staff, kind="social_opinion")


def test_staff_forward_from_the_item_page(client, cppcc):
    item = reviewed(cppcc)
    items.reject(item, by=cppcc.staff, ground="属于学术研究探讨的", reason="学术问题")
    client.force_login(cppcc.staff)
    url = reverse("items:action", args=[item.pk, "forward"])
    assert url in client.get(reverse("items:detail", args=[item.pk])).content.decode()
    no_unit = client.post(url, {"kind": "letter_to_unit"})
    assert no_unit.status_code == 200 and "unit" in no_unit.context["action"]["form"].errors
    done = client.post(url, {"kind": "letter_to_unit", "unit": cppcc.units[1].pk, "note": "参考"})
    assert done.status_code == 302
    assert Forwarding.objects.get(item=item).unit == cppcc.units[1]


# Importing a past year's item (the imports issue builds on this row)


def test_an_import_enters_a_past_item_accepted_or_closed(world):
    row = Actor.import_row(user=world.staff, file="2025年建议台账.xlsx", row=12)
    last_year = make_session(world.body, year=2025, number=2)
    common = {
        "by": row,
        "session": last_year,
        "kind": "suggestion",
        "text": "正文",
        "proposer": world.member,
        "category": world.category,
        "accepted_on": dt.date(2025, 1, 20),
    }
    open_one = items.import_item(number=7, title="跨年度的建议", **common)
    closed = items.import_item(
        number=8,
        title="已办结的建议",
        outcome="closed",
        result_class="A",
        closure="satisfied",
        closed_on=dt.date(2025, 6, 30),
        **common,
    )
    assert (open_one.state, open_one.display_number) == ("accepted", "第7号")
    assert (closed.state, closed.result_class, closed.closure, closed.closed_on) == (
        "closed",
        "A",
        "satisfied",
        dt.date(2025, 6, 30),
    )
    entry = HistoryEntry.objects.for_target(closed).get()
    assert (entry.action, entry.actor_kind, entry.actor_label, entry.to_state) == (
        "item.import",
        "import",
        "2025年建议台账.xlsx:12",
        "closed",
    )
    with pytest.raises(ValidationFailed, match="already taken"):
        items.import_item(number=7, title="重复编号", **common)
    with pytest.raises(ValidationFailed, match="accepted or as closed"):
        items.import_item(number=9, title="状态不对", outcome="replied", **common)
    with pytest.raises(NotAllowed):
        items.import_item(**{**common, "by": world.staff}, number=10, title="不是导入")


def test_a_deputy_cannot_be_made_a_proposer_by_another_deputy(world):
    _user, someone = make_proposer(world.body, "赵代表")
    with pytest.raises(NotAllowed, match="staff"):
        world.draft(by=world.deputy, proposer=someone, source_note=PAPER)
