"""The results: the machine, the JSON contract, the targets of issue 15, the markdown table,
and the README's "Benchmark" section written from the latest results."""

from __future__ import annotations

import json
import os
import platform
import re
import sqlite3
import sys
from pathlib import Path
from typing import Any

from .endpoints import MEMORY_TARGET_MB, TARGET_ITEMS, TARGETS

SCHEMA_VERSION = 1


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _memory_mb() -> int | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) // 1024
    except OSError:
        pass
    return None


def _os_name() -> str:
    try:
        info = platform.freedesktop_os_release()
        return f"{info.get('PRETTY_NAME', 'Linux')} ({platform.release()})"
    except OSError:
        return platform.platform()


def machine(database: str, database_version: str) -> dict[str, Any]:
    return {
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "memory_mb": _memory_mb(),
        "os": _os_name(),
        "python": sys.version.split()[0],
        "database": database,
        "database_version": database_version,
        "postgres_version": database_version if database == "postgresql" else None,
        "sqlite_version": sqlite3.sqlite_version if database == "sqlite" else None,
    }


def _find(endpoints: list[dict], name: str, connections: int) -> dict | None:
    return next(
        (e for e in endpoints if e["name"] == name and e["connections"] == connections), None
    )


def evaluate_targets(
    endpoints: list[dict], target_of: dict[str, str | None], peak_mb: float | None
) -> list[dict]:
    """Pass or fail per endpoint against the issue's targets (None where not measured)."""
    results = []
    for name, group in target_of.items():
        if group is None:
            continue
        target = TARGETS[group]
        at1, at8 = _find(endpoints, name, 1), _find(endpoints, name, 8)
        checks: dict[str, Any] = {}
        if at1 is not None:
            checks["p95_ms_at_1"] = {
                "target": target["p95_ms_at_1"],
                "measured": at1["p95_ms"],
                "pass": at1["p95_ms"] <= target["p95_ms_at_1"],
            }
        if at8 is not None and at8["ratio_to_floor"] is not None:
            checks["ratio_at_8"] = {
                "target": target["ratio_at_8"],
                "measured": at8["ratio_to_floor"],
                "pass": at8["ratio_to_floor"] >= target["ratio_at_8"],
            }
        if "no_errors_at" in target:
            at = _find(endpoints, name, target["no_errors_at"])
            if at is not None:
                checks[f"errors_at_{target['no_errors_at']}"] = {
                    "target": 0,
                    "measured": at["errors"],
                    "pass": at["errors"] == 0,
                }
        verdict = all(c["pass"] for c in checks.values()) if checks else None
        results.append({"name": name, "group": group, "checks": checks, "pass": verdict})
    if peak_mb is not None:
        results.append(
            {
                "name": "worker_peak_memory",
                "group": "memory",
                "checks": {
                    "peak_mb": {
                        "target": MEMORY_TARGET_MB,
                        "measured": peak_mb,
                        "pass": peak_mb <= MEMORY_TARGET_MB,
                    }
                },
                "pass": peak_mb <= MEMORY_TARGET_MB,
            }
        )
    return results


def at_target_scale(database: str, items: int) -> bool:
    return items >= TARGET_ITEMS.get(database, 0)


def _fmt(value, digits: int = 1) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    return f"{value:,}" if isinstance(value, int) else str(value)


