"""Full-text search over items (检索): the segmented index and the query that reads it.

Segmentation. `index_text` turns an item's title and text into overlapping character
bigrams: 养老服务中心 becomes ``养老 老服 服务 务中 中心 心`` (each run of Chinese
characters also ends with its last character alone, so a one-character query has a token
to find). Letters and digits stay whole words, lower-cased (``5g``, ``pm2``). Bigrams were
chosen over a dictionary segmentation (jieba's ``cut_for_search``) for the index because
what a user types is usually a substring of the text, not necessarily one of the
dictionary's words: with bigrams every substring of two or more characters is found
(停车 inside 停车场, 充电 inside 电动自行车充电桩, a new place name jieba has never seen),
the index does not change when the dictionary does, and SQLite's FTS5 and PostgreSQL's
``simple`` configuration index the space-separated tokens as they are, with positions,
so a query becomes a phrase of consecutive bigrams. The price is the occasional match
across a word boundary (养老 in 培养老师).

jieba is used on the query side: a string typed without spaces (老旧小区停车难) is cut
into words, each word must appear (AND) as a substring, so the user need not guess where
the text puts its words. A quoted string (“电动自行车充电” or "电动自行车充电") must appear as
typed. Operators and punctuation are never passed through: every query is rebuilt from
plain tokens, so nothing the user types can raise.

``search_text`` holds the title's tokens, a newline, then the text's tokens. The database
splits it there, so a title match weighs ten times a text match on both databases.

The index. On SQLite, an FTS5 table ``items_item_search`` (contentless, rowid = item id)
kept in step with ``items_item.search_text`` by triggers (migration 0002), ranked with
bm25. On PostgreSQL, a stored generated column ``search_vector`` (the weighted
``tsvector`` of search_text, added by migration 0002 beside the model's fields) with a
GIN index, ranked with ts_rank; stored rather than an expression index because a phrase
query rechecks every candidate row and ranking reads every hit, and recomputing the
vector for each was 25 to 30 times slower on 20,000 items. Either way `search_items` annotates
``search_rank``: higher is better, so order by ``-search_rank``.
"""

import itertools
import json
import logging
import re
import threading
import unicodedata
from collections import Counter
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connections, transaction
from django.db.models import BooleanField, F, FloatField, Func, Q, QuerySet, Value
from django.db.models.expressions import Col, RawSQL
from django.db.models.lookups import Exact
from django.db.models.sql.where import AND, WhereNode

# Han ideographs: CJK unified (with extension A and the supplementary planes), the
# compatibility block (NFKC maps most of it to unified ones) and 〇 as written in years.
_HAN = "\u3007\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
# A run of Han characters, or a run of other letters and digits (underscore excluded).
_RUN = re.compile(rf"([{_HAN}]+)|([^\W_{_HAN}]+)")
# Whitespace between two Han characters is layout (a wrapped line, a pasted PDF), not a
# word break: Chinese does not separate words with spaces.
_HAN_GAP = re.compile(rf"(?<=[{_HAN}])\s+(?=[{_HAN}])")

# A longer non-Han word is cut here, on both sides, so junk cannot bloat the index.
MAX_WORD = 64
# The text is indexed up to this many tokens (about as many characters): PostgreSQL
# records positions only up to 16,383, past which phrases cannot match, and a title
# takes at most 200 (a run of n Han characters gives n tokens, any other word one).
# Both databases stop at the same place so that they find the same items.
MAX_TEXT_TOKENS = 16_000
# What a query may cost: the rest of an overlong query is ignored.
MAX_QUERY = 256
MAX_TERMS = 16

# bm25 column weights (title, body) on SQLite; ts_rank's default weights for the A and D
# labels used on PostgreSQL are the same 10:1.
_TITLE_WEIGHT = 10.0
FTS_TABLE = "items_item_search"

