"""Fill the columns 0002 added, for the rows that existed before.

- Each signed reply's due date in force when it was signed is rebuilt from the assignment's
  history (the date at creation, each approved extension and each re-handling deadline,
  up to the signing entry); without history, the assignment's current due date. A late
  reply whose extension was approved after it was signed therefore stays late.
- Each assignment keeps the body's rules as they stand now (the rules in force at the time
  were not recorded before).
- Each reply's evaluation window: the item's own window for its current round, else the
  round's last reply date plus the body's evaluation months.
- Evaluations rate the one reply of their round where the round had only one.
- Class changes name the leader who signed the reply that caused them.
"""

import datetime as dt

from dateutil.relativedelta import relativedelta
from django.db import migrations


def _rules(apps, cache, body_id):
    if body_id not in cache:
        cache[body_id] = apps.get_model("bodies", "BodyRules").objects.get(body_id=body_id)
    return cache[body_id]


def _estimated(start, days) -> bool:
    try:
        from banli.core.calendar import working_day_deadline

        return working_day_deadline(start, days).estimated
    except Exception:  # the calendar code may change after this migration was written
        return False


def _due_at_signing(entries) -> dict[int, dt.date]:
    """round -> the due date in force when that round's reply was signed."""
    due, found = None, {}
    for action, data in entries:
        data = data or {}
        if action == "assignment.create" and data.get("due_on"):
            due = dt.date.fromisoformat(data["due_on"])
        elif action == "assignment.decide_extension" and data.get("approved"):
            due = dt.date.fromisoformat(data["until"])
        elif action == "assignment.rehandle" and data.get("due_on"):
            due = dt.date.fromisoformat(data["due_on"])
        elif action == "assignment.sign_reply" and due is not None:
            found.setdefault(int(data.get("round", 1)), due)
    return found


def forwards(apps, schema_editor):
    Assignment = apps.get_model("handling", "Assignment")
    Reply = apps.get_model("handling", "Reply")
    Evaluation = apps.get_model("handling", "Evaluation")
    ResultClassChange = apps.get_model("handling", "ResultClassChange")
    HistoryEntry = apps.get_model("core", "HistoryEntry")
    ContentType = apps.get_model("contenttypes", "ContentType")
    rules_cache: dict = {}

    assignment_type = ContentType.objects.filter(app_label="handling", model="assignment").first()
    for assignment in Assignment.objects.select_related("item").iterator():
        rules = _rules(apps, rules_cache, assignment.item.body_id)
        if assignment.role == "lead":
            months = rules.complex_reply_months if assignment.item.is_complex else rules.reply_months
        else:
            months = rules.co_opinion_months
        assignment.due_months = months
        assignment.max_months = rules.max_reply_months
        assignment.dispute_working_days = rules.dispute_working_days
        assignment.dispute_due_estimated = _estimated(
            assignment.assigned_on, rules.dispute_working_days
        )
        assignment.save(
            update_fields=[
                "due_months",
                "max_months",
                "dispute_working_days",
                "dispute_due_estimated",
            ]
        )

    signed = Reply.objects.filter(signed_at__isnull=False).select_related("assignment__item")
    history: dict[int, dict[int, dt.date]] = {}
    for reply in signed.iterator():
        assignment = reply.assignment
        if assignment.pk not in history:
            entries = []
            if assignment_type is not None:
                entries = list(
                    HistoryEntry.objects.filter(
                        target_type=assignment_type, target_id=assignment.pk
                    )
                    .order_by("at", "id")
                    .values_list("action", "data")
                )
            history[assignment.pk] = _due_at_signing(entries)
        due = history[assignment.pk].get(reply.round, assignment.due_on)
        reply.due_on = due
        reply.on_time = reply.replied_on is not None and reply.replied_on <= due
        reply.save(update_fields=["due_on", "on_time"])

    # Evaluation windows, per item and round.
    rounds: dict[tuple[int, int], list] = {}
    for reply in signed.filter(assignment__role="lead"):
        rounds.setdefault((reply.assignment.item_id, reply.round), []).append(reply)
    for (_item_id, round_), replies in rounds.items():
        item = replies[0].assignment.item
        complete = round_ < item.reply_round or item.state in {"replied", "closed"}
        if not complete:
            continue
        if round_ == item.reply_round and item.evaluation_due_on:
            window = item.evaluation_due_on
        else:
            last = max(r.replied_on for r in replies if r.replied_on)
            months = _rules(apps, rules_cache, item.body_id).evaluation_months
            window = last + relativedelta(months=months)
        Reply.objects.filter(pk__in=[r.pk for r in replies]).update(evaluation_due_on=window)

    for evaluation in Evaluation.objects.filter(reply__isnull=True).iterator():
        only = rounds.get((evaluation.item_id, evaluation.round), [])
        if len(only) == 1:
            evaluation.reply_id = only[0].pk
            evaluation.save(update_fields=["reply"])

    for change in ResultClassChange.objects.select_related("reply__signed_by").iterator():
        signer = change.reply.signed_by if change.reply_id else None
        if signer is not None:
            change.actor_id, change.actor_kind = signer.pk, "user"
            change.actor_label = signer.username
        else:
            change.actor_kind = "system"
        change.save(update_fields=["actor", "actor_kind", "actor_label"])


class Migration(migrations.Migration):
    dependencies = [
        ("handling", "0002_reply_due_facts"),
        ("core", "0002_actor_kind"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
