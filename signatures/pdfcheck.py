"""Reading and validating every signature of a PDF with pyHanko, with no Django in sight.

This module runs inside the verification child process (``verification.py``), so it imports
nothing from Django and returns plain dataclasses that pickle. Trust is what the caller passes:
DER-encoded trust roots and intermediates; nothing is fetched from the network
(``allow_fetching=False``) and missing revocation information is tolerated (``soft-fail``).

The verdict of a signature, most serious first:

- ``modified``  the signed bytes changed, or the document was changed after signing in a way
  the signature does not allow (an incremental update beyond form filling / more signatures);
- ``invalid``   the signature itself is broken or cannot be checked (bad CMS, a /ByteRange that
  points outside the file, a revoked certificate);
- ``untrusted`` intact, but the certificate does not chain to an active trust anchor;
- ``expired``   the certificate was not valid at the signing time (or is expired now and no
  trusted timestamp proves the signature was made while it was valid);
- ``valid``     pyHanko's ``bottom_line``: intact, trusted, allowed changes only.
"""

from __future__ import annotations

import datetime
import io
import logging
from dataclasses import dataclass, field

from asn1crypto import x509 as asn1_x509
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.ades.report import AdESIndeterminate
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.settings import KeyUsageConstraints
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext

from signatures.loops import outside_event_loop

logger = logging.getLogger(__name__)

VALID = "valid"
MODIFIED = "modified"
UNTRUSTED = "untrusted"
EXPIRED = "expired"
INVALID = "invalid"
UNSIGNED = "unsigned"
# Most serious first: the overall verdict is the most serious of the signatures'.
SEVERITY = (MODIFIED, INVALID, UNTRUSTED, EXPIRED, VALID)

_EXPIRY_PROBLEMS = {
    AdESIndeterminate.OUT_OF_BOUNDS_NO_POE,
    AdESIndeterminate.OUT_OF_BOUNDS_NOT_REVOKED,
    AdESIndeterminate.EXPIRED,
    AdESIndeterminate.NOT_YET_VALID,
}
# Officials' certificates carry nonRepudiation; some also only digitalSignature: accept either.
KEY_USAGE = KeyUsageConstraints(
    key_usage={"non_repudiation", "digital_signature"}, match_all_key_usages=False
)


class PdfRefused(Exception):
    """The file as a whole cannot be checked; ``code`` says why."""

    def __init__(self, code: str):
        self.code = code
        super().__init__(code)


@dataclass(frozen=True)
class CertificateSummary:
    subject: str
    common_name: str
    issuer: str
    serial_number: str
    fingerprint_sha256: str
    not_before: datetime.datetime
    not_after: datetime.datetime


@dataclass
class SignatureReport:
    field_name: str
    signer_name: str = ""
    certificate: CertificateSummary | None = None
    signing_time: datetime.datetime | None = None
    timestamp_time: datetime.datetime | None = None
    reason: str = ""
    location: str = ""
    intact: bool = False
    cryptographically_valid: bool = False
    trusted: bool = False
    trust_problem: str | None = None
    coverage: str | None = None
    covers_whole_document: bool = False
    modification_level: str | None = None
    changes_allowed: bool | None = None
    certificate_valid_at_signing_time: bool | None = None
    bottom_line: bool = False
    verdict: str = INVALID
    problem: str | None = None

    @property
    def verdict_label(self) -> str:
        from signatures.verdicts import verdict_label

        return verdict_label(self.verdict)

    @property
    def explanation(self) -> str:
        from signatures.verdicts import verdict_explanation

        return verdict_explanation(self.verdict)

    @property
    def problem_text(self) -> str:
        from signatures.verdicts import problem_text

        return problem_text(self.problem)

    @property
    def modification_text(self) -> str:
        from signatures.verdicts import modification_text

        return modification_text(self.modification_level)


@dataclass
class VerificationReport:
    signatures: list[SignatureReport] = field(default_factory=list)
    verdict: str = UNSIGNED

    @property
    def signature_count(self) -> int:
        return len(self.signatures)

    @property
    def verdict_label(self) -> str:
        from signatures.verdicts import verdict_label

        return verdict_label(self.verdict)

    @property
    def explanation(self) -> str:
        from signatures.verdicts import verdict_explanation

        return verdict_explanation(self.verdict, overall=True)


