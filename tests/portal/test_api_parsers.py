"""The API's multipart parser (portal/api/parsers.py): what Django's parser gives for the same
body, and a 400 with a reason (never a 500, never a half-filed dossier) for a refused one."""

from __future__ import annotations

import io
import random

import pytest
from django.core.exceptions import SuspiciousOperation
from django.core.files.storage import storages
from django.core.files.uploadedfile import InMemoryUploadedFile, TemporaryUploadedFile
from django.test import RequestFactory
from rest_framework.authtoken.models import Token
from rest_framework.exceptions import ParseError
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request

from dossiers.api.views import DossierViewSet
from dossiers.attachments import sniff_mime
from dossiers.models import Attachment, Dossier
from portal.api.parsers import MultipartFormParser
from tests.dossiers.factories import PDF_BYTES, Catalog, applicant_data

URL = "/api/v1/dossiers/"
BOUNDARY = "----motcua-test-boundary"
CONTENT_TYPE = f"multipart/form-data; boundary={BOUNDARY}"


def field(name: str, value: str | bytes, headers: str = "") -> bytes:
    value = value.encode() if isinstance(value, str) else value
    head = f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n{headers}\r\n'
    return head.encode() + value + b"\r\n"


def file(name: str, filename: str, content: bytes, content_type: str | None = "application/pdf"):
    head = f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"'
    if content_type is not None:
        head += f"\r\nContent-Type: {content_type}"
    return (head + "\r\n\r\n").encode() + content + b"\r\n"


def body(*parts: bytes) -> bytes:
    return b"".join(parts) + f"--{BOUNDARY}--\r\n".encode()


def parse(parser_class, raw: bytes, content_type: str = CONTENT_TYPE):
    request = Request(RequestFactory().generic("POST", URL, raw, content_type=content_type))
    context = {"request": request, "encoding": "utf-8"}
    return parser_class().parse(io.BytesIO(raw), content_type, context)


def summary(result) -> tuple[dict, dict]:
    """Everything a view sees: field lists, and per file its name, size, type and content."""
    files = {}
    for name, uploads in result.files.lists():
        files[name] = []
        for upload in uploads:
            upload.seek(0)
            content = upload.read()
            upload.seek(0)
            assert b"".join(upload.chunks()) == content
            files[name].append((upload.name, upload.size, upload.content_type, content))
    return {name: result.data.getlist(name) for name in result.data}, files


BIG = random.Random(7).randbytes(200_000).replace(BOUNDARY.encode(), b"x")  # several read chunks

BODIES = {
    "unicode values": body(
        field("applicant_name", "Nguyễn Thị Hoà 😀"),
        field("applicant_address", "Xã Xuân Trường,\r\nĐà Lạt -- Lâm Đồng"),
        field("empty", ""),
        field("  padded  ", "giữ nguyên khoảng trắng  "),
    ),
    "repeated names": body(
        field("tag", "a"), field("tag", "b"), field("x", "1"), field("tag", "c")
    ),
    "two files under one name": body(
        file("doc_to-khai", "a.pdf", PDF_BYTES), file("doc_to-khai", "b.pdf", PDF_BYTES + b"2")
    ),
    "empty filename": body(
        field("procedure", "1.000001"), file("doc_to-khai", "", b"", "application/octet-stream")
    ),
    "windows and unix paths": body(
        file("a", "C:\\Users\\an\\Desktop\\to-khai.pdf", PDF_BYTES),
        file("b", "..\\..\\windows\\system.ini", b"x"),
        file("c", "/etc/passwd", b"y"),
        file("d", "..", b"skipped"),
    ),
    "unicode, long and odd file names": body(
        file("a", "giấy tờ (bản sao).pdf", PDF_BYTES),
        file("b", "a&amp;b.pdf", b"1"),
        file("c", "x" * 300 + ".pdf", b"2"),
    ),
    "zero-byte file and no content type": body(
        file("empty", "rong.pdf", b""), file("bare", "bare.bin", b"\x00\x01", None)
    ),
    "content type case and parameters": body(
        file("a", "a.txt", "chữ".encode(), "Text/Plain; charset=utf-8"),
    ),
    "a file over several read chunks": body(field("before", "1"), file("big", "big.bin", BIG)),
    "preamble and epilogue": b"preamble\r\n" + body(field("a", "1")) + b"epilogue\r\n",
}


@pytest.mark.parametrize("raw", BODIES.values(), ids=BODIES.keys())
def test_same_data_and_files_as_djangos_parser(raw):
    ours, django = parse(MultipartFormParser, raw), parse(MultiPartParser, raw)
    assert summary(ours) == summary(django)
    assert not ours.data._mutable


