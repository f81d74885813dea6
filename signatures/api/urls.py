from django.urls import path

from signatures.api import views

urlpatterns = [
    path("signatures/verify/", views.VerifyPdfView.as_view(), name="signatures-verify"),
]
