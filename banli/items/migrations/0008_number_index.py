from django.db import migrations, models


class Migration(migrations.Migration):
    """Searching by number (第81号) looks the number up within the body."""

    dependencies = [
        ("items", "0007_covering_list_indexes"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="item",
            index=models.Index(fields=["body", "number"], name="item_body_number"),
        ),
    ]
