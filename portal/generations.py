"""Generation tokens in the shared cache.

A cached thing (rendered lists, tab counts, grants, the working calendar) records the tokens it
was built under and is used only while they are still the current ones. Replacing a token makes
everything built under it stale, in every process, without knowing which keys those are.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)


def ensure(key: str, token: str | None = None) -> str:
    """``token`` (what was just read for ``key``) or, when it is missing (first use, a flushed
    cache), a new one — the one another process stored first if it raced us."""
    if token is not None:
        return token
    fresh = uuid.uuid4().hex
    return fresh if cache.add(key, fresh, None) else cache.get(key, fresh)


def current(key: str) -> str:
    """The current token of ``key``, created when missing."""
    return ensure(key, read(key))


#: Values read ahead by ``read_together`` for the block in progress (each served once).
_read_ahead: ContextVar[dict | None] = ContextVar("generations_read_ahead", default=None)


@contextmanager
def read_together(keys: Iterable[str]) -> Iterator[None]:
    """Read these keys of the shared cache in one ``MGET`` for a block that reads each of them
    once (a filing reads the catalog's and the calendar's generations): inside it, the first
    ``read(key)`` of each is served from that read, a later one from the cache."""
    keys = list(keys)
    found = cache.get_many(keys)
    token = _read_ahead.set({key: found.get(key) for key in keys})
    try:
        yield
    finally:
        _read_ahead.reset(token)


def read(key: str):
    """``cache.get(key)``, or what ``read_together`` read for it in the block in progress."""
    ahead = _read_ahead.get()
    if ahead is not None and key in ahead:
        return ahead.pop(key)
    return cache.get(key)


def replace(keys: Iterable[str]) -> None:
    """Every entry built under these tokens is stale from now on (one round trip)."""
    keys = list(keys)
    if keys:
        _store_all(keys, uuid.uuid4().hex)


def _store_all(keys: list[str], token: str) -> None:
    """``cache.set_many(..., timeout=None)`` as one ``MSET`` on Redis: django-redis sends a
    ``MULTI``/``EXEC`` pipeline of one ``SET`` per key, about three times the CPU, on every
    dossier change (docs/performance.md). Other backends (the embedded mode's local memory)
    take ``set_many``. A Redis outage is ignored like the cache's ``IGNORE_EXCEPTIONS`` does:
    the entries then expire by their own bounds."""
    client = getattr(cache, "client", None)
    if not (hasattr(client, "get_client") and hasattr(client, "encode")):
        cache.set_many(dict.fromkeys(keys, token), timeout=None)
        return
    value = client.encode(token)
    try:
        client.get_client(write=True).mset({client.make_key(key): value for key in keys})
    except (RedisConnectionError, RedisTimeoutError) as exc:
        if not _ignores_outages():
            raise
        logger.warning("generation tokens not replaced (cache unavailable): %r", exc)


def _ignores_outages() -> bool:
    options = settings.CACHES.get("default", {}).get("OPTIONS", {})
    return bool(
        options.get("IGNORE_EXCEPTIONS")
        or getattr(settings, "DJANGO_REDIS_IGNORE_EXCEPTIONS", False)
    )


def replace_on_commit(keys: Iterable[str]) -> None:
    """``replace`` once the current transaction commits (at once outside one). The keys given
    until the next commit go into one write: a filing or a transition that drops the lists of
    the same agencies from two places costs one round trip. Each call registers the batch's
    hook, so whichever of them runs first writes every key (the others find nothing left);
    keys of a rolled-back transaction are written with the next commit (a harmless extra)."""
    keys = list(keys)
    if not keys:
        return
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        replace(keys)
        return
    batch = getattr(connection, "_generation_batch", None)
    if batch is None or batch.flushed:
        batch = _CommitBatch()
        connection._generation_batch = batch
    batch.keys.update(keys)
    transaction.on_commit(batch.flush)


class _CommitBatch:
    """The keys replaced at the next commit."""

    def __init__(self) -> None:
        self.keys: set[str] = set()
        self.flushed = False

    def flush(self) -> None:
        if not self.flushed:
            self.flushed = True
            replace(sorted(self.keys))


def replace_now_and_on_commit(keys: Iterable[str]) -> None:
    """``replace`` now, for this process and readers that would keep a copy from before the
    change, and again once the current transaction commits, so that a reader that loaded the
    old rows while the change was uncommitted does not keep them."""
    keys = list(keys)
    replace(keys)
    transaction.on_commit(lambda: replace(keys))
