from django.urls import path

from dossiers.statistics import views

app_name = "stats"

urlpatterns = [
    path("stats/", views.public_stats, name="public"),
    path("desk/reports/", views.desk_reports, name="desk-reports"),
]
