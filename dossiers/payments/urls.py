"""URLs of online payments: pages and API (one include in portal/urls.py, the composition root).

The namespace ``payments`` holds the pages; the API routes are named ``api-payments-*``."""

from django.urls import path

from dossiers.payments import api, views

app_name = "payments"

api_urlpatterns = [
    path(
        "api/v1/dossiers/<str:code>/payments/",
        api.DossierPaymentsView.as_view(),
        name="api-dossier-payments",
    ),
    path(
        "api/v1/payments/webhook/<slug:gateway>/",
        api.PaymentWebhookView.as_view(),
        name="api-payments-webhook",
    ),
    path(
        "api/v1/payments/<str:reference>/",
        api.PaymentDetailView.as_view(),
        name="api-payment-detail",
    ),
]

urlpatterns = [
    path("dossiers/<str:code>/payments/", views.dossier_payments, name="dossier"),
    path("dossiers/<str:code>/payments/start/", views.start, name="start"),
    path(
        "dossiers/<str:code>/payments/<str:reference>/receipt/",
        views.receipt_download,
        name="receipt",
    ),
    path("payments/return/<slug:gateway>/", views.gateway_return, name="return"),
    path("payments/sandbox/<str:reference>/", views.sandbox_page, name="sandbox"),
    *api_urlpatterns,
]
