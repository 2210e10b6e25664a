from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import IntegrityError, models, transaction
from django.db.models import Case, Count, Exists, ExpressionWrapper, F, OuterRef, Q, Value, When
from django.urls import reverse
from django.utils import timezone

from accounts.models import DOUBLE_TAP, User
from audit import trail
from audit.models import Action, Target
from exercises.models import MAX_REPS, MAX_SETS, Dose, Exercise, current_versions

from .changes import describe_changes
from .safety import (
    CONTACT_TIMES,
    Advice,
    RedFlag,
    advice_for,
    asked_codes,
    contact_within,
    flags_for,
)

PAIN_MIN = 0
PAIN_MAX = 10
# A change of 2 points on the 0-10 scale is the usual threshold that matters to patients.
MEANINGFUL_PAIN_CHANGE = 2
NOTES_MAX_LENGTH = 2000
COMMENT_MAX_LENGTH = 2000
EXERCISE_NOTE_MAX_LENGTH = 300

# A programme's targets. Daily is the routine's usual aim; twice a day at most.
TARGET_PER_WEEK_DEFAULT = 7
TARGET_PER_WEEK_MAX = 14
INACTIVITY_DAYS_DEFAULT = 3
INACTIVITY_DAYS_MAX = 28


def pain_field(
    verbose_name: str | None = None, **kwargs: object
) -> models.PositiveSmallIntegerField:
    return models.PositiveSmallIntegerField(
        verbose_name,
        validators=[MinValueValidator(PAIN_MIN), MaxValueValidator(PAIN_MAX)],
        **kwargs,  # type: ignore[arg-type]
    )


def pain_in_range(field: str) -> Q:
    return Q(**{f"{field}__gte": PAIN_MIN, f"{field}__lte": PAIN_MAX})


