"""The demo's supervision year (督办): what the office does beside the items' own stories.

Steps are dated and replayed in the same timeline as the items' stories (builder._replay),
so each one meets the items as they stood that day: supervision activities on the key items
from March to November (30 in all, the figure Changzhou's report cites), 催办 of units whose
replies fall due, a third-party evaluation of four items (as Yangzhou's), and the year-end
follow-up round (回头看) of the B and C items with its conversions. Every night the reminder
scan runs, the cross-year rule marks the B items planned past the year's end, and the outbox
is delivered (to in-memory backends: the demo sends nothing anywhere); the last nights'
deliveries wait for the worker that `make run` starts.

Everything goes through the apps' services, as in the rest of the demo. The steps look up
the items they act on when they run (the key items exist only after the staff mark them)."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable

from django.core import mail
from django.test.utils import override_settings

from banli.assessment import services as assessment
from banli.assessment.models import AssessedItem
from banli.bodies.models import Membership, Role
from banli.core import clock
from banli.delivery import sms
from banli.delivery.services import deliver_due
from banli.followup import services as followup
from banli.followup.models import FollowUpRound, RoundItem
from banli.handling import services as handling
from banli.handling.models import Assignment, Reply
from banli.handling.workflow import OPEN_LEAD_STATES
from banli.items.models import Item
from banli.reminders.services import scan_all
from banli.supervision import services as supervision

Step = tuple[dt.datetime, str, Callable[[], object]]

# The demo's activities per body: 16 in the city congress and 14 in the district CPPCC make
# the 30 of Changzhou's report between them.
ACTIVITIES = {"npc": 16, "cppcc": 14}
ACTIVITY_MONTHS = (3, 4, 5, 6, 7, 8, 9, 10, 11)
ACTIVITY_TEXTS: dict[str, tuple[str, str]] = {
    "meeting": (
        "重点督办件推进座谈会",
        "召开督办座谈会，听取承办单位办理进展，协调解决资金和用地问题。",
    ),
    "site_visit": (
        "重点督办件实地视察",
        "实地察看项目现场，详细了解工程进度，要求倒排工期、按期完成。",
    ),
    "report_heard": (
        "听取承办单位办理情况汇报",
        "听取承办单位专题汇报，对办理工作提出具体意见。",
    ),
    "written_opinion": (
        "书面督办意见",
        "印发书面督办意见，明确办理责任和完成时限。",
    ),
    "instruction": (
        "督办领导批示",
        "督办领导作出批示，要求承办单位加大推进力度，确保代表满意。",
    ),
}
PARTICIPANTS = (
    "督办领导、相关专门委员会负责人、承办单位分管负责同志、领衔{honorific}",
    "督办领导、部分{honorific}、承办单位主要负责同志",
    "相关专门委员会、承办单位及属地街道负责同志",
)
PROGRESS = (
    "项目已完成主体工程，预计年底前全面投入使用，所提问题已基本解决。",
    "已列入明年财政预算，正在开展前期设计和招标工作。",
    "已会同相关部门制定专项方案，分步骤推进实施，部分区域已完成改造。",
    "受用地指标限制，暂未开工，已向上级部门争取政策支持。",
)
CHASE_NOTES = (
    "该件答复期限临近，请抓紧办理，按时答复并与代表做好沟通。",
    "请加快办理进度，确保按期答复。",
)
SCORES = ((18, 27, 31, 14), (16, 24, 30, 13), (19, 28, 33, 15), (14, 22, 25, 12))
CONCLUSIONS = (
    "沟通联系充分，办理措施具体，成效明显，答复及时。",
    "办理措施基本到位，部分措施尚需细化，成效有待持续跟踪。",
    "办理工作扎实，代表满意，建议总结经验加以推广。",
    "答复内容较为原则，落实措施和时间表不够具体。",
)


def _at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute))


def _key_items(cast) -> list[Item]:
    return list(
        Item.objects.filter(body=cast.body, key_item__isnull=False)
        .select_related("key_item__supervisor")
        .order_by("number")
    )


def _supervisor_of(item: Item):
    return item.key_item.supervisor


class Year:
    """The supervision steps of one body (one cast of builder.Setup)."""

    def __init__(self, cast, days) -> None:
        self.cast, self.days = cast, days
        self.rng = random.Random(f"supervision-{cast.body.code}")
        self.short = "npc" if "npc" in cast.body.code else "cppcc"

    def steps(self) -> list[Step]:
        steps: list[Step] = []
        steps += self._activities()
        steps += self._chases()
        steps += self._assessment()
        steps += self._follow_up()
        steps += self._publications()
        return steps

    # 答复公开 -------------------------------------------------------------------------------

    def _publications(self) -> list[Step]:
        # The staff publish the public replies twice a month, within the 20 working days
        # of §3, until early November; those of the last weeks wait, and the disclosure
        # reminder tells the staff of the ones waiting too long.
        days = [dt.date(2026, month, day) for month in range(4, 12) for day in (5, 20)]
        return [
            (_at(self.days.on_or_after(day), 16, 30), "publish", self._publish)
            for day in days
            if day <= dt.date(2026, 11, 5)
        ]

    def _publish(self) -> object:
        since = clock.today() - dt.timedelta(days=3)
        waiting = Reply.objects.filter(
            assignment__body=self.cast.body,
            is_public=True,
            signed_at__isnull=False,
            published_on__isnull=True,
            replied_on__lte=since,
        ).order_by("id")
        return [
            handling.mark_reply_published(reply, by=self.cast.staff, on=clock.today())
            for reply in waiting
        ]

    # 督办活动 ---------------------------------------------------------------------------

    def _activities(self) -> list[Step]:
        count = ACTIVITIES[self.short]
        kinds = list(ACTIVITY_TEXTS)
        steps = []
        for n in range(count):
            month = ACTIVITY_MONTHS[n * len(ACTIVITY_MONTHS) // count]
            day = self.days.on_or_after(dt.date(2026, month, 3 + self.rng.randrange(20)))
            kind = kinds[n % len(kinds)]
            steps.append((_at(day, 15, n), f"activity {n}", self._activity(n, kind)))
        return steps

    def _activity(self, n: int, kind: str) -> Callable[[], object]:
        def run() -> object:
            keys = _key_items(self.cast)
            if not keys:
                return None
            rng = random.Random(f"{self.cast.body.code}-activity-{n}")
            chosen = rng.sample(keys, min(len(keys), 1 + (n % 3 == 0)))
            title, notes = ACTIVITY_TEXTS[kind]
            # A leader's instruction is the leader's own record; the rest the staff keep.
            by = _supervisor_of(chosen[0]) if kind == "instruction" else self.cast.staff
            if kind == "instruction":
                chosen = [i for i in chosen if i.key_item.supervisor_id == by.pk]
            participants = rng.choice(PARTICIPANTS).format(honorific=self.cast.spec.honorific)
            return supervision.record_activity(
                chosen,
                by=by,
                kind=kind,
                held_on=clock.today(),
                title=title,
                participants="" if kind in ("instruction", "written_opinion") else participants,
                notes=notes,
            )

        return run

    # 催办 -----------------------------------------------------------------------------------

    def _chases(self) -> list[Step]:
        steps = []
        for n, (month, day) in enumerate(((4, 20), (5, 11), (6, 15), (9, 14), (11, 16))):
            when = self.days.on_or_after(dt.date(2026, month, day))
            steps.append((_at(when, 10, 30), f"chase {n}", self._chase(n)))
        return steps

    def _chase(self, n: int) -> Callable[[], object]:
        def run() -> object:
            # The items whose replies fall due within the month, as the deadline board shows.
            today = clock.today()
            due = (
                Assignment.objects.filter(
                    body=self.cast.body,
                    role="lead",
                    state__in=OPEN_LEAD_STATES,
                    due_on__gte=today,
                    due_on__lte=today + dt.timedelta(days=30),
                )
                .order_by("due_on", "id")
                .values_list("item_id", flat=True)[:2]
            )
            done = []
            for item in Item.objects.filter(pk__in=list(due)).order_by("pk"):
                done.append(supervision.chase(item, by=self.cast.staff, note=CHASE_NOTES[n % 2]))
            return done

        return run

    # 第三方评估 ------------------------------------------------------------------------------

    def _evaluator(self):
        found = Membership.objects.filter(body=self.cast.body, active=True).select_related("user")
        return next(m.user for m in found.order_by("id") if Role.EVALUATOR in m.roles)

    def _assessment(self) -> list[Step]:
        start = self.days.on_or_after(dt.date(2026, 10, 12))
        steps: list[Step] = [(_at(start, 9), "assessment commission", self._commission)]
        for n in range(4):
            day = self.days.add(start, 4 + 2 * n)
            steps.append((_at(day, 14), f"assessment score {n}", self._score(n)))
        end = self.days.add(start, 14)
        steps.append((_at(end, 11), "assessment submit", self._submit))
        return steps

    def _commission(self) -> object:
        closed = (
            Item.objects.filter(body=self.cast.body, state="closed", key_item__isnull=False)
            .order_by("number")
            .values_list("pk", flat=True)
        )
        picked = list(closed[:4])
        if len(picked) < 4:
            more = Item.objects.filter(body=self.cast.body, state="closed").exclude(pk__in=picked)
            picked += list(more.order_by("number").values_list("pk", flat=True)[: 4 - len(picked)])
        assessment.ensure_criteria(self.cast.body)
        return assessment.commission(
            self.cast.body,
            by=self.cast.staff,
            evaluator=self._evaluator(),
            items=Item.objects.filter(pk__in=picked),
            title="2026年度建议办理第三方评估"
            if self.short == "npc"
            else "2026年度提案办理第三方评估",
            due_on=self.days.add(clock.today(), 20),
            year=2026,
        )

    def _score(self, n: int) -> Callable[[], object]:
        def run() -> object:
            entries = list(
                AssessedItem.objects.filter(assessment__body=self.cast.body).order_by("id")
            )
            if n >= len(entries):
                return None
            criteria = assessment.active_criteria(self.cast.body)
            points = SCORES[n % len(SCORES)]
            scores = {c.pk: min(points[i % len(points)], c.weight) for i, c in enumerate(criteria)}
            return assessment.score_item(
                entries[n],
                by=self._evaluator(),
                scores=scores,
                conclusion=CONCLUSIONS[n % len(CONCLUSIONS)],
            )

        return run

    def _submit(self) -> object:
        entry = AssessedItem.objects.filter(assessment__body=self.cast.body).first()
        if entry is None:
            return None
        return assessment.submit(entry.assessment, by=self._evaluator())

    # 回头看 ---------------------------------------------------------------------------------

    def _follow_up(self) -> list[Step]:
        opened = self.days.on_or_after(dt.date(2026, 11, 2))
        steps: list[Step] = [(_at(opened, 9, 30), "follow-up open", self._open_round)]
        for n in range(4):
            day = self.days.add(opened, 3 + 2 * n)
            steps.append((_at(day, 16), f"follow-up reports {n}", self._reports(n)))
        confirm = self.days.add(opened, 14)
        steps.append((_at(confirm, 10), "follow-up confirm", self._confirm))
        steps.append((_at(self.days.add(confirm, 2), 17), "follow-up close", self._close))
        return steps

    def _round(self) -> FollowUpRound | None:
        return FollowUpRound.objects.filter(body=self.cast.body).order_by("-id").first()

    def _open_round(self) -> object:
        word = "建议" if self.short == "npc" else "提案"
        return followup.open_round(
            self.cast.body,
            year=2026,
            by=self.cast.staff,
            title=f"2026年度B类、C类{word}办理“回头看”",
            due_on=self.days.add(clock.today(), 12),
        )

    def _reports(self, n: int) -> Callable[[], object]:
        def run() -> object:
            round_ = self._round()
            if round_ is None:
                return None
            entries = list(round_.entries.select_related("item").order_by("id"))
            done = []
            for index, entry in enumerate(entries):
                if index % 4 != n:
                    continue
                unit_id = (
                    Assignment.objects.filter(item=entry.item, role="lead")
                    .exclude(state__in=("reassigned", "withdrawn"))
                    .values_list("unit_id", flat=True)
                    .first()
                )
                people = next(
                    (
                        p
                        for key, p in self.cast.people.items()
                        if self.cast.units[key].pk == unit_id
                    ),
                    None,
                )
                if people is None:
                    continue
                text = PROGRESS[index % len(PROGRESS)]
                proposed = "A" if index % len(PROGRESS) == 0 else ""
                done.append(
                    followup.report_progress(
                        entry, by=people.coord, text=text, proposed_class=proposed
                    )
                )
            return done

        return run

    def _confirm(self) -> object:
        round_ = self._round()
        if round_ is None:
            return None
        rules = self.cast.body.rules
        top = rules.result_classes[0]
        done = []
        seen: dict[str, int] = {}
        for entry in RoundItem.objects.filter(round=round_).order_by("id"):
            start = entry.class_at_opening
            nth = seen[start] = seen.get(start, -1) + 1
            # A third of the B items are solved by the year's end; of the C items the first
            # becomes A and the second B, as in Changzhou's round.
            if start == rules.planned_class:
                target = top if nth % 3 == 1 else ""
            elif start != top:
                target = {0: top, 1: rules.planned_class}.get(nth, "")
            else:
                target = ""
            if target:
                done.append(
                    followup.confirm_class(
                        entry,
                        by=self.cast.staff,
                        to_class=target,
                        reason="经回头看核实，承办单位已落实办理措施，所提问题已解决。"
                        if target == top
                        else "经回头看核实，所提问题已列入计划逐步解决。",
                    )
                )
        return done

    def _close(self) -> object:
        round_ = self._round()
        return followup.close_round(round_, by=self.cast.staff) if round_ else None


def steps(casts, days) -> list[Step]:
    found: list[Step] = []
    for cast in casts:
        found += Year(cast, days).steps()
    return found


# The demo delivers to memory: nothing leaves the machine while the demo is built.
IN_MEMORY = {
    "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
    "BANLI_SMS_BACKEND": "banli.delivery.sms.LocmemBackend",
}
# The nights whose deliveries are left to the worker of `make run` (a populated outbox).
UNDELIVERED_DAYS = 2


def nightly(last_day: dt.date) -> None:
    """The worker's night: the reminders due, the cross-year rule, the outbox delivered."""
    today = clock.today()
    scan_all(today=today)
    followup.apply_cross_year_rules(today=today)
    if today <= last_day - dt.timedelta(days=UNDELIVERED_DAYS):
        with override_settings(**IN_MEMORY):
            while deliver_due(limit=500)["sent"]:
                pass
            mail.outbox = []
            sms.outbox.clear()
