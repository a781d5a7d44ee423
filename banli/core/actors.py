"""Who acted (行为人): a person, the system (a deadline sweep), an import (a file and row), an
API client (a token) or a citizen (by the tracking code of their opinion).

Services take `by=` as a user, None (the system) or an `Actor`; the history names the kind,
the responsible user where there is one, and a label that stays readable for ever (the
username at the time, the file and row, the token's name, the tracking code)."""

from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_lazy as _


class ActorKind:
    USER = "user"
    SYSTEM = "system"
    IMPORT = "import"
    API = "api"
    CITIZEN = "citizen"

    choices = [
        (USER, _("Person")),
        (SYSTEM, _("System")),
        (IMPORT, _("Import")),
        (API, _("API client")),
        (CITIZEN, _("Citizen")),
    ]


@dataclass(frozen=True)
class Actor:
    kind: str
    # The person responsible: the user, the one who ran the import, the token's owner.
    user: Any = None
    label: str = ""

    @classmethod
    def person(cls, user) -> "Actor":
        return cls(ActorKind.USER, user=user, label=user.get_username())

    @classmethod
    def system(cls, label: str = "") -> "Actor":
        return cls(ActorKind.SYSTEM, label=label)

    @classmethod
    def import_row(cls, *, user, file: str, row: int) -> "Actor":
        return cls(ActorKind.IMPORT, user=user, label=f"{file}:{row}")

    @classmethod
    def api_client(cls, *, token_name: str, user=None) -> "Actor":
        return cls(ActorKind.API, user=user, label=token_name)

    @classmethod
    def citizen(cls, tracking_code: str) -> "Actor":
        return cls(ActorKind.CITIZEN, label=tracking_code)

    @property
    def is_system(self) -> bool:
        return self.kind == ActorKind.SYSTEM


SYSTEM_ACTOR = Actor.system()


def as_actor(by) -> Actor:
    """`by` as services receive it (a user, None for the system, or an Actor)."""
    if isinstance(by, Actor):
        return by
    if by is None:
        return SYSTEM_ACTOR
    return Actor.person(by)


def user_of(by):
    """The user whose roles decide what `by` may do, or None (the system, a citizen)."""
    if isinstance(by, Actor):
        return by.user if by.kind in {ActorKind.USER, ActorKind.API, ActorKind.IMPORT} else None
    return by