# Quotes a user may type around a phrase: ASCII, Chinese curly quotes, corner brackets.
_QUOTES = str.maketrans({q: '"' for q in "“”„‟「」『』＂″"})
# Function characters jieba leaves alone between words (养老和医疗): requiring them would
# only lose items, so they are dropped when the query has other words.
_STOP_CHARS = frozenset("的了和与及或之其而并等")
# Search-engine operators typed as words (养老 AND 服务, NEAR(…)): AND is what every query
# means anyway and the others are not supported, so they are not searched for as words.
_OPERATORS = frozenset({"and", "or", "not", "near"})


def _normalize(text: str) -> str:
    # NFKC folds full-width letters and digits (ＡＢ１) and compatibility ideographs.
    return _HAN_GAP.sub("", unicodedata.normalize("NFKC", text)).lower()


def _runs(text: str) -> list[tuple[str, bool]]:
    """The runs of `text` in order, each with whether it is Han."""
    return [
        (han, True) if han else (word[:MAX_WORD], False)
        for han, word in _RUN.findall(_normalize(text))
    ]


def _run_tokens(run: str, is_han: bool) -> list[str]:
    if not is_han:
        return [run]
    return [run[i : i + 2] for i in range(len(run) - 1)] + [run[-1]]


def _tokens(text: str) -> list[str]:
    return [token for run, is_han in _runs(text) for token in _run_tokens(run, is_han)]


def index_text(title: str, text: str) -> str:
    """The segmented form of an item stored in `Item.search_text`: title tokens, a newline,
    text tokens (see the module docstring)."""
    title_tokens = " ".join(_tokens(title or ""))
    # Only a bounded prefix is cut into tokens: twice as many characters as tokens is
    # plenty for Chinese prose, and a megabyte pasted in costs nothing.
    text_tokens = " ".join(_tokens((text or "")[: 2 * MAX_TEXT_TOKENS])[:MAX_TEXT_TOKENS])
    return f"{title_tokens}\n{text_tokens}"


# A query term: the tokens that must follow each other in the index, and whether the
# last one is a prefix (a lone Han character at the end of a term matches the bigrams it
# starts as well as itself).
Term = tuple[tuple[str, ...], bool]


def _phrase(text: str) -> Term | None:
    """The term matching `text` as a substring: the same tokens the index holds for it,
    except that the last run gives no trailing single character (the text may go on)."""
    runs = _runs(text)
    if not runs:
        return None
    tokens: list[str] = []
    for run, is_han in runs[:-1]:
        tokens += _run_tokens(run, is_han)
    last, is_han = runs[-1]
    if is_han and len(last) == 1:
        return (*tokens, last), True
    tokens += _run_tokens(last, is_han)[:-1] if is_han else [last]
    return tuple(tokens), False


_jieba_lock = threading.Lock()
_jieba = None


def _segmenter():
    """jieba's default tokenizer, loaded on the first query (about a second), quietly.

    The dictionary ships inside the package, so nothing is downloaded; the cache jieba
    builds from it goes to the instance's var/ directory rather than the shared /tmp.
    """
    global _jieba
    if _jieba is None:
        with _jieba_lock:
            if _jieba is None:
                import jieba

                jieba.setLogLevel(logging.WARNING)
                var_dir = getattr(settings, "VAR_DIR", None)
                if var_dir is not None and jieba.dt.tmp_dir is None:
                    jieba.dt.tmp_dir = str(var_dir)
                jieba.dt.initialize()
                _jieba = jieba.dt
    return _jieba


def _words(chunk: str) -> list[str]:
    """An unquoted chunk cut into the words that must each appear.

    jieba cuts the Han runs; characters it leaves single in a row (an unknown word, a
    fragment like 区停) are put back together, since the user typed them together.
    """
    words: list[str] = []
    singles = ""
    for run, is_han in _runs(chunk):
        if not is_han:
            if run not in _OPERATORS:
                words.append(run)
            continue
        for word in _segmenter().cut(run):
            if len(word) == 1:
                singles += word
                continue
            if singles:
                words.append(singles)
                singles = ""
            words.append(word)
        if singles:
            words.append(singles)
            singles = ""
    if len(words) > 1:
        words = [w for w in words if w not in _STOP_CHARS] or words
    return words


_QUERY_PART = re.compile(r'"([^"]*)(?:"|$)|([^\s"]+)')


