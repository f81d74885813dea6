"""Celery tasks of online payments: take ids, re-read state, return early when done.

Queues come from CELERY_TASK_ROUTES in settings: ``render_*`` → documents, the rest → default.
"""

from __future__ import annotations

from celery import shared_task


def backoff(retries: int) -> int:
    """10 s, 20 s, 40 s … capped at 10 min (below the broker's visibility timeout)."""
    return min(10 * 2**retries, 600)


@shared_task(acks_late=True, name="dossiers.payment_tasks.render_receipt")
def render_receipt(receipt_id: int) -> bool:
    """Render and store the e-receipt PDF (a no-op when it is already stored)."""
    from dossiers.payments.receipts import ensure_rendered

    return ensure_rendered(receipt_id) is not None


@shared_task(
    bind=True, acks_late=True, max_retries=6, name="dossiers.payment_tasks.deliver_sandbox_webhook"
)
def deliver_sandbox_webhook(self, reference: str) -> int:
    """The sandbox gateway notifies our webhook of a decision (retried while unreachable)."""
    from dossiers.payments.gateways import GatewayError, sandbox

    try:
        status, _text = sandbox.deliver_webhook(reference)
    except GatewayError as exc:
        if self.request.is_eager:
            return 0  # embedded mode: the return URL and the reconciliation settle it
        raise self.retry(countdown=backoff(self.request.retries), exc=exc) from exc
    if status >= 500 and not self.request.is_eager:
        raise self.retry(countdown=backoff(self.request.retries))
    return status


@shared_task(acks_late=True, name="dossiers.payment_tasks.reconcile_payments")
def reconcile_payments(limit: int = 500) -> dict:
    """Beat: settle transactions left "initiated" too long (see payments.reconciliation)."""
    from dossiers.payments.reconciliation import reconcile

    return reconcile(limit=limit)