def test_lists_file_names_and_an_empty_filename():
    files = parse(MultipartFormParser, BODIES["two files under one name"]).files
    assert [upload.name for upload in files.getlist("doc_to-khai")] == ["a.pdf", "b.pdf"]
    assert parse(MultipartFormParser, BODIES["repeated names"]).data.getlist("tag") == list("abc")
    result = parse(MultipartFormParser, BODIES["windows and unix paths"])
    assert {name: [u.name for u in uploads] for name, uploads in result.files.lists()} == {
        "a": ["to-khai.pdf"],
        "b": ["system.ini"],
        "c": ["passwd"],
    }
    assert (
        len(parse(MultipartFormParser, BODIES["unicode, long and odd file names"]).files["c"].name)
        == 255
    )
    assert parse(MultipartFormParser, BODIES["empty filename"]).data.getlist("doc_to-khai") == [""]


def test_small_files_stay_in_memory_and_a_big_one_goes_to_a_temporary_file(settings, tmp_path):
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 1000
    settings.FILE_UPLOAD_TEMP_DIR = str(temp := tmp_path / "uploads")
    temp.mkdir()
    raw = body(
        file("small", "a.pdf", PDF_BYTES),
        file("big", "big.pdf", PDF_BYTES + b"0" * 5000),
        file("small2", "b.pdf", PDF_BYTES),
    )
    ours, django = parse(MultipartFormParser, raw), parse(MultiPartParser, raw)
    assert summary(ours) == summary(django)
    for upload in django.files.values():
        upload.close()
    small, big = ours.files["small"], ours.files["big"]
    assert isinstance(small, InMemoryUploadedFile) and isinstance(
        ours.files["small2"], InMemoryUploadedFile
    )
    assert isinstance(big, TemporaryUploadedFile)
    assert big.temporary_file_path().startswith(str(temp))
    assert (small.charset, small.field_name) == (None, "small")
    # What the filing does with them: sniff the content, store through the private storage.
    for upload in (small, big):
        assert sniff_mime(upload) == "application/pdf"
        stored = storages["private"].save(f"test/{upload.name}", upload)
        with storages["private"].open(stored) as copy:
            upload.seek(0)
            assert copy.read() == upload.read()
    big.close()
    assert not list(temp.iterdir())


def test_the_memory_for_files_is_shared_by_the_request(settings):
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 1000
    raw = body(*(file(f"f{n}", f"{n}.bin", b"x" * 400) for n in range(4)))
    files = parse(MultipartFormParser, raw).files
    kinds = [type(files[f"f{n}"]) for n in range(4)]
    assert kinds == [InMemoryUploadedFile] * 2 + [TemporaryUploadedFile] * 2


def test_a_part_charset_and_a_quoted_boundary():
    raw = body(file("a", "a.txt", b"abc", 'text/plain; charset="latin-1"'))
    result = parse(MultipartFormParser, raw, f'multipart/form-data; boundary="{BOUNDARY}"')
    upload = result.files["a"]
    assert (upload.content_type, upload.charset, upload.read()) == ("text/plain", "latin-1", b"abc")


# --- refused bodies ------------------------------------------------------------------------


@pytest.fixture
def catalog(db):
    return Catalog()


@pytest.fixture
def citizen_api(api_client, catalog):
    """The API as the catalog's citizen, with a token like the mobile app and the bench."""
    token = Token.objects.create(user=catalog.citizen)
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    api_client.raise_request_exception = False
    return api_client


def filing(catalog, **extra_fields) -> list[bytes]:
    fields = {"procedure": catalog.code, **applicant_data(), **extra_fields}
    return [field(name, value) for name, value in fields.items()]


def post(client, raw: bytes, content_type: str = CONTENT_TYPE, **extra):
    return client.generic("POST", URL, raw, content_type=content_type, **extra)


def test_a_hand_built_filing_is_accepted(citizen_api, catalog):
    raw = body(*filing(catalog), file("doc_to-khai", "C:\\tmp\\tờ khai.pdf", PDF_BYTES))
    assert MultipartFormParser in [type(p) for p in DossierViewSet().get_parsers()]
    response = post(citizen_api, raw)
    assert response.status_code == 201, response.content
    attachment = Attachment.objects.get()
    assert (attachment.original_name, attachment.size) == ("tờ khai.pdf", len(PDF_BYTES))


LIMITS = {
    "fields": ("DATA_UPLOAD_MAX_NUMBER_FIELDS", 5, "trường dữ liệu"),
    "files": ("DATA_UPLOAD_MAX_NUMBER_FILES", 1, "tệp"),
    "field bytes": ("DATA_UPLOAD_MAX_MEMORY_SIZE", 200, "quá lớn"),
}


