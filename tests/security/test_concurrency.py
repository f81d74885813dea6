"""Concurrency on the real PostgreSQL: requests in threads, each with its own connection, all
released together by a barrier. Whatever the interleaving: one winner and a 409 for the
others, a history that matches the dossier, unique codes, a file stored once."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.urls import reverse
from rest_framework.test import APIClient

from dossiers.filing import file_dossier
from dossiers.models import Attachment, Dossier, DossierEvent, FilingChannel, Status
from dossiers.workflow import transition
from portal.models import Role
from tests.dossiers.factories import Catalog, applicant_data, pdf
from tests.factories import staff_user

pytestmark = pytest.mark.django_db(transaction=True)


def together(*calls: Callable, timeout: float = 60):
    """Run ``calls`` in threads released at the same instant; their results in order."""
    barrier = threading.Barrier(len(calls))

    def run(call):
        try:
            barrier.wait(timeout)
            return call()
        finally:
            connection.close()  # each thread's own connection

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return [f.result(timeout) for f in [pool.submit(run, call) for call in calls]]


def api_as(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def action(user, code: str, name: str, body: dict, fmt: str = "json") -> Callable[[], int]:
    url = reverse("api-dossier-action", kwargs={"code": code, "action": name})
    return lambda: api_as(user).post(url, body, format=fmt).status_code


def history_matches(dossier: Dossier) -> None:
    dossier.refresh_from_db()
    events = list(DossierEvent.objects.filter(dossier=dossier).order_by("at", "id"))
    assert events[-1].to_status == dossier.status
    for before, after in zip(events, events[1:], strict=False):
        assert after.from_status == before.to_status, (before.action, after.action)


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def submitted(catalog: Catalog) -> Dossier:
    return file_dossier(
        procedure_code=catalog.code,
        applicant_user=catalog.citizen,
        data=applicant_data(),
        files={"to-khai": [pdf()]},
        channel=FilingChannel.ONLINE,
        actor=catalog.citizen,
    )


@pytest.mark.parametrize("round_", range(3))
def test_two_desks_receive_and_refuse_at_once_one_wins_one_gets_409(round_):
    catalog = Catalog()
    second_desk = staff_user(catalog.agency, Role.DESK)
    dossier = submitted(catalog)
    statuses = together(
        action(catalog.desk, dossier.code, "receive", {"note": "Tiếp nhận"}),
        action(second_desk, dossier.code, "refuse", {"reason": "Thiếu giấy tờ"}),
    )
    assert sorted(statuses) == [200, 409]
    dossier.refresh_from_db()
    assert dossier.status == (Status.RECEIVED if statuses[0] == 200 else Status.REFUSED)
    actions = list(
        DossierEvent.objects.filter(dossier=dossier)
        .order_by("at", "id")
        .values_list("action", flat=True)
    )
    assert actions == ["submit", "receive" if statuses[0] == 200 else "refuse"]
    history_matches(dossier)


def test_the_same_action_twice_at_once_is_applied_once():
    catalog = Catalog()
    second_desk = staff_user(catalog.agency, Role.DESK)
    dossier = submitted(catalog)
    statuses = together(
        action(catalog.desk, dossier.code, "receive", {}),
        action(second_desk, dossier.code, "receive", {}),
        action(catalog.desk, dossier.code, "receive", {}),
    )
    assert sorted(statuses) == [200, 409, 409]
    assert DossierEvent.objects.filter(dossier=dossier, action="receive").count() == 1
    history_matches(dossier)


def test_leader_completes_while_the_citizen_withdraws():
    catalog = Catalog()
    dossier = submitted(catalog)
    transition(dossier.code, "receive", catalog.desk)
    transition(dossier.code, "assign", catalog.desk, assignee=catalog.specialist.username)
    statuses = together(
        action(
            catalog.leader,
            dossier.code,
            "complete",
            {"result_summary": "Đã giải quyết", "result_file": pdf("kq.pdf")},
            "multipart",
        ),
        action(catalog.citizen, dossier.code, "withdraw", {"reason": "Không cần nữa"}),
    )
    assert sorted(statuses) == [200, 409]
    dossier.refresh_from_db()
    assert dossier.status in {Status.RESULT_READY, Status.WITHDRAWN}
    results = Attachment.objects.filter(dossier=dossier, kind="result").count()
    assert results == (1 if dossier.status == Status.RESULT_READY else 0)
    history_matches(dossier)


def test_fifty_concurrent_filings_get_fifty_unique_consecutive_codes():
    catalog = Catalog()
    filings = 50
    workers = 10  # ten connections at once on the shared server, fifty filings in all
    barrier = threading.Barrier(workers)

    def worker(index: int) -> list[str]:
        codes = []
        try:
            barrier.wait(60)
            for n in range(index, filings, workers):
                dossier = file_dossier(
                    procedure_code=catalog.code,
                    applicant_user=catalog.citizen,
                    data=applicant_data(summary=f"Hồ sơ {n}"),
                    files={"to-khai": [pdf(extra=str(n).encode())]},
                    channel=FilingChannel.ONLINE,
                    actor=catalog.citizen,
                )
                codes.append(dossier.code)
        finally:
            connection.close()
        return codes

    with ThreadPoolExecutor(max_workers=workers) as pool:
        codes = [code for chunk in pool.map(worker, range(workers)) for code in chunk]
    assert len(codes) == filings
    assert len(set(codes)) == filings
    sequences = sorted(int(code.rsplit("-", 1)[1]) for code in codes)
    assert sequences == list(range(1, filings + 1))
    assert Dossier.objects.filter(receiving_agency=catalog.agency).count() == filings


def test_the_same_filing_submitted_twice_at_once_is_filed_once():
    """A double click: two requests with the same Idempotency-Key."""
    catalog = Catalog()
    url = reverse("api-dossier-list")

    def post():
        data = {**applicant_data(), "procedure": catalog.code, "doc_to-khai": pdf()}
        client = api_as(catalog.citizen)
        response = client.post(url, data, format="multipart", HTTP_IDEMPOTENCY_KEY="dup-1")
        return response.status_code, response.json().get("code")

    first, second = together(post, post)
    assert first[0] == second[0] == 201
    assert first[1] == second[1]
    assert Dossier.objects.filter(applicant=catalog.citizen).count() == 1


def test_the_same_supplement_uploaded_twice_at_once_is_stored_once(tmp_path):
    catalog = Catalog()
    dossier = submitted(catalog)
    transition(dossier.code, "receive", catalog.desk)
    transition(dossier.code, "request-supplement", catalog.desk, reason="Thiếu", documents=["x"])
    content = b"-supplement-"

    def upload():
        body = {"note": "Bổ sung", "doc_to-khai": pdf("bo-sung.pdf", extra=content)}
        url = reverse("api-dossier-action", kwargs={"code": dossier.code, "action": "supplement"})
        return api_as(catalog.citizen).post(url, body, format="multipart").status_code

    statuses = together(upload, upload)
    assert sorted(statuses) == [200, 409]
    supplements = Attachment.objects.filter(dossier=dossier, kind="supplement")
    assert supplements.count() == 1
    root = Path(settings.STORAGES["private"]["OPTIONS"]["location"])
    stored = {p.relative_to(root).as_posix() for p in (root / "dossiers").rglob("*") if p.is_file()}
    assert stored == set(
        Attachment.objects.filter(dossier=dossier).values_list("storage_name", flat=True)
    )
    assert DossierEvent.objects.filter(dossier=dossier, action="supplement").count() == 1
    history_matches(dossier)


def test_the_same_file_twice_in_one_supplement_is_stored_once():
    catalog = Catalog()
    dossier = submitted(catalog)
    transition(dossier.code, "receive", catalog.desk)
    transition(dossier.code, "request-supplement", catalog.desk, reason="Thiếu", documents=["x"])
    twice = [pdf("a.pdf", extra=b"same"), pdf("b.pdf", extra=b"same")]
    transition(dossier.code, "supplement", catalog.citizen, files={"to-khai": twice})
    assert Attachment.objects.filter(dossier=dossier, kind="supplement").count() == 1
