"""The load generator: wrk (Debian's package) in its own process, for a fixed time, with a
Lua script that sends the session's headers (and the POST's body), counts every response
whose status is not the expected one as an error, and prints one JSON line at the end."""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

LUA = r"""
-- Written by banli.bench.load: the request, the expected status, the summary as JSON.
wrk.method = "{method}"
wrk.path = {path}
{headers}
{body}
local expected = {expect}
local threads = {{}}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  unexpected = 0
  last_status = 0
end

function response(status, headers, body)
  if status ~= expected then
    unexpected = unexpected + 1
    last_status = status
  end
end

function done(summary, latency, requests)
  local bad, status = 0, 0
  for _, thread in ipairs(threads) do
    bad = bad + thread:get("unexpected")
    local s = thread:get("last_status")
    if s ~= 0 then status = s end
  end
  local e = summary.errors
  io.write(string.format(
    '\nBENCH-JSON {{"requests": %d, "duration_us": %d, "bytes": %d, ' ..
    '"unexpected_status": %d, "last_unexpected_status": %d, "socket_errors": %d, ' ..
    '"timeouts": %d, "p50_us": %d, "p95_us": %d, "p99_us": %d, "max_us": %d, ' ..
    '"mean_us": %.1f}}\n',
    summary.requests, summary.duration, summary.bytes, bad, status,
    e.connect + e.read + e.write, e.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99),
    latency.max, latency.mean))
end
"""


def lua_string(value: str) -> str:
    return json.dumps(value, ensure_ascii=True)  # a JSON string is a valid Lua string here


def script(method: str, path: str, headers: dict[str, str], body: str | None, expect: int) -> str:
    header_lines = "\n".join(
        f"wrk.headers[{lua_string(k)}] = {lua_string(v)}" for k, v in headers.items()
    )
    return LUA.format(
        method=method,
        path=lua_string(path),
        headers=header_lines,
        body=f"wrk.body = {lua_string(body)}" if body is not None else "",
        expect=expect,
    )


def wrk_binary() -> str:
    binary = shutil.which("wrk")
    if binary is None:
        raise RuntimeError("wrk is missing: `make bench-tools` installs Debian's package")
    return binary


@dataclass
class LoadResult:
    connections: int
    threads: int
    requests: int
    duration_s: float
    rps: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float
    errors: int
    unexpected_status: int
    last_unexpected_status: int
    socket_errors: int
    timeouts: int


def run_wrk(
    base_url: str,
    method: str,
    path: str,
    headers: dict[str, str],
    body: str | None,
    expect: int,
    connections: int,
    duration: float,
) -> LoadResult:
    threads = min(connections, 2)
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as handle:
        handle.write(script(method, path, headers, body, expect))
        lua = Path(handle.name)
    try:
        seconds = max(1, round(duration))
        completed = subprocess.run(
            [
                wrk_binary(),
                "-t",
                str(threads),
                "-c",
                str(connections),
                "-d",
                f"{seconds}s",
                "--timeout",
                "60s",
                "-s",
                str(lua),
                base_url,
            ],
            capture_output=True,
            text=True,
            timeout=seconds + 120,
        )
    finally:
        lua.unlink(missing_ok=True)
    line = next((ln for ln in completed.stdout.splitlines() if ln.startswith("BENCH-JSON ")), None)
    if completed.returncode != 0 or line is None:
        raise RuntimeError(
            f"wrk failed ({completed.returncode}): {completed.stderr.strip()}"
            f" {completed.stdout.strip()[-500:]}"
        )
    data = json.loads(line.removeprefix("BENCH-JSON "))
    duration_s = data["duration_us"] / 1e6
    errors = data["unexpected_status"] + data["socket_errors"] + data["timeouts"]
    return LoadResult(
        connections=connections,
        threads=threads,
        requests=data["requests"],
        duration_s=round(duration_s, 3),
        rps=round(data["requests"] / duration_s, 2) if duration_s else 0.0,
        p50_ms=round(data["p50_us"] / 1000, 2),
        p95_ms=round(data["p95_us"] / 1000, 2),
        p99_ms=round(data["p99_us"] / 1000, 2),
        max_ms=round(data["max_us"] / 1000, 2),
        errors=errors,
        unexpected_status=data["unexpected_status"],
        last_unexpected_status=data["last_unexpected_status"],
        socket_errors=data["socket_errors"],
        timeouts=data["timeouts"],
    )
