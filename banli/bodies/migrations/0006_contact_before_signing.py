from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("bodies", "0005_pinyin_sort_key"),
    ]

    operations = [
        migrations.AddField(
            model_name="bodyrules",
            name="contact_before_signing",
            field=models.BooleanField(
                default=True,
                help_text=(
                    "A unit leader signs a reply only after the unit has logged at least one "
                    "contact with the proposer."
                ),
                verbose_name="a contact with the proposer before signing",
            ),
        ),
    ]
