"""URLs of the official documents (included from the composition root, portal/urls.py)."""

from django.urls import path

from dossiers import documents_views as views

app_name = "documents"

urlpatterns = [
    path(
        "dossiers/<str:code>/documents/<int:pk>/",
        views.document_download,
        name="download",
    ),
    path(
        "dossiers/<str:code>/documents/<int:pk>/print/",
        views.document_print,
        name="print",
    ),
    path(
        "dossiers/<str:code>/documents/latest/<slug:kind>/",
        views.latest_document,
        name="latest",
    ),
    path("desk/ledger/", views.ledger, name="ledger"),
]
