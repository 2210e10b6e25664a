from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from tracking.views.today import home

from . import views

urlpatterns = [
    path("", home, name="home"),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("health/", views.health, name="health"),
    path("safety/", views.safety, name="safety"),
    path("exercises/", include("exercises.urls")),
    path("", include("tracking.urls")),
    path("admin/", admin.site.urls),
]
