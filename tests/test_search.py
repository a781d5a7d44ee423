"""Full-text search over items: what a staff member typing in the search box relies on."""

import random

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from banli.items import services as items
from banli.items.models import Item
from banli.items.search import (
    SearchResult,
    index_text,
    reindex,
    search_candidates,
    search_items,
)

from .factories import World, make_proposer


@pytest.fixture
def stock(world):
    """Five items of one congress, by their subject."""
    return {
        "elderly": world.accepted(
            title="关于加快养老服务中心建设的建议",
            text="我市老龄化程度加深，社区养老服务设施不足，建议加快建设街道养老服务中心。",
        ),
        "parking": world.accepted(
            title="关于增加老旧小区停车位的建议",
            text="老旧小区停车难问题突出，建议利用闲置地块建设立体停车场。",
        ),
        "charging": world.draft(
            title="关于规范电动自行车充电的建议",
            text="电动自行车充电引发火灾多发，建议在小区集中设置充电桩。",
        ),
        "preschool": world.draft(
            title="关于提升学前教育质量的建议",
            text="建议推进托育、养老与学前教育设施统筹布局，提高幼儿园教师待遇。",
        ),
        "lifts": world.draft(
            title="关于老旧小区加装电梯的建议",
            text="电动自行车进电梯充电隐患大，建议加装电梯时同步设置阻车装置。",
        ),
    }


def found(query, queryset=None):
    """The titles matching `query`, best first."""
    hits = search_items(queryset or Item.objects.all(), query).order_by("-search_rank", "pk")
    return [item.title for item in hits]


def test_a_two_character_word_finds_the_items_containing_it_even_inside_longer_words(stock):
    assert set(found("养老")) == {stock["elderly"].title, stock["preschool"].title}
    # 停车 appears only inside 停车位 and 停车场.
    assert found("停车") == [stock["parking"].title]
    assert found("教育") == [stock["preschool"].title]
    assert found("地铁") == []


def test_title_matches_rank_above_text_only_matches(stock):
    # The preschool item mentions 养老 in its text only.
    assert found("养老") == [stock["elderly"].title, stock["preschool"].title]
    assert found("充电") == [stock["charging"].title, stock["lifts"].title]


def test_every_word_of_the_query_is_required(stock):
    assert found("老旧小区 停车") == [stock["parking"].title]
    assert found("老旧小区") == [stock["parking"].title, stock["lifts"].title]
    assert found("养老 停车") == []
    # Typed without a space, the query is cut into words, each required.
    assert found("老旧小区停车难") == [stock["parking"].title]


def test_a_quoted_phrase_must_appear_as_typed(stock):
    # Both items speak of 电动自行车 and 充电; only one says 电动自行车充电.
    assert set(found("电动自行车 充电")) == {stock["charging"].title, stock["lifts"].title}
    assert found('"电动自行车充电"') == [stock["charging"].title]
    assert found("“电动自行车充电”") == [stock["charging"].title]
    assert found('"充电电动自行车"') == []


def test_a_single_character_finds_it_anywhere(stock):
    # 梯 only ends words (电梯), so the index must hold it on its own too.
    assert set(found("梯")) == {stock["lifts"].title}
    assert stock["charging"].title in found("桩")


def test_hostile_queries_return_without_error(stock):
    hostile = [
        "AND",
        "OR 养老",
        "养老 NOT 服务",
        "NEAR(养老 服务, 3)",
        "养老*",
        "*",
        '"',
        '"养老',
        '""""',
        "'; DROP TABLE items_item; --",
        "((养老)",
        "title:养老",
        "{养老 服务}",
        "-养老 +服务 ^老旧",
        "养老\\",
        "100% 养老_服务",
        "😀🚗",
        "\x00养老",
        "养老" * 3000,
        " ".join(["养老"] * 500),
        "a" * 10_000,
        "٣ ǅ ＡＢ１ ㊀",
    ]
    for query in hostile:
        list(search_items(Item.objects.all(), query).order_by("-search_rank"))
        search_items(Item.objects.all(), query).count()
    # Operators and punctuation are dropped, not searched for.
    assert found("NEAR(养老 服务)") == [stock["elderly"].title]
    assert found("养老 AND 服务") == [stock["elderly"].title]
    assert found("((养老)") == found("养老")
    assert found("😀🚗") == []


def test_a_blank_query_returns_the_queryset_unchanged(stock):
    everything = Item.objects.all()
    assert search_items(everything, "") is everything
    assert search_items(everything, "  \u3000 ") is everything


