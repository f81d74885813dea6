"""The permission rule: who may see and do what.

Every app answers "which rows may this user see / act on" through a pair of queryset methods,
``visible_to(user)`` and ``actionable_by(user)``, built on the grants computed here. Grants are
read once per user object (that is, once per request) and cached on it, so a page that checks
permissions for fifty rows makes one query for them, not fifty.

Across requests the user's memberships are also kept in the shared cache (a query costs ten
times a cache read, on every signed-in page), stamped with two *tokens*: the user's own, replaced
whenever one of their memberships is saved or deleted, and one for all agencies, replaced
whenever an agency is saved or deleted (an agency switched off takes its roles with it). Both
are replaced at once and again on commit (``portal/signals.py``), and an entry is used only
while its tokens are the current ones, so a revoked role is gone at the next request, even if a
request that read the old rows stores them late. ``is_superuser`` is never cached: it comes from
the user row each request loads anyway. ``GRANTS_CACHE_SECONDS`` bounds an entry regardless.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.core.cache import cache
from django.db.models import QuerySet

from portal import generations

_CACHE_ATTR = "_motcua_grants"
GRANTS_CACHE_SECONDS = 300
_AGENCIES_KEY = "portal:grants:token:agencies"


@dataclass(frozen=True)
class Grants:
    """The roles one user holds, by agency id."""

    user_id: int | None
    is_superuser: bool = False
    roles_by_agency: dict[int, frozenset[str]] = field(default_factory=dict)

    @property
    def is_authenticated(self) -> bool:
        return self.user_id is not None

    @property
    def agency_ids(self) -> frozenset[int]:
        return frozenset(self.roles_by_agency)

    def agencies_with(self, *roles: str) -> frozenset[int]:
        """Agencies where the user holds any of ``roles`` (any role when none is given)."""
        if not roles:
            return self.agency_ids
        wanted = set(roles)
        return frozenset(a for a, held in self.roles_by_agency.items() if held & wanted)

    def has_role(self, agency_id: int | None, *roles: str) -> bool:
        if agency_id is None:
            return False
        held = self.roles_by_agency.get(agency_id, frozenset())
        return bool(held & set(roles)) if roles else bool(held)

    def has_any_role(self, *roles: str) -> bool:
        return bool(self.agencies_with(*roles))

    @property
    def is_staff_member(self) -> bool:
        return bool(self.roles_by_agency)


ANONYMOUS = Grants(user_id=None)


def _entry_key(user_id: int) -> str:
    return f"portal:grants:{user_id}"


def _token_key(user_id: int) -> str:
    return f"portal:grants:token:{user_id}"


def _memberships(user_id: int) -> list[tuple[int, str]]:
    """(agency id, role) of the user's active memberships in active agencies, via the cache."""
    keys = [_entry_key(user_id), _token_key(user_id), _AGENCIES_KEY]
    found = cache.get_many(keys)
    tokens = (found.get(keys[1]), found.get(keys[2]))
    entry = found.get(keys[0])
    if entry is not None and None not in tokens and entry[0] == tokens:
        return entry[1]
    # Tokens first, rows second: a change committed in between makes this entry stale.
    fresh = tuple(
        generations.ensure(key, token) for key, token in zip(keys[1:], tokens, strict=True)
    )
    rows = _read_memberships(user_id)
    cache.set(keys[0], (fresh, rows), GRANTS_CACHE_SECONDS)
    return rows


def user_state(user_id: int) -> tuple[str | None, list[tuple[int, str]] | None]:
    """One round trip: the user's token (replaced whenever the user, their API token or their
    memberships change: ``portal/signals.py``) and their cached memberships when that entry is
    still valid (else None)."""
    keys = [_entry_key(user_id), _token_key(user_id), _AGENCIES_KEY]
    found = cache.get_many(keys)
    tokens = (found.get(keys[1]), found.get(keys[2]))
    entry = found.get(keys[0])
    valid = entry is not None and None not in tokens and entry[0] == tokens
    return tokens[0], (entry[1] if valid else None)


def user_token(user_id: int) -> str:
    """The user's current token, created when missing."""
    return generations.current(_token_key(user_id))


def _read_memberships(user_id: int) -> list[tuple[int, str]]:
    from portal.models import StaffMembership

    return list(
        StaffMembership.objects.filter(
            user_id=user_id, is_active=True, agency__is_active=True
        ).values_list("agency_id", "role")
    )


def grants_for(user) -> Grants:
    """The grants of ``user``, cached on the user object for the rest of the request."""
    if user is None or not getattr(user, "is_authenticated", False):
        return ANONYMOUS
    cached = getattr(user, _CACHE_ATTR, None)
    if cached is not None:
        return cached
    return prime_grants(user, _memberships(user.pk))


def prime_grants(user, memberships: list[tuple[int, str]]) -> Grants:
    """Set the grants of ``user`` from its (agency id, role) memberships, as ``grants_for``
    would (a caller that read a valid cache entry already: token authentication)."""
    roles: dict[int, set[str]] = {}
    for agency_id, role in memberships:
        roles.setdefault(agency_id, set()).add(role)
    grants = Grants(
        user_id=user.pk,
        is_superuser=bool(user.is_superuser),
        roles_by_agency={a: frozenset(r) for a, r in roles.items()},
    )
    setattr(user, _CACHE_ATTR, grants)
    return grants


def forget_grants(user) -> None:
    """Drop the cached grants (after memberships changed within the same request)."""
    if hasattr(user, _CACHE_ATTR):
        delattr(user, _CACHE_ATTR)
    if getattr(user, "pk", None) is not None:
        memberships_changed(user.pk)


def memberships_changed(user_id: int) -> None:
    """Every process reads this user's memberships again (now, and once the change commits)."""
    generations.replace_now_and_on_commit([_token_key(user_id)])


def agencies_changed() -> None:
    """Every user's memberships are read again (an agency was switched on or off, or deleted)."""
    generations.replace_now_and_on_commit([_AGENCIES_KEY])


class ScopedQuerySet(QuerySet):
    """Base for querysets that implement the permission rule.

    Subclasses override ``visible_to`` and ``actionable_by``; the defaults here describe public
    reference data: everyone may see it, only superusers may change it.
    """

    def visible_to(self, user) -> ScopedQuerySet:
        return self.all()

    def actionable_by(self, user) -> ScopedQuerySet:
        grants = grants_for(user)
        return self.all() if grants.is_superuser else self.none()
