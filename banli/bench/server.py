"""The servers under load: gunicorn in a production configuration, and haproxy in front of
several of them for the scale-out run. Each runs as a child process of the runner, on
loopback, on a free port, with its output in the run's directory."""

from __future__ import annotations

import http.client
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(url: str, timeout: float = 60.0, process: subprocess.Popen | None = None) -> None:
    """Until `url` answers at all (any HTTP status, redirects not followed), or fail."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"the server exited with {process.returncode} before answering")
        parts = urlsplit(url)
        connection = http.client.HTTPConnection(
            parts.hostname or "127.0.0.1", parts.port, timeout=5
        )
        try:
            connection.request("GET", parts.path or "/")
            connection.getresponse().read()
            return
        except OSError:
            time.sleep(0.2)
        finally:
            connection.close()
    raise RuntimeError(f"{url} did not answer within {timeout:.0f} s")


def workers_default() -> int:
    return os.cpu_count() or 1


@dataclass
class Gunicorn:
    """gunicorn serving banli.wsgi with `workers` sync workers on 127.0.0.1:`port`."""

    env: dict[str, str]
    log_dir: Path
    workers: int = field(default_factory=workers_default)
    port: int = field(default_factory=free_port)
    name: str = "gunicorn"
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def command(self) -> list[str]:
        return [
            sys.executable,
            "-m",
            "gunicorn",
            "banli.wsgi:application",
            "--bind",
            f"127.0.0.1:{self.port}",
            "--workers",
            str(self.workers),
            "--worker-class",
            "sync",
            # A slow page under 64 connections must be measured, not killed.
            "--timeout",
            "120",
            "--backlog",
            "2048",
            "--log-level",
            "warning",
        ]

    def config(self) -> dict:
        return {
            "server": "gunicorn",
            "worker_class": "sync",
            "workers": self.workers,
            "bind": f"127.0.0.1:{self.port}",
        }

    def start(self) -> Gunicorn:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        log = open(self.log_dir / f"{self.name}.log", "ab")  # noqa: SIM115 (kept by the child)
        self.process = subprocess.Popen(
            self.command(), env=self.env, stdout=log, stderr=subprocess.STDOUT
        )
        log.close()
        try:
            wait_for(self.url + "/login/", process=self.process)
            self._wait_for_workers()
        except BaseException:
            self.stop()
            raise
        return self

    def _wait_for_workers(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while len(self.worker_pids()) < self.workers and time.monotonic() < deadline:
            time.sleep(0.1)

    def worker_pids(self) -> list[int]:
        if self.process is None:
            return []
        try:
            children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
            return [int(pid) for pid in children.read_text().split()]
        except OSError:
            return []

    def peak_memory_mb(self) -> list[float]:
        """Each worker's peak resident memory (VmHWM), in MB."""
        peaks = []
        for pid in self.worker_pids():
            try:
                status = Path(f"/proc/{pid}/status").read_text()
            except OSError:
                continue
            for line in status.splitlines():
                if line.startswith("VmHWM:"):
                    peaks.append(round(int(line.split()[1]) / 1024, 1))
        return peaks

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


@dataclass
class Haproxy:
    """haproxy on 127.0.0.1:`port`, round robin over `backends` (base URLs)."""

    backends: list[str]
    log_dir: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def config_text(self) -> str:
        servers = "\n".join(
            f"    server app{n} {url.removeprefix('http://')} check"
            for n, url in enumerate(self.backends, 1)
        )
        return f"""global
    maxconn 4096

defaults
    mode http
    timeout connect 5s
    timeout client 120s
    timeout server 120s
    option http-keep-alive

frontend bench
    bind 127.0.0.1:{self.port}
    default_backend banli

backend banli
    balance roundrobin
{servers}
"""

    def start(self) -> Haproxy:
        binary = shutil.which("haproxy") or "/usr/sbin/haproxy"
        if not Path(binary).exists():
            raise RuntimeError("haproxy is missing: `make bench-tools` installs it")
        self.log_dir.mkdir(parents=True, exist_ok=True)
        config = self.log_dir / "haproxy.cfg"
        config.write_text(self.config_text())
        log = open(self.log_dir / "haproxy.log", "ab")  # noqa: SIM115 (kept by the child)
        self.process = subprocess.Popen(
            [binary, "-db", "-f", str(config)], stdout=log, stderr=subprocess.STDOUT
        )
        log.close()
        try:
            wait_for(self.url + "/login/", process=self.process)
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