def parse_query(query: str) -> list[Term]:
    """The terms a query asks for, all required: quoted phrases as typed, other words as
    jieba cuts them. Nothing of the query's syntax survives but plain tokens."""
    query = (query or "")[:MAX_QUERY].translate(_QUOTES)
    terms: list[Term] = []
    for phrase, chunk in _QUERY_PART.findall(query):
        for text in [phrase] if phrase else _words(chunk):
            term = _phrase(text)
            if term and term not in terms:
                terms.append(term)
    return terms[:MAX_TERMS]


def _fts5_query(terms: list[Term], body: int | None = None) -> str:
    # Every token is letters, digits or Han characters only, so quoting cannot break.
    # The words are looked for in the title and the text only, never in the body column.
    phrases = [
        '{{title text}} : "{}"{}'.format(" ".join(tokens), " *" if prefix else "")
        for tokens, prefix in terms
    ]
    if body is not None:
        phrases.insert(0, f'body : "b{int(body)}"')
    return " AND ".join(phrases)


def _tsquery(terms: list[Term]) -> str:
    parts = []
    for tokens, prefix in terms:
        lexemes = [f"'{token}'" for token in tokens]
        if prefix:
            lexemes[-1] += ":*"
        parts.append("(" + " <-> ".join(lexemes) + ")")
    return " & ".join(parts)


# The PostgreSQL column migration 0002 adds, unknown to the model: the tsvector of
# search_text (title tokens labelled A, text tokens D), generated by the database.
PG_VECTOR_COLUMN = "search_vector"


class _PgSearch(Func):
    """`search_vector @@ query` (a filter) or `ts_rank(search_vector, query, 1)` (the
    rank, divided by 1 + log(length) so long texts do not win by size)."""

    def __init__(self, tsquery: str, *, rank: bool):
        self.rank = rank
        output_field = FloatField() if rank else BooleanField()
        super().__init__(F("search_text"), Value(tsquery), output_field=output_field)

    def as_sql(self, compiler, connection, **extra):
        # The generated column sits beside search_text, in the item's table under the
        # alias this query gives it.
        alias = compiler.quote_name_unless_alias(self.source_expressions[0].alias)
        vector = f"{alias}.{connection.ops.quote_name(PG_VECTOR_COLUMN)}"
        query_sql, query_params = compiler.compile(self.source_expressions[1])
        query = f"to_tsquery('simple'::regconfig, {query_sql})"
        sql = f"ts_rank({vector}, {query}, 1)" if self.rank else f"({vector} @@ {query})"
        return sql, tuple(query_params)


# How many matches one search ranks at most, unless settings.SEARCH_CANDIDATES says
# otherwise: past it the newest are ranked and the result says it was cut.
DEFAULT_CANDIDATES = 1000


@dataclass(frozen=True)
class SearchResult:
    """The candidates of one search: item ids best first, and whether more matched.

    `truncated` means more than `limit` items of the queryset matched and only the newest
    `limit` of them (by id, the order they were entered in) were ranked: the list says
    "more than `limit` results, refine the search" rather than counting them. `len()` is
    the count to show (with "more than" when truncated), `states` the per-state counts
    and ``ids[start:stop]`` a page in best-match order, all without another query."""

    ids: list[int]
    truncated: bool
    limit: int
    # How many of `ids` are in each state, for the facets above the list: no query.
    states: Counter = field(default_factory=Counter)

    def __len__(self) -> int:
        return len(self.ids)


def candidate_limit() -> int:
    return int(getattr(settings, "SEARCH_CANDIDATES", DEFAULT_CANDIDATES))


