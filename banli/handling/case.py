"""The handling records of one item, each read once for the item instance (banli.core.memo):
the item page's panels (the handling progress everyone reads, the unit's workspace) share
the assignments, replies, extensions and opinions instead of each asking the database."""

from banli.core.memo import memo
from banli.items.models import Item

from .models import Assignment, CoHandlingOpinion, Contact, Extension, Reply


def assignments(item: Item) -> list[Assignment]:
    """Every assignment of the item, lead units first, with the unit and the handler; each
    points at `item` itself, so what is read through it is shared too."""

    def load():
        found = list(
            item.assignments.select_related("unit", "handler").order_by(
                "-role", "assigned_on", "id"
            )
        )
        for assignment in found:
            assignment.item = item
        return found

    return memo(item, "assignments", load)


def replies(item: Item) -> list[Reply]:
    """Every reply of the item's units, drafts included (callers keep what the reader may see),
    in (round, id) order."""
    return memo(
        item,
        "replies",
        lambda: list(
            Reply.objects.filter(assignment__item=item)
            .select_related("assignment__unit", "signed_by", "drafted_by", "returned_by")
            .order_by("round", "id")
        ),
    )


def extensions(item: Item) -> list[Extension]:
    """Every extension request of the item's units, oldest first."""
    return memo(
        item,
        "extensions",
        lambda: list(
            Extension.objects.filter(assignment__item=item)
            .select_related("assignment__unit", "decided_by")
            .order_by("requested_at", "id")
        ),
    )


def opinions(item: Item) -> list[CoHandlingOpinion]:
    """Every co-handling opinion sent on the item, oldest first."""
    return memo(
        item,
        "opinions",
        lambda: list(
            CoHandlingOpinion.objects.filter(assignment__item=item)
            .select_related("assignment__unit", "sent_by")
            .order_by("sent_at", "id")
        ),
    )


def contacts(assignment: Assignment) -> list[Contact]:
    """The contacts the unit logged with the proposer on the assignment, oldest first."""
    return memo(
        assignment, "contacts", lambda: list(assignment.contacts.select_related("logged_by"))
    )
