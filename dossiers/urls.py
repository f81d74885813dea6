from django.urls import path

from dossiers.views import attachments, citizen, desk, filing, tracking

app_name = "dossiers"

urlpatterns = [
    path("dossiers/", citizen.my_dossiers, name="mine"),
    path("dossiers/new/<str:procedure_code>/", filing.citizen_new, name="new"),
    path("dossiers/<str:code>/", citizen.detail, name="detail"),
    path("dossiers/<str:code>/supplement/", citizen.supplement, name="supplement"),
    path("dossiers/<str:code>/withdraw/", citizen.withdraw, name="withdraw"),
    path("dossiers/<str:code>/rating/", citizen.rate, name="rate"),
    path("dossiers/<str:code>/files/<str:token>/", attachments.download, name="attachment"),
    path("track/", tracking.track_page, name="track"),
    path("desk/", desk.queue, name="desk"),
    path("desk/new/", filing.desk_pick, name="desk-pick"),
    path("desk/new/<str:procedure_code>/", filing.desk_new, name="desk-new"),
    path("desk/dossiers/<str:code>/", desk.detail, name="desk-detail"),
    path("desk/dossiers/<str:code>/actions/<slug:action>/", desk.act, name="desk-act"),
]