def search_candidates(
    queryset: QuerySet, query: str, limit: int | None = None, *, narrow: bool = False
) -> SearchResult:
    """The items of `queryset` matching `query`, ranked, in one query: at most `limit`
    (default `candidate_limit()`) ids best first (title match 10× text match, then
    newest first among equals), and whether more matched.

    Only a bounded set is ranked: the newest `limit` + 1 matches are found through the
    full-text index, within the body when `queryset` is restricted to one
    (``visible_to``, ``for_body``: the body is part of the full-text query itself, so a
    small body never pays for the hits of a large one), and `queryset`'s own conditions
    (visibility, filters) are checked on each before it is counted, so a deputy never
    gets an item they may not read and never loses one of theirs to other people's hits.
    A blank or unsearchable query has no candidates.

    `narrow` says the reader sees a small part of the body (a deputy, a unit): the words
    are then tested on the items they may read, taken first, rather than on the body's
    newest matches, most of which they could not read.
    """
    limit = candidate_limit() if limit is None else limit
    terms = parse_query(query) if (query or "").strip() else []
    if limit <= 0:
        return SearchResult([], False, limit, Counter())
    # A number (第81号, 81, No. 81) or a proposer's name is looked up exactly first; those
    # items come before the full-text ranking.
    exact = exact_matches(queryset, query, limit + 1)
    if not terms:
        return _with_exact(exact, [], False, limit)
    ranked, truncated = _ranked(queryset, terms, limit, narrow=narrow)
    return _with_exact(exact, ranked, truncated, limit)


def _ranked(
    queryset: QuerySet, terms: list[Term], limit: int, *, narrow: bool
) -> tuple[list[tuple[int, str]], bool]:
    """(id, state) of the newest `limit` full-text matches ranked best first, and whether
    more matched."""
    connection = connections[queryset.db]
    if connection.vendor == "sqlite":
        rows = _sqlite_candidates(queryset, terms, limit + 1)
    elif connection.vendor == "postgresql":
        rows = _pg_candidates(queryset, terms, limit + 1, narrow=narrow)
    else:
        raise NotImplementedError(f"Full-text search is not set up for {connection.vendor}.")
    # rows: (id, score, state).
    rows.sort(key=lambda row: row[0], reverse=True)
    truncated = len(rows) > limit
    ranked = sorted(rows[:limit], key=lambda row: (row[1], row[0]), reverse=True)
    return [(pk, state) for pk, _, state in ranked], truncated


# Words nearly every item says (关于…的建议, 进一步加强…): they tell no two items apart, so
# they are left out of the words similar items are looked for by.
_COMMON_WORDS = frozenset(
    [
        "关于",
        "建议",
        "提案",
        "议案",
        "问题",
        "进一步",
        "加强",
        "推进",
        "推动",
        "我市",
        "我省",
        "我区",
        "我县",
        "全市",
        "全省",
        "有关",
        "工作",
        "相关",
        "提高",
        "加快",
        "完善",
        "促进",
        "以及",
        "目前",
        "存在",
        "方面",
        "进行",
        "实施",
        "做好",
        "切实",
        "积极",
        "不断",
        "需要",
        "应当",
        "通过",
        "一些",
        "部分",
        "情况",
        "建设",
        "发展",
        "提升",
        "强化",
        "支持",
        "解决",
        "落实",
        "政府",
        "部门",
    ]
)
SIMILAR_WORDS = 8


def similar_words(title: str, text: str = "") -> list[str]:
    """The words items similar to a draft are looked for by: those of its title, then the
    most frequent words of its text, common words left out."""
    title_words = [w for w in _words((title or "")[:MAX_QUERY]) if len(w) > 1]
    counted = Counter(w for w in _words((text or "")[:2000]) if len(w) > 1)
    words: list[str] = []
    for word in [*title_words, *(w for w, _ in counted.most_common(3 * SIMILAR_WORDS))]:
        if word not in _COMMON_WORDS and word not in words and word not in _OPERATORS:
            words.append(word)
    return words[:SIMILAR_WORDS]


# The words combined when looking for similar items: all of the first few, then each pair.
SIMILAR_COMBINED = 4


