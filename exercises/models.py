from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils import timezone
from simple_history.models import HistoricalRecords

from audit import trail

# Bounds for any prescription. They are wide enough for every sensible dose
# and narrow enough to catch a typo (100 sets, a 20-minute hold).
MAX_SETS = 10
MAX_REPS = 50
MAX_HOLD_SECONDS = 120
MAX_REST_SECONDS = 300

# Assumptions behind the time estimate: a few seconds to move through each
# repetition (in and out of a hold, or one smooth movement), and a little time
# to get into position for each exercise.
SECONDS_PER_MOVEMENT = 3
SECONDS_TO_GET_READY = 10
# Between two sets with no rest prescribed, still a moment to breathe.
SHORT_BREAK_SECONDS = 5
# Between two long holds (a 30 s stretch), a rest a person can take: breathe, let go,
# get back into position. Between short holds, the few seconds of one movement.
LONG_HOLD_SECONDS = 20
REST_BETWEEN_LONG_HOLDS = 10


class Dose(models.Model):
    """How much of an exercise: sets, reps, holds, sides and rest.

    Shared by the library default, a patient's programme, and the copy kept
    with every logged entry, so the rules and the wording stay in one place.
    """

    sets = models.PositiveSmallIntegerField(
        default=1, validators=[MinValueValidator(1), MaxValueValidator(MAX_SETS)]
    )
    reps = models.PositiveSmallIntegerField(
        default=10,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_REPS)],
        help_text="Repetitions in each set (on each side, when the exercise is per side).",
    )
    hold_seconds = models.PositiveSmallIntegerField(
        default=0,
        validators=[MaxValueValidator(MAX_HOLD_SECONDS)],
        help_text="How long to hold each repetition; 0 for no hold.",
    )
    per_side = models.BooleanField(
        default=False, help_text="Repetitions are done on each side in turn."
    )
    rest_seconds = models.PositiveSmallIntegerField(
        default=0,
        validators=[MaxValueValidator(MAX_REST_SECONDS)],
        help_text="Rest between sets.",
    )

    class Meta:
        abstract = True
        constraints = [
            models.CheckConstraint(
                condition=models.Q(sets__gte=1, sets__lte=MAX_SETS),
                name="%(app_label)s_%(class)s_sets_in_range",
            ),
            models.CheckConstraint(
                condition=models.Q(reps__gte=1, reps__lte=MAX_REPS),
                name="%(app_label)s_%(class)s_reps_in_range",
            ),
            models.CheckConstraint(
                condition=models.Q(hold_seconds__lte=MAX_HOLD_SECONDS),
                name="%(app_label)s_%(class)s_hold_in_range",
            ),
            models.CheckConstraint(
                condition=models.Q(rest_seconds__lte=MAX_REST_SECONDS),
                name="%(app_label)s_%(class)s_rest_in_range",
            ),
        ]

    DOSE_FIELDS = ("sets", "reps", "hold_seconds", "per_side", "rest_seconds")

    def dose_values(self) -> dict[str, int | bool]:
        return {name: getattr(self, name) for name in self.DOSE_FIELDS}

    @property
    def dose_summary(self) -> str:
        """The dose in words, e.g. "3 each side, hold 30 s each time"."""
        if self.sets > 1:
            reps = f"{self.reps} each side" if self.per_side else str(self.reps)
            parts = [f"{self.sets} sets of {reps}"]
        elif self.per_side:
            parts = [f"{self.reps} each side"]
        else:
            parts = ["once" if self.reps == 1 else f"{self.reps} times"]
        if self.hold_seconds:
            repeated = self.reps > 1 or self.per_side or self.sets > 1
            parts.append(f"hold {self.hold_seconds} s" + (" each time" if repeated else ""))
        if self.sets > 1 and self.rest_seconds:
            parts.append(f"{self.rest_seconds} s rest between sets")
        text = ", ".join(parts)
        return text[0].upper() + text[1:]

    @property
    def seconds_between_holds(self) -> int:
        """The pause between two holds: a real rest after a long hold, else one movement."""
        if self.hold_seconds >= LONG_HOLD_SECONDS:
            return REST_BETWEEN_LONG_HOLDS
        return SECONDS_PER_MOVEMENT

    @property
    def seconds_between_sets(self) -> int:
        """The rest between two sets: as prescribed, or a moment to breathe."""
        return self.rest_seconds or SHORT_BREAK_SECONDS

    @property
    def estimated_seconds(self) -> int:
        """How long the dose takes, getting ready included: as long as follow-along's timers."""
        moves = self.reps * (2 if self.per_side else 1)
        if self.hold_seconds:
            one_set = moves * self.hold_seconds + (moves - 1) * self.seconds_between_holds
        else:
            one_set = moves * SECONDS_PER_MOVEMENT
        rest = (self.sets - 1) * self.seconds_between_sets
        return SECONDS_TO_GET_READY + self.sets * one_set + rest


