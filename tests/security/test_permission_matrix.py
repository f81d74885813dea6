"""The permission matrix (NetBox-style generic tests) over every page and API endpoint.

1. Discovery: every named URL (resolver walk) and every OpenAPI operation is classified in
   ``matrix.py``; a new endpoint without a rule fails here.
2. Every probe of every route answers each actor as the rule says (200 / 302 / 403 / 404 /
   login), and no answer an actor gets (HTML, JSON, PDF, XLSX) contains the personal data of a
   dossier that actor may not see.
3. Every lifecycle action (discovered from the workflow's registry) answers 200 to whoever may
   take it, 403 to whoever may only see the dossier, 404 to everyone else, 401 anonymously.
4. Lists and counts (API ``count``, desk tab counters) hold exactly what the actor may see.
"""

from __future__ import annotations

import datetime
import io
from urllib.parse import parse_qsl

import pytest
from django.conf import settings
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.urls import NoReverseMatch, Resolver404, resolve, reverse
from django.utils import timezone
from django.utils.html import escape

from dossiers import deadlines
from dossiers.models import Dossier, DossierEvent
from dossiers.workflow import ACTIONS, transition
from tests.dossiers.factories import pdf
from tests.security.conftest import ACTORS, SEES_DOSSIER, SEES_HIDDEN, World
from tests.security.discovery import concrete_path, discovered_urls, schema_operations
from tests.security.matrix import LOGIN, ROUTES, ROUTES_BY_NAME, Probe, Route

pytestmark = pytest.mark.django_db


# --- discovery ------------------------------------------------------------------------------


def test_every_named_url_is_classified():
    found = discovered_urls()
    unnamed = [u.route for u in found if not u.name]
    missing = sorted({u.name for u in found if u.name and u.name not in ROUTES_BY_NAME})
    gone = sorted(set(ROUTES_BY_NAME) - {u.name for u in found})
    assert not unnamed, f"URL patterns without a name cannot be classified: {unnamed}"
    assert not missing, (
        f"New endpoints without a permission rule: {missing}. Classify them in "
        "tests/security/matrix.py (who may see/do what)."
    )
    assert not gone, f"matrix.py classifies URLs that no longer exist: {gone}"


def test_every_schema_operation_is_classified(client):
    schema = client.get(reverse("api-schema"), {"format": "json"}).json()
    problems = []
    for path, method in schema_operations(schema):
        try:
            name = resolve(concrete_path(path)).view_name
        except Resolver404:
            problems.append(f"{method} {path}: does not resolve")
            continue
        route = ROUTES_BY_NAME.get(name)
        if route is None:
            problems.append(f"{method} {path}: {name} is not in matrix.py")
        elif method not in route.methods:
            problems.append(f"{method} {path}: add {method} to {name}'s methods and a probe")
    assert not problems, "\n".join(problems)


# --- the matrix -----------------------------------------------------------------------------


def outcome(response, api: bool):
    status = response.status_code
    if status == 302 and response.get("Location", "").startswith(reverse(settings.LOGIN_URL)):
        return LOGIN
    if api and status == 401:
        return LOGIN
    return status


def body_text(response) -> str:
    """What a person would read in the answer: HTML/JSON text, PDF text, XLSX cell values."""
    if getattr(response, "streaming", False):
        # Consuming the stream closes it through the test client's wrapper; calling close()
        # directly would fire request_finished and close the test's database connection.
        content = b"".join(response.streaming_content)
    else:
        content = response.content
    kind = response.get("Content-Type", "")
    if "pdf" in kind:
        from pypdf import PdfReader
        from pypdf.errors import PdfReadError

        try:
            pages = PdfReader(io.BytesIO(content)).pages
            return "\n".join(page.extract_text() or "" for page in pages)
        except (PdfReadError, ValueError):  # a citizen's upload need not be a valid PDF
            return content.decode("latin-1")
    if "spreadsheetml" in kind:
        from openpyxl import load_workbook

        book = load_workbook(io.BytesIO(content), read_only=True)
        return "\n".join(
            str(value)
            for sheet in book.worksheets
            for row in sheet.iter_rows(values_only=True)
            for value in row
            if value is not None
        )
    return content.decode("utf-8", "replace")


