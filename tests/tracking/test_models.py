import datetime as dt
import zoneinfo

import pytest
import time_machine
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from exercises.models import Exercise
from tracking.models import (
    Programme,
    ProgrammeExercise,
    Session,
    SessionEntry,
    SessionQuerySet,
)

UNIQUE_CONSTRAINTS = {"tracking_session_one_in_progress", "tracking_sessionentry_exercise_once"}


def violates(name: str, fn) -> bool:
    """Run fn in a savepoint; true if the database refused it for constraint `name`."""
    try:
        with transaction.atomic():
            fn()
    except IntegrityError as exc:
        message = str(exc)
        if name in message:
            return True
        # SQLite names the columns of a broken UNIQUE constraint, not the constraint.
        return (
            connection.vendor == "sqlite"
            and name in UNIQUE_CONSTRAINTS
            and message.startswith("UNIQUE constraint failed")
        )
    return False


def test_a_new_programme_holds_the_active_library_in_order(patient):
    Exercise.objects.filter(slug="dead-bug").update(is_active=False)

    items = list(Programme.for_patient(patient).items())

    assert [item.exercise.slug for item in items] == list(
        Exercise.objects.active().values_list("slug", flat=True)
    )
    assert "dead-bug" not in [item.exercise.slug for item in items]
    assert [item.order for item in items] == list(range(1, len(items) + 1))
    first = Exercise.objects.active()[0]
    assert items[0].dose_values() == first.dose_values()


def test_the_programme_is_made_once(patient):
    assert Programme.for_patient(patient) == Programme.for_patient(patient)
    assert ProgrammeExercise.objects.filter(programme__patient=patient).count() == 10


def test_starting_copies_the_programme_dose_into_each_entry(patient):
    programme = Programme.for_patient(patient)
    programme.exercises.filter(order=1).update(reps=4, hold_seconds=8)

    session, created = Session.start(patient, pain_before=4)

    assert created
    first = session.entries.get(order=1)
    assert (first.reps, first.hold_seconds) == (4, 8)
    assert session.entries.count() == 10
    assert set(session.entries.values_list("status", flat=True)) == {"todo"}


def test_later_changes_to_library_or_programme_do_not_rewrite_history(session):
    entry = session.entries.get(order=10)
    logged = entry.dose_values()

    Exercise.objects.filter(pk=entry.exercise_id).update(sets=1, reps=5, rest_seconds=0)
    ProgrammeExercise.objects.filter(exercise_id=entry.exercise_id).update(sets=2, reps=6)

    entry.refresh_from_db()
    assert (
        entry.dose_values()
        == logged
        == {
            "sets": 3,
            "reps": 10,
            "hold_seconds": 0,
            "per_side": False,
            "rest_seconds": 30,
        }
    )


def test_starting_while_a_session_is_open_resumes_it(session, patient):
    again, created = Session.start(patient, pain_before=9)

    assert not created
    assert again == session
    assert Session.objects.for_patient(patient).count() == 1
    assert again.pain_before == 5


def test_several_finished_sessions_a_day_are_allowed(session, patient):
    Session.objects.filter(pk=session.pk).update(finished_at=timezone.now(), pain_after=3)

    _, created = Session.start(patient, pain_before=3)

    assert created
    assert Session.objects.for_patient(patient).on(session.local_date).count() == 2


@time_machine.travel(dt.datetime(2026, 3, 1, 23, 30, tzinfo=dt.UTC), tick=False)
def test_the_session_day_is_the_patients_own_day(make_user):
    from accounts.models import Role

    kiwi = make_user("kiwi", Role.PATIENT, timezone="Pacific/Auckland")
    hawaii = make_user("hawaii", Role.PATIENT, timezone="Pacific/Honolulu")

    assert Session.start(kiwi, 3)[0].local_date == dt.date(2026, 3, 2)
    assert Session.start(hawaii, 3)[0].local_date == dt.date(2026, 3, 1)
    assert kiwi.tzinfo == zoneinfo.ZoneInfo("Pacific/Auckland")


@pytest.mark.parametrize("pain", [11, 200])
def test_the_database_refuses_pain_above_10(session, pain):
    assert violates(
        "tracking_session_pain_before_0_10",
        lambda: Session.objects.filter(pk=session.pk).update(pain_before=pain),
    )
    assert violates(
        "tracking_session_pain_after_0_10",
        lambda: Session.objects.filter(pk=session.pk).update(
            pain_after=pain, finished_at=timezone.now()
        ),
    )


def test_the_database_refuses_negative_pain(session):
    # A positive integer column: the database's own check refuses it.
    with pytest.raises(IntegrityError), transaction.atomic():
        Session.objects.filter(pk=session.pk).update(pain_before=-1)


def test_the_database_refuses_a_finish_without_pain_after(session):
    assert violates(
        "tracking_session_finished_with_pain_after",
        lambda: Session.objects.filter(pk=session.pk).update(finished_at=timezone.now()),
    )


