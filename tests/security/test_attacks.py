"""Attacks through the browser and bad input: CSRF on every form, XSS in every text field
(pages, PDFs, exports), a strict CSP and the security headers on every page, SQL-injection
strings, 10,000-character values and invalid UTF-8 in every filter and form."""

from __future__ import annotations

import io
from urllib.parse import quote, urljoin

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from dossiers.models import Dossier, Status
from dossiers.workflow import transition
from tests.dossiers.factories import pdf
from tests.security.conftest import World, applicant
from tests.security.crawl import crawl
from tests.security.discovery import schema_operations
from tests.security.html import read_page

pytestmark = pytest.mark.django_db

CRAWLERS = ("anonymous", "owner", "desk", "leader", "superuser")


def is_html(response) -> bool:
    return response.get("Content-Type", "").startswith("text/html")


# --- CSRF -----------------------------------------------------------------------------------


def test_every_form_refuses_a_post_without_the_csrf_token(world_media):
    """Every POST form on every page (found by crawling as each kind of actor) carries the token
    and is refused (403) when it is posted without it, even with a valid session."""
    world = world_media
    missing_token, accepted = [], []
    seen: set[tuple[str, str]] = set()
    for actor in CRAWLERS:
        guarded = Client(enforce_csrf_checks=True)
        user = world.users[actor]
        if user.is_authenticated:
            guarded.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        for url, response in crawl(world, actor):
            if response.status_code != 200 or not is_html(response):
                continue
            for form in read_page(response.content.decode()).forms:
                if form.method != "post":
                    continue
                action = urljoin(url, form.action or url)
                if (actor, action) in seen:
                    continue
                seen.add((actor, action))
                if not form.has_csrf_token:
                    missing_token.append(f"{actor}: form to {action} on {url}")
                status = guarded.post(action, form.fields).status_code
                if status != 403:
                    accepted.append(f"{actor}: POST {action} without token → {status}")
    assert seen, "the crawl found no form at all"
    assert not missing_token, "\n".join(missing_token)
    assert not accepted, "\n".join(accepted)


def test_the_api_needs_the_csrf_token_with_a_session_but_not_with_a_token(world_media):
    from rest_framework.authtoken.models import Token
    from rest_framework.test import APIClient

    world = world_media
    session = world.client("owner", api=True, csrf=True)
    response = session.post(reverse("api-dossier-list"), {}, format="json")
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]

    token = Token.objects.create(user=world.users["owner"])
    bearer = APIClient(enforce_csrf_checks=True)
    bearer.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert bearer.post(reverse("api-dossier-list"), {}, format="json").status_code == 400


# --- headers and CSP ------------------------------------------------------------------------


def test_every_page_has_a_strict_csp_and_the_security_headers(world_media):
    world = world_media
    problems = []
    pages = 0
    for actor in CRAWLERS:
        for url, response in crawl(world, actor):
            where = f"{actor} {url}"
            if response.get("X-Content-Type-Options") != "nosniff":
                problems.append(f"{where}: no X-Content-Type-Options: nosniff")
            if response.get("Referrer-Policy") != "same-origin":
                problems.append(f"{where}: Referrer-Policy {response.get('Referrer-Policy')}")
            if response.status_code != 200 or not is_html(response):
                continue
            pages += 1
            csp = response.get("Content-Security-Policy", "")
            directives = dict(
                (part.strip().split(" ", 1) + [""])[:2] for part in csp.split(";") if part.strip()
            )
            for name in ("default-src", "script-src", "style-src", "object-src", "base-uri"):
                if name not in directives:
                    problems.append(f"{where}: CSP lacks {name}")
            if "unsafe" in csp:
                problems.append(f"{where}: CSP allows unsafe code: {csp}")
            if directives.get("frame-ancestors") not in {"'none'", "'self'"}:
                problems.append(f"{where}: frame-ancestors {directives.get('frame-ancestors')}")
            if response.get("X-Frame-Options") not in {"DENY", "SAMEORIGIN"}:
                problems.append(f"{where}: X-Frame-Options {response.get('X-Frame-Options')}")
            page = read_page(response.content.decode())
            if page.inline_scripts or page.style_attributes or page.event_handlers:
                problems.append(
                    f"{where}: {page.inline_scripts} inline scripts, {page.style_attributes} "
                    f"style attributes, handlers {page.event_handlers} (blocked by the CSP)"
                )
    assert pages > 20
    assert not problems, "\n".join(sorted(set(problems)))