def without_echo(text: str, query: str) -> str:
    """The text less what the caller typed (a search box shows the searched words back)."""
    for _key, value in parse_qsl(query):
        if len(value) > 3:
            text = text.replace(value, "").replace(escape(value), "")
    return text


def request(world: World, route: Route, probe: Probe, actor: str):
    kwargs = (probe.kwargs or route.kwargs)(world)
    url = reverse(route.name, kwargs=kwargs)
    query = probe.query_for(world)
    client = world.client(actor, api=route.api)
    data = probe.data_for(world)
    if probe.method == "GET":
        return client.get(url + (f"?{query}" if query else ""))
    if route.api:
        return client.post(url, data or {}, format=probe.format)
    return client.post(url, data or {})


def run_probe(world: World, route: Route, probe: Probe) -> list[str]:
    failures = []
    for actor in ACTORS:
        cache.clear()  # rate limits are tested on their own (test_attacks)
        with transaction.atomic():
            response = request(world, route, probe, actor)
            got = outcome(response, route.api)
            expected = probe.expect[actor]
            where = f"{probe.method} {route.name} {probe.label}".strip()
            if got != expected:
                failures.append(f"{where}: {actor} got {got}, expected {expected}")
            elif 200 <= response.status_code < 300:
                text = without_echo(body_text(response), probe.query_for(world))
                for marker in world.invisible_markers(actor):
                    leaked = marker.found_in(text, code=not probe.public_code)
                    if leaked:
                        failures.append(f"{where}: {actor} sees {leaked} (not theirs)")
            transaction.set_rollback(True)
    return failures


@pytest.mark.parametrize("route", ROUTES, ids=[r.name for r in ROUTES])
def test_route_answers_every_actor_by_the_rule(world_media, route):
    failures = []
    for probe in route.probes:
        failures += run_probe(world_media, route, probe)
    assert not failures, "\n".join(failures)


# --- every lifecycle action × every actor ---------------------------------------------------

HOLDING = {"desk", "specialist", "leader", "superuser"}
#: Who may take each action on a dossier received, held and returned by agency A
#: (interfaces.md "Lifecycle actions"; workflow.py's docstring for confirm-payment and the desk
#: acting for a citizen at the counter).
ACTION_RULES: dict[str, set[str]] = {
    "receive": {"desk", "superuser"},
    "refuse": {"desk", "superuser"},
    "assign": {"desk", "leader", "superuser"},
    "forward": HOLDING,
    "request-supplement": HOLDING,
    "supplement": {"owner", "desk", "superuser"},
    "request-payment": HOLDING,
    "confirm-payment": HOLDING,
    "suspend": {"leader", "superuser"},
    "resume": {"leader", "superuser"},
    "apologize": {"leader", "superuser"},
    "complete": {"leader", "superuser"},
    "return": {"desk", "superuser"},
    "withdraw": {"owner", "desk", "superuser"},
    # docs/workflow.md: the deciding agency's leader signs first (then a clerk; no clerk here).
    "sign": {"leader", "superuser"},
    "submit-for-approval": {"specialist", "superuser"},
}


def _give_certificate(user) -> None:
    """A signing certificate (its own small CA) with its key in the local provider."""
    from signatures import pki, services
    from signatures.providers import LocalPkcs12Provider

    ca_key, ca = pki.build_ca("Security Test CA")
    key, cert = pki.issue_signer(
        user.get_full_name() or user.username, issuer=ca, issuer_key=ca_key
    )
    reference = LocalPkcs12Provider().store_key(key, cert, [ca])
    services.register_signing_certificate(
        pki.to_pem(cert), user=user, provider=LocalPkcs12Provider.name, key_reference=reference
    )


def _next_working_day(after: datetime.date) -> datetime.date:
    day = after + datetime.timedelta(days=2)
    while deadlines.end_of_working_day(day) is None:
        day += datetime.timedelta(days=1)
    return day