class Programme(models.Model):
    """A patient's own list of exercises, in order, each with its own dose.

    The programme holds the current state; every change made by a physio is
    kept as a numbered ProgrammeVersion. Sessions copy the dose they were
    given, so a change only ever applies from the next session on.
    """

    patient = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="programme"
    )
    target_per_week = models.PositiveSmallIntegerField(
        "target sessions a week",
        default=TARGET_PER_WEEK_DEFAULT,
        validators=[MinValueValidator(1), MaxValueValidator(TARGET_PER_WEEK_MAX)],
    )
    inactivity_days = models.PositiveSmallIntegerField(
        "days without a session before an alert",
        default=INACTIVITY_DAYS_DEFAULT,
        validators=[MinValueValidator(1), MaxValueValidator(INACTIVITY_DAYS_MAX)],
    )
    gentle_start = models.BooleanField(
        "start gently",
        default=True,
        help_text="Fewer sessions in the first two weeks, building up to the target.",
    )
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(target_per_week__gte=1, target_per_week__lte=TARGET_PER_WEEK_MAX),
                name="tracking_programme_target_in_range",
            ),
            models.CheckConstraint(
                condition=Q(inactivity_days__gte=1, inactivity_days__lte=INACTIVITY_DAYS_MAX),
                name="tracking_programme_inactivity_in_range",
            ),
        ]

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
                ProgrammeVersion.objects.create(
                    programme=programme, number=1, snapshot=programme.snapshot()
                )
                trail.record(Action.CREATE, target=programme, patient=patient)
                return programme
        except IntegrityError:
            # Two first requests at once: the other one made it.
            return cls.objects.get(patient=patient)

    def items(self) -> models.QuerySet[ProgrammeExercise]:
        """Every exercise in the programme, those switched off included."""
        return self.exercises.select_related("exercise").order_by("order", "pk")

    def included_items(self) -> models.QuerySet[ProgrammeExercise]:
        """The exercises the patient is asked to do."""
        return self.items().filter(included=True)

    def snapshot(self, items: Iterable[ProgrammeExercise] | None = None) -> dict[str, Any]:
        """The whole programme as plain data, kept with each version."""
        return {
            "target_per_week": self.target_per_week,
            "gentle_start": self.gentle_start,
            "inactivity_days": self.inactivity_days,
            "exercises": [
                {
                    "exercise": item.exercise_id,
                    "name": item.exercise.name,
                    "order": item.order,
                    "included": item.included,
                    "note": item.note,
                    **item.dose_values(),
                }
                for item in (self.items() if items is None else items)
            ],
        }

    @transaction.atomic
    def change(
        self,
        changed_by: User,
        *,
        expected_version: int,
        target_per_week: int,
        inactivity_days: int,
        items: list[ProgrammeExercise],
        gentle_start: bool | None = None,
        add: Iterable[Exercise] = (),
    ) -> ProgrammeVersion | None:
        """Apply a physio's edit as a new version, or return None if nothing changed.

        `items` are this programme's exercises with new values set on them.
        They are renumbered 1, 2, 3... in the order their `order` puts them.
        `add` are library exercises to append, at the library's dose.
        Raises ProgrammeChangedMeanwhile when someone else saved since
        `expected_version` was read, so their change is never overwritten unseen.
        """
        current = Programme.objects.select_for_update().get(pk=self.pk)
        if current.version != expected_version:
            raise ProgrammeChangedMeanwhile(current.version)
        before = current.snapshot()
        known = {item.pk for item in current.exercises.all()}
        if {item.pk for item in items} != known:
            raise ValueError("Every exercise of the programme must be given, and only those.")
        if not any(item.included for item in items):
            raise ValueError("A programme needs at least one exercise.")

        items = sorted(items, key=lambda item: _new_place(before, item))
        in_programme = {item.exercise_id for item in items}
        added = [
            ProgrammeExercise(programme=self, exercise=exercise, **exercise.dose_values())
            for exercise in add
            if exercise.pk not in in_programme
        ]
        for position, item in enumerate([*items, *added], start=1):
            item.order = position
        self.target_per_week = target_per_week
        self.inactivity_days = inactivity_days
        if gentle_start is not None:
            self.gentle_start = gentle_start
        after = self.snapshot([*items, *added])
        changes = describe_changes(before, after)
        if not changes:
            return None

        ProgrammeExercise.objects.bulk_update(
            items, ["order", "included", "note", *ProgrammeExercise.DOSE_FIELDS]
        )
        ProgrammeExercise.objects.bulk_create(added)
        self.save(
            update_fields=["target_per_week", "gentle_start", "inactivity_days", "updated_at"]
        )
        return self._new_version(current.version + 1, changed_by, changes, after)

    @transaction.atomic
    def leave_out(self, changed_by: User, exercise: Exercise) -> ProgrammeVersion | None:
        """Switch one exercise off, e.g. one retired from the library, as a new version.

        Returns None when it was already off. Raises ValueError when it is the
        last exercise left: a session needs something to do.
        """
        current = Programme.objects.select_for_update().get(pk=self.pk)
        before = current.snapshot()
        item = current.exercises.get(exercise=exercise)
        if not item.included:
            return None
        if current.exercises.filter(included=True).count() == 1:
            raise ValueError("A programme needs at least one exercise.")
        item.included = False
        item.save(update_fields=["included"])
        after = current.snapshot()
        return self._new_version(
            current.version + 1, changed_by, describe_changes(before, after), after
        )

    def _new_version(
        self, number: int, changed_by: User, changes: list[str], snapshot: dict[str, Any]
    ) -> ProgrammeVersion:
        self.version = number
        Programme.objects.filter(pk=self.pk).update(version=number, updated_at=timezone.now())
        trail.record(
            Action.CHANGE, target=self, patient=self.patient_id, detail={"version": number}
        )
        return ProgrammeVersion.objects.create(
            programme=self,
            number=number,
            created_by=changed_by,
            changes=changes,
            snapshot=snapshot,
        )


def _new_place(before: dict[str, Any], item: ProgrammeExercise) -> tuple[int, int, int]:
    """Sort key for an edited order, so a moved exercise lands on the position typed.

    On a tie, an exercise moved up goes before the one already there, and one
    moved down goes after it; exercises that did not move keep their old order.
    """
    for position, entry in enumerate(before["exercises"]):
        if entry["exercise"] == item.exercise_id:
            moved = (item.order > entry["order"]) - (item.order < entry["order"])
            return (item.order, moved, position)
    return (item.order, 1, len(before["exercises"]))


