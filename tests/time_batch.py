"""Not part of the suite (the name does not start with test_): times a 300-item batch through
the pages, accepted and then assigned to a lead and a co-handling unit, as the batch page's
htmx polling runs it (one request per chunk). Run it by name, on either database:

    .venv/bin/pytest tests/time_batch.py -q -s -p no:cacheprovider
    DATABASE_URL=postgres://… .venv/bin/pytest tests/time_batch.py -q -s -p no:cacheprovider

Wall time depends on the machine's load; the CPU time of the test process (which runs the
views, services and, on SQLite, the database) is the steadier figure."""

import time

from django.urls import reverse

from .factories import on
from .test_batch import DAY, select, under_review

COUNT = 300


def _run(client, key, action, data=None):
    started = client.post(reverse("batch:start", args=[key]), {"action": action, **(data or {})})
    step = reverse("batch:step", args=[started.url.rstrip("/").rsplit("/", 1)[-1]])
    requests, text = 0, 'hx-trigger="load"'
    while 'hx-trigger="load"' in text:
        text = client.post(step, HTTP_HX_REQUEST="true").content.decode()
        requests += 1
    return text, requests


def test_time_a_batch_of_300(client, world):
    with on(DAY):
        made = under_review(world, COUNT)
    ids = [i.pk for i in made]
    client.force_login(world.staff)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    units = {"lead_units": [world.units[0].pk], "co_units": [world.units[1].pk]}
    with on(DAY):
        select(client, "review", ids)
        wall, cpu = time.perf_counter(), time.process_time()
        accepted, accept_requests = _run(client, "review", "accept")
        accept = time.perf_counter() - wall, time.process_time() - cpu
        select(client, "items", ids)
        wall, cpu = time.perf_counter(), time.process_time()
        assigned, assign_requests = _run(client, "items", "assign", units)
        assign = time.perf_counter() - wall, time.process_time() - cpu
    assert f"Done: {COUNT}" in accepted and f"Done: {COUNT}" in assigned
    print(
        f"\naccept {COUNT}: {accept[0]:.2f} s wall, {accept[1]:.2f} s CPU, {accept_requests} "
        f"requests; assign {COUNT} (lead + co): {assign[0]:.2f} s wall, {assign[1]:.2f} s CPU, "
        f"{assign_requests} requests"
    )
