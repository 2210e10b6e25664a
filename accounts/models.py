import zoneinfo

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models


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


class User(AbstractUser):
    """A person who signs in: patient, physiotherapist or admin.

    The time zone decides what "today" means for the person: a session logged
    at 00:30 belongs to the day the patient is living in, not the server's.
    """

    timezone = models.CharField(
        max_length=64,
        default=default_timezone,
        validators=[validate_timezone],
        help_text="The person's own time zone, used to decide which day a session belongs to.",
    )

    def __str__(self) -> str:
        return self.get_full_name() or self.username

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