def test_search_stays_within_the_queryset_it_is_given(stock):
    other = World()
    theirs = other.draft(title="关于加快养老服务中心建设的建议", text="建议加快建设。")
    mine = Item.objects.for_body(stock["elderly"].body)
    assert theirs.title in found("养老")
    assert theirs.pk not in set(search_items(mine, "养老").values_list("pk", flat=True))
    assert search_items(mine, "养老").count() == 2


def test_an_edited_draft_is_found_by_its_new_words_only(world, stock):
    draft = stock["charging"]
    items.edit_draft(
        draft,
        by=world.deputy,
        title="关于加强校园食品安全监管的建议",
        text="建议加强学校食堂和校外托餐机构的食品安全检查。",
    )
    assert found("食品安全") == [draft.title]
    assert found('"电动自行车充电"') == []


def test_reindex_rebuilds_the_index_of_existing_items(stock):
    parking = stock["parking"]
    Item.objects.filter(pk=parking.pk).update(search_text="")
    assert found("停车") == []

    assert reindex(Item.objects.filter(pk=parking.pk)) == 1
    assert found("停车") == [parking.title]
    assert reindex() == 0
    assert found("停车") == [parking.title]


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite keeps its index by triggers")
def test_reindexing_everything_repairs_an_index_whose_triggers_were_lost(stock):
    # What a migration that rebuilds items_item on SQLite does to the triggers.
    with connection.cursor() as cursor:
        for name in ["insert", "update", "delete"]:
            cursor.execute(f"DROP TRIGGER items_item_search_{name}")
    parking = stock["parking"]
    title, text = "关于增加公共充电桩的建议", "建议在公共停放区域增设充电设施。"
    Item.objects.filter(pk=parking.pk).update(
        title=title, text=text, search_text=index_text(title, text)
    )
    assert set(found("老旧小区")) == {stock["lifts"].title, title}  # stale
    assert found("公共充电桩") == []

    assert reindex() == 0  # the rows were right, the index was not
    assert found("老旧小区") == [stock["lifts"].title]
    assert found("公共充电桩") == [title]
    new = World().draft(title="关于增加公共停车场的建议")
    assert found("公共停车场") == [new.title]


def candidate_queries(captured):
    return [q["sql"] for q in captured if "MATCH" in q["sql"] or "@@" in q["sql"]]


def test_search_reads_the_full_text_index_once(stock):
    with CaptureQueriesContext(connection) as ctx:
        hits = search_items(Item.objects.for_body(stock["elderly"].body), "养老")
        list(hits.order_by("-search_rank"))
        hits.count()
    [sql] = candidate_queries(ctx.captured_queries)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # On five rows the planner rightly prefers the body's btree index; what
            # matters is that one GIN index answers the body and the words together.
            cursor.execute(
                "SELECT indexdef FROM pg_indexes WHERE indexname = 'items_item_body_search_gin'"
            )
            [(definition,)] = cursor.fetchall()
            assert "gin (body_id, search_vector)" in definition
            cursor.execute(
                "SELECT count(*) FROM pg_indexes WHERE indexname = 'items_item_search_gin'"
            )
            assert cursor.fetchone() == (0,)
        else:
            cursor.execute(f"EXPLAIN QUERY PLAN {sql}")
            plan = "\n".join(str(row[-1]) for row in cursor.fetchall())
            assert "VIRTUAL TABLE INDEX" in plan
            # Read newest first in the index's own order: no sort of every hit.
            assert "ORDER BY" not in plan


@pytest.fixture
def two_bodies(stock):
    """Another congress whose items use the same words, all newer than `stock`."""
    other = World()
    return [
        other.accepted(title="关于加快养老服务中心建设的建议", text=f"第{n}条：养老服务设施不足。")
        for n in range(4)
    ]


def test_a_search_within_a_body_never_finds_another_bodys_items(world, stock, two_bodies):
    mine = Item.objects.for_body(world.body)
    theirs = {item.pk for item in two_bodies}
    assert not theirs & set(search_items(mine, "养老").values_list("pk", flat=True))
    staff = Item.objects.visible_to(world.staff)
    assert not theirs & set(search_items(staff, "养老服务").values_list("pk", flat=True))
    # Their newer hits take no place among ours, however few places there are.
    result = search_candidates(mine, "养老", limit=2)
    assert result.ids == [stock["elderly"].pk, stock["preschool"].pk]
    assert not result.truncated
    assert search_candidates(Item.objects.all(), "养老", limit=2).truncated


