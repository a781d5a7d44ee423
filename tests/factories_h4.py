"""Builders for the follow-up tests: items of a year replied with a class and closed."""

import datetime as dt

from banli.handling import services as handling

from .factories import World, make_session, on

REPLIED_ON = dt.date(2023, 4, 3)


def year_world(year: int = 2023, **rules) -> World:
    """A World whose items are of `year`'s session."""
    world = World(**rules)
    world.session = make_session(world.body, year=year, number=2)
    return world


def closed_item(world: World, result_class: str, *, planned_on=None, unit=None, day=REPLIED_ON):
    """An item of the world's session replied by `unit` with `result_class` (planned for the
    end of its year when it is B, unless told) and closed by its satisfied proposer."""
    if planned_on is None and result_class == world.body.rules.planned_class:
        planned_on = dt.date(world.session.year, 12, 31)
    with on(day):
        item = world.assigned(lead=[unit] if unit else None)
        assignment = world.lead_assignment(item, unit)
        handling.accept_assignment(assignment, by=world.coord[assignment.unit_id])
        handling.draft_reply(
            assignment,
            by=world.handler[assignment.unit_id],
            text="经研究，答复如下……",
            result_class=result_class,
            planned_on=planned_on,
        )
        handling.sign_reply(assignment, by=world.leader[assignment.unit_id])
        item.refresh_from_db()
        handling.evaluate(item, by=world.deputy, attitude="satisfied", result="satisfied")
    item.refresh_from_db()
    return item
