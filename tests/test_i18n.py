"""The interface speaks Simplified Chinese by default and English on request.

The catalogues live in banli/locale; `makemessages` and `compilemessages` need GNU gettext,
which a fresh machine may lack, so these tests read the .po and .mo files in Python. When a
test here fails because a string is missing, run in banli/:

    ../.venv/bin/banli makemessages -l zh_Hans -l en --no-obsolete -i "demo/corpus.py"

translate the new entries of locale/zh_Hans/LC_MESSAGES/django.po, then
`../.venv/bin/banli compilemessages`.
"""

import ast
import datetime as dt
import gettext
import io
import re
import tokenize
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils.translation.template import templatize

from banli import settings as project_settings

from .factories import on

BANLI = Path(project_settings.BASE_DIR)
LOCALE = BANLI / "locale"
ZH = LOCALE / "zh_Hans" / "LC_MESSAGES"
EN = LOCALE / "en" / "LC_MESSAGES"
# What makemessages leaves out (demo data in Chinese; see the command above).
NOT_EXTRACTED = {BANLI / "demo" / "corpus.py"}
PLACEHOLDER = re.compile(r"%\(\w+\)[-#0 +]*\d*(?:\.\d+)?[sdif]|%[sdif]")
HAN = "\u4e00-\u9fff"
# ASCII punctuation touching a Chinese character, where Chinese text wants full width.
HALF_WIDTH = re.compile(rf"[{HAN}][,;:!?()]|[,;:!?()][{HAN}]")


@dataclass
class Entry:
    msgid: str = ""
    msgid_plural: str = ""
    msgctxt: str | None = None
    msgstr: list[str] = field(default_factory=list)
    flags: set[str] = field(default_factory=set)

    @property
    def key(self) -> tuple[str | None, str]:
        return (self.msgctxt, self.msgid)


def read_po(path: Path) -> list[Entry]:
    """The entries of a .po file as makemessages writes it (one block per entry), without
    the header and the obsolete entries."""
    entries = []
    for block in path.read_text(encoding="utf-8").split("\n\n"):
        entry, current = Entry(), None
        for line in block.splitlines():
            if line.startswith("#,"):
                entry.flags |= {flag.strip() for flag in line[2:].split(",")}
            elif line.startswith("#"):
                continue
            elif line.startswith('"'):
                current.append(ast.literal_eval(line))
            else:
                keyword, _, rest = line.partition(" ")
                current = [ast.literal_eval(rest)]
                if keyword.startswith("msgstr"):
                    entry.msgstr.append(current)
                else:
                    setattr(entry, keyword, current)
        for name in ("msgctxt", "msgid", "msgid_plural"):
            if isinstance(getattr(entry, name), list):
                setattr(entry, name, "".join(getattr(entry, name)))
        entry.msgstr = ["".join(parts) for parts in entry.msgstr]
        if entry.msgid:
            entries.append(entry)
    return entries


@pytest.fixture(scope="module")
def zh() -> list[Entry]:
    return read_po(ZH / "django.po")


@pytest.fixture
def chinese_by_default(settings):
    """Undo the suite's English default (tests/conftest.py): the site's own setting."""
    settings.LANGUAGE_CODE = project_settings.LANGUAGE_CODE


# The catalogues


def test_the_default_language_is_simplified_chinese():
    assert project_settings.LANGUAGE_CODE == "zh-hans"
    assert [code for code, _name in project_settings.LANGUAGES] == ["zh-hans", "en"]
    assert LOCALE in [Path(p) for p in django_settings.LOCALE_PATHS]


def test_every_entry_of_the_chinese_catalogue_is_translated_and_none_is_fuzzy(zh):
    assert len(zh) > 700
    untranslated = [e.msgid for e in zh if not e.msgstr or not all(s.strip() for s in e.msgstr)]
    fuzzy = [e.msgid for e in zh if "fuzzy" in e.flags]
    assert untranslated == []
    assert fuzzy == []
    header = (ZH / "django.po").read_text(encoding="utf-8")
    assert '"Language: zh_Hans\\n"' in header
    assert '"Plural-Forms: nplurals=1; plural=0;\\n"' in header
    assert "charset=UTF-8" in header
    # Chinese has one plural form.
    assert all(len(e.msgstr) == 1 for e in zh if e.msgid_plural)


def test_every_placeholder_of_the_source_is_in_its_translation(zh):
    wrong = []
    for e in zh:
        wanted = set(PLACEHOLDER.findall(e.msgid)) | set(PLACEHOLDER.findall(e.msgid_plural))
        for text in e.msgstr:
            if set(PLACEHOLDER.findall(text)) != wanted:
                wrong.append((e.msgid, text))
    assert wrong == []


def test_chinese_text_uses_full_width_punctuation(zh):
    half_width = [s for e in zh for s in e.msgstr if HALF_WIDTH.search(s)]
    # A sentence ends with a full stop in Chinese too (No. is an abbreviation, not a sentence).
    unfinished = [
        (e.msgid, s)
        for e in zh
        for s in e.msgstr
        if e.msgid.endswith(".") and e.msgid != "No." and not s.endswith(("。", "）", "”"))
    ]
    assert half_width == []
    assert unfinished == []


