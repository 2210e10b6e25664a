import re
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils.html import escape

from exercises.models import Exercise, total_minutes
from tests.conftest import signed_in

ROUTINE_ORDER = [
    "Pelvic tilt",
    "Glute bridge",
    "Dead bug",
    "Single knee to chest",
    "Double knee to chest",
    "Kneeling back stretch",
    "Elbow cobra",
    "Back curl",
    "Bird-dog",
    "Prone opposite arm and leg raise",
]


def test_the_routine_is_loaded_in_order(db):
    assert list(Exercise.objects.values_list("name", flat=True)) == ROUTINE_ORDER


def test_every_exercise_is_fully_written(db):
    for exercise in Exercise.objects.all():
        assert 3 <= len(exercise.steps) <= 8, exercise
        for field in ("summary", "start_position", "feel", "avoid"):
            assert getattr(exercise, field).strip(), (exercise, field)
        exercise.full_clean()


DOSES = [
    ("pelvic-tilt", "10 times, hold 5 s each time"),
    ("glute-bridge", "10 times"),
    ("dead-bug", "5 each side"),
    ("single-knee-to-chest", "3 each side, hold 30 s each time"),
    ("double-knee-to-chest", "3 times, hold 30 s each time"),
    ("kneeling-back-stretch", "Once, hold 30 s"),
    ("elbow-cobra", "3 times, hold 30 s each time"),
    ("back-curl", "5 each side"),
    ("bird-dog", "5 each side"),
    ("prone-opposite-arm-and-leg-raise", "3 sets of 10, 30 s rest between sets"),
]


@pytest.mark.parametrize(("slug", "summary"), DOSES)
def test_doses_match_the_routine_and_read_plainly(db, slug, summary):
    assert Exercise.objects.get(slug=slug).dose_summary == summary


def test_every_exercise_has_its_dose_checked(db):
    checked = {slug for slug, _ in DOSES}
    assert checked == set(Exercise.objects.values_list("slug", flat=True))


def test_the_harder_versions_are_offered(db):
    harder = set(Exercise.objects.exclude(harder="").values_list("slug", flat=True))
    assert harder == {"glute-bridge", "bird-dog"}


def test_the_estimated_time_agrees_with_12_to_15_minutes(db):
    assert 12 <= total_minutes(Exercise.objects.all()) <= 15


def test_the_estimate_counts_the_rest_between_long_holds(db):
    exercise = Exercise.objects.get(slug="double-knee-to-chest")
    assert (exercise.sets, exercise.reps, exercise.hold_seconds) == (1, 3, 30)

    assert exercise.estimated_seconds == 10 + 3 * 30 + 2 * 10


def test_a_longer_dose_takes_longer(db):
    exercise = Exercise.objects.get(slug="glute-bridge")
    before = exercise.estimated_seconds
    exercise.sets = 3
    exercise.rest_seconds = 30

    assert exercise.estimated_seconds == 10 + 3 * (before - 10) + 2 * 30


@pytest.mark.parametrize(
    ("field", "value"),
    [("sets", 0), ("sets", 11), ("reps", 0), ("reps", 51), ("hold_seconds", 121)],
)
def test_doses_out_of_bounds_are_refused_by_form_rules_and_database(db, field, value):
    exercise = Exercise.objects.get(slug="dead-bug")
    setattr(exercise, field, value)

    with pytest.raises(ValidationError) as error:
        exercise.full_clean()
    assert field in error.value.message_dict
    with pytest.raises(IntegrityError), transaction.atomic():
        exercise.save()


def test_empty_instructions_are_refused(db):
    exercise = Exercise.objects.get(slug="dead-bug")
    exercise.instructions = "  \n "

    with pytest.raises(ValidationError) as error:
        exercise.full_clean()
    assert "instructions" in error.value.message_dict


def test_slugs_are_unique(db):
    with pytest.raises(IntegrityError), transaction.atomic():
        Exercise.objects.create(
            order=11, name="Copy", slug="dead-bug", summary="x", instructions="x"
        )


def test_the_routine_page_lists_active_exercises_with_the_total_time(
    patient_client, django_assert_num_queries
):
    Exercise.objects.filter(slug="single-knee-to-chest").update(is_active=False)

    # The sign-in (session, user, groups), the exercises, the patient's own doses.
    with django_assert_num_queries(5):
        response = patient_client.get(reverse("exercises:routine"))

    html = response.content.decode()
    assert "Single knee to chest" not in html
    positions = [html.index(name) for name in ROUTINE_ORDER if name != "Single knee to chest"]
    assert positions == sorted(positions)
    active = Exercise.objects.active()
    assert f"about {total_minutes(active)} minutes" in html
    assert total_minutes(active) < total_minutes(Exercise.objects.all())


def test_an_exercise_page_shows_everything_a_patient_needs(patient_client):
    exercise = Exercise.objects.get(slug="bird-dog")

    html = patient_client.get(exercise.get_absolute_url()).content.decode()

    for text in (exercise.name, exercise.start_position, exercise.feel, exercise.avoid):
        assert escape(text) in html
    for step in exercise.steps:
        assert f"<li>{escape(step)}</li>" in html
    assert exercise.dose_summary in html


def test_an_unknown_exercise_answers_404(patient_client):
    assert patient_client.get(reverse("exercises:detail", args=["handstand"])).status_code == 404


def test_the_library_needs_sign_in(client, db):
    response = client.get(reverse("exercises:routine"))

    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_admins_see_the_library_in_routine_order_with_doses(staff_admin):
    client = signed_in(staff_admin)

    response = client.get(reverse("admin:exercises_exercise_changelist"))

    html = response.content.decode()
    assert response.status_code == 200
    positions = [html.index(escape(name)) for name in ROUTINE_ORDER]
    assert positions == sorted(positions)
    assert "3 sets of 10, 30 s rest between sets" in html


def test_the_exercises_app_names_nothing_of_tracking():
    """Tracking depends on exercises, never the other way round: what a patient's own
    pages add to an exercise's (their dose, the way back) tracking passes in."""
    root = Path(__file__).resolve().parents[2]
    sources = [*(root / "exercises").rglob("*.py"), *(root / "templates" / "exercises").glob("*")]

    naming_tracking = [
        str(path.relative_to(root))
        for path in sources
        if re.search(r"\btracking[:.]|import tracking|from tracking", path.read_text())
    ]

    assert naming_tracking == []
