"""The words of key supervision that differ by body type (docs/domain.md §5, §9): at a
congress a government leader lead-handles a key item (领办) and a special committee of the
standing committee supervises it (督办专委会); at a CPPCC a chair owns it (包案督办) and a
committee office supervises it (督办委室). The body's general words are banli.bodies.terms;
these belong to supervision alone."""

from django.utils.functional import Promise
from django.utils.translation import pgettext_lazy

from banli.bodies.terms import CONGRESS, CPPCC, body_type_of

WORDS: dict[str, dict[str, Promise]] = {
    CONGRESS: {
        "lead_handler": pgettext_lazy("congress", "Government leader who lead-handles it"),
        "lead_handler_help": pgettext_lazy(
            "congress", "For example the vice-mayor in charge (领办); leave empty if none."
        ),
        "committee": pgettext_lazy("congress", "Supervising special committee"),
    },
    CPPCC: {
        "lead_handler": pgettext_lazy("cppcc", "Chair who owns it"),
        "lead_handler_help": pgettext_lazy(
            "cppcc", "For example the vice-chair in charge (包案督办); leave empty if none."
        ),
        "committee": pgettext_lazy("cppcc", "Supervising committee"),
    },
    "": {
        "lead_handler": pgettext_lazy("any body", "Leader who lead-handles it"),
        "lead_handler_help": pgettext_lazy(
            "any body", "For example the vice-mayor in charge; leave empty if none."
        ),
        "committee": pgettext_lazy("any body", "Supervising committee"),
    },
}


def word(key: str, *, body=None, item=None) -> Promise:
    """The words for `key` in the body (or the item's body); a KeyError for an unknown key."""
    words = WORDS.get(body_type_of(body=body, item=item), WORDS[""])
    return words.get(key) or WORDS[""][key]


class Words:
    """The words of one body or item, for templates: `{{ words.lead_handler }}`."""

    def __init__(self, *, body=None, item=None) -> None:
        self._where = {"body": body, "item": item}

    def __getattr__(self, key: str) -> Promise:
        if key.startswith("_"):
            raise AttributeError(key)
        try:
            return word(key, **self._where)
        except KeyError:
            raise AttributeError(key) from None
