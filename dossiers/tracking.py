"""Public tracking by code plus the applicant's phone number (no login).

Only public facts come out: status, dates and the steps (time, step, agency) — no officials'
names, no notes. A wrong phone number is indistinguishable from an unknown code.

**Cost.** The public facts of a dossier are cached (``TRACK_CACHE_SECONDS``, default 300 s)
under its code, with a keyed hash of the phone number instead of the number; every recorded
event forgets the entry when its transaction commits (``events.announce``), so a lookup after a
change never sees the old status. A cached lookup is two Redis round trips (the limiter, the
facts) and no query; a miss is two indexed queries. Labels are translated when read, so one
entry serves every language.

**Rate limit.** ``over_limit`` counts lookups per client address in a fixed window with one
Redis ``INCR`` + ``EXPIRE`` (one pipelined round trip; the cache's ``add``/``incr`` elsewhere).
The page and the API share the budget: ``TRACK_PAGE_RATE`` if set, else the API's ``track``
throttle rate (``THROTTLE_TRACK``, default 30/min). A cache outage lets lookups through.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache

from dossiers.errors import NotFound
from dossiers.models import Dossier, DossierEvent, EventAction, Status

logger = logging.getLogger(__name__)

PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
CACHE_VERSION = 1


def normalize_phone(phone: str) -> str:
    digits = re.sub(r"[\s.\-()]", "", phone or "")
    if digits.startswith("+84"):
        digits = "0" + digits[3:]
    elif digits.startswith("84") and len(digits) >= 11:
        digits = "0" + digits[2:]
    return digits


@dataclass(frozen=True)
class TrackStep:
    at: object
    step: str
    status: int
    status_label: str
    agency: str | None


# --- rate limit -----------------------------------------------------------------------------


def lookup_rate() -> tuple[int, int]:
    """(lookups, seconds) from a DRF-style rate such as ``30/min``."""
    rate = getattr(settings, "TRACK_PAGE_RATE", None) or (
        getattr(settings, "REST_FRAMEWORK", {}).get("DEFAULT_THROTTLE_RATES", {}).get("track")
    )
    try:
        number, period = str(rate or "30/min").split("/", 1)
        return max(int(number), 1), PERIODS[period.strip()[:1]]
    except (ValueError, KeyError):
        return 30, 60


def _redis_client():
    """The raw client behind a django-redis cache, or None for other cache backends."""
    if not type(cache).__module__.startswith("django_redis"):
        return None
    from django_redis import get_redis_connection

    return get_redis_connection("default")


def _count(key: str, ttl: int) -> int | None:
    """Add one to ``key`` (created with ``ttl``); None when the cache is unreachable."""
    try:
        client = _redis_client()
        if client is not None:
            full = cache.make_key(key)
            pipe = client.pipeline(transaction=False)
            pipe.incr(full)
            pipe.expire(full, ttl)
            return int(pipe.execute()[0])
        cache.add(key, 0, timeout=ttl)
        try:
            return cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, timeout=ttl)
            return 1
    except Exception as exc:  # a cache outage must not lock the public out
        logger.warning("tracking rate limiter unavailable: %r", exc)
        return None


def over_limit(client: str) -> tuple[bool, int]:
    """Count one lookup for ``client`` (its address); (True when over the rate, seconds until
    the window ends)."""
    limit, seconds = lookup_rate()
    now = time.time()
    window = int(now // seconds)
    count = _count(f"track-limit:{client or 'unknown'}:{window}", seconds + 1)
    retry_after = seconds - int(now) % seconds
    return (count is not None and count > limit), retry_after


# --- lookup ---------------------------------------------------------------------------------


def cache_seconds() -> int:
    return int(getattr(settings, "TRACK_CACHE_SECONDS", 300))


def _cache_key(code: str) -> str:
    return f"track:{CACHE_VERSION}:{hashlib.sha256(code.encode()).hexdigest()[:32]}"


def _phone_digest(phone: str) -> str:
    return hmac.new(
        settings.SECRET_KEY.encode(), f"track-phone:{phone}".encode(), hashlib.sha256
    ).hexdigest()


def forget(code: str) -> None:
    """Drop the cached facts of ``code`` (after a change to the dossier)."""
    try:
        cache.delete(_cache_key(code))
    except Exception as exc:  # the entry expires on its own
        logger.warning("could not forget tracking entry of %s: %r", code, exc)


def _load(code: str) -> dict | None:
    """The cacheable facts of ``code`` from the database (labels left out)."""
    dossier = (
        Dossier.objects.select_related("procedure", "procedure_version")
        .only(
            "code",
            "status",
            "applicant_phone",
            "received_at",
            "due_at",
            "returned_at",
            "procedure__code",
            "procedure_version__name",
        )
        .filter(code=code)
        .first()
    )
    if dossier is None:
        return None
    events = (
        DossierEvent.objects.public()
        .filter(dossier_id=dossier.pk)
        .order_by("at", "id")
        .values_list("at", "action", "to_status", "to_agency__name")
    )
    return {
        "code": dossier.code,
        "phone": _phone_digest(normalize_phone(dossier.applicant_phone)),
        "status": dossier.status,
        "procedure": dossier.procedure.code,
        "procedure_name": dossier.procedure_version.name,
        "received_at": dossier.received_at,
        "due_at": dossier.due_at,
        "returned_at": dossier.returned_at,
        "steps": list(events),
    }


def _action_label(action: str) -> str:
    try:
        return str(EventAction(action).label)
    except ValueError:
        return action


def track(code: str, phone: str) -> dict:
    """The public view of one dossier, or NotFound (unknown code or wrong phone alike)."""
    code = (code or "").strip()
    wanted = normalize_phone(phone)
    if not code or not wanted or "\x00" in code or "\x00" in wanted:
        raise NotFound()
    key = _cache_key(code)
    try:
        facts = cache.get(key)
    except Exception:
        facts = None
    if facts is None:
        facts = _load(code)
        if facts is not None:
            try:
                cache.set(key, facts, timeout=cache_seconds())
            except Exception as exc:
                logger.warning("could not cache tracking entry: %r", exc)
    actual = facts["phone"] if facts is not None else "-"
    if facts is None or not hmac.compare_digest(actual, _phone_digest(wanted)):
        raise NotFound()
    steps = [
        TrackStep(
            at=at,
            step=_action_label(action),
            status=to_status,
            status_label=str(Status(to_status).label),
            agency=agency,
        )
        for at, action, to_status, agency in facts["steps"]
    ]
    return {
        "code": facts["code"],
        "status": facts["status"],
        "status_label": str(Status(facts["status"]).label),
        "procedure": facts["procedure"],
        "procedure_name": facts["procedure_name"],
        "received_at": facts["received_at"],
        "due_at": facts["due_at"],
        "returned_at": facts["returned_at"],
        "steps": steps,
    }