@pytest.mark.parametrize(("setting", "value", "words"), LIMITS.values(), ids=LIMITS.keys())
def test_a_limit_exceeded_is_a_400_with_a_reason(
    citizen_api, catalog, settings, setting, value, words
):
    setattr(settings, setting, value)
    raw = body(
        *filing(catalog),
        file("doc_to-khai", "a.pdf", PDF_BYTES),
        file("doc_to-khai", "b.pdf", PDF_BYTES + b"2"),
    )
    response = post(citizen_api, raw)
    assert response.status_code == 400, response.content
    assert words in response.json()["detail"]
    assert not Dossier.objects.exists()


def test_djangos_limits_at_the_same_counts(settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 3
    settings.DATA_UPLOAD_MAX_NUMBER_FILES = 2
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = (3 + 3 + 2) + (2 + 0 + 2) + (2 + 0 + 2)
    files = (file("f", "a", b"1"), file("f", "b", b"2"))
    fits = body(field("abc", "123"), field("de", ""), field("f3", ""), *files)
    assert summary(parse(MultipartFormParser, fits)) == summary(parse(MultiPartParser, fits))
    for raw in (
        body(field("abc", "123"), field("de", ""), field("f3", ""), field("f4", "")),
        body(*files, file("f", "..", b"3")),  # a file skipped for its name still counts
        body(field("abc", "1234"), field("de", ""), field("f3", "")),
    ):
        with pytest.raises(ParseError):
            parse(MultipartFormParser, raw)
        with pytest.raises(SuspiciousOperation):  # TooManyFieldsSent, TooManyFilesSent, ...
            parse(MultiPartParser, raw)


MALFORMED = {
    "no boundary parameter": (body(field("a", "1")), "multipart/form-data"),
    "a boundary with a line break": (body(field("a", "1")), 'multipart/form-data; boundary="a\nb"'),
    "another boundary": (body(field("a", "1")), "multipart/form-data; boundary=other"),
    "truncated": (body(field("a", "1"), file("doc_to-khai", "a.pdf", PDF_BYTES))[:-60], None),
    "no closing boundary": (field("a", "1"), None),
    "bare LF line breaks": (body(field("a", "1")).replace(b"\r\n", b"\n"), None),
    "no Content-Disposition": (
        f"--{BOUNDARY}\r\nContent-Type: text/plain\r\n\r\nx\r\n--{BOUNDARY}--\r\n".encode(),
        None,
    ),
    "a header over 4 KB": (body(field("a" * 5000, "1")), None),
    "too many part headers": (body(field("a", "1", "X-A: 1\r\n" * 9)), None),
    "non-UTF-8 field": (body(field("applicant_name", b"Nguy\xe1\xbb\x85n \xff")), None),
    "non-UTF-8 file name": (
        body(file("doc_to-khai", "X.pdf", PDF_BYTES)).replace(b"X", b"\xff"),
        None,
    ),
    "base64 transfer encoding": (
        body(field("a", "MQ==", "Content-Transfer-Encoding: base64\r\n")),
        None,
    ),
    "bytes after the boundary": (
        body(field("a", "1")).replace(f"{BOUNDARY}--".encode(), f"{BOUNDARY}zz".encode()),
        None,
    ),
}


@pytest.mark.parametrize(("raw", "content_type"), MALFORMED.values(), ids=MALFORMED.keys())
def test_a_malformed_body_is_a_400_with_a_reason(citizen_api, raw, content_type):
    response = post(citizen_api, raw, content_type or CONTENT_TYPE)
    assert response.status_code == 400, response.content
    assert response.json()["detail"]
    assert not Dossier.objects.exists()


def test_a_refused_body_leaves_no_temporary_file(citizen_api, settings, tmp_path):
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 100
    settings.FILE_UPLOAD_TEMP_DIR = str(temp := tmp_path / "uploads")
    temp.mkdir()
    raw = body(file("doc_to-khai", "a.pdf", PDF_BYTES + b"0" * 1000), field("x", b"\xff"))
    response = post(citizen_api, raw)
    assert response.status_code == 400
    assert "UTF-8" in response.json()["detail"]
    assert not list(temp.iterdir())
    assert not Dossier.objects.exists()


def test_the_reasons_are_translated(citizen_api, settings):
    raw = body(field("a", b"\xff"))
    citizen_api.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = post(citizen_api, raw)
    assert response.status_code == 400
    assert response.json()["detail"] == "The field “a” is not valid UTF-8 text."
