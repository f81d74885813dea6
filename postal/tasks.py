"""Celery tasks of the postal app, all on the ``postal`` queue (settings route
``postal.tasks.*``). They take ids, re-read state, return early when done, and leave retries
to the beat sweeps (``sweep_outbox``, ``reconcile_overdue``) so there is one retry policy."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from postal import listeners, services, tracking


@shared_task(acks_late=True, name="postal.tasks.create_shipment")
def create_shipment(shipment_id: int) -> str:
    """Book one pending shipment with its carrier (idempotent: see services.send_to_carrier)."""
    return services.send_to_carrier(shipment_id)


@shared_task(acks_late=True, name="postal.tasks.sweep_outbox")
def sweep_outbox() -> dict[str, int]:
    """Beat: re-enqueue pending shipments whose retry time came or whose enqueue was lost, and
    create shipments a lost dossier signal never asked for."""
    ids = services.due_for_creation(timezone.now())
    for shipment_id in ids:
        create_shipment.delay(shipment_id)
    return {"enqueued": len(ids), "repaired": listeners.repair_missing()}


@shared_task(acks_late=True, name="postal.tasks.reconcile_overdue")
def reconcile_overdue() -> dict[str, int]:
    """Beat: ask the carrier about shipments whose webhooks are overdue."""
    return tracking.reconcile()
