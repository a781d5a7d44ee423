# Memberships replace the one-body profile: a person may belong to several bodies.

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("bodies", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RenameModel("Profile", "Membership"),
        migrations.AlterModelOptions(
            name="membership",
            options={
                "ordering": ["user", "id"],
                "verbose_name": "membership",
                "verbose_name_plural": "memberships",
            },
        ),
        migrations.AlterField(
            model_name="membership",
            name="user",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="memberships",
                to=settings.AUTH_USER_MODEL,
                verbose_name="user",
            ),
        ),
        migrations.AlterField(
            model_name="membership",
            name="body",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="memberships",
                to="bodies.body",
                verbose_name="body",
            ),
        ),
        migrations.AlterField(
            model_name="membership",
            name="member",
            field=models.OneToOneField(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="membership",
                to="bodies.member",
                verbose_name="deputy or member",
            ),
        ),
        migrations.AddField(
            model_name="membership",
            name="active",
            field=models.BooleanField(default=True, verbose_name="active"),
        ),
        migrations.AddConstraint(
            model_name="membership",
            constraint=models.UniqueConstraint(
                fields=("user", "body"), name="membership_once_per_body"
            ),
        ),
    ]
