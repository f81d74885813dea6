"""Alerts for the desk (a failed delivery, a shipment that could not be made): a row the
manifest page lists until someone marks it handled, plus a log line. The dossiers core offers
no notification to staff, so the page is where the desk sees them."""

from __future__ import annotations

import logging

from django.db import transaction
from django.utils import timezone

from dossiers.errors import NotFound, ValidationError
from postal.models import ShipmentAlert

logger = logging.getLogger("postal")


def error_text(exc: Exception) -> str:
    """One readable line from a domain error or a (field) ValidationError."""
    if isinstance(exc, ValidationError):
        return "; ".join(exc.messages)
    return str(getattr(exc, "message", exc))


def raise_alert(dossier, kind: str, message: str, *, agency_id: int, shipment=None):
    """Open an alert unless the same one (dossier, kind, shipment) is still open."""
    existing = ShipmentAlert.objects.open().filter(dossier=dossier, kind=kind, shipment=shipment)
    if existing.exists():
        return existing.first()
    alert = ShipmentAlert.objects.create(
        agency_id=agency_id,
        dossier=dossier,
        shipment=shipment,
        kind=kind,
        message=str(message)[:500],
    )
    logger.warning("postal alert %s for dossier %s: %s", kind, dossier.code, message)
    return alert


@transaction.atomic
def resolve_alert(alert_id: int, user) -> ShipmentAlert:
    """Mark an alert handled (desk of its agency); NotFound for anyone else."""
    alert = (
        ShipmentAlert.objects.actionable_by(user).select_for_update().filter(pk=alert_id).first()
    )
    if alert is None:
        raise NotFound()
    if alert.resolved_at is None:
        alert.resolved_at = timezone.now()
        alert.resolved_by = user
        alert.save(update_fields=["resolved_at", "resolved_by"])
    return alert