# --- XSS ------------------------------------------------------------------------------------

NAME = '<script>alert("ten")</script>'
ADDRESS = '"><img src=x onerror=alert(1)>'
SUMMARY = '=HYPERLINK("http://evil.example","bấm")<svg/onload=alert(\'tom\')>'
REASON = "<iframe src=javascript:alert(2)></iframe>"
COMMENT = "<b onmouseover=alert(3)>tốt</b>"
PAYLOADS = (NAME, ADDRESS, SUMMARY, REASON, COMMENT)


def _hostile_dossier(world: World) -> Dossier:
    """A dossier whose every free-text field is hostile, taken through its whole life."""
    client = world.client("owner", api=True)
    data = applicant(NAME, "068123123123", "0912312312", summary=SUMMARY)
    data.update(applicant_address=ADDRESS, procedure=world.procedure_code)
    data["doc_to-khai"] = pdf()
    response = client.post(reverse("api-dossier-list"), data, format="multipart")
    assert response.status_code == 201, response.content
    code = response.json()["code"]
    desk, leader = world.users["desk"], world.users["leader"]
    transition(code, "receive", desk, note=REASON)
    transition(code, "request-supplement", desk, reason=REASON, documents=[REASON])
    transition(code, "supplement", world.users["owner"], note=COMMENT,
               files={"to-khai": [pdf("b.pdf", extra=b"x")]})  # fmt: skip
    transition(code, "complete", leader, result_summary=SUMMARY, result_file=pdf("kq.pdf"))
    transition(code, "return", desk, method="desk", note=REASON)
    rated = world.client("owner").post(
        reverse("dossiers:rate", kwargs={"code": code}),
        {"rating-score": 5, "rating-comment": COMMENT},
    )
    assert rated.status_code == 302, rated.content[:500]
    return Dossier.objects.get(code=code)


def assert_escaped(html: str, where: str, *, shown: bool = True) -> None:
    for payload in PAYLOADS:
        assert payload not in html, f"{where}: raw {payload!r}"
    if shown:
        assert "&lt;" in html, f"{where}: the hostile text is not shown at all"


def test_hostile_text_is_escaped_in_pages_pdfs_and_exports(world_media):
    from openpyxl import load_workbook
    from pypdf import PdfReader

    world = world_media
    dossier = _hostile_dossier(world)
    assert dossier.status == Status.RETURNED
    pages = {
        "citizen detail": ("owner", reverse("dossiers:detail", kwargs={"code": dossier.code})),
        "processing page": ("desk", reverse("dossiers:desk-detail", kwargs={"code": dossier.code})),
        "desk queue": ("desk", reverse("dossiers:desk") + "?tab=returned"),
    }
    for where, (actor, url) in pages.items():
        response = world.client(actor).get(url)
        assert response.status_code == 200, where
        assert_escaped(response.content.decode(), where)
    mine = world.client("owner").get(reverse("dossiers:mine"))
    assert_escaped(mine.content.decode(), "my dossiers", shown=False)
    tracked = world.client("anonymous").post(
        reverse("dossiers:track"), {"code": dossier.code, "phone": dossier.applicant_phone}
    )
    assert tracked.status_code == 200
    assert_escaped(tracked.content.decode(), "tracking", shown=False)

    # PDFs: the payload is printed as text (escaped), not interpreted as markup.
    receipt = world.client("owner").get(
        reverse("documents:latest", kwargs={"code": dossier.code, "kind": "receipt"})
    )
    assert receipt.status_code == 200
    text = "".join(
        page.extract_text()
        for page in PdfReader(io.BytesIO(b"".join(receipt.streaming_content))).pages
    )
    assert 'alert("ten")' in text.replace("\n", ""), "receipt: the name vanished (parsed?)"

    # Exports: the ledger keeps hostile text as text, never as a spreadsheet formula.
    # The ledger counts local days (UTC+7): after 17:00 UTC the UTC date is a day behind.
    day = timezone.localdate(dossier.received_at or dossier.submitted_at).isoformat()
    ledger = world.client("desk").get(
        reverse("documents:ledger"),
        {"from": day, "to": day, "format": "xlsx"},
    )
    assert ledger.status_code == 200
    sheet = load_workbook(io.BytesIO(ledger.content)).active
    cells = [cell for row in sheet.iter_rows() for cell in row if cell.value]
    assert any("HYPERLINK" in str(cell.value) for cell in cells)
    formulas = [cell.value for cell in cells if cell.data_type == "f"]
    assert not formulas, f"formula injection in the ledger: {formulas}"

    # The JSON answers are JSON (never sniffed into HTML).
    api = world.client("owner", api=True).get(
        reverse("api-dossier-detail", kwargs={"code": dossier.code})
    )
    assert api["Content-Type"].startswith("application/json")
    assert api.json()["applicant_name"] == NAME if "applicant_name" in api.json() else True
    assert api["X-Content-Type-Options"] == "nosniff"


