"""Verification of uploaded PDFs, for everyone, in bounded time and memory.

``verify_pdf(pdf_bytes)`` refuses by size before any parsing (``SIGNATURES_VERIFY_MAX_BYTES``,
``FileTooLarge`` → 413), refuses what is not a PDF (``NotAPdf`` → 400), then reads and
validates every signature against the active trust anchors.

Bounded time: parsing a hostile PDF is the riskiest thing the portal does for anonymous
visitors (deep nesting, decompression bombs, xref loops). pyHanko's strict parsing and its
decode limits stop most of it, but not all of it in bounded time, so the work runs in a child
process (``SIGNATURES_VERIFY_ISOLATION = "process"``, the default) that is killed when
``SIGNATURES_VERIFY_TIMEOUT`` passes and runs under an address-space and a CPU-time limit
(``SIGNATURES_VERIFY_MEMORY_LIMIT``). The child is *forked* from the serving process: pyHanko is
already imported, so a fork costs a few milliseconds, where a fresh interpreter would cost half
a second. The child only runs ``signatures.pdfcheck`` (no Django, no database: it never touches
the inherited connections) and leaves with ``os._exit`` as multiprocessing does, so nothing is
flushed or closed on the parent's behalf. (The forkserver method was tried and rejected: its
children re-import the ``__main__`` module of gunicorn, manage.py or pytest on every fork.)
Where processes cannot be started, ``"thread"`` runs the work in a thread the request stops
waiting for at the timeout; ``"inline"`` (benchmarks, tests of the pure logic) has no bound.
"""

from __future__ import annotations

import logging
import multiprocessing
import threading

from django.utils.translation import gettext as _

from signatures import pdfcheck, pki
from signatures.conf import setting
from signatures.errors import (
    EncryptedPdf,
    FileTooLarge,
    NotAPdf,
    UnreadablePdf,
    VerificationTimeout,
)
from signatures.models import IntermediateCertificate, TrustAnchor
from signatures.pdfcheck import VerificationReport

logger = logging.getLogger(__name__)

PDF_MAGIC = b"%PDF-"
# The PDF header may follow a little junk (Acrobat accepts it within the first 1024 bytes).
HEADER_WINDOW = 1024

_mp_context = None
_mp_lock = threading.Lock()


class _CannotIsolate(Exception):
    pass


def max_bytes() -> int:
    return int(setting("SIGNATURES_VERIFY_MAX_BYTES"))


def check_size(size: int | None) -> None:
    """Refuse by declared or actual size, before reading or parsing anything."""
    limit = max_bytes()
    if size is not None and size > limit:
        raise FileTooLarge(_("Tệp quá lớn: tối đa %(limit)s MB.") % {"limit": _megabytes(limit)})


def _megabytes(size: int) -> str:
    value = size / (1024 * 1024)
    return f"{value:.0f}" if value >= 1 else f"{value:.2f}"


def check_looks_like_pdf(head: bytes) -> None:
    if PDF_MAGIC not in head[:HEADER_WINDOW]:
        raise NotAPdf()


def trust_material() -> tuple[list[bytes], list[bytes]]:
    """DER of the active trust anchors and intermediates (two queries)."""
    roots = [
        pki.to_der(pki.load_certificate(pem))
        for pem in TrustAnchor.objects.filter(is_active=True).values_list("pem", flat=True)
    ]
    others = [
        pki.to_der(pki.load_certificate(pem))
        for pem in IntermediateCertificate.objects.filter(is_active=True).values_list(
            "pem", flat=True
        )
    ]
    return roots, others


def verify_pdf(pdf_bytes: bytes) -> VerificationReport:
    """Every signature of ``pdf_bytes`` with its verdict, and the overall verdict.

    Raises a ``VerificationRefused`` subclass (with a Vietnamese reason) when the file cannot
    be checked at all: too large, not a PDF, encrypted, unreadable, or too slow to check.
    """
    check_size(len(pdf_bytes))
    check_looks_like_pdf(pdf_bytes)
    roots, others = trust_material()
    return run_bounded(pdf_bytes, roots, others)


def run_bounded(
    pdf_bytes: bytes,
    roots: list[bytes],
    others: list[bytes],
    *,
    isolation: str | None = None,
    timeout: float | None = None,
) -> VerificationReport:
    isolation = isolation or setting("SIGNATURES_VERIFY_ISOLATION")
    timeout = float(timeout if timeout is not None else setting("SIGNATURES_VERIFY_TIMEOUT"))
    if isolation == "inline":
        return _inspect(pdf_bytes, roots, others)
    if isolation == "process":
        try:
            return _in_child_process(pdf_bytes, roots, others, timeout)
        except _CannotIsolate as exc:
            logger.warning("Verification falls back to a thread: %s", exc)
    return _in_thread(pdf_bytes, roots, others, timeout)


def _refusal(code: str) -> Exception:
    if code == "encrypted":
        return EncryptedPdf()
    if code == "too_complex":
        return VerificationTimeout()
    return UnreadablePdf()


def _inspect(pdf_bytes: bytes, roots: list[bytes], others: list[bytes]) -> VerificationReport:
    try:
        return pdfcheck.inspect_pdf(pdf_bytes, roots, others)
    except pdfcheck.PdfRefused as refused:
        raise _refusal(refused.code) from refused


def _context():
    global _mp_context
    with _mp_lock:
        if _mp_context is None:
            try:
                _mp_context = multiprocessing.get_context("fork")
            except ValueError as exc:  # pragma: no cover - platforms without fork
                raise _CannotIsolate(str(exc)) from exc
        return _mp_context


def _in_child_process(
    pdf_bytes: bytes, roots: list[bytes], others: list[bytes], timeout: float
) -> VerificationReport:
    context = _context()
    receiver, sender = context.Pipe(duplex=False)
    process = context.Process(
        target=pdfcheck.child_main,
        args=(
            sender,
            pdf_bytes,
            roots,
            others,
            int(setting("SIGNATURES_VERIFY_MEMORY_LIMIT") or 0),
            int(timeout) + 1,
        ),
        daemon=True,
    )
    try:
        process.start()
    except (OSError, AssertionError, ValueError) as exc:
        receiver.close()
        sender.close()
        raise _CannotIsolate(repr(exc)) from exc
    sender.close()
    try:
        if not receiver.poll(timeout):
            raise VerificationTimeout()
        kind, payload = receiver.recv()
    except (EOFError, OSError) as exc:
        # The child died without answering (memory limit, CPU limit, crash).
        raise UnreadablePdf() from exc
    finally:
        receiver.close()
        if process.is_alive():
            process.kill()
        process.join(timeout=5)
    if kind == "ok":
        return payload
    raise _refusal(payload)


def _in_thread(
    pdf_bytes: bytes, roots: list[bytes], others: list[bytes], timeout: float
) -> VerificationReport:
    outcome: dict = {}

    def work() -> None:
        try:
            outcome["report"] = _inspect(pdf_bytes, roots, others)
        except Exception as exc:  # handed to the caller below
            outcome["error"] = exc

    worker = threading.Thread(target=work, name="pdf-verification", daemon=True)
    worker.start()
    worker.join(timeout)
    if worker.is_alive():
        raise VerificationTimeout()
    if "error" in outcome:
        error = outcome["error"]
        if isinstance(error, UnreadablePdf | EncryptedPdf | VerificationTimeout):
            raise error
        raise UnreadablePdf() from error
    return outcome["report"]
