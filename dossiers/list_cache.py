"""Rendered dossier lists (the desk queue, a citizen's "my dossiers"), cached and dropped by
*generations*.

A list page is mostly template work: twenty rows with their badges, dates and links cost far
more in Python than the four queries behind them. So the rendered list is kept in the cache and
served as it is while nothing it shows has changed. What it shows depends on:

* the dossiers of an agency (desk) or of an applicant (citizen): a *generation* token per agency
  (``desk-queue:gen:<id>``, the one that already drops the tab counts), one for "all agencies"
  (a superuser's queue) and one per applicant, replaced on commit whenever such a dossier changes
  (every history row: ``queues.forget_lists_on_commit``; and any save or delete of a dossier,
  as a safety net for changes outside the transition service — one write per transaction for
  both, ``generations.replace_on_commit``);
* names shown in the rows (procedure versions, assignees): one ``names`` generation replaced when
  a procedure, a procedure version or a user's name is saved;
* the clock: the due-today / overdue highlighting changes at local midnight and when a shown
  deadline passes. An entry carries the first such moment (``valid_until``) and is not served
  from then on; ``FRAGMENT_TTL`` bounds every entry anyway (the tab counts it includes are cached
  for the same time).

An entry is stored with the generation tokens read *before* its data were read, and a lookup
fetches the entry and the current tokens in one ``MGET``: a change committed while a page was
being rendered makes that page stale at once. A missing token is created fresh (never "0"),
so a cache that lost a token cannot revive an older entry.

Nothing per user goes in an entry beyond what its key names (CSRF tokens, the signed-in user's
name and messages are in the page around it).
"""

from __future__ import annotations

import datetime
import hashlib
import math
from collections.abc import Iterable, Sequence
from typing import Any

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

from dossiers.models import Dossier, Status
from portal import generations

FRAGMENT_TTL = 60  # seconds
PREFIX = "dossier-lists"
NAMES_KEY = f"{PREFIX}:gen:names"
#: A superuser's queue without agencies covers every agency: any change drops it.
ALL_AGENCIES_KEY = "desk-queue:gen:all"


def agency_keys(agency_ids: Iterable[int]) -> list[str]:
    """The generation keys of these agencies (shared with the tab counts of ``queues``)."""
    return [f"desk-queue:gen:{a}" for a in sorted(set(agency_ids))]


def applicant_key(user_id: int) -> str:
    return f"{PREFIX}:gen:applicant:{user_id}"


def digest(parts: Any) -> str:
    return hashlib.sha256(repr(parts).encode("utf-8", "surrogatepass")).hexdigest()[:32]


def query_items(params) -> tuple:
    """A request's query string as a canonical tuple (order of parameters does not matter)."""
    return tuple(sorted((k, tuple(params.getlist(k))) for k in params))


def lookup(
    key: str, generation_keys: Sequence[str], now: datetime.datetime
) -> tuple[SafeString | None, tuple]:
    """The cached HTML under ``key`` if it was rendered under the current generations and its
    clock bound has not passed; and the current tokens, to store a fresh render with."""
    found = cache.get_many([key, *generation_keys])
    tokens = tuple(found.get(k) for k in generation_keys)
    entry = found.get(key)
    if entry is not None and None not in tokens and entry[0] == tokens and now < entry[1]:
        # Our own render_to_string output (autoescaped), stored as text by ``store``.
        return mark_safe(entry[2]), tokens  # nosec B308 B703 - our autoescaped render
    return None, tokens


def current_tokens(generation_keys: Sequence[str], tokens: tuple) -> tuple:
    """``tokens`` with every missing generation created (a fresh random token)."""
    if None not in tokens:
        return tokens
    return tuple(
        generations.ensure(key, token) for key, token in zip(generation_keys, tokens, strict=True)
    )


def store(
    key: str,
    tokens: tuple,
    html: str,
    now: datetime.datetime,
    valid_until: datetime.datetime,
) -> None:
    """Keep ``html`` until ``valid_until`` (at most ``FRAGMENT_TTL`` seconds)."""
    seconds = (valid_until - now).total_seconds()
    if seconds <= 0:
        return
    timeout = min(FRAGMENT_TTL, math.ceil(seconds))
    cache.set(key, (tokens, valid_until, str(html)), timeout)


# --- the clock ------------------------------------------------------------------------------


def next_local_midnight(now: datetime.datetime) -> datetime.datetime:
    tomorrow = timezone.localdate(now) + datetime.timedelta(days=1)
    return timezone.make_aware(datetime.datetime.combine(tomorrow, datetime.time.min))


def highlighting_valid_until(
    dossiers: Iterable[Dossier], now: datetime.datetime
) -> datetime.datetime:
    """The first moment the due-today / overdue highlighting of these rows may change: the next
    local midnight ("today" moves) or the next shown deadline that passes ("overdue")."""
    until = min(next_local_midnight(now), now + datetime.timedelta(seconds=FRAGMENT_TTL))
    for dossier in dossiers:
        deadline = dossier.intake_due_at if dossier.status == Status.SUBMITTED else dossier.due_at
        if deadline is not None and now <= deadline < until:
            until = deadline
    return until


# --- dropping -------------------------------------------------------------------------------


def forget(keys: Iterable[str]) -> None:
    """Replace these generations: every entry rendered under them is stale from now on."""
    generations.replace(keys)


def forget_applicant(user_id: int | None) -> None:
    if user_id:
        forget([applicant_key(user_id)])


def forget_names() -> None:
    forget([NAMES_KEY])


def on_dossier_saved(sender, instance: Dossier, **kwargs) -> None:
    """Safety net for changes outside the transition service (admin, data fixes): drop the
    lists of the dossier's agencies and applicant once the change is committed."""
    agencies = {
        instance.current_agency_id,
        instance.receiving_agency_id,
        instance.returning_agency_id,
        instance.deciding_agency_id,
    }
    keys = [*agency_keys(a for a in agencies if a), ALL_AGENCIES_KEY]
    if instance.applicant_id:
        keys.append(applicant_key(instance.applicant_id))
    # In the same write as the transaction's history rows drop (``queues.forget_lists_on_commit``).
    generations.replace_on_commit(keys)


#: User fields a list shows (the assignee's name); a login only writes ``last_login``.
USER_NAME_FIELDS = frozenset({"username", "full_name", "first_name", "last_name"})


def names_changed(created: bool = False, update_fields=None) -> bool:
    """Whether a user save may change a shown name: not a new user (nobody's assignee yet), not
    a save limited to other fields (``last_login`` on every sign-in)."""
    if created:
        return False
    return update_fields is None or bool(USER_NAME_FIELDS & set(update_fields))


def on_name_source_saved(sender, created: bool = False, update_fields=None, **kwargs) -> None:
    """Procedures, their versions and users (assignees): drop every list once committed."""
    from django.contrib.auth import get_user_model

    if sender is get_user_model() and not names_changed(created, update_fields):
        return
    transaction.on_commit(forget_names)