class ProgrammeChangedMeanwhile(Exception):
    def __init__(self, current_version: int) -> None:
        super().__init__(f"The programme is now at version {current_version}.")
        self.current_version = current_version


class ProgrammeVersion(models.Model):
    """One saved state of a programme, with what changed from the one before."""

    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    changes = models.JSONField(default=list, help_text="What changed, in plain words.")
    snapshot = models.JSONField(help_text="The whole programme as it was saved.")

    class Meta:
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["programme", "number"], name="tracking_programmeversion_once"
            )
        ]

    def __str__(self) -> str:
        return f"Version {self.number} of {self.programme}"


class ProgrammeExercise(Dose):
    """One exercise in a programme, at the dose this patient was given."""

    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="exercises")
    exercise = models.ForeignKey(Exercise, on_delete=models.PROTECT, related_name="+")
    order = models.PositiveSmallIntegerField()
    included = models.BooleanField(
        default=True, help_text="Switched off, the exercise stays in the programme but is not done."
    )
    note = models.CharField(
        max_length=EXERCISE_NOTE_MAX_LENGTH,
        blank=True,
        help_text="The physio's own advice for this patient, e.g. keep the bridge low for now.",
    )

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


def counts_toward_progress() -> Q:
    """The one rule for which sessions the figures count: finished, with at least one
    exercise done.

    Adherence, the calendar, streaks, pain averages, "Done today" and the physio's
    figures all go by it. A session finished with nothing done stays in the
    history, and its alerts still reach the physio, but it is not a session done.
    """
    done = SessionEntry.objects.filter(is_done(), session=OuterRef("pk"))
    return Q(finished_at__isnull=False) & Q(Exists(done))


class SessionQuerySet(models.QuerySet["Session"]):
    def for_patient(self, patient: User) -> SessionQuerySet:
        return self.filter(patient=patient)

    def finished(self) -> SessionQuerySet:
        """Every finished session, counted or not: for alerts and the record."""
        return self.filter(finished_at__isnull=False)

    def counted(self) -> SessionQuerySet:
        """The sessions progress figures count (counts_toward_progress)."""
        return self.filter(counts_toward_progress())

    def in_progress(self) -> SessionQuerySet:
        return self.filter(finished_at__isnull=True)

    def on(self, day: dt.date) -> SessionQuerySet:
        return self.filter(local_date=day)

    def with_counts(self) -> SessionQuerySet:
        # Aggregating drops Meta.ordering, so newest first is said again here.
        return self.annotate(
            entries_done=Count("entries", filter=is_done("entries__")),
            entries_total=Count("entries"),
            counts=ExpressionWrapper(counts_toward_progress(), output_field=models.BooleanField()),
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
    flagged = models.BooleanField(
        "please look", default=False, help_text="The patient asked their physio to look at this."
    )
    programme_version = models.PositiveIntegerField(
        null=True, blank=True, help_text="The version of the programme the session followed."
    )

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
    def pain_change(self) -> int | None:
        """Pain after minus pain before: positive means it rose."""
        if self.pain_after is None:
            return None
        return self.pain_after - self.pain_before

    @property
    def pain_rose(self) -> bool:
        """Pain after is up by a change that matters: the session ends with advice."""
        return rose_too_much(self.pain_after, self.pain_before)

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
        # Locked, so a physio's change lands wholly before this session or wholly after it.
        programme = Programme.objects.select_for_update().get(pk=Programme.for_patient(patient).pk)
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
                    programme_version=programme.version,
                )
        except IntegrityError:
            # A second click raced the first: resume the session it made.
            return cls.objects.for_patient(patient).in_progress().get(), False
        items = list(programme.included_items())
        versions = current_versions(item.exercise_id for item in items)
        entries = SessionEntry.objects.bulk_create(
            SessionEntry.prescribed(session, item, versions) for item in items
        )
        trail.record_all(
            [
                trail.event(Action.CREATE, target=session, patient=patient),
                *(trail.event(Action.CREATE, target=entry, patient=patient) for entry in entries),
            ]
        )
        return session, True

    @transaction.atomic
    def finish(self, *, pain_after: int, notes: str, flagged: bool) -> bool:
        """Finish the session, once: False if it was already finished (a double click)."""
        # Conditional update: a double-clicked Finish saves once, never twice.
        finished = Session.objects.filter(pk=self.pk, finished_at__isnull=True).update(
            finished_at=timezone.now(), pain_after=pain_after, notes=notes, flagged=flagged
        )
        if finished:
            trail.record(
                Action.CHANGE, target=self, patient=self.patient_id, detail={"finished": True}
            )
        return bool(finished)

    @transaction.atomic
    def discard(self) -> bool:
        """Delete an unfinished session and its entries; False if it was finished meanwhile.

        Comments on it are kept, as comments on the programme. A session in which
        an exercise hurt is kept whole (KeptForSafety): the physio needs to see it.
        """
        # Locked, so a Finish at the same moment lands wholly before or after this.
        if not Session.objects.select_for_update().filter(pk=self.pk, finished_at=None).exists():
            return False
        if SessionEntry.objects.filter(session=self, hurt__isnull=False).exists():
            raise KeptForSafety
        entries = list(SessionEntry.objects.filter(session=self).values_list("pk", flat=True))
        comments = list(Comment.objects.filter(session=self).values_list("pk", flat=True))
        # A physio's comments are part of the record: they stay, about the programme.
        Comment.objects.filter(pk__in=comments).update(session=None)
        deleted, _ = Session.objects.filter(pk=self.pk).delete()
        trail.record_all(
            [
                *(
                    trail.event(
                        Action.CHANGE,
                        target_type=Target.COMMENT,
                        target_id=pk,
                        patient=self.patient_id,
                        detail={"now_about": "programme"},
                    )
                    for pk in comments
                ),
                trail.event(Action.DELETE, target=self, patient=self.patient_id),
                *(
                    trail.event(
                        Action.DELETE,
                        target_type=Target.ENTRY,
                        target_id=pk,
                        patient=self.patient_id,
                    )
                    for pk in entries
                ),
            ]
        )
        return bool(deleted)


