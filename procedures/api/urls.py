from rest_framework.routers import SimpleRouter

from procedures.api import views

router = SimpleRouter()
router.register("procedures", views.ProcedureViewSet, basename="procedure")
router.register("sectors", views.SectorViewSet, basename="sector")

urlpatterns = router.urls
