# Fills Item.next_due_on (added by items 0004) for the assignments made before handling
# kept it: the earliest due date of the open lead assignments of each item.

from django.db import migrations
from django.db.models import Min

OPEN_STATES = ("pending", "disputed", "handling", "rehandling")


def backfill(apps, schema_editor):
    Assignment = apps.get_model("handling", "Assignment")
    Item = apps.get_model("items", "Item")
    rows = (
        Assignment.objects.filter(role="lead", state__in=OPEN_STATES)
        .values("item_id")
        .annotate(due=Min("due_on"))
    )
    for row in rows.iterator():
        Item.objects.filter(pk=row["item_id"]).update(next_due_on=row["due"])


class Migration(migrations.Migration):
    dependencies = [
        ("handling", "0003_fill_reply_due_facts"),
        ("items", "0004_next_due_on"),
    ]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
