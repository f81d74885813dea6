"""``multipart/form-data`` for the API, parsed by the ``multipart`` package (Bottle's parser).

Django's ``MultiPartParser`` (behind DRF's) spends about five times the CPU on a filing's small
body. ``MultipartFormParser`` gives views the same ``request.data`` / ``request.FILES``: text
fields in an immutable ``QueryDict``, files as Django ``UploadedFile`` objects (in memory while
the request's files fit in ``FILE_UPLOAD_MAX_MEMORY_SIZE``, in a ``TemporaryUploadedFile``
beyond), names sanitized like Django's, a part with an empty ``filename`` kept as an empty
text field as Django does, and Django's limits (``DATA_UPLOAD_MAX_NUMBER_FIELDS``,
``DATA_UPLOAD_MAX_NUMBER_FILES``, ``DATA_UPLOAD_MAX_MEMORY_SIZE``) at the same counts. Every
limit exceeded and every malformed body is a ``ParseError`` (400) with a Vietnamese reason.

Differences from Django's parser, on input no browser sends: a ``Content-Transfer-Encoding``
other than 7bit/8bit/binary is refused (RFC 7578 deprecates it; Django decodes base64), a text
field that is not valid UTF-8 is refused (Django replaces the bytes), a part without
``Content-Disposition`` makes the body malformed and one with an empty name is skipped (Django
skips the first and keeps the second under ""), ``filename*=`` (RFC 2231) is not read, a file's
``content_type_extra`` values are ``str`` (Django's are ``bytes``), and
``request.upload_handlers`` are not used (the portal sets none). Web pages keep Django's parser.
"""

from __future__ import annotations

import html
import re
from io import BytesIO

from django.conf import settings
from django.core.files.uploadedfile import InMemoryUploadedFile, TemporaryUploadedFile
from django.http import QueryDict
from django.utils.datastructures import MultiValueDict
from django.utils.translation import gettext as _
from multipart import (
    MultipartError,
    MultipartSegment,
    ParserLimitReached,
    PushMultipartParser,
    parse_options_header,
)
from rest_framework.exceptions import ParseError
from rest_framework.parsers import BaseParser, DataAndFiles

CHUNK_SIZE = 64 * 1024
#: Django's boundary rule (django.http.multipartparser): printable ASCII, at most 201 characters.
BOUNDARY_RE = re.compile(r"[ -~]{0,200}[!-~]")
BOUNDARY_PARAM_RE = re.compile(r';\s*boundary\s*=\s*("(?:[^"\\]|\\.)*"|[^;\s]*)', re.IGNORECASE)
IDENTITY_ENCODINGS = frozenset({"7bit", "8bit", "binary"})


def sanitize_file_name(name: str) -> str | None:
    """Django's ``MultiPartParser.sanitize_file_name``: the last path element, printable only."""
    name = html.unescape(name).rsplit("/")[-1].rsplit("\\")[-1]
    name = "".join(char for char in name if char.isprintable())
    return None if name in {"", ".", ".."} else name


def _limit(name: str) -> int | None:
    value = getattr(settings, name)
    return None if value is None else int(value)


class _Refused(Exception):
    """A limit or a rule of this parser, with its message for the client."""


class MultipartFormParser(BaseParser):
    """``multipart/form-data`` as ``DataAndFiles(QueryDict, MultiValueDict)``, like DRF's."""

    media_type = "multipart/form-data"

    def parse(self, stream, media_type=None, parser_context=None):
        parser_context = parser_context or {}
        request = parser_context.get("request")
        meta = request.META if request is not None else {}
        encoding = parser_context.get("encoding") or settings.DEFAULT_CHARSET
        boundary = _boundary(media_type or meta.get("CONTENT_TYPE", ""))
        try:
            length = max(int(meta.get("CONTENT_LENGTH") or -1), -1)
        except ValueError:
            length = -1
        form = _Form(encoding)
        try:
            form.read(stream, boundary, length)
        except BaseException as exc:
            form.close_files()
            if isinstance(exc, _Refused | MultipartError):
                raise ParseError(_reason(exc)) from None
            raise
        data = QueryDict()  # immutable; dict.update skips appendlist's checks, a third of the cost
        dict.update(data, form.fields)
        return DataAndFiles(data, form.files)


def _reason(exc: Exception) -> str:
    if isinstance(exc, _Refused):
        return str(exc)
    if isinstance(exc, ParserLimitReached):  # the header limits: no other limit is set
        return _("Phần đầu (header) của một phần trong dữ liệu multipart quá dài hoặc quá nhiều.")
    if "Unexpected end" in str(exc):
        return _("Dữ liệu multipart bị cắt cụt: thiếu ranh giới kết thúc.")
    return _("Dữ liệu multipart/form-data không đúng định dạng.")


def _boundary(content_type: str) -> str:
    match = BOUNDARY_PARAM_RE.search(content_type)
    boundary = match.group(1) if match else ""
    if boundary[:1] == '"' and boundary[-1:] == '"' and len(boundary) > 1:
        boundary = boundary[1:-1].replace('\\"', '"').replace("\\\\", "\\")
    if not BOUNDARY_RE.fullmatch(boundary):
        raise ParseError(_("Thiếu hoặc sai tham số boundary của multipart/form-data."))
    return boundary