def similar_items(
    queryset: QuerySet, title: str, text: str = "", limit: int = 10, *, narrow: bool = False
) -> list[int]:
    """Ids of the items of `queryset` most like a draft with this title and text, best
    first: those having all of its first words (`similar_words`), then those having two of
    them, each pair in the order of the words, each search ranked as the list ranks one.

    Each search requires every word it asks for, as the list's searches do, so each costs
    what a search of the list costs and reaches every year, not only the newest items that
    share some common word (an OR of the words matched most of a large body). At most
    1 + 6 searches, fewer as soon as `limit` items are found."""
    words = similar_words(title, text)[:SIMILAR_COMBINED]
    terms = [term for word in words if (term := _phrase(word))]
    if not terms:
        return []
    asks = [terms]
    if len(terms) > 2:
        asks += [list(pair) for pair in itertools.combinations(terms, 2)]
    if narrow and connections[queryset.db].vendor == "postgresql":
        # The narrow reader's items are read once for all the searches, not once each.
        readable = _few_readable_ids(queryset)
        if readable is not None:
            queryset = queryset.filter(_Candidates(readable))
        narrow = False
    found: list[int] = []
    for ask in asks:
        ranked, _truncated = _ranked(queryset, ask, candidate_limit(), narrow=narrow)
        found += [pk for pk, _state in ranked if pk not in found]
        if len(found) >= limit:
            break
    return found[:limit]


def _with_exact(exact: list, ranked: list, truncated: bool, limit: int) -> SearchResult:
    """The exact matches (id, state) first, then the ranked ones not among them, at most
    `limit` in all."""
    seen = {pk for pk, _ in exact}
    rows = [*exact, *[row for row in ranked if row[0] not in seen]]
    truncated = truncated or len(rows) > limit
    rows = rows[:limit]
    return SearchResult([pk for pk, _ in rows], truncated, limit, Counter(s for _, s in rows))


# 第81号, 提案第81号, 闭会第81号, 81号, 81; No. 81, No 81, no.81; #81 is an unnumbered item's
# record id, as `Item.display_number` shows it.
_NUMBER = re.compile(rf"^(?:[{_HAN}]{{0,8}}第)?\s*0*(\d{{1,9}})\s*(?:号[{_HAN}]{{0,6}})?$")
_NUMBER_LATIN = re.compile(r"^(?:no|nr|n°|№)\s*\.?\s*0*(\d{1,9})$")
_RECORD_ID = re.compile(r"^#\s*(\d{1,18})$")
# A name as the office writes it: Han characters (with the middle dot of a transcribed
# name, 阿卜杜·热合曼), or letters and spaces; at most a Member name's length.
_NAME = re.compile(rf"^[{_HAN}·•]{{2,60}}$|^[^\W\d_][\w .·'-]{{1,59}}$")


def parse_number(query: str) -> tuple[str, int] | None:
    """("number", n) or ("id", pk) when the whole query is an item's number or record id."""
    text = unicodedata.normalize("NFKC", (query or "").strip()).lower()
    for pattern, what in ((_NUMBER, "number"), (_NUMBER_LATIN, "number"), (_RECORD_ID, "id")):
        if found := pattern.match(text):
            return what, int(found.group(1))
    return None


def exact_matches(queryset: QuerySet, query: str, count: int) -> list[tuple[int, str]]:
    """(id, state) of the items of `queryset` whose number the whole query is, then of those
    whose lead proposer or a confirmed co-signer bears that exact name, newest first, at
    most `count`. Each is an indexed lookup: the number within the body (item_body_number),
    the name among the body's members (Member (body, name)), their items by proposer and
    by co-signer."""
    from banli.bodies.models import Member

    from .models import CoSigner

    text = unicodedata.normalize("NFKC", (query or "").strip())
    if not text or count <= 0:
        return []
    newest = ("-created_at", "-id")
    rows: list[tuple[int, str]] = []
    number = parse_number(text)
    if number is not None:
        what, value = number
        found = queryset.filter(number=value) if what == "number" else queryset.filter(pk=value)
        rows += list(found.order_by(*newest).values_list("pk", "state")[:count])
    if _NAME.match(text) and len(rows) < count:
        named = Member.objects.db_manager(queryset.db).filter(name=text)
        body = _body_of(queryset)
        if body is not None:
            named = named.filter(body_id=body)
        member_ids = list(named.values_list("pk", flat=True)[:50])
        if member_ids:
            cosigned = list(
                CoSigner.objects.db_manager(queryset.db)
                .filter(member_id__in=member_ids, confirmed_at__isnull=False)
                .order_by("-item_id")
                .values_list("item_id", flat=True)[: count * 4]
            )
            found = queryset.filter(Q(proposer_id__in=member_ids) | Q(pk__in=cosigned))
            seen = {pk for pk, _ in rows}
            rows += [
                row
                for row in found.order_by(*newest).values_list("pk", "state")[:count]
                if row[0] not in seen
            ]
    return rows[:count]


