"""Token authentication for the API, with expiry and a per-process copy of what it reads.

Each request used to read the token and its user from the database. A process now keeps, per
token key, the user's row and the token's creation time, stamped with the user's token in the
shared cache (``portal.permissions.user_state``), which is replaced — now and again at commit —
whenever the user, their API token or their memberships change (``portal/signals.py``). A copy
is used only while its stamp is the current one, read in the same round trip as the cached
grants (which it hands to ``grants_for``), so a deleted or rotated token, a deactivated user or
a revoked role is refused at the next request in every process. The stamp is read before the
row a copy is made from, so a copy is never newer-looking than its data. A row changed
without signals (raw SQL) is seen after ``COPY_MAX_SECONDS``, like the grants' entries.
"""

from __future__ import annotations

import functools
import time
from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication
from rest_framework.authtoken.models import Token

from portal import permissions

#: token key -> (stamp, user_id, user field values, token created, when copied)
_copies: dict[str, tuple[str, int, tuple, object, float]] = {}
LOCAL_MAX_ENTRIES = 10_000
#: A copy is read again after this long regardless (rows changed without signals: raw SQL).
COPY_MAX_SECONDS = 300


def forget_copies() -> None:
    _copies.clear()


class ExpiringTokenAuthentication(TokenAuthentication):
    """DRF token authentication whose tokens expire after API_TOKEN_TTL_HOURS."""

    def authenticate_credentials(self, key):
        copy = _copies.get(key)
        if copy is not None:
            stamp, user_id, values, created, copied = copy
            current, memberships = permissions.user_state(user_id)
            fresh_enough = time.monotonic() - copied < COPY_MAX_SECONDS
            user = _user_from(values)
            if current == stamp and fresh_enough and user.is_active:
                token = Token.from_db(
                    "default", ["key", "user_id", "created"], [key, user_id, created]
                )
                token.user = user
                self._check_expiry(token)
                if memberships is not None:
                    permissions.prime_grants(user, memberships)
                return user, token
            _copies.pop(key, None)
        user, token = super().authenticate_credentials(key)  # unknown key, inactive user
        self._check_expiry(token)
        # Stamp first, row second: a change committed in between replaces the stamp again.
        stamp = permissions.user_token(user.pk)
        fresh = Token.objects.select_related("user").filter(key=key).first()
        if fresh is not None and fresh.user.is_active:
            if len(_copies) >= LOCAL_MAX_ENTRIES:
                _copies.clear()
            values = tuple(getattr(fresh.user, name) for name in _user_fields())
            _copies[key] = (stamp, fresh.user_id, values, fresh.created, time.monotonic())
        return user, token

    @staticmethod
    def _check_expiry(token) -> None:
        if token.created < timezone.now() - timedelta(hours=settings.API_TOKEN_TTL_HOURS):
            token.delete()
            _copies.pop(token.key, None)
            raise exceptions.AuthenticationFailed(_("Mã truy cập đã hết hạn."))


@functools.cache
def _user_fields() -> list[str]:
    from django.contrib.auth import get_user_model

    return [f.attname for f in get_user_model()._meta.concrete_fields]


def _user_from(values: tuple):
    from django.contrib.auth import get_user_model

    return get_user_model().from_db("default", _user_fields(), values)
