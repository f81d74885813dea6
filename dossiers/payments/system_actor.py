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
from django.utils.translation import gettext as _

from portal.models import User
from portal.services import system_actor

FULL_NAME = "Hệ thống – Thanh toán trực tuyến"


def username() -> str:
    return getattr(settings, "PAYMENTS_SYSTEM_USERNAME", "system.payments")


def system_actor_for(agency_id: int) -> User:
    """The payments service account, holding a desk role at ``agency_id``."""
    return system_actor(
        username=username(),
        full_name=FULL_NAME,
        agency_id=agency_id,
        title=_("Tài khoản hệ thống thanh toán"),
    )
