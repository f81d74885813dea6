"""Business operations of the portal core."""

from __future__ import annotations

from django.db import transaction

from portal.models import CitizenProfile, User


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
