"""Faults with real services (docs/security.md "Faults"): PostgreSQL restarted under load,
Redis down while citizens file and staff act, the disk full during an upload.

The PostgreSQL and Redis here are private (``services.py``): a throwaway cluster and server on
free ports, with the portal itself served by gunicorn in production mode against them. The
shared PostgreSQL and Redis of the test suite are never stopped.

Covered elsewhere, with a real Celery worker (tests/routing/test_real_worker.py):
a worker SIGKILLed mid-task redelivers and completes once
(``test_a_worker_killed_mid_delivery_redelivers_exactly_once``), and a dossier filed while
the broker is down is routed once it returns (``test_broker_down_at_filing_then_the_sweeper_
delivers``).
"""

from __future__ import annotations

import errno
import json
import threading
import time
from pathlib import Path

import psycopg2
import pytest
from django.core.files.storage import FileSystemStorage
from django.urls import reverse

from dossiers.models import Attachment, Dossier, DossierEvent
from tests.dossiers.factories import PDF_BYTES, Catalog, applicant_data, pdf
from tests.security import services

pytestmark = pytest.mark.fault

SEED = """
import json
from rest_framework.authtoken.models import Token
from tests.dossiers.factories import Catalog
catalog = Catalog()
print("SEED" + json.dumps({
    "procedure": catalog.code,
    "citizen": Token.objects.create(user=catalog.citizen).key,
    "desk": Token.objects.create(user=catalog.desk).key,
}))
"""


class Stack:
    def __init__(self) -> None:
        self.postgres = services.Postgres()
        self.redis = services.Redis()
        self.portal = services.Portal(self.postgres, self.redis)
        self.seed: dict = {}

    def up(self) -> None:
        self.postgres.init()
        self.redis.start()
        self.portal.manage("migrate", "--noinput")
        out = self.portal.manage("shell", "-c", SEED)
        self.seed = json.loads(out.split("SEED", 1)[1])
        self.portal.start()

    def down(self) -> None:
        self.portal.stop()
        self.redis.stop()
        self.postgres.destroy()

    def sql(self, query: str, *params) -> list[tuple]:
        with psycopg2.connect(self.postgres.url(), connect_timeout=5) as conn, conn.cursor() as cur:
            cur.execute(query, params)
            return cur.fetchall()

    def file(self, phone: str = "0912345678", timeout: float = 30) -> tuple[int, bytes, float]:
        fields = {
            **{k: v for k, v in applicant_data(applicant_phone=phone).items() if v},
            "procedure": self.seed["procedure"],
        }
        body, kind = services.multipart(
            fields, {"doc_to-khai": ("to-khai.pdf", PDF_BYTES, "application/pdf")}
        )
        return self.portal.request(
            "POST",
            "/api/v1/dossiers/",
            body=body,
            headers={"Content-Type": kind, "Authorization": f"Token {self.seed['citizen']}"},
            timeout=timeout,
        )


@pytest.fixture(scope="module")
def stack():
    reason = services.available()
    if reason:
        pytest.fail(f"fault tests need the PostgreSQL and Redis binaries: {reason}")
    stack = Stack()
    try:
        stack.up()
        yield stack
    finally:
        stack.down()


def test_postgres_restarted_under_load_fails_cleanly_and_recovers_without_a_restart(stack):
    portal_pid = stack.portal.process.pid
    results: list[tuple[float, str, int, bytes, float]] = []
    stop = threading.Event()

    def load(kind: str) -> None:
        while not stop.is_set():
            started = time.monotonic()
            if kind == "file":
                status, body, seconds = stack.file(timeout=30)
            else:
                status, body, seconds = stack.portal.json(
                    "GET", "/api/v1/dossiers/", token=stack.seed["citizen"], timeout=30
                )
            results.append((started, kind, status, body, seconds))
            time.sleep(0.05)

    threads = [threading.Thread(target=load, args=(k,)) for k in ("file", "list", "list")]
    for thread in threads:
        thread.start()
    try:
        time.sleep(2)
        down_at = time.monotonic()
        stack.postgres.stop()
        time.sleep(3)
        stack.postgres.start()
        up_at = time.monotonic()
        # Recovered: the next requests succeed (the portal was not restarted).
        services.wait_until(
            lambda: any(r[0] > up_at and r[2] in {200, 201} for r in results),
            20,
            "the first successful request after the restart",
        )
        time.sleep(1)
    finally:
        stop.set()
        for thread in threads:
            thread.join(40)

    assert stack.portal.process.poll() is None and stack.portal.process.pid == portal_pid
    statuses = {r[2] for r in results}
    assert statuses <= {200, 201, 503}, sorted(statuses)
    assert max(r[4] for r in results) < 15, "a request hung while the database was down"
    outage = [r for r in results if r[2] == 503]
    assert outage, "no request saw the outage"
    for *_rest, body, _seconds in outage:
        assert "cơ sở dữ liệu" in json.loads(body)["detail"]
    assert all(r[0] >= down_at - 1 for r in outage), "503 before the outage"
    assert any(r[0] > up_at and r[2] == 201 for r in results) or any(
        r[0] > up_at and r[2] == 200 for r in results
    )
    # Nothing lost, nothing half-written: every 201 is in the database with its history and
    # its file, and every dossier in the database has both.
    filed = {json.loads(r[3])["code"] for r in results if r[2] == 201}
    rows = stack.sql(
        "SELECT d.code, count(DISTINCT e.id), count(DISTINCT a.id) FROM dossiers_dossier d "
        "LEFT JOIN dossiers_dossierevent e ON e.dossier_id = d.id "
        "LEFT JOIN dossiers_attachment a ON a.dossier_id = d.id GROUP BY d.code"
    )
    in_db = {code for code, _events, _files in rows}
    assert filed <= in_db
    assert all(events >= 1 and files >= 1 for _code, events, files in rows)


