"""`python -m banli.bench`: generate (or reuse) the dataset, serve banli as in production,
load every endpoint with wrk at 1, 8 and 64 connections beside the floor, and write
bench/results/<date>-<db>.json and .md (docs/benchmark.md).

Each database is run in its own process (Django's settings are read once per process): with
`--db sqlite,postgresql` this process starts one child per database and prints the tables."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import secrets
import subprocess
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from . import endpoints as registry
from . import report
from .load import run_wrk, wrk_binary
from .server import Gunicorn, Haproxy, workers_default

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "bench" / "results"
DEFAULT_PG_URL = "postgres://postgres@127.0.0.1:5432/banli_bench"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/9"
DATABASES = ("sqlite", "postgresql")
# The dataset per database, and the quick one of `make bench-quick`.
FULL_ITEMS = {"postgresql": 1_000_000, "sqlite": 100_000}
FULL_BODIES = {"postgresql": 1000, "sqlite": 100}
QUICK_ITEMS, QUICK_BODIES, QUICK_DURATION = 3000, 5, 1.0
SCALE_OUT_ENDPOINTS = ("floor", "list_page1", "item_long_timeline", "submit_suggestion")
SCALE_OUT_CONNECTIONS = (8, 64)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m banli.bench", description=__doc__)
    parser.add_argument(
        "--db", default="sqlite,postgresql", help="sqlite, postgresql or both (comma-separated)"
    )
    parser.add_argument("--items", type=int, help="items to generate (default: by database)")
    parser.add_argument("--bodies", type=int, help="bodies to generate (default: by database)")
    parser.add_argument(
        "--duration", type=float, help="seconds per endpoint per connection count (default 10)"
    )
    parser.add_argument("--connections", default="1,8,64", help="comma-separated (1,8,64)")
    parser.add_argument(
        "--warmup", type=float, help="seconds of unmeasured load per endpoint first (default 2)"
    )
    parser.add_argument(
        "--quick", action="store_true", help="a small dataset and 1 s runs (make bench-quick)"
    )
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="skip the generation: the database already holds a generated dataset and its manifest",
    )
    parser.add_argument("--scale-out", action="store_true", help="also two servers behind haproxy")
    parser.add_argument(
        "--out",
        type=Path,
        help="results directory (default bench/results; var/bench/results-quick with --quick, "
        "so a quick run never replaces a full run's results)",
    )
    parser.add_argument("--pg-url", default=DEFAULT_PG_URL)
    parser.add_argument("--redis-url", default=DEFAULT_REDIS_URL, help="for --scale-out")
    parser.add_argument(
        "--var-dir", type=Path, help="BANLI_VAR_DIR of the run (default var/bench/<db>)"
    )
    parser.add_argument("--manifest", type=Path, help="default <var-dir>/bench-manifest.json")
    parser.add_argument("--endpoints", help="only these (comma-separated); the floor always")
    parser.add_argument("--workers", type=int, help="gunicorn workers (default: cores)")
    parser.add_argument(
        "--update-readme",
        action="store_true",
        help="write the README's Benchmark section from the latest results in --out, and stop",
    )
    parser.add_argument("--scale-out-only", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    args.databases = [db.strip() for db in args.db.split(",") if db.strip()]
    for db in args.databases:
        if db not in DATABASES:
            parser.error(f"--db: {db!r} is neither sqlite nor postgresql")
    args.connection_counts = [int(c) for c in args.connections.split(",") if c.strip()]
    if args.out is None:
        args.out = ROOT / "var" / "bench" / "results-quick" if args.quick else RESULTS
    if args.duration is None:
        args.duration = QUICK_DURATION if args.quick else 10.0
    if args.warmup is None:
        args.warmup = 1.0 if args.quick else 2.0
    return args


# The run's environment ----------------------------------------------------------------


def var_dir_of(args, db: str) -> Path:
    return (args.var_dir or ROOT / "var" / "bench" / db).resolve()


def manifest_of(args, db: str) -> Path:
    return (args.manifest or var_dir_of(args, db) / "bench-manifest.json").resolve()


def server_env(args, db: str, *, redis: bool = False) -> dict[str, str]:
    """Production settings (BANLI_PRODUCTION=1: secure cookies, HSTS, DEBUG off, the deploy
    checks) behind a TLS-terminating proxy: the requests carry X-Forwarded-Proto: https, so
    the HTTPS redirect stays on and is never taken, exactly as in a deployment."""
    env = dict(os.environ)
    for name in ("DATABASE_URL", "BANLI_REDIS_URL", "BANLI_DEBUG", "DJANGO_SETTINGS_MODULE"):
        env.pop(name, None)
    var_dir = var_dir_of(args, db)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "banli.settings",
            "BANLI_VAR_DIR": str(var_dir),
            "BANLI_PRODUCTION": "1",
            "BANLI_SECRET_KEY": _secret_key(var_dir),
            "BANLI_ALLOWED_HOSTS": "127.0.0.1,localhost",
            "BANLI_BEHIND_PROXY": "1",
            "BANLI_PROXY_HOPS": "1",
            # Persistent connections: the floor is measured as production runs.
            "BANLI_CONN_MAX_AGE": "600",
            "BANLI_LOG_TO_STDERR": "1",
            "BANLI_LOG_LEVEL": "WARNING",
            "PYTHONUNBUFFERED": "1",
        }
    )
    if db == "postgresql":
        env["DATABASE_URL"] = args.pg_url
    if redis:
        env["BANLI_REDIS_URL"] = args.redis_url
    return env


def _secret_key(var_dir: Path) -> str:
    """One key per run directory, so the sessions of a run outlive a server restart."""
    var_dir.mkdir(parents=True, exist_ok=True)
    path = var_dir / "bench-secret-key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


def banli(env: dict[str, str], *command: str) -> None:
    subprocess.run([sys.executable, "-m", "banli", *command], env=env, check=True)


# The dataset -----------------------------------------------------------------------------


def _pg_admin(pg_url: str):
    import psycopg

    parts = urlsplit(pg_url)
    name = parts.path.lstrip("/")
    admin = urlunsplit(parts._replace(path="/postgres"))
    return psycopg.connect(admin, autocommit=True), name


def ensure_pg_database(pg_url: str, *, fresh: bool) -> None:
    """Create the database if missing; drop and recreate it for a fresh generation."""
    from psycopg import sql

    connection, name = _pg_admin(pg_url)
    with connection:
        exists = connection.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [name]
        ).fetchone()
        if exists and fresh:
            connection.execute(
                sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name))
            )
            exists = None
        if not exists:
            connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def fresh_sqlite(var_dir: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        (var_dir / f"banli.sqlite3{suffix}").unlink(missing_ok=True)


def generate(env: dict[str, str], *, items: int, bodies: int, manifest: Path) -> dict:
    """The generation step, in one place: `banli bench_data` (banli/bench/generate.py)
    writes the dataset and its manifest; the runner reads only the manifest. It runs
    without BANLI_PRODUCTION: like `banli demo`, a generator of made-up records may refuse
    a production installation, and the bench database is none."""
    env = {k: v for k, v in env.items() if k != "BANLI_PRODUCTION"}
    banli(
        env,
        "bench_data",
        "--items",
        str(items),
        "--bodies",
        str(bodies),
        "--manifest",
        str(manifest),
    )
    return json.loads(manifest.read_text())


def prepare_dataset(args, db: str, env: dict[str, str]) -> dict:
    var_dir, manifest = var_dir_of(args, db), manifest_of(args, db)
    if args.reuse:
        if not manifest.exists():
            raise SystemExit(f"--reuse: no manifest at {manifest}; run once without --reuse")
        data = json.loads(manifest.read_text())
        if data.get("database") != db:
            raise SystemExit(f"--reuse: {manifest} describes a {data.get('database')} dataset")
        if db == "postgresql":
            ensure_pg_database(args.pg_url, fresh=False)
        banli(env, "migrate", "--noinput", "-v", "0")  # indexes added since: applied
        return data
    items = args.items or (QUICK_ITEMS if args.quick else FULL_ITEMS[db])
    bodies = args.bodies or (QUICK_BODIES if args.quick else FULL_BODIES[db])
    if db == "postgresql":
        ensure_pg_database(args.pg_url, fresh=True)
    else:
        fresh_sqlite(var_dir)
    manifest.unlink(missing_ok=True)
    started = time.monotonic()
    banli(env, "migrate", "--noinput", "-v", "0")
    migrated = time.monotonic() - started
    data = generate(env, items=items, bodies=bodies, manifest=manifest)
    data.setdefault("phases", {})
    data["migrate_seconds"] = round(migrated, 2)
    return data


# One database ---------------------------------------------------------------------------


def setup_django(env: dict[str, str]) -> None:
    os.environ.update(env)
    import django

    django.setup()


def database_version(db: str) -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        if db == "postgresql":
            cursor.execute("SHOW server_version")
        else:
            cursor.execute("SELECT sqlite_version()")
        return str(cursor.fetchone()[0])


def log(message: str) -> None:
    print(
        f"[bench {time.strftime('%H:%M:%S', time.gmtime())} UTC] {message}",
        file=sys.stderr,
        flush=True,
    )


def prepare_requests(base_url, chosen, ctx, sessions) -> tuple[dict, dict]:
    from .probe import EndpointRefused, prepare

    prepared, refused = {}, {}
    for endpoint in chosen:
        try:
            prepared[endpoint.name] = prepare(base_url, endpoint, ctx, sessions[endpoint.role])
        except EndpointRefused as exc:
            refused[endpoint.name] = str(exc)
            log(f"refused: {exc}")
    if "floor" not in prepared:
        raise SystemExit(f"the floor does not answer: {refused.get('floor')}")
    return prepared, refused


def drain(base_url: str, floor: dict) -> None:
    """Wait until the server has answered what the last run left queued: when wrk stops, up
    to `connections` requests are still waiting for a worker, and the next run would pay
    for them. One floor request, answered after them, marks the queue empty."""
    from .probe import fetch

    fetch(base_url, "GET", floor["path"], floor["headers"])


def load(base_url, chosen, prepared, connection_counts, duration, warmup) -> list[dict]:
    """Every endpoint at every connection count (the floor first), as result rows."""
    rows: list[dict] = []
    floor_rps: dict[int, float] = {}
    for endpoint in chosen:
        request = prepared.get(endpoint.name)
        if request is None:
            continue
        args = (
            base_url,
            request["method"],
            request["path"],
            request["headers"],
            request["body"],
            endpoint.expect,
        )
        if warmup > 0:
            run_wrk(*args, connections=max(2, workers_default()), duration=warmup)
            drain(base_url, prepared["floor"])
        for connections in connection_counts:
            result = run_wrk(*args, connections=connections, duration=duration)
            drain(base_url, prepared["floor"])
            if endpoint.name == "floor":
                floor_rps[connections] = result.rps
            floor = floor_rps.get(connections)
            row = {
                "name": endpoint.name,
                "role": endpoint.role,
                "method": endpoint.method,
                "path": request["path"],
                "connections": connections,
                "threads": result.threads,
                "requests": result.requests,
                "duration_s": result.duration_s,
                "rps": result.rps,
                "p50_ms": result.p50_ms,
                "p95_ms": result.p95_ms,
                "p99_ms": result.p99_ms,
                "max_ms": result.max_ms,
                "ratio_to_floor": round(result.rps / floor, 4) if floor else None,
                "errors": result.errors,
                "error_detail": {
                    "unexpected_status": result.unexpected_status,
                    "last_unexpected_status": result.last_unexpected_status,
                    "socket_errors": result.socket_errors,
                    "timeouts": result.timeouts,
                },
            }
            rows.append(row)
            log(
                f"{endpoint.name:22} c={connections:<3} {result.rps:9.1f} req/s  "
                f"p95 {result.p95_ms:8.1f} ms  errors {result.errors}"
            )
    return rows


def run_database(args, db: str) -> dict:
    env = server_env(args, db)
    var_dir = var_dir_of(args, db)
    log(f"{db}: dataset ({'reused' if args.reuse else 'generating'}) in {var_dir}")
    manifest = prepare_dataset(args, db, env)
    banli(env, "collectstatic", "--noinput", "-v", "0")
    setup_django(env)
    from .probe import count_queries
    from .sessions import create_sessions

    chosen = registry.select(args.endpoints.split(",") if args.endpoints else None)
    sessions = create_sessions(manifest, {e.role for e in chosen})
    ctx = registry.Context(manifest)
    server = Gunicorn(env, var_dir / "logs", workers=args.workers or workers_default()).start()
    try:
        log(f"{db}: serving on {server.url} with {server.workers} workers")
        prepared, refused = prepare_requests(server.url, chosen, ctx, sessions)
        host = urlsplit(server.url).netloc
        queries = {
            name: count_queries(request, sessions[registry_role(chosen, name)], host)
            for name, request in prepared.items()
        }
        rows = load(
            server.url, chosen, prepared, args.connection_counts, args.duration, args.warmup
        )
        peaks = server.peak_memory_mb()
        config = server.config()
    finally:
        server.stop()
    for row in rows:
        row["queries_per_request"] = queries.get(row["name"])
    scale_out = None
    if args.scale_out and db == "postgresql":
        scale_out = run_scale_out_child(args, db)
    peak = max(peaks) if peaks else None
    result: dict[str, Any] = {
        "schema": report.SCHEMA_VERSION,
        "date": dt.date.today().isoformat(),
        "started_at": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        "database": db,
        "items": manifest.get("items"),
        "dataset": {k: manifest.get(k) for k in ("items", "bodies", "units", "users", "seed")},
        "at_target_scale": report.at_target_scale(db, manifest.get("items") or 0),
        "machine": report.machine(db, database_version(db)),
        "server": {
            **config,
            "debug": False,
            "production": True,
            "conn_max_age": int(env["BANLI_CONN_MAX_AGE"]),
            "static": "collectstatic + whitenoise (CompressedStaticFilesStorage)",
            "behind_proxy_headers": True,
            "load_generator": "wrk -t min(c,2) -c c, Lua script (banli/bench/load.py)",
        },
        "duration_per_run_s": args.duration,
        "connections": args.connection_counts,
        "generation": {
            "generated_seconds": manifest.get("generated_seconds"),
            "phases": manifest.get("phases"),
            "migrate_seconds": manifest.get("migrate_seconds"),
            "reused": args.reuse,
        },
        "endpoints": rows,
        "refused": refused,
        "queries_method": "Django test Client + CaptureQueriesContext in the runner's "
        "process, same database and settings, second of two requests",
        "peak_memory_mb": {"max": peak, "workers": peaks, "source": "VmHWM of each worker"},
        "targets": report.evaluate_targets(
            rows, {e.name: e.target for e in chosen if e.name in prepared}, peak
        ),
    }
    if scale_out is not None:
        result["scale_out"] = scale_out
    json_path, md_path = report.write(result, args.out)
    log(f"{db}: wrote {json_path} and {md_path}")
    return result


def registry_role(chosen, name: str) -> str:
    return next(e.role for e in chosen if e.name == name)


# Scale-out ---------------------------------------------------------------------------------


def run_scale_out_child(args, db: str) -> dict | None:
    """The scale-out run in its own process (its settings differ: sessions and cache in
    Redis), on the dataset just measured."""
    out = var_dir_of(args, db) / "scale-out.json"
    out.unlink(missing_ok=True)
    command = [
        sys.executable,
        "-m",
        "banli.bench",
        "--db",
        db,
        "--reuse",
        "--pg-url",
        args.pg_url,
        "--redis-url",
        args.redis_url,
        "--duration",
        str(args.duration),
        "--warmup",
        str(args.warmup),
        "--scale-out-only",
        str(out),
    ]
    if args.var_dir:
        command += ["--var-dir", str(args.var_dir)]
    if args.manifest:
        command += ["--manifest", str(args.manifest)]
    if args.workers:
        command += ["--workers", str(args.workers)]
    completed = subprocess.run(command)
    if completed.returncode != 0 or not out.exists():
        log("scale-out run failed; see its output above")
        return None
    return json.loads(out.read_text())


def scale_out(args, db: str) -> int:
    env = server_env(args, db, redis=True)
    var_dir = var_dir_of(args, db)
    manifest = json.loads(manifest_of(args, db).read_text())
    setup_django(env)
    from django.conf import settings

    from .sessions import create_sessions

    chosen = registry.select(list(SCALE_OUT_ENDPOINTS))
    sessions = create_sessions(manifest, {e.role for e in chosen})
    ctx = registry.Context(manifest)
    workers = args.workers or workers_default()
    logs = var_dir / "logs"
    first = Gunicorn(env, logs, workers=workers, name="gunicorn-a").start()
    second = balancer = None
    try:
        prepared, _refused = prepare_requests(first.url, chosen, ctx, sessions)
        log("scale-out: one server")
        one = load(first.url, chosen, prepared, SCALE_OUT_CONNECTIONS, args.duration, args.warmup)
        second = Gunicorn(env, logs, workers=workers, name="gunicorn-b").start()
        balancer = Haproxy([first.url, second.url], logs).start()
        balanced_requests, _ = prepare_requests(balancer.url, chosen, ctx, sessions)
        log("scale-out: two servers behind haproxy")
        two = load(
            balancer.url,
            chosen,
            balanced_requests,
            SCALE_OUT_CONNECTIONS,
            args.duration,
            args.warmup,
        )
        peaks = first.peak_memory_mb() + second.peak_memory_mb()
    finally:
        for process in (balancer, second, first):
            if process is not None:
                process.stop()
    comparison = []
    for row in two:
        single = next(
            r for r in one if r["name"] == row["name"] and r["connections"] == row["connections"]
        )
        comparison.append(
            {
                "name": row["name"],
                "connections": row["connections"],
                "one_server_rps": single["rps"],
                "balanced_rps": row["rps"],
                "scaling": round(row["rps"] / single["rps"], 3) if single["rps"] else None,
                "one_server_p95_ms": single["p95_ms"],
                "balanced_p95_ms": row["p95_ms"],
                "errors": single["errors"] + row["errors"],
            }
        )
    sessions_engine = settings.SESSION_ENGINE
    cache = settings.CACHES["default"]["BACKEND"]
    result = {
        "servers": 2,
        "workers_each": workers,
        "balancer": "haproxy (roundrobin, loopback)",
        "redis_url": env.get("BANLI_REDIS_URL"),
        "sessions": f"SESSION_ENGINE {sessions_engine}, cache {cache}",
        "one_server": one,
        "balanced": two,
        "comparison": comparison,
        "peak_memory_mb": {"max": max(peaks) if peaks else None, "workers": peaks},
    }
    args.scale_out_only.write_text(json.dumps(result, ensure_ascii=False, indent=2))
    return 0


# Entry point ---------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parse_args(argv)
    if args.update_readme:
        print(report.update_readme(ROOT / "README.md", args.out if argv_has_out(argv) else RESULTS))
        return 0
    wrk_binary()  # fail before generating anything if the load generator is missing
    if args.scale_out_only:
        return scale_out(args, args.databases[0])
    if len(args.databases) == 1:
        result = run_database(args, args.databases[0])
        print(report.markdown(result))
        return 1 if result["refused"] else 0
    # One process per database; then the tables, together.
    status = 0
    for db in args.databases:
        child = [*_without_db(argv), "--db", db]
        completed = subprocess.run([sys.executable, "-m", "banli.bench", *child])
        status = status or completed.returncode
    return status


def argv_has_out(argv: list[str]) -> bool:
    return any(arg == "--out" or arg.startswith("--out=") for arg in argv)


def _without_db(argv: list[str]) -> list[str]:
    out, skip = [], False
    for arg in argv:
        if skip:
            skip = False
            continue
        if arg == "--db":
            skip = True
            continue
        if arg.startswith("--db="):
            continue
        out.append(arg)
    return out