# --- injection strings, long values, invalid UTF-8 in every filter --------------------------

HOSTILE_VALUES = (
    "' OR '1'='1",
    "1; DROP TABLE dossiers_dossier; --",
    "%' UNION SELECT username, password FROM portal_user --",
    "\\'; SELECT pg_sleep(5); --",
    "a\x00b",
    "x" * 10_000,
    "${7*7}{{7*7}}",
    "../../../../etc/passwd",
    "-1",
    "99999999999999999999999",
    "2025-13-45",
    "true",
    "[]",
)


def _get_operations(schema: dict) -> list[tuple[str, list[str]]]:
    operations = []
    for path, method in schema_operations(schema):
        if method != "GET" or "{" in path:
            continue
        parameters = schema["paths"][path]["get"].get("parameters", [])
        names = [p["name"] for p in parameters if p.get("in") == "query"]
        operations.append((path, names))
    return operations


def test_hostile_values_in_every_api_filter_never_fail_nor_widen(world_media):
    world = world_media
    schema = world.client("anonymous").get(reverse("api-schema"), {"format": "json"}).json()
    operations = _get_operations(schema)
    assert any(path == "/api/v1/dossiers/" for path, _ in operations)
    client = world.client("other_citizen", api=True)
    failures = []
    for path, names in operations:
        for name in [*names, "ordering", "search"]:
            for value in HOSTILE_VALUES:
                response = client.get(path, {name: value})
                if response.status_code >= 500 or response.status_code in {401, 403}:
                    failures.append(f"{path}?{name}={value[:40]!r} → {response.status_code}")
                    continue
                if response.status_code == 200 and world.dossier.code in response.content.decode():
                    failures.append(f"{path}?{name}={value[:40]!r} shows another's dossier")
    assert Dossier.objects.filter(pk=world.dossier.pk).exists()
    assert not failures, "\n".join(failures)


def test_hostile_values_in_every_page_filter_and_form(world_media):
    """Every GET form of every page (filters, search boxes) and every POST form, each field
    filled with each hostile value: never a 500, never another's dossier."""
    world = world_media
    failures = []
    for actor in ("anonymous", "other_citizen", "peer_desk"):
        client = world.client(actor)
        targets: dict[tuple[str, str], dict] = {}
        for url, response in crawl(world, actor):
            if response.status_code != 200 or not is_html(response):
                continue
            for form in read_page(response.content.decode()).forms:
                if form.fields:
                    action = urljoin(url, form.action or url).split("?")[0]
                    targets.setdefault((form.method, action), form.fields)
        assert targets, actor
        for (method, action), fields in targets.items():
            for name in fields:
                for value in HOSTILE_VALUES:
                    data = {**fields, name: value}
                    response = (
                        client.get(action, data) if method == "get" else client.post(action, data)
                    )
                    status = response.status_code
                    if status >= 500:
                        failures.append(
                            f"{actor} {method} {action} {name}={value[:30]!r} → {status}"
                        )
                    elif status == 200 and world.dossier.code in response.content.decode():
                        failures.append(f"{actor} {method} {action} {name}: another's dossier")
    assert not failures, "\n".join(failures)


