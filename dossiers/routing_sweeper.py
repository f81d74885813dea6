"""The outbox sweeper (beat, ``routing_tasks.sweep_outbox``): hand-overs still pending after
``ROUTING_SWEEP_AFTER_MINUTES`` are published again; after ``ROUTING_MAX_SENDS`` re-sends they
are marked failed with an alert for an administrator. Delivery itself is in
``dossiers/routing_delivery.py``."""

from __future__ import annotations

import datetime
from functools import partial

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from dossiers.models_routing import Handover, HandoverState, RoutingAlert, RoutingAlertKind
from dossiers.routing import enqueue, max_sends, queue_for, sweep_after


def sweep_outbox(older_than: datetime.timedelta | None = None, limit: int = 1000) -> dict[str, int]:
    """Re-send hand-overs still pending after ``older_than`` (default: the setting); after
    ``ROUTING_MAX_SENDS`` re-sends mark them failed with an alert. Safe to run concurrently."""
    now = timezone.now()
    cutoff = now - (sweep_after() if older_than is None else older_than)
    resend: list[tuple[int, str]] = []
    with transaction.atomic():
        rows = list(
            Handover.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("to_agency__unit", "dossier")
            .filter(state=HandoverState.PENDING, created_at__lte=cutoff)
            .filter(Q(last_sent_at__isnull=True) | Q(last_sent_at__lte=cutoff))
            .order_by("created_at")[:limit]
        )
        failed = [h for h in rows if h.sends >= max_sends()]
        again = [h for h in rows if h.sends < max_sends()]
        Handover.objects.filter(pk__in=[h.pk for h in again]).update(
            sends=F("sends") + 1, last_sent_at=now
        )
        message = _("Không giao được hồ sơ sau %(n)d lần gửi lại.") % {"n": max_sends()}
        Handover.objects.filter(pk__in=[h.pk for h in failed]).update(
            state=HandoverState.FAILED, last_error=message
        )
        if failed:
            RoutingAlert.objects.bulk_create(
                [
                    RoutingAlert(
                        dossier_id=h.dossier_id,
                        handover=h,
                        kind=RoutingAlertKind.DELIVERY_FAILED,
                        reason=h.reason,
                        step_index=h.step_index,
                        message=message,
                    )
                    for h in failed
                ],
                ignore_conflicts=True,
            )
        resend = [(h.pk, queue_for(h.to_agency)) for h in again]
        for handover_id, queue in resend:
            transaction.on_commit(partial(enqueue, handover_id, queue))
    return {"resent": len(resend), "failed": len(failed)}
