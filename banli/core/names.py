"""The order an office lists names in: by pinyin (北京 < 上海 < 天津), not by code point.

`sort_key(name)` is stored beside the name of units and members (`sort_key` columns, filled
when the record is saved and by the bulk writers) and lists order by it. A stored key sorts
the same on SQLite and PostgreSQL whatever the database's collation: it holds only ASCII
lowercase letters and digits, each Han character written as its syllable followed by its
tone (1–4, 5 for the neutral tone), so the digit ends every syllable (ba1 < ban1 < bei3 …),
and letters and digits of the name itself stay as they are, lower-cased. pypinyin reads a
polyphonic character in its phrase (长沙 chang2 sha1, 银行 yin2 hang2); a person's name
starts with the surname, whose reading can differ from the character's usual one (曾 zeng1,
单 shan4): `sort_key(name, person=True)` reads the first character as a surname.
"""

import re
import unicodedata

# The column the key is stored in is this long; a key is cut there (past 50 characters of
# a name the order no longer matters to anyone).
MAX_KEY = 400

# Surnames read otherwise than the character's first reading in pypinyin.
_SURNAMES = {
    "曾": "zeng1",
    "单": "shan4",
    "解": "xie4",
    "仇": "qiu2",
    "查": "zha1",
    "区": "ou1",
    "朴": "piao2",
    "覃": "qin2",
    "翟": "zhai2",
    "乐": "yue4",
    "缪": "miao4",
    "种": "chong2",
    "盖": "ge3",
    "召": "shao4",
    "尉": "yu4",
    "秘": "bi4",
    "员": "yun4",
    "隗": "wei3",
    "繁": "po2",
    "贲": "ben1",
    "洗": "xian3",
    "冼": "xian3",
    "蕃": "pi2",
}

_KEEP = re.compile(r"[^a-z0-9]+")


def sort_key(name: str, *, person: bool = False) -> str:
    """The key `name` sorts by: its pinyin with tones, ASCII lowercase letters and digits."""
    from pypinyin import Style, lazy_pinyin

    text = unicodedata.normalize("NFKC", (name or "").strip())
    head = ""
    if person and text[:1] in _SURNAMES:
        head, text = _SURNAMES[text[0]], text[1:]
    syllables = lazy_pinyin(text, style=Style.TONE3, neutral_tone_with_five=True)
    return (head + "".join(_KEEP.sub("", s.lower()) for s in syllables))[:MAX_KEY]
