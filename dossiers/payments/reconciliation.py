"""Reconciliation: transactions left "initiated" beyond ``PAYMENTS_RECONCILE_AFTER_MINUTES``
are looked up at their gateway and settled like any other report (succeeded, failed, expired);
one the gateway still calls pending, or does not know, is expired once
``PAYMENTS_EXPIRE_AFTER_MINUTES`` have passed (a later success from the gateway still counts).
A gateway that cannot be reached is left for the next run. Runs from the beat
(``dossiers.payment_tasks.reconcile_payments``) and ``services`` does the rest.
"""

from __future__ import annotations

import datetime
import logging
from collections import Counter

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from dossiers.errors import DossierError
from dossiers.models_payments import PaymentStatus, PaymentTransaction
from dossiers.payments import services
from dossiers.payments.gateways import GatewayError, GatewayResult, UnknownPayment, get_gateway

logger = logging.getLogger("dossiers.payments")


def reconcile_after() -> datetime.timedelta:
    return datetime.timedelta(
        minutes=int(getattr(settings, "PAYMENTS_RECONCILE_AFTER_MINUTES", 15))
    )


def stale(now: datetime.datetime, limit: int) -> list[dict]:
    return list(
        PaymentTransaction.objects.filter(
            status=PaymentStatus.INITIATED, created_at__lt=now - reconcile_after()
        )
        .order_by("created_at")
        .values("pk", "reference", "gateway", "amount_vnd", "created_at")[:limit]
    )


def reconcile(now: datetime.datetime | None = None, *, limit: int = 500) -> dict[str, int]:
    """Settle stale transactions; returns how many ended in each result (and ``errors``)."""
    now = now or timezone.now()
    counts: Counter[str] = Counter()
    for row in stale(now, limit):
        counts["checked"] += 1
        try:
            result = get_gateway(row["gateway"]).query(row["reference"])
        except UnknownPayment:
            result = GatewayResult(row["reference"], "pending", None)
        except (GatewayError, ImproperlyConfigured) as exc:
            logger.warning("reconcile %s: gateway unavailable: %s", row["reference"], exc)
            PaymentTransaction.objects.filter(pk=row["pk"]).update(
                reconcile_attempts=F("reconcile_attempts") + 1
            )
            counts["errors"] += 1
            continue
        if result.outcome == "pending" and row["created_at"] < now - services.expire_after():
            result = GatewayResult(
                row["reference"], "expired", None, message=_("Quá thời hạn thanh toán.")
            )
        try:
            settlement = services.settle(result, gateway_name=row["gateway"], source="reconcile")
        except DossierError as exc:  # amount mismatch: audited and refunded by the service
            counts[type(exc).__name__] += 1
            continue
        except Exception:  # one broken transaction must not stop the sweep
            logger.exception("reconcile %s failed", row["reference"])
            counts["errors"] += 1
            continue
        counts[settlement.result] += 1
    return dict(counts)
