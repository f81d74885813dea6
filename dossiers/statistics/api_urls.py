from django.urls import path

from dossiers.statistics.api import StatsSummaryView

urlpatterns = [
    path("stats/summary/", StatsSummaryView.as_view(), name="api-stats-summary"),
]