def _submitted(world: World) -> Dossier:
    from dossiers.filing import file_dossier
    from tests.security.conftest import applicant

    return file_dossier(
        procedure_code=world.procedure_code,
        applicant_user=world.users["owner"],
        data=applicant("Lê Thị Hồ Sơ Mật", "068111222333", "0911222333"),
        files={"to-khai": [pdf()]},
        channel="online",
        actor=world.users["owner"],
    )


def prepare(world: World, action: str) -> tuple[Dossier, dict, str]:
    """A dossier of the owner at agency A in a status that allows ``action``, the body that
    makes the action succeed, and its format."""
    desk, leader = world.users["desk"], world.users["leader"]
    dossier = world.dossier
    body: dict = {"note": "", "reason": "Lý do kiểm thử"}
    fmt = "json"
    if action in {"receive", "refuse"}:
        dossier = _submitted(world)
    elif action == "assign":
        body = {"assignee": world.users["specialist"].username}
    elif action == "forward":
        body = {"agency": world.upper_agency.code, "note": "Chuyển kiểm thử"}
    elif action == "request-supplement":
        body = {"reason": "Thiếu giấy tờ", "documents": ["Tờ khai"]}
    elif action == "supplement":
        transition(dossier.code, "request-supplement", desk, reason="Thiếu", documents=["Tờ khai"])
        body, fmt = {"note": "Bổ sung", "doc_to-khai": pdf("bo-sung.pdf", extra=b"2")}, "multipart"
    elif action == "request-payment":
        body = {"amount": 50000, "reason": "Lệ phí"}
    elif action == "confirm-payment":
        transition(dossier.code, "request-payment", desk, amount=50000, reason="Lệ phí")
        body = {"receipt_number": "BL-1"}
    elif action == "resume":
        transition(dossier.code, "suspend", leader, reason="Tạm dừng")
    elif action == "apologize":
        Dossier.objects.filter(pk=dossier.pk).update(
            due_at=timezone.now() - datetime.timedelta(minutes=5)
        )
        new_date = _next_working_day(timezone.localdate())
        body = {"reason": "Trễ hạn", "new_due_date": new_date.isoformat()}
    elif action == "complete":
        body, fmt = {"result_summary": "Đã giải quyết", "result_file": pdf("kq.pdf")}, "multipart"
    elif action == "return":
        transition(
            dossier.code, "complete", leader, result_summary="Xong", result_file=pdf("kq.pdf")
        )
        body = {"method": "desk"}
    elif action == "sign":
        from signatures.sample_pdf import one_page_pdf

        result = SimpleUploadedFile("kq.pdf", one_page_pdf("KET QUA"), "application/pdf")
        transition(dossier.code, "complete", leader, result_summary="Xong", result_file=result)
        for actor in ("leader", "superuser"):
            _give_certificate(world.users[actor])
        body = {"note": "Ký kiểm thử"}
    elif action == "submit-for-approval":
        body = {"note": "Đề nghị phê duyệt"}
    dossier.refresh_from_db()
    return dossier, body, fmt


def _rewind(body: dict) -> dict:
    """Uploaded files are read by each request: give every attempt a fresh copy."""
    fresh = {}
    for key, value in body.items():
        if hasattr(value, "seek"):
            value.seek(0)
        fresh[key] = value
    return fresh


def test_every_registered_action_has_a_rule():
    assert set(ACTIONS) == set(ACTION_RULES), (
        f"Actions without a permission rule: {sorted(set(ACTIONS) - set(ACTION_RULES))}; "
        f"rules for actions that no longer exist: {sorted(set(ACTION_RULES) - set(ACTIONS))}"
    )


