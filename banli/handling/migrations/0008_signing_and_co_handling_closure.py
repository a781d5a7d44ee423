"""Signing is deliberate and co-handling ends with the item (issue 16):

- a reply remembers the unit leader's last sending back of its draft, with the note;
- an approved extension keeps the date granted (staff may grant less than asked);
- an assignment may be closed with its item; the co-handling assignments left open on items
  already closed are closed now, each with a history entry of the system's, as the services
  do from now on (`handling.services._close_co_handling`), and an extension request they left
  waiting is refused.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models
from django.utils import timezone

OPEN = ("pending", "disputed", "handling", "rehandling")


def close_left_open(apps, schema_editor):
    Assignment = apps.get_model("handling", "Assignment")
    Extension = apps.get_model("handling", "Extension")
    HistoryEntry = apps.get_model("core", "HistoryEntry")
    ContentType = apps.get_model("contenttypes", "ContentType")
    left = list(
        Assignment.objects.filter(role="co", state__in=OPEN, item__state="closed")
        .select_related("item", "unit")
        .order_by("id")
    )
    if not left:
        return
    assignment_type, _ = ContentType.objects.get_or_create(app_label="handling", model="assignment")
    item_type, _ = ContentType.objects.get_or_create(app_label="items", model="item")
    now = timezone.now()
    HistoryEntry.objects.bulk_create(
        HistoryEntry(
            at=now,
            actor=None,
            actor_kind="system",
            actor_label="",
            action="assignment.close_with_item",
            target_type=assignment_type,
            target_id=a.pk,
            root_type=item_type,
            root_id=a.item_id,
            from_state=a.state,
            to_state="closed",
            reason="",
            data={
                "unit": a.unit.name,
                "assignment": a.pk,
                "item_closure": a.item.closure,
                "migration": True,
            },
        )
        for a in left
    )
    Extension.objects.filter(assignment__in=left, state="pending").update(
        state="refused", decided_at=now, decision_note="办结时自动关闭"
    )
    Assignment.objects.filter(pk__in=[a.pk for a in left]).update(state="closed")


class Migration(migrations.Migration):
    dependencies = [
        ("handling", "0007_notices_moved"),
        ("core", "0005_history_timeline_index"),
        ("contenttypes", "0002_remove_content_type_name"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="extension",
            name="granted_due_on",
            field=models.DateField(blank=True, null=True, verbose_name="due date granted"),
        ),
        migrations.AddField(
            model_name="reply",
            name="return_note",
            field=models.TextField(blank=True, verbose_name="note from the unit leader"),
        ),
        migrations.AddField(
            model_name="reply",
            name="returned_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="sent back"),
        ),
        migrations.AddField(
            model_name="reply",
            name="returned_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="sent back by",
            ),
        ),
        migrations.AlterField(
            model_name="assignment",
            name="state",
            field=models.CharField(
                choices=[
                    ("pending", "Awaiting acceptance"),
                    ("disputed", "Disputed"),
                    ("reassigned", "Reassigned"),
                    ("handling", "In handling"),
                    ("replied", "Replied"),
                    ("opinion_sent", "Opinion sent"),
                    ("rehandling", "Re-handling"),
                    ("withdrawn", "Withdrawn"),
                    ("closed", "Closed with the item"),
                ],
                default="pending",
                max_length=16,
                verbose_name="state",
            ),
        ),
        migrations.RunPython(close_left_open, migrations.RunPython.noop),
    ]
