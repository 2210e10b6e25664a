"""Library words changed by a data migration: each change is a new version of the
exercise, so sessions logged before it keep the words they followed."""

import importlib

import pytest
from django.apps import apps

from exercises.models import Exercise

rewrite = importlib.import_module("exercises.migrations.0005_rewrite_start_positions")

# Close, word for word, to a published text: the start positions had to be new words.
OLD_START = {
    "glute-bridge": "Lie on your back with your arms by your sides. "
    "Bend your knees and put your feet flat on the floor.",
    "back-curl": "Lie on your back with your hands on your chest. "
    "Bend your knees and put your feet flat on the floor.",
    "bird-dog": "Get on your hands and knees, with your knees under your hips and your hands "
    "under your shoulders.",
}


def test_the_pelvic_tilt_says_the_bottom_lifts_slightly(db):
    tilt = Exercise.objects.get(slug="pelvic-tilt")

    assert "Your bottom lifts slightly off the mat as you tip: that is right." in tilt.steps
    assert "tiny bit" not in tilt.instructions


@pytest.mark.parametrize("slug", list(OLD_START))
def test_the_start_positions_are_in_new_words(db, slug):
    exercise = Exercise.objects.get(slug=slug)

    assert exercise.start_position != OLD_START[slug]
    old_sentences = {sentence.strip() for sentence in OLD_START[slug].split(".") if sentence}
    assert not any(sentence in exercise.start_position for sentence in old_sentences)


@pytest.mark.parametrize("slug", [*OLD_START, "pelvic-tilt"])
def test_each_change_is_a_new_version_and_the_first_keeps_the_old_words(db, slug):
    exercise = Exercise.objects.get(slug=slug)

    first, latest = exercise.history.earliest(), exercise.history.latest()

    assert exercise.history.count() == 2
    assert latest.history_change_reason == rewrite.REASON
    assert (latest.start_position, latest.instructions) == (
        exercise.start_position,
        exercise.instructions,
    )
    if slug in OLD_START:
        assert first.start_position == OLD_START[slug]
    else:
        assert "tiny bit" in first.instructions


def test_an_exercise_someone_already_edited_is_left_as_they_wrote_it(db):
    bridge = Exercise.objects.get(slug="glute-bridge")
    bridge.start_position = "Our clinic's own words."
    bridge.save()
    versions = bridge.history.count()

    rewrite.forwards(apps, None)

    bridge.refresh_from_db()
    assert bridge.start_position == "Our clinic's own words."
    assert bridge.history.count() == versions


def test_untouched_exercises_get_no_new_version(db):
    for exercise in Exercise.objects.exclude(slug__in=[*OLD_START, "pelvic-tilt"]):
        assert exercise.history.count() == 1, exercise