class KeptForSafety(Exception):
    """The session holds a report of pain, so it is not thrown away."""


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
    from their programme, and `exercise_version` the library's wording of the
    exercise at the time, so later changes never rewrite what was logged.
    """

    Status = EntryStatus
    Effort = Effort

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="entries")
    exercise = models.ForeignKey(Exercise, on_delete=models.PROTECT, related_name="+")
    exercise_version = models.ForeignKey(
        "exercises.HistoricalExercise",
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The exercise as the library described it when the session started.",
    )
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
    hurt = pain_field(
        "pain during it",
        null=True,
        blank=True,
        help_text="The patient said this exercise hurt, and how much, from 0 to 10.",
    )
    note = models.CharField(
        max_length=EXERCISE_NOTE_MAX_LENGTH, blank=True, help_text="The physio's note at the time."
    )
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
            models.CheckConstraint(
                condition=Q(hurt__isnull=True) | pain_in_range("hurt"),
                name="tracking_sessionentry_hurt_0_10",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.exercise} in {self.session}"

    @classmethod
    def prescribed(
        cls, session: Session, item: ProgrammeExercise, versions: dict[int, int], **fields: Any
    ) -> SessionEntry:
        """A new, unsaved entry for `item` as the programme and library have it now.

        `versions` maps exercise ids to their current version, from current_versions().
        """
        return cls(
            session=session,
            exercise=item.exercise,
            exercise_version_id=versions[item.exercise_id],
            order=item.order,
            note=item.note,
            **item.dose_values(),
            **fields,
        )

    def get_instructions_url(self) -> str:
        """The exercise as the library described it when this entry was logged."""
        return reverse("exercises:version", args=[self.exercise_version_id])

    def get_exercise_url(self) -> str:
        """The same, for the patient: with the dose and note this entry gave them."""
        return reverse("tracking:entry-exercise", args=[self.session_id, self.pk])

    @property
    def as_prescribed(self) -> bool:
        return (
            self.status == self.Status.DONE
            and self.sets_done == self.sets
            and self.reps_done == self.reps
        )

    @property
    def hurt_too_much(self) -> bool:
        """It hurt 2 or more points above the session's starting pain: stop it for today."""
        return rose_too_much(self.hurt, self.session.pain_before)

    def mark_done(self, sets_done: int | None = None, reps_done: int | None = None) -> None:
        self.status = self.Status.DONE
        self.sets_done = self.sets if sets_done is None else sets_done
        self.reps_done = self.reps if reps_done is None else reps_done

    def mark_skipped(self) -> None:
        self.status = self.Status.SKIPPED
        self.sets_done = None
        self.reps_done = None
        self.effort = ""

    def report_hurt(self, hurt: int) -> bool:
        """Keep how much it hurt, unless the session has been finished meanwhile (False).

        Only this field is written, so a Done or Skip tapped at the same moment
        can neither undo the report nor be undone by it.
        """
        with transaction.atomic():
            saved = SessionEntry.objects.filter(
                pk=self.pk, session__finished_at__isnull=True
            ).update(hurt=hurt, updated_at=timezone.now())
            if saved:
                self.hurt = hurt
                # How much is health data, and the trail outlives an erasure: not said.
                trail.record(
                    Action.CHANGE,
                    target=self,
                    patient=self.session.patient_id,
                    detail={"hurt_reported": True},
                )
        return bool(saved)

    def save_if_session_open(self) -> bool:
        """Save what was done, unless the session has been finished meanwhile (False).

        The entry and its session stay locked from the check to the save, so a
        Finish at the same moment either lands first, and nothing changes after
        it, or waits. Saving the same values again writes and records nothing.
        """
        values = {
            "status": self.status,
            "sets_done": self.sets_done,
            "reps_done": self.reps_done,
            "effort": self.effort,
        }
        is_open = SessionEntry.objects.filter(pk=self.pk, session__finished_at__isnull=True)
        with transaction.atomic():
            # Locked (with its session, on PostgreSQL) until saved: a Finish waits.
            current = is_open.select_for_update().values(*values).first()
            if current is None:
                return False
            if current == values:
                return True  # pressed twice: nothing changes, nothing to record
            self.updated_at = timezone.now()
            saved = is_open.update(**values, updated_at=self.updated_at)
            if saved:
                trail.record(
                    Action.CHANGE,
                    target=self,
                    patient=self.session.patient_id,
                    detail={"status": self.status},
                )
        return bool(saved)


