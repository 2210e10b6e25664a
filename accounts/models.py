from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import zoneinfo
from typing import ClassVar

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.contrib.auth.models import UserManager as BaseUserManager
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

# The same form posted again this soon is one post sent twice (a double tap, a
# retried request): it is kept once.
DOUBLE_TAP = dt.timedelta(minutes=2)


class Role(models.TextChoices):
    """Roles are Django groups; these are their names."""

    PATIENT = "patient", "Patient"
    PHYSIO = "physio", "Physiotherapist"


def validate_timezone(value: str) -> None:
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise ValidationError(
            "%(value)s is not a time zone. Use a name such as Europe/London.",
            params={"value": value},
        ) from exc


def default_timezone() -> str:
    return settings.TIME_ZONE


class UserQuerySet(models.QuerySet["User"]):
    def patients_of(self, physio: User) -> UserQuerySet:
        """The active patients assigned to `physio`: asked afresh on every request."""
        return self.filter(
            is_active=True,
            groups__name=Role.PATIENT.value,
            physio_assignments__physio=physio,
        )


class UserManager(BaseUserManager.from_queryset(UserQuerySet)):  # type: ignore[misc]
    pass


class User(AbstractUser):
    """A person who signs in: patient, physiotherapist or admin.

    The time zone decides what "today" means for the person: a session logged
    at 00:30 belongs to the day the patient is living in, not the server's.
    """

    timezone = models.CharField(
        "time zone",
        max_length=64,
        default=default_timezone,
        validators=[validate_timezone],
        help_text="The person's own time zone, used to decide which day a session belongs to.",
    )
    physios: models.ManyToManyField[User, Assignment] = models.ManyToManyField(
        "self",
        through="Assignment",
        through_fields=("patient", "physio"),
        symmetrical=False,
        related_name="patients",
        blank=True,
        help_text="The physiotherapists who look after this patient.",
    )

    objects: ClassVar[UserManager] = UserManager()

    def __str__(self) -> str:
        return self.get_full_name() or self.username

    def is_verified(self) -> bool:
        """Whether this sign-in passed two-step verification.

        django-otp's middleware replaces this on each request's user; without
        it, nobody counts as verified.
        """
        return False

    def has_role(self, role: Role) -> bool:
        # One query per request at most: the group names are cached on the instance.
        if not hasattr(self, "_role_names"):
            self._role_names = set(self.groups.values_list("name", flat=True))
        return role.value in self._role_names

    @property
    def is_patient(self) -> bool:
        return self.is_active and self.has_role(Role.PATIENT)

    @property
    def is_physio(self) -> bool:
        return self.is_active and self.has_role(Role.PHYSIO)

    @property
    def tzinfo(self) -> zoneinfo.ZoneInfo:
        try:
            return zoneinfo.ZoneInfo(self.timezone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            return zoneinfo.ZoneInfo(settings.TIME_ZONE)


class Assignment(models.Model):
    """A patient in a physiotherapist's care. A patient may have several physios."""

    patient = models.ForeignKey(
        User,
        on_delete=models.CASCADE,
        related_name="physio_assignments",
        limit_choices_to={"groups__name": Role.PATIENT.value},
    )
    physio = models.ForeignKey(
        User,
        on_delete=models.CASCADE,
        related_name="patient_assignments",
        limit_choices_to={"groups__name": Role.PHYSIO.value},
    )
    assigned_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["patient", "physio"], name="accounts_assignment_once"),
            models.CheckConstraint(
                condition=~models.Q(patient=models.F("physio")),
                name="accounts_assignment_not_self",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.patient} in the care of {self.physio}"

    def clean(self) -> None:
        super().clean()
        if self.patient_id is not None and self.patient_id == self.physio_id:
            raise ValidationError("A person cannot be their own physiotherapist.")


class InvitationQuerySet(models.QuerySet["Invitation"]):
    def pending(self) -> InvitationQuerySet:
        return self.filter(
            accepted_at__isnull=True, cancelled_at__isnull=True, expires_at__gt=timezone.now()
        )


class Invitation(models.Model):
    """A physio's invitation to a new patient: a one-time link to make their account.

    Only a hash of the link's token is kept, so the database never holds a
    working link. The link expires, works once, and a resend replaces it.
    """

    email = models.EmailField()
    first_name = models.CharField(max_length=150, blank=True)
    last_name = models.CharField(max_length=150, blank=True)
    invited_by = models.ForeignKey(User, on_delete=models.CASCADE, related_name="invitations_sent")
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.OneToOneField(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="invitation"
    )
    cancelled_at = models.DateTimeField(null=True, blank=True)
    # The mail server refused the last sending: nobody has the link of `sent_at`.
    email_failed = models.BooleanField(default=False)

    objects = InvitationQuerySet.as_manager()

    class Meta:
        ordering = ["-sent_at", "-pk"]

    def __str__(self) -> str:
        return f"Invitation for {self.email} from {self.invited_by}"

    @staticmethod
    def hash(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()

    def new_token(self) -> str:
        """A fresh link token, replacing any earlier one; save() to make it the only one."""
        token = secrets.token_urlsafe(32)
        self.token_hash = self.hash(token)
        self.sent_at = timezone.now()
        self.expires_at = self.sent_at + settings.INVITATION_VALID_FOR
        return token

    @property
    def status(self) -> str:
        if self.accepted_at:
            return "accepted"
        if self.cancelled_at:
            return "cancelled"
        if self.expires_at <= timezone.now():
            return "expired"
        return "pending"
