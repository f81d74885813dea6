"""PAdES signing of PDFs with a visible stamp.

``sign_pdf`` signs for a registered certificate through its provider; ``sign_with`` does the
pyHanko work for any pyHanko signer (the benchmark and tests use it directly).

- Profile: PAdES baseline (``ETSI.CAdES.detached``, SHA-256). B-B always; B-T when
  ``SIGNATURES_TSA_URL`` names an RFC 3161 timestamp authority.
- Every signature is an incremental update, so a second signature (the clerk's, after the
  leader's) keeps the first one valid: verification reports it as "form filling".
- The visible stamp names the signer, title, agency and signing time in Vietnamese, shaped with
  HarfBuzz in Noto Sans (``SIGNATURES_STAMP_FONT``) so the diacritics sit where they belong.
"""

from __future__ import annotations

import functools
import io
import logging
import unicodedata
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.utils import timezone, translation
from django.utils.translation import gettext as _
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.font.opentype import GlyphAccumulator, GlyphAccumulatorFactory
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.pdf_utils.text import TextBoxStyle
from pyhanko.sign import fields, signers
from pyhanko.sign.general import SigningError
from pyhanko.sign.timestamps import HTTPTimeStamper, TimeStamper, TimestampRequestError
from pyhanko.stamp import TextStampStyle

from signatures.conf import setting
from signatures.errors import CertificateNotUsable, InvalidPdf, SignatureError, SigningFailed
from signatures.loops import outside_event_loop
from signatures.providers import get_provider

if TYPE_CHECKING:
    from signatures.models import SigningCertificate

logger = logging.getLogger(__name__)

# Stamp geometry, in PDF points (1/72 inch): A4 is 595 x 842.
STAMP_WIDTH = 240
STAMP_HEIGHT = 78
STAMP_MARGIN = 36
STAMP_GAP = 8
FIELD_PREFIX = "Signature"


@dataclass(frozen=True)
class StampText:
    signer_name: str
    title: str = ""
    agency_name: str = ""


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", (text or "").strip())


def get_timestamper() -> TimeStamper | None:
    """The RFC 3161 client for ``SIGNATURES_TSA_URL`` (B-T), or None (B-B)."""
    url = setting("SIGNATURES_TSA_URL")
    if not url:
        return None
    return HTTPTimeStamper(url, timeout=setting("SIGNATURES_TSA_TIMEOUT"))