class _Form:
    """The fields and files of one body, read segment by segment."""

    def __init__(self, encoding: str):
        self.encoding = encoding
        self.fields: dict[str, list[str]] = {}
        self.files = MultiValueDict()
        self.max_fields = _limit("DATA_UPLOAD_MAX_NUMBER_FIELDS")
        self.max_files = _limit("DATA_UPLOAD_MAX_NUMBER_FILES")
        self.max_field_bytes = _limit("DATA_UPLOAD_MAX_MEMORY_SIZE")
        self.memory_left = int(settings.FILE_UPLOAD_MAX_MEMORY_SIZE)
        self.field_count = self.file_count = self.field_bytes = 0
        self._open: list = []  # files being written, closed if the body is refused

    def close_files(self) -> None:
        for upload in self._open:
            upload.close()
        for _name, uploads in self.files.lists():
            for upload in uploads:
                upload.close()

    def read(self, stream, boundary: str, length: int) -> None:
        parser = PushMultipartParser(boundary, content_length=length)
        name = file_name = None
        chunks: list[bytes] = []
        buffer = upload = None  # the file being read: in memory, then on disk if it outgrows it
        size = 0
        segment = None
        for event in parser.parse_blocking(stream.read, CHUNK_SIZE):
            if event is None:  # end of a segment
                if file_name is not None:
                    self._add_file(segment, name, file_name, buffer, upload, size)
                elif name is not None:
                    self._add_field(name, chunks)
                name = file_name = buffer = upload = None
                chunks = []
            elif event.__class__ is not MultipartSegment:  # a chunk of the segment's body
                if file_name is not None:
                    size += len(event)
                    if upload is not None:
                        upload.write(event)
                    elif size > self.memory_left:
                        upload = self._spill(segment, file_name, buffer)
                        buffer = None
                        upload.write(event)
                    else:
                        buffer.write(event)
                elif name is not None:
                    chunks.append(event)
                    self.field_bytes += len(event)
                    self._check_field_bytes()
            else:
                segment = event
                name, file_name = self._start(segment)
                buffer = BytesIO() if file_name is not None else None
                size = 0

    def _start(self, segment: MultipartSegment) -> tuple[str | None, str | None]:
        """The part's field name and file name (None, None: a part to skip), counted against
        the limits. An empty ``filename`` makes a text field, as in Django."""
        encoding = segment.header("Content-Transfer-Encoding")
        if encoding is not None and encoding.strip().lower() not in IDENTITY_ENCODINGS:
            raise _Refused(_("Không hỗ trợ Content-Transfer-Encoding trong multipart/form-data."))
        name = segment.name.strip()
        if segment.filename:
            self.file_count += 1
            if self.max_files is not None and self.file_count > self.max_files:
                raise _Refused(
                    _("Quá nhiều tệp trong một yêu cầu (tối đa %(limit)s).")
                    % {"limit": self.max_files}
                )
            file_name = sanitize_file_name(segment.filename)
            return (name, file_name) if name and file_name else (None, None)
        self.field_count += 1
        if self.max_fields is not None and self.field_count > self.max_fields:
            raise _Refused(
                _("Quá nhiều trường dữ liệu trong một yêu cầu (tối đa %(limit)s).")
                % {"limit": self.max_fields}
            )
        if not name:
            return None, None
        # Django counts the name too, as in "name=value&" of a urlencoded body.
        self.field_bytes += len(name) + 2
        self._check_field_bytes()
        return name, None

    def _check_field_bytes(self) -> None:
        if self.max_field_bytes is not None and self.field_bytes > self.max_field_bytes:
            raise _Refused(
                _("Các trường dữ liệu (không kể tệp) quá lớn (tối đa %(kb)s KB).")
                % {"kb": self.max_field_bytes // 1024}
            )

    def _add_field(self, name: str, chunks: list[bytes]) -> None:
        raw = chunks[0] if len(chunks) == 1 else b"".join(chunks)
        try:
            value = raw.decode(self.encoding)
        except UnicodeDecodeError:
            raise _Refused(
                _("Trường “%(name)s” không phải văn bản %(encoding)s hợp lệ.")
                % {"name": name[:100], "encoding": self.encoding.upper()}
            ) from None
        values = self.fields.get(name)
        if values is None:
            self.fields[name] = [value]
        else:
            values.append(value)

    @staticmethod
    def _content_type(segment: MultipartSegment) -> tuple[str, str | None, dict]:
        header = segment.header("Content-Type")
        if header is None:
            return "", None, {}
        content_type, extra = parse_options_header(header)
        return content_type, extra.get("charset"), extra

    def _spill(self, segment: MultipartSegment, file_name: str, buffer: BytesIO):
        """A temporary file for an upload that outgrew the memory left for files."""
        content_type, charset, extra = self._content_type(segment)
        upload = TemporaryUploadedFile(file_name, content_type, 0, charset, extra)
        self._open.append(upload)
        upload.write(buffer.getvalue())
        return upload

    def _add_file(self, segment, name, file_name, buffer, upload, size) -> None:
        if upload is None:
            buffer.seek(0)
            content_type, charset, extra = self._content_type(segment)
            upload = InMemoryUploadedFile(
                buffer, name, file_name, content_type, size, charset, extra
            )
            self.memory_left -= size
        else:
            upload.seek(0)
            upload.size = size
            self._open.remove(upload)
        self.files.appendlist(name, upload)
