"""The kinds of notice and what each says. Apps register their kinds when they load (their
`notices.py`); a notice stores its kind and parameters, and is rendered here in the reader's
language when shown or delivered."""

import datetime as dt
from dataclasses import dataclass, field

from django.utils.formats import date_format
from django.utils.functional import Promise
from django.utils.translation import gettext, pgettext, pgettext_lazy


@dataclass(frozen=True)
class Kind:
    """One kind of notice: its code, the label the notices page filters by, and its message
    (a lazy translated format string). `by_body_type` gives the wording a body type uses
    instead (a CPPCC proposal is 立案, a congress suggestion 受理)."""

    code: str
    label: Promise
    message: Promise
    by_body_type: dict[str, Promise] = field(default_factory=dict)


_kinds: dict[str, Kind] = {}


def register(*kinds: Kind) -> None:
    for kind in kinds:
        _kinds[kind.code] = kind


def get(code: str) -> Kind | None:
    return _kinds.get(code)


def all_kinds() -> list[Kind]:
    return list(_kinds.values())


def label(code: str) -> str:
    kind = _kinds.get(code)
    return str(kind.label) if kind else code


def _value(key: str, value):
    """A parameter as the reader reads it: an item as its number and title, a date in the
    language's own format, a list joined by the language's separator."""
    if isinstance(value, dict) and "title" in value:
        title = gettext("“%(title)s”") % {"title": value["title"]}
        if value.get("number"):
            return pgettext("item number and title", "%(number)s %(title)s") % {
                "number": value["number"],
                "title": title,
            }
        return title
    if isinstance(value, list):
        return pgettext("list separator", ", ").join(str(_value(key, v)) for v in value)
    if key.endswith("_on") and isinstance(value, str):
        try:
            return date_format(dt.date.fromisoformat(value), "DATE_FORMAT")
        except ValueError:
            return value
    return value


def render(notice) -> str:
    kind = _kinds.get(notice.kind)
    params = notice.params or {}
    if kind is None:
        return str(params.get("text", notice.kind))
    template = kind.by_body_type.get(params.get("body_type", ""), kind.message)
    values = {key: _value(key, value) for key, value in params.items()}
    try:
        return str(template) % values
    except (KeyError, TypeError, ValueError):
        # A parameter a kind no longer names must not break the notices page.
        return str(kind.label)


# A notice written as plain text (the notices kept from before kinds existed).
NOTE = "note"
register(Kind(NOTE, pgettext_lazy("notice kind", "Notice"), pgettext_lazy("notice", "%(text)s")))
