"""The account the post acts as when a delivery completes a dossier's ``return``.

``dossiers.workflow.transition`` needs an authenticated actor who may take the action (the
returning agency's desk) and has no notion of a system actor. So postal keeps one service
account, ``POSTAL_SYSTEM_USERNAME`` (default ``system.postal``, shown as "Hệ thống – Bưu chính
công ích" in the history): inactive with an unusable password, so nobody can log in as it or
assign it work, and given a desk membership (title "Tài khoản hệ thống") at a returning agency
only when a delivery there needs it.
"""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext as _

from portal.models import Agency, User
from portal.services import system_actor

FULL_NAME = "Hệ thống – Bưu chính công ích"


def username() -> str:
    return getattr(settings, "POSTAL_SYSTEM_USERNAME", "system.postal")


def system_actor_for(agency: Agency) -> User:
    """The postal service account, able to return results at ``agency``'s desk."""
    return system_actor(
        username=username(),
        full_name=FULL_NAME,
        agency_id=agency.pk,
        title=_("Tài khoản hệ thống bưu chính"),
    )