def test_the_compiled_catalogues_match_their_sources(zh):
    """The .mo files are committed (a fresh machine may have no msgfmt): they must be current."""
    with open(ZH / "django.mo", "rb") as mo:
        compiled = gettext.GNUTranslations(mo)
    stale = []
    for e in zh:
        if e.msgid_plural:
            got = (
                compiled.npgettext(e.msgctxt, e.msgid, e.msgid_plural, 1)
                if e.msgctxt
                else (compiled.ngettext(e.msgid, e.msgid_plural, 1))
            )
        elif e.msgctxt:
            got = compiled.pgettext(e.msgctxt, e.msgid)
        else:
            got = compiled.gettext(e.msgid)
        if got != e.msgstr[0]:
            stale.append(e.msgid)
    assert stale == []
    assert (EN / "django.mo").exists()


def test_the_english_catalogue_has_the_same_entries(zh):
    english = read_po(EN / "django.po")
    assert {e.key for e in english} == {e.key for e in zh}
    # English is the source language: an empty msgstr falls back to the source string.
    assert all(s in ("", e.msgid) for e in english if not e.msgid_plural for s in e.msgstr)


# Every string marked in the code is in the catalogue

GETTEXT_CALLS = {
    "_": ("msgid",),
    "gettext": ("msgid",),
    "gettext_lazy": ("msgid",),
    "gettext_noop": ("msgid",),
    "ngettext": ("msgid", "plural"),
    "ngettext_lazy": ("msgid", "plural"),
    "pgettext": ("context", "msgid"),
    "pgettext_lazy": ("context", "msgid"),
    "npgettext": ("context", "msgid", "plural"),
    "npgettext_lazy": ("context", "msgid", "plural"),
}


def marked_in_python(path: Path):
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.Call):
            continue
        name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
        roles = GETTEXT_CALLS.get(name)
        if roles is None or len(node.args) < len(roles):
            continue
        args = dict(zip(roles, node.args, strict=False))
        if all(isinstance(a, ast.Constant) and isinstance(a.value, str) for a in args.values()):
            context = args.get("context")
            yield (context.value if context else None, args["msgid"].value)


def marked_in_template(path: Path):
    """The strings Django's template extraction (the one makemessages uses) finds."""
    source = templatize(path.read_text(encoding="utf-8"), origin=str(path))
    lines = "\n".join(line.strip() for line in source.splitlines())
    tokens = [t for t in tokenize.generate_tokens(io.StringIO(lines).readline) if t.string]
    for i, token in enumerate(tokens):
        roles = GETTEXT_CALLS.get(token.string)
        if roles is None or i + 1 >= len(tokens) or tokens[i + 1].string != "(":
            continue
        strings = [
            ast.literal_eval(t.string)
            for t in tokens[i + 2 : i + 2 + 2 * len(roles)]
            if t.type == tokenize.STRING
        ]
        args = dict(zip(roles, strings, strict=False))
        yield (args.get("context"), args["msgid"])


def test_every_marked_string_has_a_translation(zh):
    translated = {e.key for e in zh if e.msgstr and all(e.msgstr)}
    marked = set()
    for path in BANLI.rglob("*.py"):
        if path not in NOT_EXTRACTED and "migrations" not in path.parts:
            marked |= {(ctx, msgid, path.name) for ctx, msgid in marked_in_python(path)}
    for path in BANLI.rglob("*.html"):
        marked |= {(ctx, msgid, path.name) for ctx, msgid in marked_in_template(path)}
    assert len(marked) > 700
    missing = sorted(
        (name, msgid if ctx is None else f"{ctx}|{msgid}")
        for ctx, msgid, name in marked
        if (ctx, msgid) not in translated
    )
    assert missing == [], "run makemessages and translate (see this module's docstring)"


# The pages


def login(client, user):
    client.force_login(user)
    return client


def test_the_pages_speak_chinese_by_default(world, client, chinese_by_default):
    response = login(client, world.deputy).get(reverse("items:list"))
    page = response.content.decode()
    assert '<html lang="zh-hans">' in page
    assert "<h1>检索</h1>" in page
    assert "我的议案建议" in page
    assert "退出登录" in page
    assert "Search items" not in page
    assert "Log out" not in page
    # The language switch offers English in English.
    assert 'value="en" lang="en" class="linklike">English</button>' in page


def test_what_the_code_says_is_chinese_too(world, client, chinese_by_default):
    """Messages, state labels and due-date badges come from Python, not from templates."""
    with on(dt.date(2026, 3, 2)):
        item = world.draft()
        response = login(client, world.deputy).post(
            reverse("items:action", args=[item.pk, "submit"]), follow=True
        )
        page = response.content.decode()
    assert [str(m) for m in get_messages(response.wsgi_request)] == ["已提交。"]
    assert "已提交" in page
    assert "The item was submitted." not in page