def test_a_deputy_searches_only_what_they_may_read(world, stock, two_bodies):
    other, _ = make_proposer(world.body, "赵代表")
    theirs = world.accepted(title="关于养老服务的建议")  # public? no: not the deputy's
    mine = world.draft(by=other, title="关于社区养老食堂的建议", text="建议办好社区养老食堂。")
    visible = Item.objects.visible_to(other)
    # Many newer matches the deputy may not read do not crowd out the one they may.
    assert search_candidates(visible, "养老", limit=1).ids == [mine.pk]
    assert [i.pk for i in search_items(visible, "养老", limit=1)] == [mine.pk]
    assert theirs.pk not in set(search_items(visible, "养老").values_list("pk", flat=True))
    # Searched as a narrow reader (their own items first, then the words), the same.
    assert search_candidates(visible, "养老", limit=1, narrow=True).ids == [mine.pk]
    assert search_candidates(visible, "养老", narrow=True) == search_candidates(visible, "养老")


def test_a_narrow_reader_with_many_items_is_searched_like_anyone(world, monkeypatch):
    from banli.items import search

    monkeypatch.setattr(search, "NARROW_READER_ITEMS", 2)
    mine = [world.draft(title=f"关于第{n}个养老食堂的建议") for n in range(3)]
    visible = Item.objects.visible_to(world.deputy)
    found = search_candidates(visible, "养老", narrow=True)
    assert sorted(found.ids) == sorted(item.pk for item in mine)


def test_past_the_candidate_cap_the_newest_are_ranked_and_the_result_says_so(world):
    items_ = [
        world.draft(title=f"关于第{n}项停车问题的建议", text="停车难。") for n in range(4)
    ] + [world.draft(title="关于道路的建议", text="停车难。")]
    everything = Item.objects.all()
    full = search_candidates(everything, "停车", limit=5)
    assert not full.truncated and len(full) == 5
    capped = search_candidates(everything, "停车", limit=3)
    assert capped.truncated and capped.limit == 3
    # The three newest, ranked: the text-only match last.
    assert set(capped.ids) == {item.pk for item in items_[2:]}
    assert capped.ids[-1] == items_[4].pk
    assert capped.ids == [pk for pk in full.ids if pk in set(capped.ids)]
    assert full.states == {"draft": 5}


def test_the_cap_comes_from_the_settings(world, settings):
    for n in range(3):
        world.draft(title=f"关于第{n}项停车问题的建议")
    settings.SEARCH_CANDIDATES = 2
    assert search_items(Item.objects.all(), "停车").count() == 2
    assert search_candidates(Item.objects.all(), "停车").truncated


def test_ranking_is_the_same_with_or_without_the_cap(world):
    titles = ["关于停车的建议", "关于道路的建议", "关于停车场停车位的建议", "关于公园的建议"]
    text = "小区停车难，建议增加停车位。"
    made = [world.draft(title=t, text=text * (n + 1)) for n, t in enumerate(titles)]
    ranked = search_candidates(Item.objects.all(), "停车").ids
    # Title matches first, each group as ts_rank/bm25 orders it; ties newest first.
    assert set(ranked[:2]) == {made[0].pk, made[2].pk}
    assert set(ranked[2:]) == {made[1].pk, made[3].pk}
    listed = search_items(Item.objects.all(), "停车").order_by("-search_rank", "-id")
    assert [i.pk for i in listed] == ranked


def test_an_unsearchable_query_has_no_candidates(stock):
    assert search_candidates(Item.objects.all(), "😀🚗") == SearchResult([], False, 1000)
    assert not search_candidates(Item.objects.all(), "😀🚗").states
    assert search_candidates(Item.objects.all(), "  ").ids == []


def test_the_search_page_runs_the_match_once_and_its_queries_do_not_grow(client, world):
    client.force_login(world.staff)

    def search_page():
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(reverse("items:list"), {"q": "老旧小区 停车 改造"})
        assert response.status_code == 200
        assert len(candidate_queries(ctx.captured_queries)) == 1
        return len(ctx.captured_queries), response

    title, text = "关于老旧小区停车改造的建议", "结合老旧小区改造增加停车位。"
    world.accepted(title=title, text=text)
    few, response = search_page()
    assert title in response.content.decode()
    for _ in range(12):
        world.accepted(title=title, text=text)
    many, _ = search_page()
    assert many == few