def markdown(result: dict) -> str:
    m = result["machine"]
    lines = [
        f"### {result['database']} · {result['items']:,} items · {result['date']}",
        "",
        f"{m['cpu']}, {m['cores']} cores, {_fmt(m['memory_mb'])} MB, {m['os']}; "
        f"Python {m['python']}, {result['database']} {m['database_version']}; "
        f"{result['server']['workers']} gunicorn sync workers; "
        f"{result['duration_per_run_s']} s per endpoint and connection count.",
        "",
        "| endpoint | conns | req/s | ratio to floor | p50 ms | p95 ms | p99 ms | queries "
        "| errors |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for e in result["endpoints"]:
        ratio = "–" if e["ratio_to_floor"] is None else f"{e['ratio_to_floor']:.0%}"
        lines.append(
            f"| {e['name']} | {e['connections']} | {_fmt(e['rps'])} | {ratio} | "
            f"{_fmt(e['p50_ms'])} | {_fmt(e['p95_ms'])} | {_fmt(e['p99_ms'])} | "
            f"{_fmt(e['queries_per_request'])} | {e['errors']} |"
        )
    mem = result.get("peak_memory_mb") or {}
    lines += ["", f"Peak worker memory (VmHWM): {_fmt(mem.get('max'))} MB."]
    generation = result.get("generation") or {}
    if generation.get("generated_seconds") is not None:
        lines.append(f"Dataset generated in {_fmt(generation['generated_seconds'])} s.")
    verdicts = [t for t in result.get("targets", []) if t["pass"] is not None]
    if verdicts:
        scale = "" if result.get("at_target_scale") else " (dataset below the targets' scale)"
        passed = sum(1 for t in verdicts if t["pass"])
        failed = ", ".join(t["name"] for t in verdicts if not t["pass"]) or "none"
        lines.append(
            f"Targets of issue 15{scale}: {passed} of {len(verdicts)} met; not met: {failed}."
        )
    if result.get("scale_out"):
        lines += ["", scale_out_markdown(result["scale_out"])]
    if result.get("fixes"):
        lines += ["", fixes_markdown(result["fixes"])]
    return "\n".join(lines) + "\n"


def scale_out_markdown(scale_out: dict) -> str:
    lines = [
        f"Scale-out: {scale_out['servers']} gunicorn servers × {scale_out['workers_each']} "
        f"workers behind haproxy, against one server (same configuration: "
        f"{scale_out['sessions']}).",
        "",
        "| endpoint | conns | one server req/s | behind haproxy req/s | scaling | "
        "p95 ms one / balanced | errors |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for row in scale_out["comparison"]:
        lines.append(
            f"| {row['name']} | {row['connections']} | {_fmt(row['one_server_rps'])} | "
            f"{_fmt(row['balanced_rps'])} | {_fmt(row['scaling'], 2)}× | "
            f"{_fmt(row['one_server_p95_ms'])} / {_fmt(row['balanced_p95_ms'])} | "
            f"{row['errors']} |"
        )
    return "\n".join(lines)


# The before/after of each fix of issue 15, as measured when it was made (committed beside
# the results; later issues add theirs).
FIXES = Path(__file__).resolve().parents[2] / "bench" / "fixes.json"


def fixes() -> list[dict]:
    try:
        return json.loads(FIXES.read_text())["fixes"]
    except (OSError, ValueError, KeyError):
        return []


def fixes_markdown(rows: list[dict]) -> str:
    lines = [
        "Fixes, before → after (each measured when made: bench/fixes.json):",
        "",
        "| fix | database | measure | before | after |",
        "|---|---|---|---:|---:|",
    ]
    for row in rows:
        unit = row.get("unit", "")
        lines.append(
            f"| {row['fix']} | {row['database']} | {row['measure']} | "
            f"{_fmt(row['before'])} {unit} | {_fmt(row['after'])} {unit} |"
        )
    return "\n".join(lines)


def write(result: dict, out_dir: Path) -> tuple[Path, Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    result.setdefault("fixes", [f for f in fixes() if f["database"] == result["database"]])
    stem = f"{result['date']}-{result['database']}"
    json_path, md_path = out_dir / f"{stem}.json", out_dir / f"{stem}.md"
    json_path.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n")
    md_path.write_text(markdown(result))
    return json_path, md_path


# README -------------------------------------------------------------------------------

README_START = "<!-- benchmark:start (written by `python -m banli.bench --update-readme`) -->"
README_END = "<!-- benchmark:end -->"


def latest_results(out_dir: Path) -> list[Path]:
    """The newest results file of each database."""
    newest: dict[str, Path] = {}
    for path in sorted(out_dir.glob("*.json")):
        match = re.fullmatch(r"(\d{4}-\d{2}-\d{2})-(\w+)\.json", path.name)
        if match:
            newest[match.group(2)] = path  # sorted by date: the last one wins
    return [newest[db] for db in sorted(newest)]


def update_readme(readme: Path, out_dir: Path) -> str:
    """Replace the README's benchmark block (between the markers, under "## Benchmark",
    added at the end if missing) with the tables of the latest results."""
    tables = [markdown(json.loads(p.read_text())) for p in latest_results(out_dir)]
    if not tables:
        raise RuntimeError(f"no results in {out_dir}")
    relative = os.path.relpath(out_dir, readme.parent)
    block = "\n".join(
        [
            README_START,
            f"The latest results ({relative}/, `make bench` reproduces them; "
            "docs/benchmark.md explains them):",
            "",
            *tables,
            README_END,
        ]
    )
    text = readme.read_text()
    if README_START in text and README_END in text:
        before, rest = text.split(README_START, 1)
        after = rest.split(README_END, 1)[1]
        text = before + block + after
    elif "\n## Benchmark\n" in text:
        head, tail = text.split("\n## Benchmark\n", 1)
        text = head + "\n## Benchmark\n\n" + block + "\n" + tail
    else:
        text = text.rstrip("\n") + "\n\n## Benchmark\n\n" + block + "\n"
    readme.write_text(text)
    return block
