"""Processes the benchmark starts and stops: gunicorn, a Celery worker, wrk."""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
BIN = Path(PYTHON).parent


@dataclass
class Measurement:
    name: str
    path: str
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    errors: int
    requests: int

    def as_dict(self) -> dict:
        return self.__dict__.copy()


def manage(*args: str, env: dict[str, str], check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(
        [PYTHON, "manage.py", *args],
        cwd=ROOT,
        env=env,
        check=check,
        text=True,
        capture_output=True,
    )


class Background:
    """A child process in its own process group, stopped with the whole group."""

    def __init__(self, argv: list[str], env: dict[str, str], log: Path):
        self.log = log.open("w")
        self.process = subprocess.Popen(
            argv,
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.log.close()


def start_gunicorn(env: dict[str, str], port: int, workers: int, log: Path) -> Background:
    server = Background(
        [
            str(BIN / "gunicorn"),
            "portal.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--worker-class",
            "sync",
            "--timeout",
            "120",
            "--access-logfile",
            "-" if os.environ.get("BENCH_ACCESS_LOG") else "/dev/null",
        ],
        env,
        log,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as r:
                if r.status == 200:
                    return server
        except OSError:
            time.sleep(0.3)
    server.stop()
    raise RuntimeError(f"gunicorn did not start; see {log}")


def start_worker(env: dict[str, str], log: Path, queues: str, concurrency: int = 2) -> Background:
    return Background(
        [
            str(BIN / "celery"),
            "-A",
            "portal",
            "worker",
            "--loglevel=WARNING",
            f"--concurrency={concurrency}",
            f"--queues={queues}",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ],
        {**env, "CELERY_DB_REUSE_MAX": "1000"},
        log,
    )


_JSON = re.compile(r"BENCH_JSON (\{.*\})")


def wrk(
    name: str,
    url: str,
    *,
    duration: int,
    warmup: int,
    threads: int,
    connections: int,
    script: Path,
    env: dict[str, str],
) -> Measurement:
    """Warm up, then measure one URL with wrk on loopback."""
    base = ["wrk", f"-t{threads}", f"-c{connections}", "-s", str(script)]
    if warmup:
        subprocess.run([*base, f"-d{warmup}s", url], env=env, capture_output=True, check=False)
    result = subprocess.run(
        [*base, f"-d{duration}s", "--timeout", "10s", url],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    match = _JSON.search(result.stdout)
    if not match:
        raise RuntimeError(f"wrk gave no summary for {url}: {result.stdout[-500:]}{result.stderr}")
    data = json.loads(match.group(1))
    seconds = data["duration_us"] / 1e6
    return Measurement(
        name=name,
        path=url.split("/", 3)[-1],
        requests_per_second=round(data["requests"] / seconds, 1),
        p50_ms=round(data["p50_us"] / 1000, 2),
        p99_ms=round(data["p99_us"] / 1000, 2),
        errors=data["errors_status"] + data["errors_socket"],
        requests=data["requests"],
    )


def machine_facts() -> dict:
    import platform

    facts = {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
    }
    with contextlib.suppress(OSError):
        facts["postgres"] = subprocess.run(
            ["psql", "-h", "127.0.0.1", "-U", "postgres", "-Atc", "show server_version"],
            capture_output=True,
            text=True,
            check=False,
        ).stdout.strip()
    try:
        import django

        facts["django"] = django.get_version()
    except ImportError:
        pass
    return facts