@pytest.mark.django_db(transaction=True)
def test_the_migrated_index_follows_inserts_updates_and_deletes(world):
    from django.db.migrations.executor import MigrationExecutor

    old = world.accepted(title="关于加装电梯的建议", text="老旧小区加装电梯。")
    executor = MigrationExecutor(connection)
    executor.migrate([("items", "0004_next_due_on")])
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
    mine = Item.objects.for_body(world.body)
    assert [i.pk for i in search_items(mine, "电梯")] == [old.pk]

    new = world.draft(title="关于公共充电桩的建议", text="建议增设充电桩。")
    assert [i.pk for i in search_items(mine, "充电桩")] == [new.pk]
    items.edit_draft(new, by=world.deputy, title="关于社区食堂的建议", text="办好社区食堂。")
    assert list(search_items(mine, "充电桩")) == []
    assert [i.pk for i in search_items(mine, "食堂")] == [new.pk]
    other = World()
    Item.objects.filter(pk=new.pk).update(body=other.body)
    assert list(search_items(mine, "食堂")) == []
    assert [i.pk for i in search_items(Item.objects.for_body(other.body), "食堂")] == [new.pk]
    Item.objects.filter(pk=new.pk).delete()
    assert list(search_items(Item.objects.all(), "食堂")) == []


def test_a_very_long_text_is_indexed_up_to_its_limit(world):
    # 200,000 characters of mostly distinct bigrams, more than a tsvector may hold; the
    # first 16,000 tokens of the text are indexed on both databases.
    rng = random.Random(2026)
    text = "".join(chr(0x4E00 + rng.randrange(20_000)) for _ in range(200_000))
    item = world.draft(title="关于编制全市综合交通规划的建议", text="综合交通规划：" + text)
    assert found("综合交通规划") == [item.title]
    assert found(text[15_000:15_010]) == [item.title]
    assert found(text[17_000:17_010]) == []


def test_the_list_says_when_a_search_was_cut_at_the_cap(client, world, settings):
    for n in range(3):
        world.accepted(title=f"关于第{n}项停车问题的建议")
    client.force_login(world.staff)
    settings.SEARCH_CANDIDATES = 2
    page = client.get(reverse("items:list"), {"q": "停车"}).content.decode()
    assert "msg-warning" in page
    assert rows(page) == 2
    settings.SEARCH_CANDIDATES = 3
    page = client.get(reverse("items:list"), {"q": "停车"}).content.decode()
    assert "msg-warning" not in page
    assert rows(page) == 3


def rows(page: str) -> int:
    """The rows of the results table (each title is also its row's checkbox label)."""
    return page.count('class="batch-pick"')


def test_the_search_pages_follow_the_best_match_order(client, world):
    # Thirty matches: titles rank above text-only matches; 25 a page, then the rest.
    text_only = [
        world.accepted(title=f"关于道路第{n}段的建议", text="小区停车难。") for n in range(20)
    ]
    in_title = [
        world.accepted(title=f"关于停车问题{n}的建议", text="小区停车难。") for n in range(10)
    ]
    client.force_login(world.staff)
    first = client.get(reverse("items:list"), {"q": "停车"})
    page = first.context["page"]
    ranked = first.context["search"].ids
    assert [i.pk for i in page.object_list] == ranked[:25]
    assert {i.pk for i in page.object_list[:10]} == {i.pk for i in in_title}
    assert page.has_next and not page.has_previous and first.context["total"] == 30
    second = client.get(page.next_url)
    rest = second.context["page"]
    assert [i.pk for i in rest.object_list] == ranked[25:]
    assert {i.pk for i in rest.object_list} <= {i.pk for i in text_only}
    assert rest.has_previous and not rest.has_next and rest.start_index == 26
    # A page past the end, or not a number, shows a page that exists.
    for bad in ("99", "x", "-3"):
        shown = client.get(reverse("items:list"), {"q": "停车", "page": bad}).context["page"]
        assert shown.object_list


def test_a_search_sorted_by_another_key_keeps_that_order(client, world):
    for n in range(3):
        world.accepted(title=f"关于停车{n}的建议", text="停车")
    client.force_login(world.staff)
    response = client.get(reverse("items:list"), {"q": "停车", "sort": "title"})
    titles = [i.title for i in response.context["page"].object_list]
    assert titles == sorted(titles)


# Numbers and names: looked up exactly, before the full-text ranking ------------------------