RAW_REQUESTS = (
    ("GET", "/procedures/?q=%ff%fe%fd", None, None),
    ("GET", "/api/v1/procedures/?q=%c3%28&sector=%ff", None, None),
    ("GET", "/api/v1/dossiers/?status=%ff&procedure=%00", None, None),
    ("GET", "/api/v1/track/?code=%ff%fe&phone=%c3%28", None, None),
    ("GET", "/dossiers/%ff%fe/", None, None),
    ("GET", "/api/v1/dossiers/%ff%fe/", None, None),
    ("GET", "/desk/?q=%ff&tab=%fe", None, None),
    (
        "POST",
        "/api/v1/auth/token/",
        b'{"username": "\xff\xfe", "password": "x"}',
        "application/json",
    ),
    ("POST", "/api/v1/dossiers/", b'{"procedure": "\xc3\x28"}', "application/json"),
    ("POST", "/track/", b"code=\xff\xfe&phone=\xc3\x28", "application/x-www-form-urlencoded"),
    (
        "POST",
        "/accounts/login/",
        b"username=\xff&password=\xfe",
        "application/x-www-form-urlencoded",
    ),
    (
        "POST",
        "/api/v1/dossiers/",
        b'--B\r\nContent-Disposition: form-data; name="doc_to-khai"; filename="\xff\xfe.pdf"\r\n'
        b"Content-Type: application/pdf\r\n\r\n%PDF-1.4\r\n--B--\r\n",
        "multipart/form-data; boundary=B",
    ),
)


@pytest.mark.parametrize(("method", "path", "body", "content_type"), RAW_REQUESTS)
def test_invalid_utf8_is_a_client_error_not_a_crash(world_media, method, path, body, content_type):
    client = world_media.client("owner")
    client.raise_request_exception = False
    if method == "GET":
        base, _, query = path.partition("?")
        response = client.generic("GET", base, QUERY_STRING=query)
    else:
        client.cookies.pop("csrftoken", None)
        response = client.generic(method, path, body, content_type=content_type)
    assert response.status_code < 500, response.content[:300]


def test_ten_thousand_characters_in_every_filing_field_are_refused_with_field_errors(
    world_media,
):
    world = world_media
    client = world.client("owner", api=True)
    long = "Đ" * 10_000
    for name in ("applicant_name", "applicant_address", "applicant_email", "summary",
                 "applicant_phone", "applicant_id_number", "delivery_address",
                 "receiving_agency", "procedure"):  # fmt: skip
        data = applicant("Nguyễn Văn Dài", "068123123124", "0912312313")
        data["procedure"] = world.procedure_code
        data[name] = long
        data["doc_to-khai"] = pdf()
        response = client.post(reverse("api-dossier-list"), data, format="multipart")
        assert response.status_code == 400, (name, response.status_code)
        assert name in response.json() or "detail" in response.json(), (name, response.json())
    # An action's free text too.
    url = reverse("api-dossier-action", kwargs={"code": world.dossier.code, "action": "suspend"})
    response = world.client("leader", api=True).post(url, {"reason": long}, format="json")
    assert response.status_code == 400
    assert "reason" in response.json()


def test_a_long_query_string_and_a_long_path_are_harmless(world_media):
    client = world_media.client("owner")
    assert client.get("/procedures/", {"q": "a" * 10_000}).status_code < 500
    assert client.get("/dossiers/" + quote("Đ" * 2000) + "/").status_code == 404
    assert client.get("/api/v1/dossiers/" + "A" * 5000 + "/").status_code == 404
