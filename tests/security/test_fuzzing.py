"""API fuzzing: schemathesis generates requests from /api/schema/ for every operation, sent
through the WSGI application to the test database, anonymously and with a citizen's token.
Every answer must be a non-5xx, and documented answers must conform to the schema.

Bounded: ``FUZZ_EXAMPLES`` examples per operation and identity, no shrinking (a failure is
reported with the request that caused it), so the whole test stays well under three minutes.
"""

from __future__ import annotations

import contextlib
import os

import pytest
import schemathesis
from django.core.cache import cache
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given, settings
from rest_framework.authtoken.models import Token

from tests.security.conftest import World

pytestmark = pytest.mark.django_db

FUZZ_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "20"))
#: Operations whose every answer is refused before any parsing (signed webhooks): fewer tries.
SIGNED_WEBHOOKS = ("/api/v1/postal/events/", "/api/v1/payments/webhook/")


@contextlib.contextmanager
def wsgi_application():
    """The real WSGI application, sharing the test's database connection: like Django's test
    client, keep the request signals from closing the connection inside the test transaction
    (and use no Django test client meanwhile: it reconnects them)."""
    from django.core.wsgi import get_wsgi_application

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield get_wsgi_application()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def _checks():
    from schemathesis.checks import not_a_server_error, response_schema_conformance

    return [not_a_server_error, response_schema_conformance]


def fuzz_operation(operation, app, headers: dict, examples: int) -> str | None:
    """Run ``examples`` generated cases; the first failure as text, or None."""
    checks = _checks()

    @given(case=operation.as_strategy())
    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def run(case):
        cache.clear()  # throttles are tested in test_auth; here every request must be served
        response = case.call(app=app, headers=headers)
        case.validate_response(response, checks=checks, headers=headers)

    try:
        run()
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as exc:
        return f"{operation.label}: {type(exc).__name__}: {str(exc)[:1500]}"
    return None


def test_every_api_operation_survives_generated_requests(world_media: World, client):
    world = world_media
    raw = client.get("/api/schema/", {"format": "json"}).json()
    schema = schemathesis.openapi.from_dict(raw)
    token = Token.objects.create(user=world.users["owner"])
    identities = {"anonymous": {}, "citizen": {"Authorization": f"Token {token.key}"}}
    failures, operations = [], 0
    with wsgi_application() as app:
        for result in schema.get_all_operations():
            operation = result.ok()
            operations += 1
            signed = operation.path.startswith(SIGNED_WEBHOOKS)
            for headers in identities.values():
                examples = max(3, FUZZ_EXAMPLES // 4) if signed else FUZZ_EXAMPLES
                failure = fuzz_operation(operation, app, headers, examples)
                if failure:
                    failures.append(failure)
    assert operations >= 10
    assert not failures, "\n\n".join(failures)
