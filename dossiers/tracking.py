"""Public tracking by code plus the applicant's phone number (no login).

Only public facts come out: status, dates and the steps (time, step, agency) — no officials'
names, no notes. A wrong phone number is indistinguishable from an unknown code.

**Cost.** The public facts of a dossier are cached (``TRACK_CACHE_SECONDS``, default 300 s)
under its code, with a keyed hash of the phone number instead of the number; every recorded
event forgets the entry when its transaction commits (``events.announce``), so a lookup after a
change never sees the old status. A cached lookup is one Redis round trip and no query; a miss
adds one indexed query (the dossier and its public steps) and the write of the entry. Labels are
translated when read, so one entry serves every language.

**Rate limit.** ``over_limit`` counts lookups per client address in a fixed window with one
Redis ``INCR`` + ``EXPIRE``, pipelined with the read of the cached facts (one round trip for a
cached lookup; the cache's ``add``/``incr`` on other cache backends).
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
from django.core.cache import cache, caches
from django.db import connection

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
    if not type(caches["default"]).__module__.startswith("django_redis"):
        return None
    from django_redis import get_redis_connection

    return get_redis_connection("default")


def _count(key: str, ttl: int, read: str | None = None) -> tuple[int | None, object]:
    """Add one to ``key`` (created with ``ttl``) and read the cache entry ``read`` in the same
    round trip: (the count or None when the cache is unreachable, the entry or None)."""
    try:
        client = _redis_client()
        if client is not None:
            full = cache.make_key(key)
            pipe = client.pipeline(transaction=False)
            pipe.incr(full)
            pipe.expire(full, ttl)
            if read is not None:
                pipe.get(cache.make_key(read))
            answers = pipe.execute()
            entry = answers[2] if read is not None else None
            decoded = caches["default"].client.decode(entry) if entry is not None else None
            return int(answers[0]), decoded
        cache.add(key, 0, timeout=ttl)
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, timeout=ttl)
            count = 1
        return count, (cache.get(read) if read is not None else None)
    except Exception as exc:  # a cache outage must not lock the public out
        logger.warning("tracking rate limiter unavailable: %r", exc)
        return None, None


def count_lookup(client: str, code: str | None = None) -> tuple[bool, int, dict | None]:
    """Count one lookup for ``client`` (its address): (True when over the rate, seconds until
    the window ends, the cached facts of ``code`` read in the same round trip or None)."""
    limit, seconds = lookup_rate()
    now = time.time()
    window = int(now // seconds)
    count, entry = _count(
        f"track-limit:{client or 'unknown'}:{window}",
        seconds + 1,
        read=_cache_key(code.strip()) if code else None,
    )
    retry_after = seconds - int(now) % seconds
    return (count is not None and count > limit), retry_after, entry


def over_limit(client: str) -> tuple[bool, int]:
    """``count_lookup`` without the cache read: (over the rate, seconds until the window ends)."""
    limited, retry_after, _entry = count_lookup(client)
    return limited, retry_after


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


def forget_many(codes: list[str]) -> None:
    """``forget`` for several dossiers in one cache round trip (routing's batched delivery)."""
    try:
        cache.delete_many([_cache_key(code) for code in codes])
    except Exception as exc:  # the entries expire on their own
        logger.warning("could not forget %d tracking entries: %r", len(codes), exc)


TRACK_SQL = """
SELECT d.code, d.status, d.applicant_phone, d.received_at, d.due_at, d.returned_at,
       p.code, v.name, e.at, e.action, e.to_status, a.name
FROM {dossier} d
JOIN {procedure} p ON p.id = d.procedure_id
JOIN {version} v ON v.id = d.procedure_version_id
LEFT JOIN {event} e ON e.dossier_id = d.id AND e.is_public
LEFT JOIN {agency} a ON a.id = e.to_agency_id
WHERE d.code = %s
ORDER BY e.at, e.id
"""


def _load(code: str) -> dict | None:
    """The cacheable facts of ``code`` from the database in one query (labels left out)."""
    from portal.models import Agency
    from procedures.models import Procedure, ProcedureVersion

    sql = TRACK_SQL.format(
        dossier=Dossier._meta.db_table,
        procedure=Procedure._meta.db_table,
        version=ProcedureVersion._meta.db_table,
        event=DossierEvent._meta.db_table,
        agency=Agency._meta.db_table,
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [code])
        rows = cursor.fetchall()
    if not rows:
        return None
    first = rows[0]
    return {
        "code": first[0],
        "phone": _phone_digest(normalize_phone(first[2])),
        "status": first[1],
        "procedure": first[6],
        "procedure_name": first[7],
        "received_at": first[3],
        "due_at": first[4],
        "returned_at": first[5],
        "steps": [row[8:12] for row in rows if row[8] is not None],
    }


def _action_label(action: str) -> str:
    try:
        return str(EventAction(action).label)
    except ValueError:
        return action


def track(code: str, phone: str, *, cached: dict | None = None) -> dict:
    """The public view of one dossier, or NotFound (unknown code or wrong phone alike).
    ``cached``: the facts ``count_lookup`` already read for this code, if any."""
    code = (code or "").strip()
    wanted = normalize_phone(phone)
    if not code or not wanted or "\x00" in code or "\x00" in wanted:
        raise NotFound()
    key = _cache_key(code)
    facts = cached if cached is not None and cached.get("code") == code else None
    if facts is None:
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
