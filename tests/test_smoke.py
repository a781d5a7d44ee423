import datetime as dt

from banli.handling import services as handling
from banli.items.models import Item

from .factories import on


def test_whole_loop(world):
    with on(dt.date(2026, 3, 2)):
        item = world.replied("B")
    assert item.state == "replied"
    with on(dt.date(2026, 3, 10)):
        handling.evaluate(item, by=world.deputy, attitude="satisfied", result="satisfied")
    item = Item.objects.get(pk=item.pk)
    assert item.state == "closed"
