import pytest

from tests.dossiers.documents.factories import pdf_text


@pytest.fixture
def run_on_commit(django_capture_on_commit_callbacks):
    """Run the on-commit side effects (signal → task, eager) of a block, as production does."""

    def runner(function, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return function(*args, **kwargs)

    return runner


@pytest.fixture
def text_of():
    return pdf_text


@pytest.fixture
def documents_worker(django_db_setup, tmp_path):
    """A REAL Celery worker subscribed to the ``documents`` queue only, on the test database,
    the test broker and this test's private storage. Stopped (process group) at the end."""
    import os
    import signal
    import subprocess
    import sys
    import time
    import uuid
    from pathlib import Path

    import redis
    from django.conf import settings
    from django.db import connection

    db = connection.settings_dict
    database_url = (
        f"postgres://{db['USER'] or 'postgres'}@{db.get('HOST') or '127.0.0.1'}:"
        f"{db.get('PORT') or 5432}/{db['NAME']}"
    )
    broker = settings.CELERY_BROKER_URL or settings.REDIS_URL
    redis.Redis.from_url(broker).delete("documents")
    log_path = tmp_path / "worker.log"
    log = log_path.open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "portal", "worker", "--loglevel=INFO",
         "--concurrency=1", "--queues=documents", f"--hostname=documents-{uuid.uuid4().hex[:6]}@%h",
         "--without-gossip", "--without-mingle", "--without-heartbeat"],
        cwd=Path(settings.BASE_DIR),
        env={**os.environ, "DATABASE_URL": database_url, "CELERY_BROKER_URL": broker,
             "PRIVATE_MEDIA_ROOT": str(tmp_path / "private"), "LOG_LEVEL": "INFO"},
        stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    deadline = time.monotonic() + 90
    while " ready." not in log_path.read_text():
        if process.poll() is not None or time.monotonic() > deadline:
            pytest.fail(f"documents worker did not start:\n{log_path.read_text()[-3000:]}")
        time.sleep(0.1)
    yield log_path
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
    log.close()
