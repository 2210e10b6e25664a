from django.urls import path

from . import views

app_name = "exercises"

urlpatterns = [
    path("", views.routine, name="routine"),
    path("versions/<id:version_id>/", views.version, name="version"),
    path("<slug:slug>/", views.detail, name="detail"),
]
