"""Read-only helpers other pages use to show postal facts.

``shipments_for_dossier(dossier)`` lists a dossier's shipments with their history in three
queries whatever the number of events; it does not check permissions: call it only for a
dossier the viewer may already see (``Dossier.objects.visible_to`` or public tracking)."""

from __future__ import annotations

from django.db.models import Prefetch

from postal.models import Shipment, ShipmentEvent


def shipments_for_dossier(dossier) -> list[Shipment]:
    return list(
        Shipment.objects.filter(dossier_id=dossier.pk)
        .select_related("receiver_commune__parent__parent", "sender_commune__parent__parent")
        .prefetch_related(
            Prefetch("events", queryset=ShipmentEvent.objects.order_by("occurred_at", "id"))
        )
        .order_by("created_at", "id")
    )
