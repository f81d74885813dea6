"""The composition root: the only place (with settings) that names every app."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.i18n import set_language
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from portal import health, privacy, views

api_v1 = [
    path("", include("portal.api.urls")),
    path("", include("procedures.api.urls")),
    path("", include("dossiers.api.urls")),
    path("", include("dossiers.statistics.api_urls")),
    path("", include("postal.api.urls")),
    path("", include("signatures.api.urls")),
]

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("i18n/setlang/", set_language, name="set_language"),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/signup/", views.signup, name="signup"),
    path("accounts/my-data/", privacy.my_data_view, name="my-data"),
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves its start-up script as a file: no inline script under the CSP.
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("", include("procedures.urls")),
    path("", include("dossiers.documents_urls")),
    path("", include("dossiers.urls")),
    path("", include("dossiers.payments.urls")),
    path("", include("dossiers.statistics.urls")),
    path("", include("postal.urls")),
    path("", include("signatures.urls")),
]

handler404 = "portal.views.page_not_found"
handler500 = "portal.views.server_error"
