"""A batch in progress, kept in the user's session: the records it was started on, what
became of each so far. Each request takes the next `CHUNK` records (the page asks for the
next chunk until none is left, showing the progress), so no request runs long and no
background worker is needed; a reload continues where the batch stands."""

import secrets

from banli.core import clock
from banli.core.errors import DomainError

from . import selection
from .actions import ACTIONS, ALREADY, DONE, FAILED, apply_one

RUNS = "batch.runs"
KEPT = 3  # the newest batches a session keeps, with their results (a session stays small)
CHUNK = 25


def start(request, spec, profile, action, params: dict, ids: list[int]) -> str:
    runs = dict(request.session.get(RUNS, {}))
    run_id = secrets.token_urlsafe(9)
    runs[run_id] = {
        "list": spec.key,
        "body": profile.body_id,
        "action": action.name,
        "params": params,
        "ids": list(ids),
        "results": {},
        "started": clock.now().isoformat(),
    }
    for old in list(runs)[:-KEPT]:
        del runs[old]
    request.session[RUNS] = runs
    return run_id


def get(request, run_id: str, profile) -> dict | None:
    """The session's batch `run_id`, if it was started in the body the user works in now."""
    run = request.session.get(RUNS, {}).get(run_id)
    if run is None or run["body"] != profile.body_id:
        return None
    return run


def _save(request, run_id: str, run: dict) -> None:
    runs = dict(request.session.get(RUNS, {}))
    runs[run_id] = run
    request.session[RUNS] = runs


def remaining(run: dict) -> list[int]:
    return [pk for pk in run["ids"] if str(pk) not in run["results"]]


def step(request, run_id: str, run: dict, spec, profile) -> dict:
    """Take the step on the next chunk of the batch's records; when the last is done, drop
    the records that are done from the list's selection (the failed ones stay selected)."""
    todo = remaining(run)[:CHUNK]
    if not todo:
        return run
    action = ACTIONS[run["action"]]
    scope = spec.scope(request, profile)
    try:
        objects = action.resolve(profile.body, run["params"])
    except DomainError as refused:
        for pk in todo:
            run["results"][str(pk)] = [FAILED, str(refused)]
    else:
        for pk in todo:
            outcome, message = apply_one(action, scope, pk, by=request.user, objects=objects)
            run["results"][str(pk)] = [outcome, message]
    _save(request, run_id, run)
    if not remaining(run):
        finished = [
            int(pk) for pk, (outcome, _m) in run["results"].items() if outcome in (DONE, ALREADY)
        ]
        selection.remove(request, spec, profile, finished)
    return run


def tally(run: dict) -> dict[str, int]:
    counts = {outcome: 0 for outcome in ("done", "already", "failed", "missing")}
    for outcome, _message in run["results"].values():
        counts[outcome] = counts.get(outcome, 0) + 1
    return counts
