from django.urls import path

from signatures import views

urlpatterns = [
    path("verify/", views.verify, name="verify"),
]
