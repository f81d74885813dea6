"""THE classification table: who may see or do what, for every named URL of the portal.

Each entry names a URL (as ``reverse`` knows it), how to fill its arguments from the test world
and one or more probes (method, query, body) with the answer every actor must get. The answers
come from shared/docs/interfaces.md and architecture.md (the permission rule), not from the
code under test: "other citizens' and other agencies' dossiers answer 404", "anonymous goes to
the login page (pages) or gets 401 (API)", "staff pages answer 403 to citizens".

A URL the resolver or the OpenAPI schema exposes that is missing here fails
``test_every_endpoint_is_classified``: add it here with its rule (and a line in
docs/security.md when it introduces a new kind of access).
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from tests.security.conftest import (
    ACTORS,
    DESKS,
    SEES_DOSSIER,
    STAFF,
    World,
)

LOGIN = "login"  # pages: 302 to the login page; API: 401
Expect = int | str
Rule = dict[str, Expect]


# --- rules: actor -> expected answer --------------------------------------------------------


def rule(default: Expect, anonymous: Expect | None = None, **overrides: Expect) -> Rule:
    table = dict.fromkeys(ACTORS, default)
    if anonymous is not None:
        table["anonymous"] = anonymous
    table.update(overrides)
    return table


def everyone(status: int = 200) -> Rule:
    """Public: the same answer for every actor."""
    return rule(status)


def signed_in(status: int = 200) -> Rule:
    """Any account; anonymous visitors are sent to log in."""
    return rule(status, anonymous=LOGIN)


def only(actors: Iterable[str], yes: Expect, no: Expect, anonymous: Expect = LOGIN) -> Rule:
    actors = set(actors)
    table = {a: (yes if a in actors else no) for a in ACTORS}
    table["anonymous"] = anonymous
    return table


def dossier_scoped(yes: Expect = 200) -> Rule:
    """The owner's dossier (held by agency A): 404 for whoever may not see it."""
    return only(SEES_DOSSIER, yes, 404)


def staff_area(yes: Expect = 200, citizens: Expect = 403) -> Rule:
    """Pages of the desk area: staff of any agency and superusers; citizens are refused."""
    return only(STAFF | {"superuser"}, yes, citizens)


def staff_dossier(yes: Expect = 200) -> Rule:
    """The processing page of the owner's dossier: citizens 403 (not a staff page for them),
    staff who may not see the dossier 404."""
    table = staff_area(404)
    for actor in SEES_DOSSIER - {"owner"}:
        table[actor] = yes
    return table


# --- probes and routes ----------------------------------------------------------------------


@dataclass(frozen=True)
class Probe:
    expect: Rule
    method: str = "GET"
    query: Callable[[World], str] | str = ""
    data: Callable[[World], Mapping] | Mapping | None = None
    kwargs: Callable[[World], dict] | None = None  # overrides the route's kwargs
    label: str = ""
    format: str = "json"  # API bodies: json or multipart
    #: The answer shows the dossier code to whoever knows it (public tracking).
    public_code: bool = False

    def query_for(self, world: World) -> str:
        return self.query(world) if callable(self.query) else self.query

    def data_for(self, world: World):
        return self.data(world) if callable(self.data) else self.data


@dataclass(frozen=True)
class Route:
    name: str
    probes: tuple[Probe, ...]
    kwargs: Callable[[World], dict] = field(default=lambda w: {})
    api: bool = False
    #: Methods of the route's operations in the OpenAPI schema (checked against the schema).
    methods: frozenset[str] = frozenset({"GET"})
    #: Why the rule is what it is, when it is not obvious.
    note: str = ""


def code(world: World) -> dict:
    return {"code": world.dossier.code}


def _today() -> str:
    return datetime.date.today().isoformat()


def _month_ago() -> str:
    return (datetime.date.today() - datetime.timedelta(days=30)).isoformat()


