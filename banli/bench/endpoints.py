"""The endpoints the benchmark loads: one registry, in the order they are measured.

Each endpoint names the role whose session it is loaded with, its method, how its path is
built from the dataset's manifest (banli/bench/generate.py writes it), what status every
response must have, and the target of issue 15 it is held to. A later issue adds its pages
with `register(Endpoint(...))` here (docs/benchmark.md, "Adding an endpoint").

Path builders run in the runner's process, after Django is set up against the benchmark's
database, so they may ask the application (see `list_page_path`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

# The targets of issue 15 (2 cores, PostgreSQL at 1,000,000 items, SQLite at 100,000):
# p95 latency at 1 connection (what one user feels) and throughput at 8 connections as a
# share of the floor measured in the same run.
TARGETS: dict[str, dict[str, Any]] = {
    "page": {"p95_ms_at_1": 50.0, "ratio_at_8": 0.40},
    "search": {"p95_ms_at_1": 100.0, "ratio_at_8": 0.25},
    "submit": {"p95_ms_at_1": 100.0, "ratio_at_8": 0.30, "no_errors_at": 64},
}
MEMORY_TARGET_MB = 300.0
# The dataset sizes the targets are stated for.
TARGET_ITEMS = {"postgresql": 1_000_000, "sqlite": 100_000}


@dataclass(frozen=True)
class Context:
    """What path builders may use: the manifest, and the start pages found by following
    each role's GET / (filled in by the runner)."""

    manifest: dict[str, Any]
    start_paths: dict[str, str] = field(default_factory=dict)

    @property
    def target(self) -> dict[str, Any]:
        return self.manifest["target"]


@dataclass(frozen=True)
class Endpoint:
    name: str
    role: str  # a key of the manifest's users_by_role
    path: Callable[[Context], str]
    method: str = "GET"
    # The status every response must have; anything else is counted as an error.
    expect: int = 200
    # GET the path first and measure the page it redirects to (a role's start page).
    follow: bool = False
    # For a POST: the values put into the form read from the page at `path` (the rest keep
    # what the form shows); the same body is posted on every request.
    form_values: Callable[[Context], dict[str, str]] | None = None
    # Which of TARGETS it is held to (None: reported only).
    target: str | None = "page"


REGISTRY: list[Endpoint] = []


def register(endpoint: Endpoint) -> Endpoint:
    if any(e.name == endpoint.name for e in REGISTRY):
        raise ValueError(f"an endpoint named {endpoint.name!r} is already registered")
    REGISTRY.append(endpoint)
    return endpoint


def list_query(ctx: Context) -> dict[str, Any]:
    """The staff's realistic filter: this session's suggestions, newest first."""
    return {"kind": ctx.target.get("kind", "suggestion"), "session": ctx.target["session_id"]}


def list_page_path(ctx: Context, number: int) -> str:
    """The URL of page `number` of the staff's filtered list. Lists page by keys, so page N
    is the address with the keyset cursor of that page, which the items app reads from the
    database in one query, as the staff member sees the list."""
    from django.contrib.auth import get_user_model

    from banli.items.listing import deep_page_url

    staff = get_user_model().objects.get(username=ctx.manifest["users_by_role"]["staff"])
    return deep_page_url(staff, list_query(ctx), number)


def search_path(words: str) -> str:
    return "/items/?" + urlencode({"q": words})


def suggestion_values(ctx: Context) -> dict[str, str]:
    return {
        "kind": ctx.target.get("kind", "suggestion"),
        "session": str(ctx.target["session_id"]),
        "title": "关于进一步改善老旧小区停车条件的建议",
        "text": (
            "近年来，我市老旧小区机动车保有量快速增长，停车位严重不足，占用消防通道、"
            "绿地停车的现象较为普遍，群众反映强烈。建议统筹利用小区周边闲置用地建设"
            "立体停车设施，推动机关企事业单位停车场错时向居民开放，并将停车设施改造"
            "纳入老旧小区改造的重点内容，明确资金来源和管理责任。"
        )
        * 3,
    }


