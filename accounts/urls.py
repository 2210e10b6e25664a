from django.urls import path

from . import views

app_name = "accounts"

urlpatterns = [
    path("patients/invitations/", views.invitations, name="invitations"),
    path(
        "patients/invitations/<int:invitation_id>/resend/", views.resend, name="invitation-resend"
    ),
    path(
        "patients/invitations/<int:invitation_id>/cancel/", views.cancel, name="invitation-cancel"
    ),
    path("invitation/<str:token>/", views.accept, name="accept"),
]