def stamp_body(text: StampText, moment) -> str:
    """The lines of the visible stamp, always in Vietnamese (it is part of the document)."""
    local = timezone.localtime(moment)
    offset = local.utcoffset()
    hours = int(offset.total_seconds() // 3600) if offset is not None else 0
    when = f"{local:%d/%m/%Y %H:%M:%S} (GMT{hours:+d})"
    with translation.override("vi"):
        lines = [_("Ký bởi: %(name)s") % {"name": _nfc(text.signer_name)}]
        if text.title:
            lines.append(_("Chức vụ: %(title)s") % {"title": _nfc(text.title)})
        if text.agency_name:
            lines.append(_("Cơ quan: %(agency)s") % {"agency": _nfc(text.agency_name)})
        lines.append(_("Thời gian ký: %(when)s") % {"when": when})
    return "\n".join(lines)


# Characters the stamp font keeps: Latin with every Vietnamese letter and tone mark, combining
# marks (NFD input), punctuation and currency signs.
STAMP_UNICODES = [
    *range(0x20, 0x7F),
    *range(0xA0, 0x250),
    *range(0x300, 0x370),
    *range(0x1E00, 0x1F00),
    *range(0x2010, 0x205F),
    *range(0x20A0, 0x20C0),
]


@functools.lru_cache(maxsize=4)
def _stamp_font_bytes(path: str) -> bytes | None:
    """The stamp font cut down to ``STAMP_UNICODES``, once per process.

    pyHanko subsets the font for every signature; on the whole of Noto Sans (500 KB, large
    layout tables) that is ~60% of the signing time. Pre-subsetting halves the time per
    signature and keeps the shaping features Vietnamese needs (ccmp, mark, mkmk, kern).
    """
    from fontTools import subset
    from fontTools.ttLib import TTFont

    try:
        font = TTFont(path)
        options = subset.Options()
        options.layout_features = ["ccmp", "locl", "mark", "mkmk", "kern", "liga"]
        options.name_IDs = ["*"]
        options.notdef_outline = True
        subsetter = subset.Subsetter(options)
        subsetter.populate(unicodes=STAMP_UNICODES)
        subsetter.subset(font)
        buffer = io.BytesIO()
        font.save(buffer)
    except Exception:  # any fontTools failure: fall back to the whole font file
        logger.warning("Could not pre-subset the stamp font %s; using it whole", path)
        return None
    return buffer.getvalue()


@dataclass(frozen=True)
class _StampFontFactory(GlyphAccumulatorFactory):
    """``GlyphAccumulatorFactory`` reading the pre-subset font from memory."""

    def create_font_engine(self, writer, obj_stream=None) -> GlyphAccumulator:
        data = _stamp_font_bytes(self.font_file)
        if data is None:
            return super().create_font_engine(writer, obj_stream)
        if obj_stream is None and writer.stream_xrefs and self.create_objstream_if_needed:
            obj_stream = writer.prepare_object_stream()
        return GlyphAccumulator(
            writer=writer,
            font_handle=io.BytesIO(data),
            font_size=self.font_size,
            obj_stream=obj_stream,
        )


def _stamp_style() -> TextStampStyle:
    font = _StampFontFactory(setting("SIGNATURES_STAMP_FONT"), font_size=9)
    return TextStampStyle(
        stamp_text="%(body)s",
        text_box_style=TextBoxStyle(font=font, font_size=9, leading=12),
        border_width=1,
        background=None,
    )


def _inherited(page: generic.DictionaryObject, key: str):
    node, depth = page, 0
    while node is not None and depth < 32:
        if key in node:
            return node[key]
        node = node.get_object().get("/Parent")
        node = node.get_object() if node is not None else None
        depth += 1
    return None


def _page_size(writer: IncrementalPdfFileWriter) -> tuple[float, float]:
    page_ref, _resources = writer.find_page_for_modification(-1)
    box = _inherited(page_ref.get_object(), "/MediaBox")
    try:
        x1, y1, x2, y2 = (float(v) for v in box)
        return abs(x2 - x1), abs(y2 - y1)
    except (TypeError, ValueError):
        return 595.0, 842.0


def _stamp_box(index: int, page_width: float) -> tuple[int, int, int, int]:
    """The ``index``-th stamp: right to left along the bottom of the last page, then up."""
    per_row = max(1, int((page_width - 2 * STAMP_MARGIN + STAMP_GAP) // (STAMP_WIDTH + STAMP_GAP)))
    row, column = divmod(index, per_row)
    x2 = int(page_width - STAMP_MARGIN - column * (STAMP_WIDTH + STAMP_GAP))
    y1 = STAMP_MARGIN + row * (STAMP_HEIGHT + STAMP_GAP)
    return x2 - STAMP_WIDTH, y1, x2, y1 + STAMP_HEIGHT


def _open(pdf_bytes: bytes) -> IncrementalPdfFileWriter:
    try:
        writer = IncrementalPdfFileWriter(io.BytesIO(pdf_bytes), strict=False)
    except (PdfError, ValueError, KeyError, TypeError, RecursionError) as exc:
        raise InvalidPdf() from exc
    if writer.prev.encrypted:
        raise InvalidPdf(_("Không thể ký tệp PDF đã được mã hóa bằng mật khẩu."))
    return writer


def _signature_fields(writer: IncrementalPdfFileWriter) -> dict:
    return {name: value for name, value, _ref in fields.enumerate_sig_fields(writer)}


def _free_field_name(existing: dict) -> str:
    number = len(existing) + 1
    while f"{FIELD_PREFIX}{number}" in existing:
        number += 1
    return f"{FIELD_PREFIX}{number}"


def next_field_name(pdf_bytes: bytes) -> str:
    """The name ``sign_with`` gives the next signature field of this PDF."""
    try:
        return _free_field_name(_signature_fields(_open(pdf_bytes)))
    except (PdfError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise InvalidPdf() from exc


def sign_with(
    pdf_bytes: bytes,
    pyhanko_signer: signers.Signer,
    *,
    stamp: StampText,
    reason: str,
    location: str,
    field_name: str | None = None,
    timestamper: TimeStamper | None = None,
) -> bytes:
    """Sign ``pdf_bytes`` with any pyHanko signer; returns the signed PDF."""
    writer = _open(pdf_bytes)
    try:
        existing = _signature_fields(writer)
        page_width, _height = _page_size(writer)
    except (PdfError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise InvalidPdf() from exc
    if field_name is None:
        field_name = _free_field_name(existing)
    elif existing.get(field_name) is not None:
        raise SignatureError(_("Trường chữ ký “%(name)s” đã được ký.") % {"name": field_name})

    now = timezone.now()
    meta = signers.PdfSignatureMetadata(
        field_name=field_name,
        reason=_nfc(reason) or None,
        location=_nfc(location) or None,
        name=_nfc(stamp.signer_name) or None,
        subfilter=fields.SigSeedSubFilter.PADES,
        md_algorithm="sha256",
    )
    field_spec = fields.SigFieldSpec(
        sig_field_name=field_name, on_page=-1, box=_stamp_box(len(existing), page_width)
    )
    pdf_signer = signers.PdfSigner(
        meta,
        signer=pyhanko_signer,
        timestamper=timestamper,
        stamp_style=_stamp_style(),
        new_field_spec=field_spec if field_name not in existing else None,
    )
    output = io.BytesIO()
    try:
        outside_event_loop(
            pdf_signer.sign_pdf,
            writer,
            output=output,
            appearance_text_params={"body": stamp_body(stamp, now)},
        )
    except TimestampRequestError as exc:
        raise SigningFailed(
            _("Không lấy được dấu thời gian từ máy chủ cấp dấu thời gian (TSA).")
        ) from exc
    except (SigningError, PdfError, OSError) as exc:
        raise SigningFailed() from exc
    return output.getvalue()


def sign_pdf(
    pdf_bytes: bytes,
    signer: SigningCertificate,
    *,
    reason: str,
    location: str,
    field_name: str | None = None,
    title: str = "",
    agency_name: str = "",
) -> bytes:
    """Sign ``pdf_bytes`` with ``signer``'s key (through its provider), PAdES B-B or B-T.

    ``title`` and ``agency_name`` default to those registered with the certificate.
    """
    if not signer.is_active or not signer.is_valid_at():
        raise CertificateNotUsable()
    pyhanko_signer = get_provider(signer.provider).signer_for(signer)
    stamp = StampText(
        signer_name=signer.subject_cn or signer.user.get_full_name(),
        title=title or signer.title,
        agency_name=agency_name or (signer.agency.name if signer.agency_id else ""),
    )
    return sign_with(
        pdf_bytes,
        pyhanko_signer,
        stamp=stamp,
        reason=reason,
        location=location,
        field_name=field_name,
        timestamper=get_timestamper(),
    )
