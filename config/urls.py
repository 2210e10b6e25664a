from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path, register_converter

from accounts.forms import BackTrackPasswordResetForm
from accounts.sign_in import SignInView
from tracking.views.today import home

from . import views
from .converters import IdConverter

register_converter(IdConverter, "id")

urlpatterns = [
    path("", home, name="home"),
    path("accounts/login/", SignInView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "accounts/password/reset/",
        auth_views.PasswordResetView.as_view(
            form_class=BackTrackPasswordResetForm,
            email_template_name="registration/password_reset_email.txt",
            extra_email_context={"valid_hours": settings.PASSWORD_RESET_TIMEOUT // 3600},
        ),
        name="password_reset",
    ),
    path(
        "accounts/password/reset/sent/",
        auth_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "accounts/password/reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "accounts/password/reset/done/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path(
        "accounts/password/change/",
        auth_views.PasswordChangeView.as_view(),
        name="password_change",
    ),
    path(
        "accounts/password/change/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path("health/", views.health, name="health"),
    path("safety/", views.safety, name="safety"),
    path("learn/", views.learn, name="learn"),
    path("learn/<slug:topic>/", views.learn_topic, name="learn-topic"),
    path("exercises/", include("exercises.urls")),
    path("", include("accounts.urls")),
    path("", include("tracking.urls")),
    path("admin/", admin.site.urls),
]
