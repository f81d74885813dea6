"""Verification runs in bounded time and memory, whatever the file does."""

import multiprocessing

import pytest

from signatures import pdfcheck
from signatures.errors import UnreadablePdf, VerificationTimeout
from signatures.signing import sign_pdf
from signatures.verification import run_bounded, trust_material

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed(trusted, leader_cert, pdf) -> bytes:
    return sign_pdf(pdf, leader_cert, reason="Phê duyệt", location="Đà Lạt")


@pytest.mark.parametrize("isolation", ["process", "thread", "inline"])
def test_every_isolation_mode_gives_the_same_report(signed, isolation):
    roots, others = trust_material()
    report = run_bounded(signed, roots, others, isolation=isolation)
    assert report.verdict == "valid"
    assert report.signatures[0].signer_name == "Đặng Văn Khoa"


@pytest.mark.parametrize("isolation", ["process", "thread"])
def test_a_verification_past_its_time_is_abandoned(signed, isolation):
    roots, others = trust_material()
    with pytest.raises(VerificationTimeout):
        run_bounded(signed, roots, others, isolation=isolation, timeout=0.0001)
    assert not [p for p in multiprocessing.active_children() if p.is_alive()]


def test_a_child_that_dies_is_an_unreadable_file(signed, monkeypatch):
    monkeypatch.setattr(pdfcheck, "child_main", _die)
    roots, others = trust_material()
    with pytest.raises(UnreadablePdf):
        run_bounded(signed, roots, others, isolation="process")


def _die(connection, *args):
    import os

    os._exit(9)


def test_memory_hungry_verification_is_refused_not_fatal(signed, settings, monkeypatch):
    """The child's address space is capped: allocating past it fails inside the child only."""
    settings.SIGNATURES_VERIFY_MEMORY_LIMIT = 64 * 1024 * 1024

    def hungry(pdf_bytes, roots, others):
        bytearray(512 * 1024 * 1024)

    monkeypatch.setattr(pdfcheck, "inspect_pdf", hungry)
    roots, others = trust_material()
    with pytest.raises(VerificationTimeout):  # "too complex": MemoryError in the child
        run_bounded(signed, roots, others, isolation="process")
