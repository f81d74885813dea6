from django.urls import path

from postal import views

urlpatterns = [
    path("desk/postal/manifest/", views.manifest, name="postal-manifest"),
    path("desk/postal/manifest/pdf/", views.manifest_pdf, name="postal-manifest-pdf"),
    path(
        "desk/postal/alerts/<int:alert_id>/resolve/",
        views.resolve,
        name="postal-alert-resolve",
    ),
]
