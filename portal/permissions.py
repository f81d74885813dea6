"""The permission rule: who may see and do what.

Every app answers "which rows may this user see / act on" through a pair of queryset methods,
``visible_to(user)`` and ``actionable_by(user)``, built on the grants computed here. Grants are
read once per user object (that is, once per request) and cached on it, so a page that checks
permissions for fifty rows makes one query for them, not fifty.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import QuerySet

_CACHE_ATTR = "_motcua_grants"


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


def grants_for(user) -> Grants:
    """The grants of ``user``, cached on the user object for the rest of the request."""
    if user is None or not getattr(user, "is_authenticated", False):
        return ANONYMOUS
    cached = getattr(user, _CACHE_ATTR, None)
    if cached is not None:
        return cached
    from portal.models import StaffMembership

    roles: dict[int, set[str]] = {}
    rows = StaffMembership.objects.filter(
        user_id=user.pk, is_active=True, agency__is_active=True
    ).values_list("agency_id", "role")
    for agency_id, role in rows:
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