class CommentQuerySet(models.QuerySet["Comment"]):
    def unread(self) -> CommentQuerySet:
        return self.filter(read_at__isnull=True)

    @transaction.atomic
    def mark_read(self) -> int:
        """Note that the patient has now seen these comments: one audit record each."""
        unread = list(self.unread().values_list("pk", "patient_id"))
        if not unread:
            return 0
        count = Comment.objects.filter(pk__in=[pk for pk, _ in unread]).update(
            read_at=timezone.now()
        )
        trail.record_all(
            [
                trail.event(
                    Action.CHANGE,
                    target_type=Target.COMMENT,
                    target_id=pk,
                    patient=patient_id,
                    detail={"read": True},
                )
                for pk, patient_id in unread
            ]
        )
        return count


class Comment(models.Model):
    """A physio's message to a patient, about one session or the programme as a whole.

    Comments are part of the clinical record: nobody edits or deletes them in the app.
    """

    patient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="comments_received"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="comments_written",
    )
    session = models.ForeignKey(
        Session, on_delete=models.CASCADE, null=True, blank=True, related_name="comments"
    )
    body = models.TextField(max_length=COMMENT_MAX_LENGTH)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(
        null=True, blank=True, help_text="When the patient first saw it."
    )

    objects = CommentQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["patient", "-created_at"], name="tracking_comment_recent")]

    def __str__(self) -> str:
        return f"Comment by {self.author} for {self.patient}"

    @property
    def is_unread(self) -> bool:
        return self.read_at is None

    @classmethod
    @transaction.atomic
    def post(
        cls, *, patient: User, author: User, session: Session | None, body: str
    ) -> tuple[Comment, bool]:
        """Keep a physio's comment, and say whether it is new. The same comment
        again this soon (a double tap, a retried request) is the one already kept."""
        now = timezone.now()
        # Locked, so two posts at once cannot both find nothing and both write.
        User.objects.select_for_update().only("pk").get(pk=patient.pk)
        same = cls.objects.filter(
            patient=patient,
            author=author,
            session=session,
            body=body,
            created_at__gt=now - DOUBLE_TAP,
        ).first()
        if same is not None:
            return same, False
        comment = cls.objects.create(
            patient=patient, author=author, session=session, body=body, created_at=now
        )
        trail.record(Action.CREATE, target=comment, patient=patient)
        return comment, True