def restrict_to(queryset: QuerySet, result: SearchResult) -> QuerySet:
    """`queryset` narrowed to the candidates of `result`, annotated with `search_rank`
    (higher is better; it is the candidate's place in `result`, so ordering by
    ``-search_rank`` gives the ranked order). Reading it costs a primary-key lookup per
    candidate, not another full-text match: page, count and per-state counts of a
    search all read this small set."""
    return queryset.filter(_Candidates(result.ids)).annotate(search_rank=_Place(result.ids))


def search_items(
    queryset: QuerySet, query: str, limit: int | None = None, *, narrow: bool = False
) -> QuerySet:
    """The items of `queryset` matching `query`, annotated with `search_rank` (higher is
    better: order by ``-search_rank``): `restrict_to` of `search_candidates`, so the
    full-text query runs once, here, and only the best of the newest `limit` matches are
    returned (see `search_candidates`; call it and `restrict_to` yourself to know whether
    the result was cut).

    Every term of the query is required; a blank query returns `queryset` as it is (no
    `search_rank`); a query with nothing searchable in it (only punctuation, emoji) matches
    nothing.
    """
    if not (query or "").strip():
        return queryset
    return restrict_to(queryset, search_candidates(queryset, query, limit, narrow=narrow))


def _body_of(queryset: QuerySet) -> int | None:
    """The body `queryset` is restricted to (``body_id = N`` among the conditions every
    row must meet), if any: the full-text query is then asked for that body only."""
    body_field = queryset.model._meta.get_field("body")
    base = queryset.query.base_table

    def walk(node) -> int | None:
        if isinstance(node, WhereNode):
            if node.negated or (node.connector != AND and len(node.children) > 1):
                return None
            for child in node.children:
                if (found := walk(child)) is not None:
                    return found
            return None
        if (
            isinstance(node, Exact)
            and isinstance(node.lhs, Col)
            and node.lhs.target == body_field
            and node.lhs.alias == base
        ):
            rhs = getattr(node.rhs, "pk", node.rhs)
            if isinstance(rhs, int):
                return rhs
        return None

    return walk(queryset.query.where)


def _sqlite_candidates(queryset: QuerySet, terms: list[Term], count: int) -> list:
    """The FTS5 table is read newest first (rowid descending, its native order) and only
    as far as `count` rows of `queryset`: each hit is checked by primary key in a
    correlated EXISTS, so neither the whole body nor every hit is read, and bm25 is
    computed for the rows returned only."""
    body = _body_of(queryset)
    match = _fts5_query(terms, body)
    # The item's state if `queryset` holds it, else NULL (state is never NULL).
    check = queryset.order_by().filter(pk=RawSQL(f"{FTS_TABLE}.rowid", ())).values("state")
    check_sql, check_params = check.query.get_compiler(using=queryset.db).as_sql()
    sql = (
        f"SELECT rowid, -bm25({FTS_TABLE}, {_TITLE_WEIGHT}, 1.0, 0.0), ({check_sql}) AS state"
        f" FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s AND state IS NOT NULL"
        " ORDER BY rowid DESC LIMIT %s"
    )
    with connections[queryset.db].cursor() as cursor:
        cursor.execute(sql, (*check_params, match, count))
        return [tuple(row) for row in cursor.fetchall()]


# A narrow reader's items are taken first when they are at most this many; past it they
# are dense enough in the body for the newest-matches walk to find theirs soon.
NARROW_READER_ITEMS = 5000


