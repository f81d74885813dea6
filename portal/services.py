"""Business operations of the portal core."""

from __future__ import annotations

from django.db import transaction

from portal.models import CitizenProfile, Role, StaffMembership, User
from portal.permissions import forget_grants


@transaction.atomic
def register_citizen(
    *,
    username: str,
    password: str,
    full_name: str,
    phone: str,
    citizen_id: str = "",
    email: str = "",
    address: str = "",
) -> User:
    """Create a citizen account with its profile, both or neither."""
    user = User(username=username, full_name=full_name, email=email)
    user.set_password(password)
    user.save()
    CitizenProfile.objects.create(user=user, phone=phone, citizen_id=citizen_id, address=address)
    return user


@transaction.atomic
def system_actor(*, username: str, full_name: str, agency_id: int, title: str) -> User:
    """A service account that acts for an outside system (the post, a payment gateway).

    The transition service needs an actor who may take the action, and has no notion of a
    system actor; so each outside system keeps one account: inactive with an unusable password
    (nobody can log in as it or assign it work), given a desk membership at an agency only when
    an event there needs it. Its name shows in the dossier's history.
    """
    user, created = User.objects.get_or_create(
        username=username, defaults={"full_name": full_name, "is_active": False}
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    membership, made = StaffMembership.objects.get_or_create(
        user=user, agency_id=agency_id, role=Role.DESK, defaults={"title": title, "is_active": True}
    )
    if not made and not membership.is_active:
        membership.is_active = True
        membership.save(update_fields=["is_active"])
    forget_grants(user)
    return user
