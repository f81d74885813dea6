from django.urls import path
from rest_framework.routers import SimpleRouter

from dossiers.api import views

router = SimpleRouter()
router.register("dossiers", views.DossierViewSet, basename="api-dossier")


urlpatterns = [
    path("track/", views.TrackView.as_view(), name="api-track"),
    path(
        "dossiers/<str:code>/actions/<slug:action>/",
        views.DossierActionView.as_view(),
        name="api-dossier-action",
    ),
    path(
        "dossiers/<str:code>/history/",
        views.DossierHistoryView.as_view(),
        name="api-dossier-history",
    ),
    path(
        "dossiers/<str:code>/attachments/<int:pk>/",
        views.DossierAttachmentView.as_view(),
        name="api-dossier-attachment",
    ),
    *router.urls,
]
