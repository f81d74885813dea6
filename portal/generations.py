"""Generation tokens in the shared cache.

A cached thing (rendered lists, tab counts, grants, the working calendar) records the tokens it
was built under and is used only while they are still the current ones. Replacing a token makes
everything built under it stale, in every process, without knowing which keys those are.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from django.core.cache import cache
from django.db import transaction


def ensure(key: str, token: str | None = None) -> str:
    """``token`` (what was just read for ``key``) or, when it is missing (first use, a flushed
    cache), a new one — the one another process stored first if it raced us."""
    if token is not None:
        return token
    fresh = uuid.uuid4().hex
    return fresh if cache.add(key, fresh, None) else cache.get(key, fresh)


def current(key: str) -> str:
    """The current token of ``key``, created when missing."""
    return ensure(key, cache.get(key))


def replace(keys: Iterable[str]) -> None:
    """Every entry built under these tokens is stale from now on (one round trip)."""
    keys = list(keys)
    if keys:
        cache.set_many(dict.fromkeys(keys, uuid.uuid4().hex), timeout=None)


def replace_now_and_on_commit(keys: Iterable[str]) -> None:
    """``replace`` now, for this process and readers that would keep a copy from before the
    change, and again once the current transaction commits, so that a reader that loaded the
    old rows while the change was uncommitted does not keep them."""
    keys = list(keys)
    replace(keys)
    transaction.on_commit(lambda: replace(keys))
