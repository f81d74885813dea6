from django.urls import path

from procedures import views

app_name = "procedures"

urlpatterns = [
    path("procedures/", views.catalog, name="catalog"),
    path("procedures/<str:code>/", views.detail, name="detail"),
    path(
        "procedures/<str:code>/forms/<slug:document>/",
        views.form_template,
        name="form-template",
    ),
    path(
        "procedures/<str:code>/result-template/",
        views.result_template,
        name="result-template",
    ),
]