def rose_too_much(pain: int | None, pain_before: int) -> bool:
    """Pain 2 or more above the session's start: the point to stop and tell the physio.

    Near the top of the scale there is no room for 2 more: any rise to 10 counts.
    """
    if pain is None or pain <= pain_before:
        return False
    return pain >= min(pain_before + MEANINGFUL_PAIN_CHANGE, PAIN_MAX)


def rose_too_much_q(pain: str, pain_before: str) -> Q:
    """rose_too_much() as a query, for fields named `pain` and `pain_before`."""
    return Q(**{f"{pain}__gte": F(pain_before) + MEANINGFUL_PAIN_CHANGE}) | Q(
        **{pain: PAIN_MAX, f"{pain_before}__lt": PAIN_MAX}
    )


class SafetyCheckQuerySet(models.QuerySet["SafetyCheck"]):
    def raised(self) -> SafetyCheckQuerySet:
        """Answers that reported at least one warning sign."""
        return self.exclude(advice=Advice.CLEAR)


class SafetyCheck(models.Model):
    """A patient's answer to the red-flag check-in, kept in their record.

    It is asked before exercising, once a day when all is well. The latest
    answer of the patient's day decides whether they may exercise that day.
    """

    patient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="safety_checks"
    )
    answered_at = models.DateTimeField(default=timezone.now)
    local_date = models.DateField(
        help_text="The day it was answered, in the patient's own time zone."
    )
    flags = models.JSONField(
        default=list, blank=True, help_text="The codes of the warning signs the patient reported."
    )
    advice = models.CharField(max_length=10, choices=Advice.choices)
    withdrawn_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When the patient said they ticked it by mistake. The answer and its alert stay.",
    )

    objects = SafetyCheckQuerySet.as_manager()

    class Meta:
        ordering = ["-answered_at", "-pk"]
        indexes = [
            models.Index(fields=["patient", "-answered_at"], name="tracking_safetycheck_recent")
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(advice__in=Advice.values), name="tracking_safetycheck_advice_valid"
            )
        ]

    def __str__(self) -> str:
        return f"Check-in of {self.patient} on {self.local_date}"

    def get_absolute_url(self) -> str:
        return reverse("tracking:check-in-result", args=[self.pk])

    @classmethod
    @transaction.atomic
    def answer(cls, patient: User, codes: Iterable[str]) -> SafetyCheck:
        """Keep the patient's answer, routed to its advice. The same answer given
        again the same day (a double tap) is the answer already kept."""
        flags = asked_codes(codes)
        now = timezone.now()
        day = timezone.localdate(now, patient.tzinfo)
        # Locked, so two taps at once cannot both find nothing and both write.
        User.objects.select_for_update().only("pk").get(pk=patient.pk)
        latest = cls.objects.filter(patient=patient, local_date=day).first()
        if latest is not None and latest.flags == flags and now - latest.answered_at < DOUBLE_TAP:
            return latest
        check = cls.objects.create(
            patient=patient, answered_at=now, local_date=day, flags=flags, advice=advice_for(flags)
        )
        # That it was answered, never what: the answer is health data, and the trail
        # outlives an erasure.
        trail.record(Action.CREATE, target=check, patient=patient)
        return check

    @transaction.atomic
    def withdraw(self) -> SafetyCheck:
        """The patient ticked this by mistake: keep the answer and its alert, note that
        it was taken back, and answer "none of these" in its place.

        Only a contact answer can be taken back, never a call for emergency care.
        Taking it back twice (a double tap) is the first time's answer.
        """
        if self.advice != Advice.CONTACT:
            raise ValueError("Only an answer that asks to contact the physio can be taken back.")
        patient = User.objects.select_for_update().get(pk=self.patient_id)
        check = SafetyCheck.objects.get(pk=self.pk)
        if check.withdrawn_at is not None:
            later = SafetyCheck.objects.filter(
                patient=patient, local_date=check.local_date, answered_at__gte=check.withdrawn_at
            )
            return later.filter(advice=Advice.CLEAR).last() or check
        now = timezone.now()
        SafetyCheck.objects.filter(pk=self.pk).update(withdrawn_at=now)
        self.withdrawn_at = now
        trail.record(Action.CHANGE, target=self, patient=patient)
        clear = SafetyCheck.objects.create(
            patient=patient,
            answered_at=now,
            local_date=timezone.localdate(now, patient.tzinfo),
            advice=Advice.CLEAR,
        )
        trail.record(Action.CREATE, target=clear, patient=patient)
        return clear

    @classmethod
    def today_for(cls, patient: User, now: dt.datetime | None = None) -> SafetyCheck | None:
        """The answer that stands for the patient's day, or None if they have not checked in.

        A call for emergency care stands for the rest of the day, whatever comes after.
        So does a warning sign, until the patient takes it back as ticked by mistake:
        a plain "none of these" later that day does not undo it. Otherwise, the latest
        answer stands.
        """
        day = timezone.localdate(now or timezone.now(), patient.tzinfo)
        standing = Case(
            When(advice=Advice.URGENT, then=Value(2)),
            When(~Q(advice=Advice.CLEAR) & Q(withdrawn_at__isnull=True), then=Value(1)),
            default=Value(0),
        )
        return (
            cls.objects.filter(patient=patient, local_date=day)
            .annotate(standing=standing)
            .order_by("-standing", "-answered_at", "-pk")
            .first()
        )

    @classmethod
    def covers(cls, session: Session) -> bool:
        """Whether the session was started after a clear answer, with no warning sign since:
        it may carry on past midnight without a new check-in."""
        checks = cls.objects.filter(patient_id=session.patient_id)
        before = checks.filter(
            local_date=session.local_date, answered_at__lte=session.started_at
        ).first()
        since = checks.raised().filter(answered_at__gt=session.started_at)
        return before is not None and before.is_clear and not since.exists()

    @property
    def is_clear(self) -> bool:
        return self.advice == Advice.CLEAR

    @property
    def is_urgent(self) -> bool:
        return self.advice == Advice.URGENT

    @property
    def can_be_withdrawn(self) -> bool:
        return self.advice == Advice.CONTACT and self.withdrawn_at is None

    @property
    def red_flags(self) -> list[RedFlag]:
        return flags_for(self.flags)

    @property
    def contact_within(self) -> str:
        """How soon to contact the physio or a doctor, e.g. "today or tomorrow".

        A contact answer given before its signs became urgent has no time frame of
        its own: it gets the soonest."""
        return contact_within(self.flags) or CONTACT_TIMES[0]


class AlertKind(models.TextChoices):
    RED_FLAG = "red_flag", "Warning sign reported"
    HURT = "hurt", "An exercise hurt"
    FLAGGED = "flagged", "Asked you to look"
    PAIN_ROSE = "pain_rose", "Pain rose during a session"
    PAIN_WORSE = "pain_worse", "Pain trending worse"
    INACTIVE = "inactive", "No recent session"
    RETIRED = "retired", "Retired exercise still in the programme"


class AlertAcknowledgement(models.Model):
    """A physio marked an alert as seen: it leaves the list, and stays in the record."""

    patient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="alert_acknowledgements"
    )
    kind = models.CharField(max_length=16, choices=AlertKind.choices)
    key = models.CharField(max_length=32, help_text="Which occurrence of the alert.")
    summary = models.CharField(max_length=200, help_text="The alert as it was shown.")
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    acknowledged_at = models.DateTimeField(default=timezone.now)
    note = models.TextField(max_length=500, blank=True)

    class Meta:
        ordering = ["-acknowledged_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["patient", "kind", "key"], name="tracking_alert_acknowledged_once"
            ),
            models.CheckConstraint(
                condition=Q(kind__in=AlertKind.values), name="tracking_alert_kind_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} for {self.patient}, seen"