# The floor first: every other endpoint is reported as a share of it.
register(Endpoint("floor", "staff", lambda ctx: "/-/floor/", target=None))
register(Endpoint("list_page1", "staff", lambda ctx: list_page_path(ctx, 1)))
register(Endpoint("list_page500", "staff", lambda ctx: list_page_path(ctx, 500)))
register(
    Endpoint(
        "item_long_timeline",
        "staff",
        lambda ctx: f"/items/{ctx.target['long_timeline_item_id']}/",
    )
)
register(
    Endpoint(
        "search_two_char",
        "staff",
        lambda ctx: search_path(ctx.manifest["search"]["two_char"]),
        target="search",
    )
)
register(
    Endpoint(
        "search_multi_word",
        "staff",
        lambda ctx: search_path(ctx.manifest["search"]["multi_word"]),
        target="search",
    )
)
START_ROLES = (
    "staff",
    "leader",
    "auditor",
    "deputy",
    "unit_coordinator",
    "unit_leader",
    "evaluator",
)
# `/` is each role's start page (工作台, banli.desk): the counts and first rows of every
# queue of the user's roles, so start_staff and start_unit_coordinator / start_unit_leader
# measure the staff's and the units' start pages (follow=True still follows a redirect, for
# an account whose start page is another page).
for _role in START_ROLES:
    register(Endpoint(f"start_{_role}", _role, lambda ctx: "/", follow=True))
# The staff's queue of accepted items waiting to be assigned (待交办), linked from the desk.
register(Endpoint("staff_to_assign", "staff", lambda ctx: "/desk/to-assign/"))
register(Endpoint("unit_inbox", "unit_coordinator", lambda ctx: "/handling/inbox/"))
register(Endpoint("deadline_board", "staff", lambda ctx: "/handling/board/"))
# The notices page of a deputy with years of replies behind them (issue 16).
register(Endpoint("notices_deputy", "deputy", lambda ctx: "/notices/"))
# The similar items beside a deputy's draft, asked on each pause in typing (issue 16).
register(
    Endpoint(
        "similar_items_deputy",
        "deputy",
        lambda ctx: (
            "/items/similar/?"
            + urlencode(
                {
                    "title": "关于进一步改善老旧小区停车条件的建议",
                    "text": "老旧小区停车位严重不足，建议统筹利用闲置用地建设立体停车设施。",
                }
            )
        ),
        target="search",
    )
)
# The supervision year (issue 17): supervision, follow-up rounds, cross-year items,
# third-party evaluation, the outbox and the reminders, on the target body's rows the
# generator names under "supervision".


def supervision(ctx: Context, key: str) -> Any:
    return ctx.manifest["supervision"][key]


register(
    Endpoint(
        "supervision_activities",
        "staff",
        lambda ctx: (
            "/supervision/activities/?" + urlencode({"year": supervision(ctx, "activity_year")})
        ),
    )
)
register(Endpoint("supervision_mine", "leader", lambda ctx: "/supervision/mine/"))
register(
    Endpoint(
        "supervision_chase_form",
        "staff",
        lambda ctx: f"/supervision/item/{supervision(ctx, 'open_key_item_id')}/chase/",
    )
)
register(
    Endpoint(
        "followup_round",
        "staff",
        lambda ctx: f"/followup/{supervision(ctx, 'followup_round_id')}/",
    )
)
register(Endpoint("followup_cross_year", "staff", lambda ctx: "/followup/cross-year/"))
register(Endpoint("followup_unit", "unit_coordinator", lambda ctx: "/followup/unit/"))
register(
    Endpoint(
        "assessment_results",
        "staff",
        lambda ctx: (
            "/assessment/results/?" + urlencode({"year": supervision(ctx, "assessment_year")})
        ),
    )
)
register(
    Endpoint(
        "assessment_work",
        "evaluator",
        lambda ctx: f"/assessment/mine/{supervision(ctx, 'assessment_id')}/",
    )
)
register(Endpoint("delivery_outbox", "staff", lambda ctx: "/delivery/outbox/"))
register(
    Endpoint(
        "delivery_outbox_failed_sms",
        "staff",
        lambda ctx: "/delivery/outbox/?" + urlencode({"state": "failed", "channel": "sms"}),
    )
)
register(Endpoint("delivery_settings", "deputy", lambda ctx: "/delivery/settings/"))
register(Endpoint("reminders_sent", "staff", lambda ctx: "/reminders/sent/"))
# The rules page is the staff's and the body administrator's; the measured staff member is
# both, as a body's first staff account is.
register(Endpoint("reminders_rules", "staff", lambda ctx: "/reminders/rules/"))
register(
    Endpoint(
        "submit_suggestion",
        "submitter",
        lambda ctx: "/items/new/",
        method="POST",
        expect=302,
        form_values=suggestion_values,
        target="submit",
    )
)


def select(names: list[str] | None = None) -> list[Endpoint]:
    """The endpoints to run, in registry order; the floor is always among them."""
    chosen = [e for e in REGISTRY if names is None or e.name in names or e.name == "floor"]
    if names:
        unknown = set(names) - {e.name for e in REGISTRY}
        if unknown:
            raise ValueError(f"unknown endpoints: {', '.join(sorted(unknown))}")
    return chosen
