"""The search index of an item: its title and text segmented into words."""

import re

_SPACE = re.compile(r"\s+")


def index_text(title: str, text: str) -> str:
    return _SPACE.sub(" ", f"{title} {text}").strip()
