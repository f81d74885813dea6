"""Reading an uploaded PDF for verification: size refused first, content sniffed next."""

from __future__ import annotations

from django.core.files.uploadedfile import UploadedFile

from signatures.verification import HEADER_WINDOW, check_looks_like_pdf, check_size, max_bytes

# Multipart framing around the file (boundaries, headers, the CSRF token): allowed on top of the
# file size limit when the request's Content-Length is checked before its body is read.
MULTIPART_SLACK = 64 * 1024


def refuse_oversized_request(meta: dict) -> None:
    """413 from the declared Content-Length, before Django reads or spools the body."""
    try:
        declared = int(meta.get("CONTENT_LENGTH") or 0)
    except (TypeError, ValueError):
        declared = 0
    if declared > max_bytes() + MULTIPART_SLACK:
        check_size(declared)


def read_pdf_upload(upload: UploadedFile) -> bytes:
    check_size(upload.size)
    upload.seek(0)
    check_looks_like_pdf(upload.read(HEADER_WINDOW))
    upload.seek(0)
    data = upload.read(max_bytes() + 1)
    check_size(len(data))
    return data
