from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import IntegrityError, models, transaction
from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from exercises.models import MAX_REPS, MAX_SETS, Dose, Exercise

PAIN_MIN = 0
PAIN_MAX = 10
NOTES_MAX_LENGTH = 2000


def pain_field(**kwargs: object) -> models.PositiveSmallIntegerField:
    return models.PositiveSmallIntegerField(
        validators=[MinValueValidator(PAIN_MIN), MaxValueValidator(PAIN_MAX)],
        **kwargs,  # type: ignore[arg-type]
    )


def pain_in_range(field: str) -> Q:
    return Q(**{f"{field}__gte": PAIN_MIN, f"{field}__lte": PAIN_MAX})


class Programme(models.Model):
    """A patient's own list of exercises, in order, each with its own dose."""

    patient = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="programme"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Programme for {self.patient}"

    @classmethod
    def for_patient(cls, patient: User) -> Programme:
        """The patient's programme, made from the library's active exercises on first use."""
        try:
            return cls.objects.get(patient=patient)
        except cls.DoesNotExist:
            pass
        try:
            with transaction.atomic():
                programme = cls.objects.create(patient=patient)
                ProgrammeExercise.objects.bulk_create(
                    ProgrammeExercise(
                        programme=programme,
                        exercise=exercise,
                        order=position,
                        **exercise.dose_values(),
                    )
                    for position, exercise in enumerate(Exercise.objects.active(), start=1)
                )
                return programme
        except IntegrityError:
            # Two first requests at once: the other one made it.
            return cls.objects.get(patient=patient)

    def items(self) -> models.QuerySet[ProgrammeExercise]:
        return self.exercises.select_related("exercise").order_by("order")


