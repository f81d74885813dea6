from django.urls import path

from postal.api import views

urlpatterns = [
    path("postal/shipments/", views.ShipmentListView.as_view(), name="api-postal-shipments"),
    path("postal/events/", views.PostalEventView.as_view(), name="api-postal-events"),
]
