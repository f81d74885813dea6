"""Online payment of fees (service level 4; docs/payments.md).

Modules: ``gateways`` (the adapter interface, the registry chosen by settings, the sandbox
gateway), ``dues`` (what a dossier owes now), ``services`` (start, settle — idempotent —, the
filing fee of a dossier received unpaid), ``receipts`` (e-receipts: numbers and PDFs),
``reconciliation`` (transactions left "initiated"), ``webhooks`` (the gateways' signed
notifications), ``panel`` (what the dossier page shows), ``views``, ``api``, ``urls``,
``hooks`` (the connection to the dossier core). Models are in ``dossiers/models_payments.py``,
Celery tasks in ``dossiers/payment_tasks.py``. The package's top level stays light.
"""
