"""Where payments plug into the dossier core, installed once per process (from
``dossiers/models_payments.py``):

* a receiver of ``dossier_transitioned`` (after commit): the intake of a level-4 dossier whose
  fee was not paid online requests it at once (``services.request_unpaid_filing_fee``; setting
  ``PAYMENTS_REQUEST_UNPAID_AT_INTAKE``);
* the ``payment`` link of the API's ``links`` and of the dossier page (no query per dossier);
* the Celery tasks (``dossiers/payment_tasks.py``), registered wherever the models load;
* the read-only admin of transactions and of the audit trail.
"""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse

_installed = False


def on_dossier_transitioned(sender, *, dossier_id: int, action: str, from_status, to_status, **kw):
    """Already after commit, in its own savepoint (dossiers.events)."""
    if action != "receive" or from_status != 1 or to_status != 2:
        return
    if not getattr(settings, "PAYMENTS_REQUEST_UNPAID_AT_INTAKE", True):
        return
    from dossiers.payments.services import request_unpaid_filing_fee

    request_unpaid_filing_fee(dossier_id)


def _filing_fee_visible(dossier) -> bool:
    """From fields already loaded: a level-4 online dossier with a fee, before intake."""
    from dossiers.models import Dossier

    if dossier.status != 1 or dossier.fee_vnd <= 0 or dossier.channel != "online":
        return False
    if not Dossier.procedure_version.is_cached(dossier):
        return False
    version = dossier.procedure_version
    return version.service_level == 4 and bool(version.online_payment)


def payment_link(dossier, request) -> str | None:
    """The dossier's payment page while a payment is due or once one was made."""
    due = (dossier.status == 6 and dossier.payment_due_vnd > 0) or _filing_fee_visible(dossier)
    if not (due or dossier.paid_online):
        return None
    path = reverse("payments:dossier", args=[dossier.code])
    return request.build_absolute_uri(path) if request is not None else path


def install() -> None:
    global _installed
    if _installed:
        return
    _installed = True
    from dossiers import payment_tasks  # noqa: F401  (registers the tasks)
    from dossiers.events import dossier_transitioned
    from dossiers.links import register_link

    dossier_transitioned.connect(on_dossier_transitioned, dispatch_uid="dossiers.payments.intake")
    register_link("payment", payment_link)
    from dossiers.payments.admin import register_admin

    register_admin()