ROUTES: tuple[Route, ...] = (
    # --- portal -------------------------------------------------------------------------------
    Route("home", (Probe(everyone()),)),
    Route("healthz", (Probe(everyone()),)),
    Route("readyz", (Probe(everyone()),)),
    Route(
        "set_language",
        (Probe(everyone(302)), Probe(everyone(302), "POST", data={"language": "en"})),
        note="redirects back; only sets a cookie",
    ),
    Route("login", (Probe(everyone()),)),
    Route("logout", (Probe(everyone(405)), Probe(everyone(302), "POST"))),
    Route("signup", (Probe(rule(302, anonymous=200)),), note="signed-in users go home"),
    Route("my-data", (Probe(signed_in()),), note="export-my-data: the caller's own data only"),
    Route(
        "api-token",
        (Probe(everyone(400), "POST", data={}),),
        api=True,
        methods=frozenset({"POST"}),
    ),
    Route("unit-list", (Probe(everyone()),), api=True),
    Route("unit-detail", (Probe(everyone()),), kwargs=lambda w: {"code": "SEC-C1"}, api=True),
    Route("agency-list", (Probe(everyone()),), api=True),
    Route("agency-detail", (Probe(everyone()),), kwargs=lambda w: {"code": "SEC.A"}, api=True),
    Route("api-schema", (Probe(everyone()),)),
    Route("api-docs", (Probe(everyone()),)),
    # --- procedures (public catalog) -----------------------------------------------------------
    Route("procedure-list", (Probe(everyone()),), api=True),
    Route(
        "procedure-detail",
        (Probe(everyone()),),
        kwargs=lambda w: {"code": w.procedure_code},
        api=True,
    ),
    Route(
        "procedure-due-date",
        (Probe(everyone()),),
        kwargs=lambda w: {"code": w.procedure_code},
        api=True,
    ),
    Route("sector-list", (Probe(everyone()),), api=True),
    Route("sector-detail", (Probe(everyone()),), kwargs=lambda w: {"code": "SEC-S"}, api=True),
    Route("procedures:catalog", (Probe(everyone()),)),
    Route("procedures:detail", (Probe(everyone()),), kwargs=lambda w: {"code": w.procedure_code}),
    Route(
        "procedures:form-template",
        (Probe(everyone()),),
        kwargs=lambda w: {"code": w.procedure_code, "document": "to-khai"},
    ),
    Route(
        "procedures:result-template",
        (Probe(everyone(404)),),
        kwargs=lambda w: {"code": w.procedure_code},
        note="the world's procedure has no result template: 404 for all, never 500",
    ),
    # --- dossiers: API ------------------------------------------------------------------------
    Route(
        "api-dossier-list",
        (
            Probe(signed_in()),
            Probe(signed_in(), query=lambda w: f"agency={w.peer_agency.code}", label="filter"),
            Probe(signed_in(400), "POST", data={}, label="filing with an empty body"),
        ),
        api=True,
        methods=frozenset({"GET", "POST"}),
        note="lists only what visible_to allows (counts: test_api_lists_and_counts_*); any "
        "account may file online in its own name, desk staff walk-in",
    ),
    Route(
        "api-dossier-detail",
        (
            Probe(dossier_scoped()),
            Probe(
                only(
                    {"superuser", "other_citizen", "peer_desk", "peer_specialist", "peer_leader"},
                    200,
                    404,
                ),
                kwargs=lambda w: {"code": w.hidden.code},
                label="the other dossier",
            ),
        ),
        kwargs=code,
        api=True,
    ),
    Route("api-dossier-history", (Probe(dossier_scoped()),), kwargs=code, api=True),
    Route(
        "api-dossier-attachment",
        (
            Probe(dossier_scoped()),
            Probe(
                only((), 404, 404),
                kwargs=lambda w: {"code": w.dossier.code, "pk": w.hidden_attachment.pk},
                label="another dossier's file under a visible code",
            ),
        ),
        kwargs=lambda w: {"code": w.dossier.code, "pk": w.attachment.pk},
        api=True,
    ),
    Route(
        "api-dossier-action",
        (
            Probe(
                only(SEES_DOSSIER, 403, 404, anonymous=LOGIN) | {"desk": 409, "superuser": 409},
                "POST",
                data={},
                label="receive a dossier already in process",
            ),
        ),
        kwargs=lambda w: {"code": w.dossier.code, "action": "receive"},
        api=True,
        methods=frozenset({"POST"}),
        note="every action × actor: test_every_action_answers_by_role",
    ),
    Route(
        "api-track",
        (
            Probe(everyone(400), label="no parameters"),
            Probe(
                everyone(200),
                query=lambda w: f"code={w.dossier.code}&phone={w.dossier.applicant_phone}",
                label="code and phone",
                public_code=True,
            ),
            Probe(
                everyone(404),
                query=lambda w: f"code={w.dossier.code}&phone=0900000000",
                label="wrong phone",
            ),
        ),
        api=True,
        note="public by design: the phone number is the second factor",
    ),
    # --- dossiers: pages ----------------------------------------------------------------------
    Route("dossiers:mine", (Probe(signed_in()),)),
    Route(
        "dossiers:new",
        (Probe(signed_in()),),
        kwargs=lambda w: {"procedure_code": w.procedure_code},
    ),
    Route(
        "dossiers:detail",
        (Probe(only({"owner"}, 200, 404) | dict.fromkeys(SEES_DOSSIER - {"owner"}, 302)),),
        kwargs=code,
        note="staff who may see it are redirected to the processing page",
    ),
    Route(
        "dossiers:supplement",
        (Probe(only({"owner"}, 302, 404), "POST", data={}),),
        kwargs=code,
        note="not awaiting a supplement: the owner is sent back with a message",
    ),
    Route("dossiers:withdraw", (Probe(only({"owner"}, 200, 404)),), kwargs=code),
    Route("dossiers:rate", (Probe(only({"owner"}, 400, 404), "POST", data={}),), kwargs=code),
    Route(
        "dossiers:attachment",
        (
            Probe(dossier_scoped()),
            Probe(
                only((), 404, 404),
                kwargs=lambda w: {"code": w.dossier.code, "token": w.token(w.hidden_attachment)},
                label="another dossier's file under a visible code",
            ),
            Probe(
                only((), 404, 404),
                kwargs=lambda w: {"code": w.dossier.code, "token": "0" * 32},
                label="a guessed key",
            ),
        ),
        kwargs=lambda w: {"code": w.dossier.code, "token": w.token(w.attachment)},
    ),
    Route(
        "dossiers:track",
        (Probe(everyone()), Probe(everyone(400), "POST", data={})),
        note="public; rate-limited per IP (test_attacks)",
    ),
    Route(
        "dossiers:desk",
        (
            Probe(staff_area()),
            Probe(staff_area(), query=lambda w: f"q={w.hidden.code}", label="search by code"),
            Probe(
                staff_area(),
                query=lambda w: f"q={w.hidden.applicant_name}",
                label="search by name",
            ),
        ),
    ),
    Route("dossiers:desk-pick", (Probe(only(DESKS, 200, 403)),)),
    Route(
        "dossiers:desk-new",
        (Probe(only(DESKS, 200, 403)),),
        kwargs=lambda w: {"procedure_code": w.procedure_code},
        note="walk-in filing: one-stop desks only (superusers hold no desk)",
    ),
    Route("dossiers:desk-detail", (Probe(staff_dossier()),), kwargs=code),
    Route(
        "dossiers:desk-act",
        (Probe(staff_dossier(302), "POST", data={}),),
        kwargs=lambda w: {"code": w.dossier.code, "action": "receive"},
        note="refusals and conflicts come back as messages on the processing page",
    ),
    # --- official documents -------------------------------------------------------------------
    Route(
        "documents:download",
        (Probe(dossier_scoped()),),
        kwargs=lambda w: {"code": w.dossier.code, "pk": w.document.pk},
    ),
    Route(
        "documents:print",
        (Probe(dossier_scoped()),),
        kwargs=lambda w: {"code": w.dossier.code, "pk": w.document.pk},
    ),
    Route(
        "documents:latest",
        (
            Probe(dossier_scoped()),
            Probe(
                dossier_scoped(),
                kwargs=lambda w: {"code": w.dossier.code, "kind": "process_control"},
                label="Mẫu 05 built on demand",
            ),
        ),
        kwargs=lambda w: {"code": w.dossier.code, "kind": "receipt"},
    ),
    Route(
        "documents:ledger",
        (
            Probe(staff_area()),
            Probe(
                staff_area(),
                query=lambda w: f"from={_month_ago()}&to={_today()}&format=pdf",
                label="Mẫu 06 PDF",
            ),
            Probe(
                staff_area(),
                query=lambda w: f"from={_month_ago()}&to={_today()}&format=xlsx",
                label="Mẫu 06 XLSX",
            ),
            Probe(
                staff_area(400)
                | {"peer_desk": 200, "peer_specialist": 200, "peer_leader": 200, "superuser": 200},
                query=lambda w: f"agency={w.peer_agency.code}&from={_month_ago()}&to={_today()}",
                label="another agency's ledger",
            ),
        ),
        note="an export: each agency's own ledger; another agency is not a valid choice (400)",
    ),
    # --- postal -------------------------------------------------------------------------------
    Route(
        "api-postal-shipments",
        (
            Probe(signed_in()),
            Probe(signed_in(400), "POST", data={}, label="hand a result to the post, empty body"),
        ),
        api=True,
        methods=frozenset({"GET", "POST"}),
        note="shipments of dossiers the caller may see; an empty body is a 400 before any "
        "permission question (the service refuses others: tests/postal)",
    ),
    Route(
        "api-postal-events",
        (Probe(everyone(LOGIN), "POST", data={}),),
        api=True,
        methods=frozenset({"POST"}),
        note="the carrier's webhook: HMAC signature, no session",
    ),
    Route("postal-manifest", (Probe(staff_area(citizens=404)),)),
    Route("postal-manifest-pdf", (Probe(staff_area(citizens=404)),)),
    Route(
        "postal-alert-resolve",
        (Probe(only({"desk", "superuser"}, 302, 404), "POST", data={}),),
        kwargs=lambda w: {"alert_id": w.alert.pk},
        note="the desk of the alert's agency",
    ),
    # --- payments -----------------------------------------------------------------------------
    Route("payments:dossier", (Probe(dossier_scoped()),), kwargs=code),
    Route(
        "payments:start",
        (
            Probe(
                only({"owner"}, 302, 404)
                | {"desk": 403, "specialist": 403, "leader": 403, "superuser": 403},
                "POST",
                data={},
            ),
        ),
        kwargs=code,
        note="only the applicant pays; nothing due: back to the payments page with a message",
    ),
    Route(
        "payments:receipt",
        (Probe(only((), 404, 404)),),
        kwargs=lambda w: {"code": w.dossier.code, "reference": "PAY-UNKNOWN-1"},
        note="an unknown receipt: 404 for all (real receipts: tests/payments)",
    ),
    Route(
        "payments:return",
        (Probe(everyone(302)),),
        kwargs=lambda w: {"gateway": "sandbox"},
        note="the payer comes back from the gateway: unsigned → sent to their dossiers",
    ),
    Route(
        "payments:sandbox",
        (Probe(everyone(404)),),
        kwargs=lambda w: {"reference": "PAY-UNKNOWN-1"},
        note="the sandbox gateway's page of an unknown payment",
    ),
    Route(
        "payments:api-dossier-payments",
        (
            Probe(dossier_scoped()),
            Probe(
                only({"owner"}, 409, 404, anonymous=LOGIN)
                | {"desk": 403, "specialist": 403, "leader": 403, "superuser": 403},
                "POST",
                data={},
                label="start a payment with nothing due",
            ),
        ),
        kwargs=code,
        api=True,
        methods=frozenset({"GET", "POST"}),
    ),
    Route(
        "payments:api-payment-detail",
        (Probe(only((), 404, 404)),),
        kwargs=lambda w: {"reference": "PAY-UNKNOWN-1"},
        api=True,
    ),
    Route(
        "payments:api-payments-webhook",
        (Probe(everyone(LOGIN), "POST", data={}),),
        kwargs=lambda w: {"gateway": "sandbox"},
        api=True,
        methods=frozenset({"POST"}),
        note="the gateway's signed notification; unsigned is refused",
    ),
    # --- statistics ---------------------------------------------------------------------------
    Route("stats:public", (Probe(everyone()),), note="aggregates only, no dossier data"),
    Route("stats:desk-reports", (Probe(staff_area()),), note="the staff member's agencies"),
    Route("api-stats-summary", (Probe(everyone()),), api=True),
    # --- signatures ---------------------------------------------------------------------------
    Route("verify", (Probe(everyone()), Probe(everyone(400), "POST", data={}))),
    Route(
        "signatures-verify",
        (Probe(everyone(400), "POST", data={}, format="multipart"),),
        api=True,
        methods=frozenset({"POST"}),
    ),
)

ROUTES_BY_NAME: dict[str, Route] = {route.name: route for route in ROUTES}
