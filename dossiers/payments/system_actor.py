"""The account payments act as when a gateway's confirmation moves a dossier on.

``dossiers.workflow.transition`` needs an authenticated actor who may take the action
(``confirm-payment``: a desk of the receiving agency; ``request-payment``: staff of the holding
agency) and has no notion of a system actor. So payments keep one service account,
``PAYMENTS_SYSTEM_USERNAME`` (default ``system.payments``, shown as "Hệ thống – Thanh toán trực
tuyến" in the history): inactive with an unusable password, so nobody can log in as it or be
assigned work as it, and given a desk membership at an agency only when a payment there needs it.
"""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from portal.models import Agency, Role, StaffMembership, User
from portal.permissions import forget_grants

FULL_NAME = "Hệ thống – Thanh toán trực tuyến"


def username() -> str:
    return getattr(settings, "PAYMENTS_SYSTEM_USERNAME", "system.payments")


@transaction.atomic
def system_actor_for(agency_id: int) -> User:
    """The payments service account, holding a desk role at ``agency_id``."""
    user, created = User.objects.get_or_create(
        username=username(), defaults={"full_name": FULL_NAME, "is_active": False}
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    membership, made = StaffMembership.objects.get_or_create(
        user=user,
        agency=Agency.objects.get(pk=agency_id),
        role=Role.DESK,
        defaults={"title": _("Tài khoản hệ thống thanh toán"), "is_active": True},
    )
    if not made and not membership.is_active:
        membership.is_active = True
        membership.save(update_fields=["is_active"])
    forget_grants(user)
    return user