def test_refusals_are_shown_in_chinese(world, client, chinese_by_default):
    with on(dt.date(2026, 3, 2)):
        item = world.draft()
        login(client, world.deputy)
        submit = reverse("items:action", args=[item.pk, "submit"])
        client.post(submit)
        response = client.post(submit, follow=True)
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        "已提交。",
        "无法提交：当前状态下不能进行此操作。",
    ]
    response = client.get(reverse("items:review"))
    assert response.status_code == 403
    assert "您无权访问此页面。" in response.content.decode()


def test_switching_to_english_and_back(world, client, chinese_by_default):
    login(client, world.deputy)
    url = reverse("items:list")
    response = client.post(reverse("set_language"), {"language": "en", "next": url}, follow=True)
    page = response.content.decode()
    assert response.redirect_chain[-1][0] == url
    assert client.cookies[django_settings.LANGUAGE_COOKIE_NAME].value == "en"
    assert '<html lang="en">' in page
    assert "<h1>Search items</h1>" in page
    assert "Log out" in page
    assert "检索" not in page
    assert 'value="zh-hans" lang="zh-hans" class="linklike">简体中文</button>' in page

    response = client.post(reverse("set_language"), {"language": "zh-hans", "next": url})
    page = client.get(url).content.decode()
    assert "<h1>检索</h1>" in page
    assert "Search items" not in page


def test_chinese_even_when_the_browser_asks_for_english(client, world, chinese_by_default):
    client.force_login(world.staff)
    page = client.get(reverse("items:list"), HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert "检索" in page.content.decode()
    client.cookies["django_language"] = "en"
    page = client.get(reverse("items:list"), HTTP_ACCEPT_LANGUAGE="zh-CN")
    assert "Search items" in page.content.decode()


# Chinese as an office writes it


def compiled_chinese() -> dict:
    """The messages as the site serves them: the compiled catalogue, not its source."""
    with open(ZH / "django.mo", "rb") as mo:
        return gettext.GNUTranslations(mo)._catalog


# Placeholders, URLs, tags and entities keep their ASCII; the words around them do not.
NOT_WORDS = re.compile(
    r"%\(\w+\)[-#0 +]*\d*(?:\.\d+)?[sdif]|%[sdif]|\{\w*\}|https?://\S+|<[^>]+>|&\w+;"
)
# ASCII punctuation next to a Chinese character (a space between counts as next to).
ASCII_BESIDE_HAN = re.compile(
    rf"[{HAN}]\s*[,;:!?()]|[,;:!?(]\s*[{HAN}]|\)\s*[{HAN}]|[{HAN}]\.(?:\s|$)|[{HAN}]\"|\"[{HAN}]"
)


def test_the_compiled_chinese_catalogue_has_no_ascii_punctuation_beside_chinese():
    catalogue = compiled_chinese()
    assert len(catalogue) > 700
    wrong = [
        (key, text)
        for key, text in catalogue.items()
        if key and ASCII_BESIDE_HAN.search(NOT_WORDS.sub("", text))
    ]
    assert wrong == []


def test_the_punctuation_scan_catches_what_it_is_for():
    for text in ("理由:无", "单位(主办)", "主办,协办", "已提交.", '见"附件"', "是否同意?"):
        assert ASCII_BESIDE_HAN.search(NOT_WORDS.sub("", text)), text
    for text in ("理由：无", "%(name)s（%(unit)s）", "见 https://example.org/a,b 。", "A, B, C"):
        assert not ASCII_BESIDE_HAN.search(NOT_WORDS.sub("", text)), text


@pytest.mark.parametrize(
    ("delta", "chinese", "english"),
    [
        (dt.timedelta(seconds=5), "刚刚", "just now"),
        (dt.timedelta(seconds=-30), "刚刚", "just now"),
        (dt.timedelta(minutes=1), "1分钟前", "1 minute ago"),
        (dt.timedelta(minutes=59), "59分钟前", "59 minutes ago"),
        (dt.timedelta(hours=3, minutes=10), "3小时前", "3 hours ago"),
        (dt.timedelta(days=1, hours=2), "1天前", "1 day ago"),
        (dt.timedelta(days=18), "18天前", "18 days ago"),
        (dt.timedelta(days=75), "2个月前", "2 months ago"),
        (dt.timedelta(days=800), "2年前", "2 years ago"),
    ],
)
def test_relative_times_read_naturally(delta, chinese, english):
    from django.utils import timezone, translation

    from banli.core.templatetags.banli_dates import ago

    now = timezone.make_aware(dt.datetime(2026, 3, 20, 10, 0))
    with translation.override("zh-hans"):
        assert ago(now - delta, now) == chinese
    with translation.override("en"):
        assert ago(now - delta, now) == english


def test_the_review_queue_says_how_long_ago_an_item_came(world, client, chinese_by_default):
    with on(dt.date(2026, 3, 2)):
        item = world.draft()
        from banli.items import services as items

        items.submit(item, by=world.deputy)
    with on(dt.date(2026, 3, 20)):
        page = login(client, world.staff).get(reverse("items:review")).content.decode()
    assert "2026-03-02提交（18天前）" in page
    assert "ago" not in page