def overall_verdict(verdicts: list[str]) -> str:
    if not verdicts:
        return UNSIGNED
    return min(verdicts, key=SEVERITY.index)


def _text(value) -> str:
    """A /Reason or /Location entry as text (pyHanko decodes PDF text strings)."""
    return "" if value is None else str(value)[:500]


_SHORT_NAMES = {
    "common_name": "CN",
    "organization_name": "O",
    "organizational_unit_name": "OU",
    "country_name": "C",
    "state_or_province_name": "ST",
    "locality_name": "L",
    "title": "T",
    "email_address": "E",
    "user_id": "UID",
    "serial_number": "SERIALNUMBER",
}


def _name_text(name: asn1_x509.Name) -> str:
    """``CN=…, O=…, C=VN``, most specific first, as the registry shows names (pki.py)."""
    parts = []
    for rdn in reversed(list(name.chosen)):
        for attribute in rdn:
            kind = attribute["type"].native
            value = attribute["value"].native
            parts.append(f"{_SHORT_NAMES.get(kind, kind)}={value}")
    return ", ".join(parts)


def _summary(cert: asn1_x509.Certificate) -> CertificateSummary:
    subject = cert.subject.native
    return CertificateSummary(
        subject=_name_text(cert.subject),
        common_name=str(subject.get("common_name", "")),
        issuer=_name_text(cert.issuer),
        serial_number=format(cert.serial_number, "X"),
        fingerprint_sha256=cert.sha256.hex(),
        not_before=cert.not_valid_before,
        not_after=cert.not_valid_after,
    )


def _context(roots: list[asn1_x509.Certificate], others: list[asn1_x509.Certificate], **kw):
    # Always pass trust_roots: without them pyHanko falls back to the operating system's store.
    return ValidationContext(
        trust_roots=roots,
        other_certs=others,
        allow_fetching=False,
        revocation_mode="soft-fail",
        **kw,
    )


def _byte_range_outside(embedded, file_length: int) -> bool:
    try:
        numbers = [int(n) for n in embedded.sig_object["/ByteRange"]]
    except (KeyError, TypeError, ValueError):
        return True
    if len(numbers) != 4 or min(numbers) < 0:
        return True
    start1, length1, start2, length2 = numbers
    return start1 + length1 > file_length or start2 + length2 > file_length


def _verdict(report: SignatureReport, status) -> str:
    if not status.intact:
        return MODIFIED
    if not status.valid:
        return INVALID
    if status.docmdp_ok is False or (
        status.coverage is not None and status.coverage < SignatureCoverageLevel.ENTIRE_REVISION
    ):
        report.problem = report.problem or "changed_after_signing"
        return MODIFIED
    if status.revoked:
        report.problem = "revoked"
        return INVALID
    if status.bottom_line:
        return VALID
    indication = status.trust_problem_indic
    if indication == AdESIndeterminate.NO_CERTIFICATE_CHAIN_FOUND:
        return UNTRUSTED
    if indication in _EXPIRY_PROBLEMS or report.certificate_valid_at_signing_time is False:
        return EXPIRED
    if not status.trusted:
        return UNTRUSTED
    if status.timestamp_validity is not None and not status.timestamp_validity.trusted:
        report.problem = "timestamp_untrusted"
        return UNTRUSTED
    return INVALID


def _check_one(embedded, roots, others, file_length: int) -> SignatureReport:
    report = SignatureReport(field_name=str(embedded.field_name or ""))
    sig = embedded.sig_object
    report.reason = _text(sig.get("/Reason"))
    report.location = _text(sig.get("/Location"))
    if _byte_range_outside(embedded, file_length):
        report.problem = "byte_range_outside_file"
        return report
    status = validate_pdf_signature(embedded, _context(roots, others), key_usage_settings=KEY_USAGE)
    cert = status.signing_cert
    report.certificate = _summary(cert)
    report.signer_name = report.certificate.common_name or str(sig.get("/Name", ""))[:200]
    report.signing_time = status.signer_reported_dt
    tst = status.timestamp_validity
    if tst is not None and tst.trusted:
        report.timestamp_time = tst.timestamp
    signing_moment = report.timestamp_time or report.signing_time
    if signing_moment is not None:
        report.certificate_valid_at_signing_time = (
            cert.not_valid_before <= signing_moment <= cert.not_valid_after
        )
    if (
        status.trust_problem_indic in _EXPIRY_PROBLEMS
        and report.timestamp_time is not None
        and report.certificate_valid_at_signing_time
    ):
        # B-T: a trusted timestamp proves the signature existed while the certificate was
        # valid, so validate the chain at that time rather than now.
        at = report.timestamp_time
        context = _context(roots, others, moment=at, best_signature_time=at)
        status = validate_pdf_signature(embedded, context, key_usage_settings=KEY_USAGE)
    report.intact = bool(status.intact)
    report.cryptographically_valid = bool(status.valid)
    report.trusted = bool(status.trusted)
    indication = status.trust_problem_indic
    report.trust_problem = indication.name if indication is not None else None
    report.coverage = status.coverage.name if status.coverage is not None else None
    report.covers_whole_document = status.coverage == SignatureCoverageLevel.ENTIRE_FILE
    level = status.modification_level
    report.modification_level = level.name if level is not None else None
    report.changes_allowed = status.docmdp_ok
    report.bottom_line = bool(status.bottom_line)
    report.verdict = _verdict(report, status)
    return report


