from django.urls import path
from rest_framework.routers import SimpleRouter

from portal.api import views

router = SimpleRouter()
router.register("units", views.AdministrativeUnitViewSet, basename="unit")
router.register("agencies", views.AgencyViewSet, basename="agency")

urlpatterns = [
    path("auth/token/", views.ObtainTokenView.as_view(), name="api-token"),
    *router.urls,
]