@pytest.mark.parametrize("action", sorted(ACTION_RULES))
def test_every_action_answers_by_role(world_media, action):
    world = world_media
    failures = []
    with transaction.atomic():
        dossier, body, fmt = prepare(world, action)
        url = reverse("api-dossier-action", kwargs={"code": dossier.code, "action": action})
        for actor in ACTORS:
            if actor in ACTION_RULES[action]:
                expected = 200
            elif actor in SEES_DOSSIER:
                expected = 403
            else:
                expected = LOGIN if actor == "anonymous" else 404
            with transaction.atomic():
                before = DossierEvent.objects.filter(dossier=dossier).count()
                client = world.client(actor, api=True)
                response = client.post(url, _rewind(body), format=fmt)
                got = outcome(response, api=True)
                added = DossierEvent.objects.filter(dossier=dossier).count() - before
                if got != expected:
                    failures.append(
                        f"{action}: {actor} got {got} {response.content[:200]!r}, "
                        f"expected {expected}"
                    )
                elif (expected == 200) != (added == 1):
                    failures.append(f"{action}: {actor} answered {got} but added {added} rows")
                transaction.set_rollback(True)
        transaction.set_rollback(True)
    assert not failures, "\n".join(failures)


# --- lists and counts -----------------------------------------------------------------------


def _expected_codes(world: World, actor: str) -> set[str]:
    codes = set()
    if actor in SEES_DOSSIER:
        codes.add(world.dossier.code)
    if actor in SEES_HIDDEN:
        codes.add(world.hidden.code)
    return codes


def test_api_lists_and_counts_hold_only_visible_dossiers(world_media):
    world = world_media
    for actor in ACTORS[1:]:
        client = world.client(actor, api=True)
        body = client.get(reverse("api-dossier-list"), {"page_size": 100}).json()
        codes = {row["code"] for row in body["results"]}
        if actor == "superuser":
            assert body["count"] == Dossier.objects.count()
            assert {world.dossier.code, world.hidden.code} <= codes
            continue
        assert codes == _expected_codes(world, actor), actor
        assert body["count"] == len(codes), actor
        # A filter naming the other agency never widens what the actor sees.
        filtered = client.get(reverse("api-dossier-list"), {"agency": world.peer_agency.code})
        filtered_codes = {row["code"] for row in filtered.json()["results"]}
        assert filtered_codes <= codes, actor


def test_desk_tab_counters_count_only_the_agencys_dossiers(world_media):
    world = world_media
    for actor in ("desk", "specialist", "leader", "peer_desk", "upper_desk", "catalog_admin"):
        response = world.client(actor).get(reverse("dossiers:desk"), {"tab": "processing"})
        assert response.status_code == 200
        total = sum(
            tab["count"] or 0 for tab in response.context["tabs"] if tab["key"] != "overdue"
        )
        assert total == len(_expected_codes(world, actor)), actor
        listed = {d.code for d in response.context["page"].object_list}
        assert listed <= _expected_codes(world, actor), actor


# --- the admin ------------------------------------------------------------------------------


def test_admin_pages_need_an_administrator(world_media):
    """Every registered admin changelist: anonymous and citizens go to the admin login; staff
    without the model permission get 403; superusers 200."""
    from django.contrib import admin

    world = world_media
    anonymous, citizen = world.client("anonymous"), world.client("owner")
    staff_without_perms = world.client("catalog_admin")  # is_staff, no model permissions
    root = world.client("superuser")
    login = reverse("admin:login")
    failures = []
    for model in admin.site._registry:
        meta = model._meta
        try:
            url = reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist")
        except NoReverseMatch:
            continue
        for name, client in (("anonymous", anonymous), ("citizen", citizen)):
            response = client.get(url)
            if response.status_code != 302 or not response["Location"].startswith(login):
                failures.append(f"{url}: {name} got {response.status_code}")
        response = staff_without_perms.get(url)
        if response.status_code == 200:
            # Allowed only where the admin narrows its rows with visible_to (dossiers).
            leaked = [m.code for m in world.markers.values() if m.code in response.text]
            if leaked:
                failures.append(f"{url}: staff without permission sees {leaked}")
        elif response.status_code != 403:
            failures.append(f"{url}: staff without permission got {response.status_code}")
        status = root.get(url).status_code
        if status != 200:
            failures.append(f"{url}: superuser got {status}")
    assert not failures, "\n".join(failures)
