# The facts the figures need, in columns (issue 13): each reply keeps the due date in force
# when it was signed and whether it was met; each assignment keeps the rules it was made
# under; evaluations may rate one lead unit's reply; class changes name actor, reason and
# source. 0003 fills the new columns of existing rows.

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('handling', '0001_initial'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name='evaluation',
            name='evaluation_once_per_round',
        ),
        migrations.AddField(
            model_name='assignment',
            name='dispute_due_estimated',
            field=models.BooleanField(default=False, help_text='Counted Monday to Friday over days the official calendar does not know yet.', verbose_name='dispute date estimated'),
        ),
        migrations.AddField(
            model_name='assignment',
            name='dispute_working_days',
            field=models.PositiveSmallIntegerField(default=5, help_text="As the body's rules were at the assignment.", verbose_name='working days to dispute'),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name='assignment',
            name='due_months',
            field=models.PositiveSmallIntegerField(default=3, help_text="As the body's rules were at the assignment.", verbose_name='months to reply'),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name='assignment',
            name='max_months',
            field=models.PositiveSmallIntegerField(default=6, help_text="As the body's rules were at the assignment.", verbose_name='latest reply with an extension (months)'),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name='evaluation',
            name='reply',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='evaluations', to='handling.reply', verbose_name='reply rated'),
        ),
        migrations.AddField(
            model_name='reply',
            name='due_on',
            field=models.DateField(blank=True, null=True, verbose_name='due when signed'),
        ),
        migrations.AddField(
            model_name='reply',
            name='evaluation_due_on',
            field=models.DateField(blank=True, null=True, verbose_name='evaluation due'),
        ),
        migrations.AddField(
            model_name='reply',
            name='on_time',
            field=models.BooleanField(blank=True, null=True, verbose_name='on time'),
        ),
        migrations.AddField(
            model_name='resultclasschange',
            name='actor',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='by'),
        ),
        migrations.AddField(
            model_name='resultclasschange',
            name='actor_kind',
            field=models.CharField(choices=[('user', 'Person'), ('system', 'System'), ('import', 'Import'), ('api', 'API client'), ('citizen', 'Citizen')], default='user', max_length=8, verbose_name='kind of actor'),
        ),
        migrations.AddField(
            model_name='resultclasschange',
            name='actor_label',
            field=models.CharField(blank=True, max_length=200, verbose_name='actor'),
        ),
        migrations.AddField(
            model_name='resultclasschange',
            name='reason',
            field=models.TextField(blank=True, verbose_name='reason'),
        ),
        migrations.AddField(
            model_name='resultclasschange',
            name='round_ref',
            field=models.CharField(blank=True, max_length=64, verbose_name='follow-up round'),
        ),
        migrations.AlterField(
            model_name='resultclasschange',
            name='source',
            field=models.CharField(choices=[('reply', 'Reply'), ('follow_up', 'Follow-up round'), ('import', 'Import'), ('correction', 'Correction')], default='reply', max_length=20, verbose_name='source'),
        ),
        migrations.AddConstraint(
            model_name='evaluation',
            constraint=models.UniqueConstraint(fields=('item', 'round', 'member', 'reply'), name='evaluation_once_per_reply'),
        ),
        migrations.AddConstraint(
            model_name='evaluation',
            constraint=models.UniqueConstraint(condition=models.Q(('reply__isnull', True)), fields=('item', 'round', 'member'), name='evaluation_once_per_round'),
        ),
    ]