def _load(der_list: list[bytes]) -> list[asn1_x509.Certificate]:
    return [asn1_x509.Certificate.load(der) for der in der_list]


def inspect_pdf(
    pdf_bytes: bytes, trust_roots: list[bytes], other_certs: list[bytes]
) -> VerificationReport:
    """Every signature of ``pdf_bytes`` with its verdict; ``PdfRefused`` when unreadable.

    ``trust_roots`` and ``other_certs`` are DER-encoded certificates. pyHanko's validation runs
    ``asyncio.run``: under a running event loop it moves to a thread (``loops.py``).
    """
    return outside_event_loop(_inspect_pdf, pdf_bytes, trust_roots, other_certs)


def _inspect_pdf(
    pdf_bytes: bytes, trust_roots: list[bytes], other_certs: list[bytes]
) -> VerificationReport:
    roots, others = _load(trust_roots), _load(other_certs)
    try:
        reader = PdfFileReader(io.BytesIO(pdf_bytes), strict=True)
        if reader.encrypted:
            raise PdfRefused("encrypted")
        embedded_signatures = list(reader.embedded_signatures)
    except PdfRefused:
        raise
    except (PdfError, ValueError, KeyError, TypeError, AttributeError, IndexError) as exc:
        raise PdfRefused("unreadable") from exc
    except RecursionError as exc:
        raise PdfRefused("unreadable") from exc

    reports = []
    for embedded in embedded_signatures:
        try:
            reports.append(_check_one(embedded, roots, others, len(pdf_bytes)))
        except Exception as exc:  # one broken signature must not hide the others
            logger.info("Signature %s could not be validated: %r", embedded.field_name, exc)
            reports.append(
                SignatureReport(
                    field_name=str(embedded.field_name or ""), problem="cannot_validate"
                )
            )
    return VerificationReport(
        signatures=reports, verdict=overall_verdict([r.verdict for r in reports])
    )


def _quiet_logging() -> None:
    # pyHanko logs expected validation failures as ERROR with tracebacks; in the child process
    # no Django LOGGING applies, so silence them here (the parent routes them via settings).
    for name in ("pyhanko", "pyhanko_certvalidator", "fontTools"):
        logging.getLogger(name).setLevel(logging.CRITICAL)


def _address_space() -> int:
    """This process's current virtual size in bytes (0 when unknown)."""
    import os

    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


def child_main(connection, pdf_bytes, trust_roots, other_certs, memory_limit, cpu_seconds):
    """Entry point of the verification child process: bound it, check, send the outcome.

    ``memory_limit`` is the address space the check may add to what the forked process
    already maps (a big serving process must not make every verification fail).
    """
    import resource

    _quiet_logging()
    try:
        if memory_limit:
            ceiling = _address_space() + memory_limit
            resource.setrlimit(resource.RLIMIT_AS, (ceiling, ceiling))
        if cpu_seconds:
            resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 1))
    except (ValueError, OSError):  # pragma: no cover - limits are a second line of defence
        pass
    try:
        outcome = ("ok", inspect_pdf(pdf_bytes, trust_roots, other_certs))
    except PdfRefused as refused:
        outcome = ("refused", refused.code)
    except MemoryError:
        outcome = ("refused", "too_complex")
    except BaseException:  # anything else: the file cannot be read
        outcome = ("refused", "unreadable")
    try:
        connection.send(outcome)
    finally:
        connection.close()