def _numbered(world, number, **kw):
    """An accepted item given `number` (accepting 81 items to reach it would only be slow)."""
    item = world.accepted(**kw)
    label = f"第{number}号"
    Item.objects.filter(pk=item.pk).update(number=number, number_label=label)
    return item


def test_an_item_is_found_by_its_number_however_it_is_typed_and_comes_first(world):
    wanted = _numbered(world, 81, title="关于改善农村饮水安全的建议", text="建议改造供水管网。")
    # Mentions 81 in its title: the full text finds it too, but after the number.
    mention = _numbered(world, 5, title="关于81路公交延伸的建议", text="81路公交应延伸至新区。")
    _numbered(world, 8, title="关于增设8号线站点的建议", text="建议增设站点。")
    elsewhere = World()
    theirs = elsewhere.accepted(title="关于改善饮水的建议")
    Item.objects.filter(pk=theirs.pk).update(number=81, number_label="第81号")
    mine = Item.objects.for_body(world.body)
    for query in ("第81号", "81", "No. 81", "no.81", "81号", "提案第81号", "第８１号", " 81 "):
        ids = search_candidates(mine, query).ids
        assert ids[:1] == [wanted.pk], query
        assert theirs.pk not in ids
    assert search_candidates(mine, "81").ids == [wanted.pk, mention.pk]
    # The record id an unnumbered item shows (#id) finds it as well.
    draft = world.draft(title="关于规范共享单车停放的建议")
    assert search_candidates(mine, f"#{draft.pk}").ids[:1] == [draft.pk]


def test_a_proposers_or_cosigners_name_finds_their_items_before_text_mentions(world):
    chen_user, chen = make_proposer(world.body, "陈立新")
    led = world.draft(by=chen_user, title="关于加强社区医疗服务的建议", text="建议增加社区医生。")
    items.submit(led, by=chen_user)
    cosigned = world.draft(title="关于治理河道污染的建议", text="建议加强巡查。")
    items.invite_cosigners(cosigned, by=world.deputy, members=[chen])
    items.confirm_cosign(cosigned, by=chen_user)
    # Invited but not confirmed: not theirs yet.
    pending = world.draft(title="关于建设口袋公园的建议", text="建议利用边角地。")
    items.invite_cosigners(pending, by=world.deputy, members=[chen])
    mention = world.accepted(title="关于陈立新同志事迹宣传的建议", text="陈立新同志扎根基层。")
    staff_view = Item.objects.for_body(world.body)
    ids = search_candidates(staff_view, "陈立新").ids
    assert set(ids[:2]) == {led.pk, cosigned.pk}
    assert ids[2:] == [mention.pk]
    assert pending.pk not in ids
    # A namesake in another body is another person: their items stay theirs.
    other = World()
    namesake_user, _namesake = make_proposer(other.body, "陈立新")
    theirs = other.draft(by=namesake_user, title="关于治理河道污染的建议")
    assert theirs.pk not in search_candidates(staff_view, "陈立新").ids
    assert search_candidates(Item.objects.for_body(other.body), "陈立新").ids == [theirs.pk]


def test_the_list_shows_the_numbered_item_first_and_only_to_those_who_may_read_it(client, world):
    wanted = _numbered(world, 81, title="关于改善农村饮水安全的建议", text="建议改造供水管网。")
    _numbered(world, 2, title="关于81路公交延伸的建议", text="81路公交应延伸至新区。")
    client.force_login(world.staff)
    rows = client.get(reverse("items:list"), {"q": "第81号"}).context["page"].object_list
    assert [row.pk for row in rows][:1] == [wanted.pk]
    # A deputy who is not its proposer does not find it by number.
    stranger, _member = make_proposer(world.body, "赵代表")
    client.force_login(stranger)
    rows = client.get(reverse("items:list"), {"q": "第81号"}).context["page"].object_list
    assert wanted.pk not in [row.pk for row in rows]


def test_a_number_search_costs_a_few_queries_whatever_the_body_holds(world):
    _numbered(world, 81)
    mine = Item.objects.for_body(world.body)
    with CaptureQueriesContext(connection) as few:
        search_candidates(mine, "第81号")
    for n in range(5):
        _numbered(world, 100 + n)
    wanted = mine.get(number=81).pk
    with CaptureQueriesContext(connection) as more:
        assert search_candidates(mine, "第81号").ids[:1] == [wanted]
    # The number's lookup and the full-text query, however many items there are.
    assert len(more) == len(few) <= 3
