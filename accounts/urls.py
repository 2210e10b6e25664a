from django.urls import path

from . import two_step, views

app_name = "accounts"

urlpatterns = [
    path("patients/invitations/", views.invitations, name="invitations"),
    path("patients/invitations/<id:invitation_id>/resend/", views.resend, name="invitation-resend"),
    path("patients/invitations/<id:invitation_id>/cancel/", views.cancel, name="invitation-cancel"),
    path("invitation/<str:token>/", views.accept, name="accept"),
    path("account/two-step/", two_step.overview, name="two-step"),
    path("account/two-step/setup/", two_step.setup, name="two-step-setup"),
    path("account/two-step/verify/", two_step.verify, name="two-step-verify"),
    path("account/two-step/recovery-codes/", two_step.recovery_codes, name="recovery-codes"),
    path("account/two-step/off/", two_step.turn_off, name="two-step-off"),
]