def test_the_database_refuses_a_finish_before_the_start(session):
    assert violates(
        "tracking_session_finishes_after_start",
        lambda: Session.objects.filter(pk=session.pk).update(
            finished_at=session.started_at - dt.timedelta(minutes=1), pain_after=2
        ),
    )


def test_the_database_refuses_two_sessions_in_progress(session, patient):
    assert violates(
        "tracking_session_one_in_progress",
        lambda: Session.objects.create(
            patient=patient, local_date=session.local_date, pain_before=2
        ),
    )


def test_the_database_refuses_an_exercise_twice_in_a_session(session):
    entry = session.entries.first()
    assert violates(
        "tracking_sessionentry_exercise_once",
        lambda: SessionEntry.objects.create(
            session=session,
            exercise=entry.exercise,
            exercise_version=entry.exercise_version,
            order=99,
            **entry.dose_values(),
        ),
    )


DONE = {"status": "done", "sets_done": 1, "reps_done": 1}


# Each case breaks exactly one rule, so the database must name that one.
@pytest.mark.parametrize(
    ("changes", "constraint"),
    [
        ({"sets_done": 3}, "tracking_sessionentry_counts_only_when_done"),
        ({"status": "done"}, "tracking_sessionentry_counts_only_when_done"),
        ({**DONE, "sets_done": 11}, "tracking_sessionentry_sets_done_in_range"),
        ({**DONE, "sets_done": 0}, "tracking_sessionentry_sets_done_in_range"),
        ({**DONE, "reps_done": 51}, "tracking_sessionentry_reps_done_in_range"),
        ({**DONE, "effort": "meh"}, "tracking_sessionentry_effort_valid"),
        (
            {"status": "skipped", "effort": "too_hard"},
            "tracking_sessionentry_effort_only_when_done",
        ),
        ({"status": "maybe"}, "tracking_sessionentry_status_valid"),
        ({"sets": 0}, "tracking_sessionentry_sets_in_range"),
        ({"reps": 51}, "tracking_sessionentry_reps_in_range"),
        ({"hold_seconds": 121}, "tracking_sessionentry_hold_in_range"),
    ],
)
def test_the_database_refuses_impossible_entries(session, changes, constraint):
    entry = session.entries.first()
    assert violates(constraint, lambda: SessionEntry.objects.filter(pk=entry.pk).update(**changes))


def test_an_entry_marked_done_takes_the_prescribed_counts(session):
    entry = session.entries.get(order=10)
    entry.mark_done()
    entry.save()
    entry.refresh_from_db()

    assert (entry.status, entry.sets_done, entry.reps_done) == ("done", 3, 10)
    assert entry.as_prescribed


def test_skipping_clears_counts_and_effort(session):
    entry = session.entries.first()
    entry.mark_done(sets_done=1, reps_done=4)
    entry.effort = SessionEntry.Effort.TOO_HARD
    entry.save()

    entry.mark_skipped()
    entry.save()
    entry.refresh_from_db()

    assert (entry.status, entry.sets_done, entry.reps_done, entry.effort) == (
        "skipped",
        None,
        None,
        "",
    )


def test_an_exercise_in_use_cannot_be_deleted(session):
    from django.db.models import ProtectedError

    with pytest.raises(ProtectedError):
        Exercise.objects.get(slug="pelvic-tilt").delete()


def test_a_start_that_loses_a_race_resumes_the_winner(session, patient, monkeypatch):
    """Two requests both saw no open session; the second insert hits the constraint."""
    real_first = SessionQuerySet.first
    misses = iter([None])
    monkeypatch.setattr(SessionQuerySet, "first", lambda qs: next(misses, real_first(qs)))

    again, created = Session.start(patient, pain_before=7)

    assert (again, created) == (session, False)
    assert Session.objects.for_patient(patient).count() == 1


def test_a_programme_made_twice_at_once_is_made_once(patient, monkeypatch):
    winner = Programme.for_patient(patient)
    real_get = Programme.objects.get
    misses = iter([Programme.DoesNotExist])

    def get_that_misses_once(**kwargs):
        if (miss := next(misses, None)) is not None:
            raise miss
        return real_get(**kwargs)

    monkeypatch.setattr(Programme.objects, "get", get_that_misses_once)

    assert Programme.for_patient(patient) == winner
    assert ProgrammeExercise.objects.filter(programme=winner).count() == 10


def test_an_entry_is_not_saved_into_a_finished_session(session):
    entry = session.entries.get(order=1)
    Session.objects.filter(pk=session.pk).update(finished_at=timezone.now(), pain_after=2)

    entry.mark_done()

    assert entry.save_if_session_open() is False
    entry.refresh_from_db()
    assert entry.status == "todo"


def test_an_entry_is_saved_while_the_session_is_open(session):
    entry = session.entries.get(order=1)

    entry.mark_done()

    assert entry.save_if_session_open() is True
    entry.refresh_from_db()
    assert entry.status == "done"
