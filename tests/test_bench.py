"""The benchmark's smoke test: the runner goes end to end on a tiny SQLite dataset (generate,
serve with gunicorn, load with wrk, count queries, write the results) and the results file
keeps its contract. It measures nothing: the figures of a 1-second run mean nothing."""

import json
import os
import shutil
import subprocess
import sys

import pytest

ENDPOINTS = (
    "floor,list_page1,item_long_timeline,search_two_char,start_staff,start_unit_coordinator,"
    "staff_to_assign,submit_suggestion"
)
ENDPOINT_KEYS = {
    "name",
    "connections",
    "rps",
    "p50_ms",
    "p95_ms",
    "p99_ms",
    "ratio_to_floor",
    "queries_per_request",
    "errors",
}

if shutil.which("wrk") is None and os.environ.get("CI") != "true":
    pytest.skip(
        "wrk is not installed (`make bench-tools` installs Debian's package; under CI=true "
        "this test runs and fails without it)",
        allow_module_level=True,
    )
if os.environ.get("DATABASE_URL"):
    # The runner makes its own databases; the SQLite leg of the suite runs it once.
    pytest.skip("the benchmark's smoke test runs on the SQLite leg", allow_module_level=True)


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("bench")
    env = dict(os.environ)
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "banli.bench",
            "--db",
            "sqlite",
            "--items",
            "300",
            "--bodies",
            "2",
            "--duration",
            "1",
            # Each worker's first search loads jieba's dictionary: warm every worker first.
            "--warmup",
            "1",
            "--connections",
            "1",
            "--endpoints",
            ENDPOINTS,
            "--var-dir",
            str(tmp / "var"),
            "--out",
            str(tmp / "results"),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-5000:]
    files = sorted((tmp / "results").glob("*-sqlite.json"))
    assert len(files) == 1, list((tmp / "results").iterdir())
    return json.loads(files[0].read_text()), files[0], completed.stdout


def test_results_keep_the_contract(results):
    data, path, _stdout = results
    assert data["database"] == "sqlite"
    assert data["items"] >= 300
    assert {"cpu", "cores", "memory_mb", "os", "python", "sqlite_version"} <= set(data["machine"])
    assert path.with_suffix(".md").exists()
    names = {e["name"] for e in data["endpoints"]}
    assert names == set(ENDPOINTS.split(","))
    for endpoint in data["endpoints"]:
        assert set(endpoint) >= ENDPOINT_KEYS, endpoint["name"]
        assert endpoint["rps"] > 0, endpoint
        assert endpoint["errors"] == 0, endpoint
        assert isinstance(endpoint["queries_per_request"], int), endpoint
    floor = next(e for e in data["endpoints"] if e["name"] == "floor")
    assert floor["ratio_to_floor"] == 1.0
    assert data["refused"] == {}
    assert data["peak_memory_mb"]["max"] > 0
    assert any(t["name"] == "submit_suggestion" for t in data["targets"])


def test_the_table_is_printed(results):
    _data, _path, stdout = results
    assert "| floor | 1 |" in stdout
    assert "| submit_suggestion | 1 |" in stdout