class ProgrammeExercise(Dose):
    """One exercise in a programme, at the dose this patient was given."""

    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="exercises")
    exercise = models.ForeignKey(Exercise, on_delete=models.PROTECT, related_name="+")
    order = models.PositiveSmallIntegerField()

    class Meta(Dose.Meta):
        ordering = ["order"]
        constraints = [
            *Dose.Meta.constraints,
            models.UniqueConstraint(
                fields=["programme", "exercise"], name="tracking_programme_exercise_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.exercise} ({self.dose_summary})"


def is_done(path: str = "") -> Q:
    """Entries that count as done, seen from a session (path "entries__") or directly."""
    return Q(**{f"{path}status": EntryStatus.DONE})


class SessionQuerySet(models.QuerySet["Session"]):
    def for_patient(self, patient: User) -> SessionQuerySet:
        return self.filter(patient=patient)

    def finished(self) -> SessionQuerySet:
        return self.filter(finished_at__isnull=False)

    def in_progress(self) -> SessionQuerySet:
        return self.filter(finished_at__isnull=True)

    def on(self, day: dt.date) -> SessionQuerySet:
        return self.filter(local_date=day)

    def with_counts(self) -> SessionQuerySet:
        # Aggregating drops Meta.ordering, so newest first is said again here.
        return self.annotate(
            entries_done=Count("entries", filter=is_done("entries__")),
            entries_total=Count("entries"),
        ).order_by("-started_at", "-pk")


class Session(models.Model):
    """One go at the routine, with pain before and after.

    A patient may do the routine several times a day, but has at most one
    session in progress: starting again while one is open resumes it, which
    also makes a double-clicked "Start" harmless.
    """

    patient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="exercise_sessions"
    )
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    local_date = models.DateField(
        help_text="The day the session belongs to, in the patient's own time zone."
    )
    pain_before = pain_field()
    pain_after = pain_field(null=True, blank=True)
    notes = models.TextField(max_length=NOTES_MAX_LENGTH, blank=True)

    objects = SessionQuerySet.as_manager()

    class Meta:
        ordering = ["-started_at"]
        indexes = [models.Index(fields=["patient", "-started_at"], name="tracking_session_recent")]
        constraints = [
            models.CheckConstraint(
                condition=pain_in_range("pain_before"), name="tracking_session_pain_before_0_10"
            ),
            models.CheckConstraint(
                condition=Q(pain_after__isnull=True) | pain_in_range("pain_after"),
                name="tracking_session_pain_after_0_10",
            ),
            models.CheckConstraint(
                condition=Q(finished_at__isnull=True, pain_after__isnull=True)
                | Q(finished_at__isnull=False, pain_after__isnull=False),
                name="tracking_session_finished_with_pain_after",
            ),
            models.CheckConstraint(
                condition=Q(finished_at__isnull=True) | Q(finished_at__gte=models.F("started_at")),
                name="tracking_session_finishes_after_start",
            ),
            models.UniqueConstraint(
                fields=["patient"],
                condition=Q(finished_at__isnull=True),
                name="tracking_session_one_in_progress",
            ),
        ]

    def __str__(self) -> str:
        return f"Session of {self.patient} on {self.local_date}"

    def get_absolute_url(self) -> str:
        return reverse("tracking:session", args=[self.pk])

    @property
    def is_finished(self) -> bool:
        return self.finished_at is not None

    @property
    def duration(self) -> dt.timedelta | None:
        if self.finished_at is None:
            return None
        return self.finished_at - self.started_at

    def clean(self) -> None:
        super().clean()
        if self.finished_at and self.finished_at < self.started_at:
            raise ValidationError({"finished_at": "A session cannot finish before it starts."})
        if self.finished_at and self.pain_after is None:
            raise ValidationError({"pain_after": "Rate your pain to finish the session."})

    @classmethod
    @transaction.atomic
    def start(cls, patient: User, pain_before: int) -> tuple[Session, bool]:
        """Start a session with the patient's current programme, or resume the open one.

        Returns the session and whether it was created.
        """
        programme = Programme.for_patient(patient)
        open_session = cls.objects.for_patient(patient).in_progress().first()
        if open_session is not None:
            return open_session, False
        now = timezone.now()
        try:
            with transaction.atomic():
                session = cls.objects.create(
                    patient=patient,
                    started_at=now,
                    local_date=timezone.localdate(now, patient.tzinfo),
                    pain_before=pain_before,
                )
        except IntegrityError:
            # A second click raced the first: resume the session it made.
            return cls.objects.for_patient(patient).in_progress().get(), False
        SessionEntry.objects.bulk_create(
            SessionEntry(
                session=session,
                exercise=item.exercise,
                order=item.order,
                **item.dose_values(),
            )
            for item in programme.items()
        )
        return session, True


class EntryStatus(models.TextChoices):
    TO_DO = "todo", "To do"
    DONE = "done", "Done"
    SKIPPED = "skipped", "Skipped"


class Effort(models.TextChoices):
    TOO_EASY = "too_easy", "Too easy"
    ABOUT_RIGHT = "about_right", "About right"
    TOO_HARD = "too_hard", "Too hard"


class SessionEntryQuerySet(models.QuerySet["SessionEntry"]):
    def progress(self) -> dict[str, int]:
        return self.aggregate(done=Count("pk", filter=is_done()), total=Count("pk"))


class SessionEntry(Dose):
    """One exercise within a session.

    The dose fields hold what the patient was asked to do at the time, copied
    from their programme, so later changes never rewrite what was logged.
    """

    Status = EntryStatus
    Effort = Effort

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="entries")
    exercise = models.ForeignKey(Exercise, on_delete=models.PROTECT, related_name="+")
    order = models.PositiveSmallIntegerField()
    status = models.CharField(max_length=10, choices=EntryStatus.choices, default=EntryStatus.TO_DO)
    sets_done = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(MAX_SETS)]
    )
    reps_done = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_REPS)],
        help_text="Repetitions in each set (on each side, when the exercise is per side).",
    )
    effort = models.CharField(max_length=12, choices=Effort.choices, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = SessionEntryQuerySet.as_manager()

    class Meta(Dose.Meta):
        ordering = ["order"]
        verbose_name_plural = "session entries"
        constraints = [
            *Dose.Meta.constraints,
            models.UniqueConstraint(
                fields=["session", "exercise"], name="tracking_sessionentry_exercise_once"
            ),
            models.CheckConstraint(
                condition=Q(status__in=EntryStatus.values),
                name="tracking_sessionentry_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(effort__in=["", *Effort.values]),
                name="tracking_sessionentry_effort_valid",
            ),
            models.CheckConstraint(
                condition=Q(sets_done__isnull=True) | Q(sets_done__gte=1, sets_done__lte=MAX_SETS),
                name="tracking_sessionentry_sets_done_in_range",
            ),
            models.CheckConstraint(
                condition=Q(reps_done__isnull=True) | Q(reps_done__gte=1, reps_done__lte=MAX_REPS),
                name="tracking_sessionentry_reps_done_in_range",
            ),
            # Counts and "how it felt" only mean something for a done exercise.
            models.CheckConstraint(
                condition=Q(
                    status=EntryStatus.DONE, sets_done__isnull=False, reps_done__isnull=False
                )
                | (~Q(status=EntryStatus.DONE) & Q(sets_done__isnull=True, reps_done__isnull=True)),
                name="tracking_sessionentry_counts_only_when_done",
            ),
            models.CheckConstraint(
                condition=Q(status=EntryStatus.DONE) | Q(effort=""),
                name="tracking_sessionentry_effort_only_when_done",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.exercise} in {self.session}"

    @property
    def as_prescribed(self) -> bool:
        return (
            self.status == self.Status.DONE
            and self.sets_done == self.sets
            and self.reps_done == self.reps
        )

    def mark_done(self, sets_done: int | None = None, reps_done: int | None = None) -> None:
        self.status = self.Status.DONE
        self.sets_done = self.sets if sets_done is None else sets_done
        self.reps_done = self.reps if reps_done is None else reps_done

    def mark_skipped(self) -> None:
        self.status = self.Status.SKIPPED
        self.sets_done = None
        self.reps_done = None
        self.effort = ""

    def save_if_session_open(self) -> bool:
        """Save what was done, unless the session has been finished meanwhile.

        One conditional UPDATE: a Finish that lands between reading the entry
        and saving it wins, and nothing changes after it.
        """
        self.updated_at = timezone.now()
        return bool(
            SessionEntry.objects.filter(pk=self.pk, session__finished_at__isnull=True).update(
                status=self.status,
                sets_done=self.sets_done,
                reps_done=self.reps_done,
                effort=self.effort,
                updated_at=self.updated_at,
            )
        )