def _pg_candidates(queryset: QuerySet, terms: list[Term], count: int, *, narrow: bool) -> list:
    """The newest `count` matches of `queryset` (the GIN index on body and vector gives
    the hits of the body; the queryset's conditions filter them), then ts_rank for those
    only: ranking reads each candidate's vector, which is what must stay bounded."""
    tsquery = _tsquery(terms)
    matching = queryset.order_by().filter(_PgSearch(tsquery, rank=False))
    readable = _few_readable_ids(queryset) if narrow else None
    if readable is not None:
        # A deputy reading 800 of a body's 42,000 items: walking the body's newest matches
        # tested 41,000 vectors they could not read (20 s); their own 800 cost 800 tests.
        matching = matching.filter(_Candidates(readable))
    # Every match of the body through the GIN index on (body_id, search_vector), fenced by
    # OFFSET 0 so that the planner cannot push the LIMIT down into a walk of an index in
    # date or id order instead: such a walk tests one vector per row it passes (each read
    # from TOAST), and for a word in 12% of the items it passed 8,800 of the largest body's
    # rows in 45 s (4.8 s with a warm cache) where the bitmap of its 12,900 matches took
    # 0.24 s. The cost is bounded by the body's matches, whatever the word.
    hits = matching.values("pk", "created_at")
    hits_sql, hits_params = hits.query.get_compiler(using=queryset.db).as_sql()
    newest = RawSQL(
        f"SELECT hit.pk FROM ({hits_sql} OFFSET 0) AS hit"
        " ORDER BY hit.created_at DESC, hit.pk DESC LIMIT %s",
        (*hits_params, count),
    )
    ranked = (
        queryset.model._default_manager.db_manager(queryset.db)
        .filter(pk__in=newest)
        .annotate(score=_PgSearch(tsquery, rank=True))
        .order_by()
        .values_list("pk", "score", "state")
    )
    return list(ranked)


def _few_readable_ids(queryset: QuerySet) -> list[int] | None:
    """The ids of `queryset` when there are at most NARROW_READER_ITEMS, else None."""
    ids = list(queryset.order_by().values_list("pk", flat=True)[: NARROW_READER_ITEMS + 1])
    return ids if len(ids) <= NARROW_READER_ITEMS else None


class _Candidates(Func):
    """``pk`` is one of `ids`, as one parameter (an array, a JSON list) however many."""

    output_field = BooleanField()

    def __init__(self, ids: list[int]):
        self.ids = list(ids)
        super().__init__(F("pk"))

    def as_sql(self, compiler, connection, **extra):
        pk_sql, pk_params = compiler.compile(self.source_expressions[0])
        if connection.vendor == "postgresql":
            return f"{pk_sql} = ANY(%s::bigint[])", (*pk_params, self.ids)
        return f"{pk_sql} IN (SELECT value FROM json_each(%s))", (
            *pk_params,
            json.dumps(self.ids),
        )


class _Place(Func):
    """len(ids) minus the place of ``pk`` in `ids`: the first candidate ranks highest."""

    output_field = FloatField()

    def __init__(self, ids: list[int]):
        self.ids = list(ids)
        super().__init__(F("pk"))

    def as_sql(self, compiler, connection, **extra):
        pk_sql, pk_params = compiler.compile(self.source_expressions[0])
        n = len(self.ids)
        if connection.vendor == "postgresql":
            sql = f"({n} - array_position(%s::bigint[], {pk_sql}::bigint))::float8"
            return sql, (self.ids, *pk_params)
        # Fixed-width ids, so a match can only be a whole entry and its offset gives the
        # place; a search of one string per row rather than a JSON parse.
        packed = "".join(f"{pk:0{_ID_WIDTH}d}," for pk in self.ids)
        sql = (
            f"CAST({n} - (instr(%s, printf('%%0{_ID_WIDTH}d,', {pk_sql})) - 1)"
            f" / {_ID_WIDTH + 1} AS REAL)"
        )
        return sql, (packed, *pk_params)


_ID_WIDTH = 19


