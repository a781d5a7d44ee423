"""The proposers' notices move to the notices app, which tells every role: each row goes to
the account acting for its deputy or member, in the item's body, with the kind it now has;
then the old table goes."""

from django.db import migrations

KINDS = {"reply": "item.replied", "extension": "item.extended"}


def move(apps, schema_editor):
    Old = apps.get_model("handling", "Notice")
    New = apps.get_model("notices", "Notice")
    Membership = apps.get_model("bodies", "Membership")
    accounts = dict(
        Membership.objects.filter(member__isnull=False).values_list("member_id", "user_id")
    )
    rows = []
    for old in Old.objects.select_related("item", "item__body").iterator():
        user_id = accounts.get(old.member_id)
        if user_id is None:
            continue  # a group without an account read nothing in the site
        item = old.item
        data = old.data or {}
        kind = KINDS.get(old.kind, "note")
        params = {"body_type": item.body.body_type, "text": old.text}
        if kind != "note":
            params |= {
                "item": {"title": item.title, "number": item.number_label},
                "number": item.number_label,
                "unit": data.get("unit", ""),
                "due_on": data.get("date", ""),
            }
        rows.append(
            New(
                recipient_id=user_id,
                body_id=item.body_id,
                kind=kind,
                params=params,
                url=f"/items/{item.pk}/",
                item_id=item.pk,
                created_at=old.created_at,
                read_at=old.read_at,
            )
        )
        if len(rows) >= 5000:
            New.objects.bulk_create(rows)
            rows = []
    New.objects.bulk_create(rows)


class Migration(migrations.Migration):
    dependencies = [
        ("handling", "0006_assignment_body"),
        ("notices", "0001_initial"),
        ("bodies", "0004_security_settings"),
    ]

    operations = [
        migrations.RunPython(move, migrations.RunPython.noop),
        migrations.DeleteModel(name="Notice"),
    ]