def test_redis_down_filing_and_transitions_still_commit(stack):
    stack.redis.stop()
    try:
        status, body, seconds = stack.file(phone="0987000111", timeout=60)
        assert status == 201, body[:500]
        assert seconds < 30, f"filing took {seconds:.1f} s with Redis down"
        code = json.loads(body)["code"]

        status, body, seconds = stack.portal.json(
            "POST", f"/api/v1/dossiers/{code}/actions/receive/", {"note": ""},
            token=stack.seed["desk"], timeout=60,
        )  # fmt: skip
        assert status == 200, body[:500]
        assert seconds < 30

        # The cache degrades to "no cache"; readiness says what is missing.
        assert stack.portal.get("/procedures/")[0] == 200
        ready_status, ready, _ = stack.portal.get("/readyz")
        assert ready_status == 503 and json.loads(ready)["broker"] is False
        assert stack.portal.get("/healthz")[0] == 200
    finally:
        stack.redis.start()

    actions = [
        row[0]
        for row in stack.sql(
            "SELECT e.action FROM dossiers_dossierevent e JOIN dossiers_dossier d "
            "ON d.id = e.dossier_id WHERE d.code = %s ORDER BY e.at, e.id",
            code,
        )
    ]
    assert actions == ["submit", "receive"]
    assert stack.sql("SELECT status FROM dossiers_dossier WHERE code = %s", code) == [(2,)]
    # The messages that could not be queued wait in the database for their sweepers.
    pending = stack.sql(
        "SELECT count(*) FROM dossiers_notification n JOIN dossiers_dossier d "
        "ON d.id = n.dossier_id WHERE d.code = %s AND n.status = 'pending'",
        code,
    )[0][0]
    assert pending >= 1
    services.wait_until(lambda: stack.portal.get("/readyz")[0] == 200, 15, "readiness")


# --- disk full on upload (in process, a storage that fills up mid-write) ---------------------


class DiskFullStorage(FileSystemStorage):
    """The real file-system storage, on a disk that fills up after the first chunk: the file
    is created and partly written, then the write fails with ENOSPC, as on a full volume."""

    def _save(self, name, content):
        chunks = content.chunks

        def failing_chunks(chunk_size=None):
            for chunk in chunks():
                yield chunk[:16]
                raise OSError(errno.ENOSPC, "No space left on device")

        content.chunks = failing_chunks
        return super()._save(name, content)


@pytest.fixture
def disk_full(settings, tmp_path):
    root = tmp_path / "full"
    settings.STORAGES = {
        **settings.STORAGES,
        "private": {
            "BACKEND": f"{__name__}.DiskFullStorage",
            "OPTIONS": {"location": str(root), "base_url": None},
        },
    }
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    return root


def stored_files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


@pytest.mark.django_db
def test_disk_full_on_upload_is_a_clear_503_with_no_orphan_row_or_file(disk_full, client):
    from rest_framework.test import APIClient

    catalog = Catalog()
    api = APIClient(raise_request_exception=False)
    api.force_authenticate(catalog.citizen)
    data = {**applicant_data(), "procedure": catalog.code, "doc_to-khai": pdf()}
    response = api.post(reverse("api-dossier-list"), data, format="multipart")
    assert response.status_code == 503
    assert "đầy" in response.json()["detail"]
    assert response["Retry-After"]
    assert Dossier.objects.count() == 0
    assert Attachment.objects.count() == 0 and DossierEvent.objects.count() == 0
    assert stored_files(disk_full) == [], "a partly written file was left behind"

    # The web form says the same, as a page.
    client.raise_request_exception = False
    client.force_login(catalog.citizen)
    page = client.post(
        reverse("dossiers:new", kwargs={"procedure_code": catalog.code}),
        {**applicant_data(), "submission_key": "disk-full-1", "doc_to-khai": pdf()},
    )
    assert page.status_code == 503, page.content[:3000]
    assert "đầy" in page.content.decode()
    assert page["Content-Type"].startswith("text/html")
    assert Dossier.objects.count() == 0
    assert stored_files(disk_full) == []
