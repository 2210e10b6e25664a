import datetime as dt
from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth.forms import (
    AdminUserCreationForm,
    AuthenticationForm,
    PasswordResetForm,
    UserCreationForm,
    UsernameField,
)
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.utils import timezone

from .models import Invitation, Role, User

ACCOUNT_EXISTS = (
    "Someone already has an account with this email address. If they are your patient, "
    "ask an admin to assign them to you."
)


class SignInForm(AuthenticationForm):
    """Django's sign-in form, with "keep me signed in" and a username that is checked
    for length: Django only tells the browser the limit, so a longer one reached
    authenticate() and django-axes, whose record of it PostgreSQL refused (a 500)."""

    remember = forms.BooleanField(
        label="Keep me signed in on this device for 30 days",
        help_text=(
            "For patients on their own phone or computer. Leave it unticked on a shared one. "
            "Physiotherapists and admins are always signed out after "
            f"{settings.SESSION_IDLE_TIMEOUT.total_seconds() // 60:.0f} minutes without activity."
        ),
        required=False,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        limit = self.username_field.max_length or 254  # as Django's own form says to browsers
        self.fields["username"].validators.append(MaxLengthValidator(limit))


class TwoStepCodeForm(forms.Form):
    code = forms.CharField(
        label="Code",
        help_text="The 6-digit code your authenticator app shows now, or a recovery code.",
        max_length=32,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "autocapitalize": "none", "spellcheck": "false"}
        ),
    )


class InviteForm(forms.ModelForm):
    """A physio invites a new patient by email."""

    class Meta:
        model = Invitation
        fields = ["email", "first_name", "last_name"]
        labels = {
            "email": "Their email address",
            "first_name": "First name (optional)",
            "last_name": "Last name (optional)",
        }
        help_texts = {"email": "They get a link to make their account. It works once."}

    def clean_email(self) -> str:
        email = User.objects.normalize_email(self.cleaned_data["email"]).strip()
        if User.objects.filter(email__iexact=email).exists():
            raise ValidationError(ACCOUNT_EXISTS)
        return email


class AcceptInvitationForm(UserCreationForm):
    """The invited patient makes their account: a username and a password."""

    class Meta:
        model = User
        fields = ("username", "first_name", "last_name")
        field_classes = {"username": UsernameField}
        help_texts = {
            "username": "What you type to sign in. Letters, digits and @ . + - _ only.",
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["first_name"].required = True


class NewPersonForm(AdminUserCreationForm):
    """An admin adds a patient or a physio, with their role from the start."""

    role = forms.ChoiceField(
        choices=Role.choices,
        widget=forms.RadioSelect,
        help_text="Admins: add the person as a physiotherapist or patient as fits, "
        "then tick “Staff status” on the next page.",
    )
    physio = forms.ModelChoiceField(
        queryset=User.objects.filter(is_active=True, groups__name=Role.PHYSIO.value).order_by(
            "last_name", "first_name"
        ),
        required=False,
        label="Physiotherapist",
        help_text="For a patient: the physio who looks after them. More can be added later.",
    )
    send_password_link = forms.BooleanField(
        required=False,
        label="Email them a link to choose their own password",
        help_text="Then leave password-based authentication disabled below.",
    )

    class Meta:
        model = User
        fields = ("username", "first_name", "last_name", "email", "timezone")
        field_classes = {"username": UsernameField}

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("send_password_link") and not cleaned.get("email"):
            self.add_error("email", "Add their email address to send them the link.")
        if cleaned.get("physio") and cleaned.get("role") != Role.PATIENT:
            self.add_error("physio", "Only a patient is assigned a physiotherapist.")
        email = cleaned.get("email")
        if email and User.objects.filter(email__iexact=email).exists():
            self.add_error("email", "Someone already has an account with this email address.")
        return cleaned


class BackTrackPasswordResetForm(PasswordResetForm):
    """Forgotten passwords, also for accounts made without one (waiting for their link)."""

    def get_users(self, email: str) -> Any:
        return User.objects.filter(email__iexact=email, is_active=True)


class EraseOnRequestForm(forms.Form):
    """An admin erasing a patient's account because the patient asked in writing."""

    request_received = forms.DateField(
        label="Date the written request was received",
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Keep the request itself with your clinic's records.",
    )
    username = forms.CharField(
        label="Type the patient's username to confirm", max_length=150, strip=True
    )
    confirm = forms.BooleanField(
        label="I understand that this deletes the account and all its exercise records for good."
    )

    def __init__(self, patient: User, *args: Any, **kwargs: Any) -> None:
        self.patient = patient
        super().__init__(*args, **kwargs)

    def clean_request_received(self) -> dt.date:
        received: dt.date = self.cleaned_data["request_received"]
        if received > timezone.localdate():
            raise ValidationError("The request cannot have been received in the future.")
        return received

    def clean_username(self) -> str:
        username: str = self.cleaned_data["username"]
        if username != self.patient.username:
            raise ValidationError(
                "That is not this patient's username. Type it exactly as their page shows "
                "it, to be sure you erase the right person."
            )
        return username
