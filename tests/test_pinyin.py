"""Names sort by pinyin (北京 < 上海 < 天津), not by code point, on both databases."""

from django.urls import reverse

from banli.bodies import services
from banli.bodies.models import Member, Unit
from banli.core.names import sort_key
from banli.handling.forms_staff import AssignForm, BoardFilterForm
from banli.items import services as items
from banli.items.filters import ItemFilterForm

from .factories import make_member, make_proposer, make_unit, make_user

# By code point 上 (4E0A) < 北 (5317) < 天 (5929) < 长 (957F); by pinyin
# bei < chang < shang < tian.
CITIES = ["天津市水务局", "长沙市交通局", "上海市住建局", "北京市教育局"]
PINYIN_ORDER = ["北京市教育局", "长沙市交通局", "上海市住建局", "天津市水务局"]


def test_the_key_is_the_pinyin_with_tones_and_reads_words_and_surnames_aright():
    assert sort_key("北京") == "bei3jing1"
    assert sort_key("长沙") == "chang2sha1"  # not zhang3
    assert sort_key("银行") == "yin2hang2"  # not xing2
    assert sort_key("曾志", person=True) == "zeng1zhi4"  # the surname, not ceng2
    assert sort_key("ＡＢ公司1号") == "abgong1si11hao4"
    assert sort_key("北京") < sort_key("长沙") < sort_key("上海") < sort_key("天津")


def test_units_and_members_are_listed_by_pinyin(world):
    body = world.body
    for name in CITIES:
        make_unit(body, name)
    mine = Unit.objects.filter(body=body, name__in=CITIES)
    assert [u.name for u in mine] == PINYIN_ORDER
    assert sorted(CITIES) != PINYIN_ORDER  # code point order would differ
    for name in ["赵敏", "安娜", "曾志", "陈立新"]:
        make_member(body, name)
    people = ["赵敏", "安娜", "曾志", "陈立新"]
    names = [m.name for m in Member.objects.filter(body=body, name__in=people)]
    assert names == ["安娜", "陈立新", "曾志", "赵敏"]  # an, chen, zeng, zhao


def test_a_renamed_unit_moves_to_its_new_place(world, django_user_model):
    root = django_user_model.objects.create_superuser("root-pinyin", password="pw-banli-2026")
    unit = make_unit(world.body, "天津市水务局")
    make_unit(world.body, "上海市住建局")
    services.save_unit(unit, by=root, name="北京市水务局")
    unit.refresh_from_db()
    assert unit.sort_key == sort_key("北京市水务局")
    names = [u.name for u in Unit.objects.filter(body=world.body, name__endswith="局")]
    assert names.index("北京市水务局") < names.index("上海市住建局")


def _options(field):
    return [label for value, label in field.choices if value != ""]


def test_every_unit_picker_offers_the_units_by_pinyin(world):
    body = world.body
    for name in CITIES:
        make_unit(body, name)
    board = _options(BoardFilterForm(body=body).fields["unit"])
    listed = _options(ItemFilterForm(None, body=body).fields["unit"])
    expected = sorted(board, key=sort_key)
    assert board == expected and listed == expected
    assert [b for b in board if b in CITIES] == PINYIN_ORDER
    assign = [row["unit"].name for _label, group in AssignForm(body=body).rows() for row in group]
    assert [n for n in assign if n in CITIES] == PINYIN_ORDER


def test_the_body_admin_lists_units_and_members_by_pinyin(client, world):
    admin = make_user(world.body, "body_admin", "staff")
    for name in CITIES:
        make_unit(world.body, name)
    client.force_login(admin)
    page = client.get(reverse("bodies:units")).content.decode()
    places = [page.index(name) for name in PINYIN_ORDER]
    assert places == sorted(places)


def test_the_item_list_sorts_by_proposer_in_pinyin(client, world):
    for name in ["赵敏", "安娜", "曾志", "陈立新"]:
        user, _member = make_proposer(world.body, name)
        items.submit(world.draft(by=user, title=f"{name}提交的建议"), by=user)
        world.draft(by=user, title=f"{name}的草稿")  # a private draft: not in the staff's list
    client.force_login(world.staff)
    page = client.get(reverse("items:list"), {"sort": "proposer"}).context["page"]
    assert [r.proposer.name for r in page.object_list] == ["安娜", "陈立新", "曾志", "赵敏"]


def test_the_proposer_order_pages_by_keys_across_pages(client, world):
    surnames = "赵钱孙李周吴郑王冯陈褚卫蒋沈韩杨朱秦尤许何吕施张孔曹严华"
    for n, surname in enumerate(surnames):
        user, _member = make_proposer(world.body, f"{surname}代表{n}")
        items.submit(world.draft(by=user, title=f"第{n}件建议"), by=user)
    client.force_login(world.staff)
    first = client.get(reverse("items:list"), {"sort": "proposer"}).context["page"]
    second = client.get(first.next_url).context["page"]
    names = [r.proposer.name for r in [*first.object_list, *second.object_list]]
    assert len(names) == len(surnames) and len(set(names)) == len(surnames)
    assert names == sorted(names, key=lambda name: sort_key(name, person=True))
