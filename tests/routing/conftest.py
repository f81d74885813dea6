"""Fixtures of the routing tests, including a REAL Celery worker.

``worker_factory`` starts ``celery -A tests.routing.worker_app worker`` as a subprocess (its own
process group) on a Redis broker database of its own (``ROUTING_TEST_BROKER_URL``, default: the
test Redis URL with the next database number) and on pytest-django's test database, so tests
that use ``transactional_db`` commit rows the worker reads. The test process publishes to the
same broker (``broker`` fixture). Tests marked ``celery_worker`` run with eager mode off
(tests/conftest.py).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

import pytest
from django.conf import settings

from dossiers.sms import SandboxSmsBackend
from portal.celery import app as celery_app

ROOT = Path(__file__).resolve().parents[2]
LOGS = ROOT / "var" / "test-workers"


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _sandbox_sms(settings):
    settings.SMS_BACKEND = "sandbox"
    SandboxSmsBackend.reset()
    yield
    SandboxSmsBackend.reset()


def wait_for(predicate: Callable[[], object], timeout: float = 30, what: str = "condition"):
    """Poll ``predicate`` until it returns something truthy; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.05)


# --- broker ---------------------------------------------------------------------------------


def broker_url() -> str:
    explicit = os.environ.get("ROUTING_TEST_BROKER_URL")
    if explicit:
        return explicit
    base = settings.REDIS_URL or "redis://127.0.0.1:6379/0"
    parts = urlsplit(base)
    db = int(parts.path.strip("/") or 0)
    return urlunsplit(parts._replace(path=f"/{(db + 1) % 16}"))


def use_broker(url: str) -> None:
    """Point the test process's producer at ``url`` (forgets the app's pools; kombu keeps one
    pool per URL, so switching back reuses it). Celery
    reads ``CELERY_BROKER_URL`` from the environment before its configuration, so both."""
    celery_app._pool = None
    celery_app.amqp._producer_pool = None
    os.environ["CELERY_BROKER_URL"] = url
    celery_app.conf.broker_url = url


@pytest.fixture(scope="session")
def broker() -> Iterator[str]:
    import redis

    url = broker_url()
    redis.Redis.from_url(url).flushdb()
    previous = os.environ.get("CELERY_BROKER_URL")
    use_broker(url)
    yield url
    use_broker(previous or "")
    if previous is None:
        del os.environ["CELERY_BROKER_URL"]


# --- the worker -----------------------------------------------------------------------------


def _database_url() -> str:
    from django.db import connection

    db = connection.settings_dict
    auth = quote(db["USER"] or "postgres")
    if db.get("PASSWORD"):
        auth += ":" + quote(db["PASSWORD"])
    host = db.get("HOST") or "127.0.0.1"
    port = db.get("PORT") or 5432
    return f"postgres://{auth}@{host}:{port}/{db['NAME']}"


class Worker:
    """One ``celery worker`` process group; ``kill()`` is SIGKILL of the whole group."""

    def __init__(self, broker: str, queues: str, concurrency: int, env: dict[str, str]):
        LOGS.mkdir(parents=True, exist_ok=True)
        self.log_path = LOGS / f"worker-{uuid.uuid4().hex[:8]}.log"
        self._log = self.log_path.open("w")
        child_env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "portal.settings",
            "DATABASE_URL": _database_url(),
            "REDIS_URL": settings.REDIS_URL,
            "CELERY_BROKER_URL": broker,
            "CELERY_DB_REUSE_MAX": "100",
            "LOG_LEVEL": "WARNING",
            "SMS_BACKEND": "console",
            **env,
        }
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "tests.routing.worker_app",
                "worker",
                "--loglevel=INFO",
                f"--concurrency={concurrency}",
                f"--queues={queues}",
                f"--hostname=routing-test-{uuid.uuid4().hex[:6]}@%h",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
            ],
            cwd=ROOT,
            env=child_env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        wait_for(self._ready, timeout=60, what=f"the worker to start (log: {self.log_path})")

    def _ready(self) -> bool:
        if self.process.poll() is not None:
            pytest.fail(f"worker exited early:\n{self.log_path.read_text()[-3000:]}")
        return " ready." in self.log_path.read_text()

    def log(self) -> str:
        return self.log_path.read_text()

    def kill(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=20)

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()
        self._log.close()


@pytest.fixture
def worker_factory(broker, django_db_setup) -> Iterator[Callable[..., Worker]]:
    """``worker_factory(queues="routing", concurrency=1, **env)`` starts a real worker; every
    worker started is stopped at the end of the test (before the test database goes)."""
    started: list[Worker] = []

    def start(queues: str = "default,routing", concurrency: int = 1, **env: str) -> Worker:
        worker = Worker(broker, queues, concurrency, env)
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.stop()