def current_versions(exercise_ids: Iterable[int]) -> dict[int, int]:
    """The latest recorded version (its history id) of each exercise, in one query.

    An exercise written without its history (a fixture, a bulk load) gets its
    first version recorded now, so a session can always say what it followed.
    """
    ids = set(exercise_ids)
    versions = _latest_versions(ids)
    if missing := ids - versions.keys():
        with trail.unrecorded():  # nobody changed the exercise: the audit trail stays quiet
            for exercise in Exercise.objects.filter(pk__in=missing):
                exercise.save()
        versions = _latest_versions(ids)
    return versions


def _latest_versions(ids: set[int]) -> dict[int, int]:
    return dict(
        Exercise.history.filter(id__in=ids)
        .values_list("id")
        .annotate(latest=models.Max("history_id"))
        .order_by()
    )


def total_minutes(doses: Iterable[Dose]) -> int:
    """Whole minutes, rounded to the nearest, that a list of doses takes."""
    return round(sum(dose.estimated_seconds for dose in doses) / 60)


class ExerciseQuerySet(models.QuerySet["Exercise"]):
    def active(self) -> ExerciseQuerySet:
        return self.filter(is_active=True)


class Exercise(Dose):
    """One exercise in the library, with its default dose."""

    order = models.PositiveSmallIntegerField(
        help_text="Position in the routine; lower comes first."
    )
    name = models.CharField(max_length=80)
    alt_name = models.CharField("alternative name", max_length=80, blank=True)
    slug = models.SlugField(max_length=80, unique=True)
    summary = models.CharField(
        max_length=200, help_text="One sentence: what this exercise does for you."
    )
    start_position = models.TextField()
    instructions = models.TextField(help_text="One step per line.")
    feel = models.TextField("what you should feel")
    avoid = models.TextField("what to avoid")
    harder = models.CharField(
        "harder version",
        max_length=200,
        blank=True,
        help_text="An optional way to make it harder once it feels easy.",
    )
    is_active = models.BooleanField(
        "active",
        default=True,
        help_text=(
            "Untick to retire the exercise: it stays in past logs, new programmes leave it "
            "out, and physios decide for each patient who still has it."
        ),
    )
    retired_at = models.DateTimeField(
        null=True, blank=True, editable=False, help_text="When the exercise was last retired."
    )

    objects = ExerciseQuerySet.as_manager()
    # Every change is kept, with who made it: sessions point at the version they followed.
    history = HistoricalRecords(
        verbose_name="exercise version", history_change_reason_field=models.TextField(null=True)
    )

    class Meta(Dose.Meta):
        ordering = ["order", "name"]
        constraints = [
            *Dose.Meta.constraints,
            models.CheckConstraint(
                condition=~models.Q(instructions=""),
                name="exercises_exercise_instructions_not_empty",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.is_active:
            self.retired_at = None
        elif self.retired_at is None:
            self.retired_at = timezone.now()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "is_active" in update_fields:
            kwargs["update_fields"] = {*update_fields, "retired_at"}
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("exercises:detail", args=[self.slug])

    @property
    def steps(self) -> list[str]:
        return [line.strip() for line in self.instructions.splitlines() if line.strip()]

    def clean(self) -> None:
        super().clean()
        # Browsers send a textarea's line breaks as CR LF: keep them as one
        # newline, so the history's diff shows the words changed, not every line.
        for field in ("start_position", "instructions", "feel", "avoid"):
            text = getattr(self, field)
            setattr(self, field, text.replace("\r\n", "\n").replace("\r", "\n"))
        if not self.instructions.strip():
            raise ValidationError({"instructions": "Write at least one step."})