# The FTS5 table (migration 0005): title tokens, text tokens, and the item's body as one
# token ``b<id>`` so that a search within a body intersects its posting list with the
# query's. bm25 weighs the columns 10, 1 and 0.
SQLITE_FTS = (
    f"CREATE VIRTUAL TABLE {FTS_TABLE} USING fts5("
    "title, text, body, content='', tokenize='unicode61 remove_diacritics 0')"
)
_SQLITE_TITLE = (
    "CASE WHEN instr({r}.search_text, char(10)) "
    "THEN substr({r}.search_text, 1, instr({r}.search_text, char(10)) - 1) "
    "ELSE {r}.search_text END"
)
_SQLITE_TEXT = (
    "CASE WHEN instr({r}.search_text, char(10)) "
    "THEN substr({r}.search_text, instr({r}.search_text, char(10)) + 1) ELSE '' END"
)


def _sqlite_row(r: str) -> str:
    return f"{r}.id, {_SQLITE_TITLE.format(r=r)}, {_SQLITE_TEXT.format(r=r)}, 'b' || {r}.body_id"


_COLUMNS = "rowid, title, text, body"
SQLITE_TRIGGERS = {
    "items_item_search_insert": (
        "AFTER INSERT ON items_item BEGIN "
        f"INSERT INTO {FTS_TABLE}({_COLUMNS}) VALUES ({_sqlite_row('new')}); END"
    ),
    "items_item_search_delete": (
        "AFTER DELETE ON items_item BEGIN "
        f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, {_COLUMNS}) "
        f"VALUES ('delete', {_sqlite_row('old')}); END"
    ),
    "items_item_search_update": (
        "AFTER UPDATE OF id, search_text, body_id ON items_item "
        "WHEN old.id IS NOT new.id OR old.search_text IS NOT new.search_text"
        " OR old.body_id IS NOT new.body_id BEGIN "
        f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, {_COLUMNS}) "
        f"VALUES ('delete', {_sqlite_row('old')}); "
        f"INSERT INTO {FTS_TABLE}({_COLUMNS}) VALUES ({_sqlite_row('new')}); END"
    ),
}


def rebuild_sqlite_index(connection) -> None:
    """Recreate the FTS5 table as this module defines it, fill it from
    items_item.search_text and restore its triggers.

    A later migration that makes Django rebuild items_item on SQLite (it copies the
    table to alter it, and dropping the old table drops its triggers) must call this in
    a RunPython step; the tests of search fail if it does not. It drops and recreates
    the table, so it brings an index of any earlier shape to the current one.
    """
    with connection.cursor() as cursor:
        for name in SQLITE_TRIGGERS:
            cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
        cursor.execute(f"DROP TABLE IF EXISTS {FTS_TABLE}")
        cursor.execute(SQLITE_FTS)
        rows = _sqlite_row("items_item")
        cursor.execute(f"INSERT INTO {FTS_TABLE}({_COLUMNS}) SELECT {rows} FROM items_item")
        for name, body in SQLITE_TRIGGERS.items():
            cursor.execute(f"CREATE TRIGGER {name} {body}")


def reindex(queryset: QuerySet | None = None, *, batch_size: int = 500) -> int:
    """Recompute `search_text` of the items of `queryset` (all items if None), after the
    segmentation changed or rows were written around `index_text`; returns how many
    changed. Reindexing all items on SQLite also rebuilds the FTS5 table and restores
    its triggers, which repairs an index that fell out of step."""
    from .models import Item

    full = queryset is None
    if queryset is None:
        queryset = Item.objects.all()
    using = queryset.db
    changed = 0
    with transaction.atomic(using=using):
        pks = list(queryset.order_by("pk").values_list("pk", flat=True))
        for start in range(0, len(pks), batch_size):
            rows = Item.objects.using(using).filter(pk__in=pks[start : start + batch_size])
            stale = []
            for item in rows.only("pk", "title", "text", "search_text"):
                fresh = index_text(item.title, item.text)
                if fresh != item.search_text:
                    item.search_text = fresh
                    stale.append(item)
            Item.objects.using(using).bulk_update(stale, ["search_text"])
            changed += len(stale)
        connection = connections[using]
        if connection.vendor == "sqlite" and full:
            rebuild_sqlite_index(connection)
    return changed
