"""Admins edit the library in the admin: every change kept, shown as a diff, revertible."""

import pytest
from django.forms.models import model_to_dict
from django.urls import reverse

from exercises.admin import word_diff
from exercises.models import Exercise
from tests.conftest import signed_in
from tracking.models import Programme, Session


@pytest.fixture
def admin_client(staff_admin):
    return signed_in(staff_admin)


@pytest.fixture
def bird_dog(db) -> Exercise:
    return Exercise.objects.get(slug="bird-dog")


def form_data(exercise: Exercise, **changes) -> dict:
    """The admin's change form for `exercise` as a browser would post it."""
    data = model_to_dict(exercise, exclude=["id", "retired_at"])
    data.update(changes)
    return {name: value for name, value in data.items() if value is not False}


def change_url(exercise: Exercise) -> str:
    return reverse("admin:exercises_exercise_change", args=[exercise.pk])


def history_url(exercise: Exercise) -> str:
    return reverse("admin:exercises_exercise_history", args=[exercise.pk])


def edit(client, exercise: Exercise, **changes):
    return client.post(change_url(exercise), form_data(exercise, **changes))


def test_every_exercise_starts_with_one_recorded_version(db):
    for exercise in Exercise.objects.all():
        assert exercise.history.filter(history_type="+").count() == 1, exercise
        assert exercise.history.earliest().history_type == "+", exercise


def test_an_edit_is_recorded_with_who_made_it(admin_client, staff_admin, bird_dog):
    versions = bird_dog.history.count()
    original = bird_dog.instructions
    typo = original.replace("Lift", "Lfit", 1)
    assert typo != original
    bird_dog.instructions = typo
    bird_dog.save()  # the typo, made elsewhere

    response = edit(admin_client, bird_dog, instructions=original)

    assert response.status_code == 302
    bird_dog.refresh_from_db()
    assert bird_dog.instructions == original
    latest = bird_dog.history.first()
    assert latest.history_user == staff_admin
    assert latest.history_type == "~"
    assert bird_dog.history.count() == versions + 2


def test_the_history_page_shows_each_change_word_by_word(admin_client, bird_dog):
    before = bird_dog.instructions
    edit(admin_client, bird_dog, instructions=before.replace("opposite", "other", 1), reps=6)

    response = admin_client.get(history_url(bird_dog))

    html = response.content.decode()
    assert response.status_code == 200
    assert "<del>opposite</del><ins>other</ins>" in html
    assert "<strong>Reps:</strong>" in html
    assert "<del>5</del><ins>6</ins>" in html
    assert "ada" in html  # who


def test_word_diff_escapes_what_it_shows():
    assert word_diff("a <b> c", "a <i> c") == "a <del>&lt;b&gt;</del><ins>&lt;i&gt;</ins> c"


def test_word_diff_marks_additions_and_removals_alone():
    assert word_diff("keep your back flat", "keep your back") == "keep your back<del> flat</del>"
    assert word_diff("keep flat", "keep it flat") == "keep <ins>it </ins>flat"


def test_an_admin_reverts_to_an_earlier_version(admin_client, bird_dog):
    original = bird_dog.instructions
    versions = bird_dog.history.count()
    first = bird_dog.history.first()  # the words before the edit below
    edit(admin_client, bird_dog, instructions="Lfit one leg.")
    bird_dog.refresh_from_db()
    assert bird_dog.instructions == "Lfit one leg."

    revert_url = reverse("admin:exercises_exercise_simple_history", args=[bird_dog.pk, first.pk])
    page = admin_client.get(revert_url)
    assert page.status_code == 200
    assert "Revert" in page.content.decode()
    response = admin_client.post(revert_url, form_data(first.instance))

    assert response.status_code == 302
    bird_dog.refresh_from_db()
    assert bird_dog.instructions == original
    latest = bird_dog.history.first()
    assert latest.history_change_reason.startswith("Reverted to the version of")
    assert bird_dog.history.count() == versions + 2  # the revert is a change like any other


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"reps": 51}, "reps", "less than or equal to 50"),
        ({"sets": 0}, "sets", "greater than or equal to 1"),
        ({"hold_seconds": 121}, "hold_seconds", "less than or equal to 120"),
        ({"instructions": "   \n  "}, "instructions", "This field is required."),
        ({"slug": "dead-bug"}, "slug", "already exists"),
        ({"slug": "not a slug"}, "slug", "Enter a valid"),
    ],
)
def test_a_bad_edit_is_refused_with_a_message_and_keeps_the_typing(
    admin_client, bird_dog, changes, field, message
):
    versions = bird_dog.history.count()
    response = edit(admin_client, bird_dog, name="Bird-dog (edited)", **changes)

    assert response.status_code == 200
    form = response.context["adminform"].form
    assert message in " ".join(form.errors[field])
    assert form["name"].value() == "Bird-dog (edited)"
    bird_dog.refresh_from_db()
    assert bird_dog.name == "Bird-dog"
    assert bird_dog.history.count() == versions


def test_an_admin_adds_an_eleventh_exercise(admin_client):
    data = form_data(
        Exercise.objects.get(slug="bird-dog"),
        order=11,
        name="Clam",
        slug="clam",
        summary="Strengthens the side of your hip.",
        instructions="Lie on your side.\nLift your top knee.\nLower it slowly.",
    )

    response = admin_client.post(reverse("admin:exercises_exercise_add"), data)

    assert response.status_code == 302
    clam = Exercise.objects.get(slug="clam")
    assert clam.is_active
    assert clam.history.get().history_type == "+"
    assert list(Exercise.objects.values_list("name", flat=True))[-1] == "Clam"


def test_the_library_is_reordered_from_the_list(admin_client):
    exercises = list(Exercise.objects.all())
    data = {
        "form-TOTAL_FORMS": len(exercises),
        "form-INITIAL_FORMS": len(exercises),
        "_save": "Save",
    }
    for index, exercise in enumerate(exercises):
        data[f"form-{index}-id"] = exercise.pk
        data[f"form-{index}-order"] = 99 if exercise.slug == "pelvic-tilt" else exercise.order
        if exercise.is_active:
            data[f"form-{index}-is_active"] = "on"

    response = admin_client.post(reverse("admin:exercises_exercise_changelist"), data)

    assert response.status_code == 302
    assert list(Exercise.objects.values_list("slug", flat=True))[-1] == "pelvic-tilt"


def test_retiring_an_exercise_records_when(admin_client, bird_dog):
    edit(admin_client, bird_dog, is_active=False)

    bird_dog.refresh_from_db()
    assert not bird_dog.is_active
    assert bird_dog.retired_at is not None

    edit(admin_client, bird_dog, is_active=True)
    bird_dog.refresh_from_db()
    assert bird_dog.retired_at is None


def test_deleting_an_exercise_in_use_is_refused_with_the_reason(admin_client, session, bird_dog):
    url = reverse("admin:exercises_exercise_delete", args=[bird_dog.pk])

    page = admin_client.get(url)
    response = admin_client.post(url, {"post": "yes"})

    html = page.content.decode()
    assert "Bird-dog is used by 1 programme exercise and 1 session entry." in html
    assert "Retire it instead" in html
    assert "Pat" not in html  # the patients themselves are not listed
    assert response.status_code == 200
    assert Exercise.objects.filter(pk=bird_dog.pk).exists()


def test_deleting_several_at_once_refuses_the_ones_in_use(admin_client, session, bird_dog):
    unused = Exercise.objects.create(
        order=20, name="Spare", slug="spare", summary="x", instructions="One step."
    )
    data = {"action": "delete_selected", "_selected_action": [bird_dog.pk, unused.pk]}

    page = admin_client.post(reverse("admin:exercises_exercise_changelist"), data)
    admin_client.post(reverse("admin:exercises_exercise_changelist"), {**data, "post": "yes"})

    assert "Bird-dog is used by" in page.content.decode()
    assert Exercise.objects.filter(pk__in=[bird_dog.pk, unused.pk]).count() == 2


def test_an_exercise_nobody_uses_can_be_deleted(admin_client):
    spare = Exercise.objects.create(
        order=20, name="Spare", slug="spare", summary="x", instructions="One step."
    )

    response = admin_client.post(
        reverse("admin:exercises_exercise_delete", args=[spare.pk]), {"post": "yes"}
    )

    assert response.status_code == 302
    assert not Exercise.objects.filter(pk=spare.pk).exists()
    assert spare.history.first().history_type == "-"  # its history stays


def test_an_edit_does_not_rewrite_an_old_session(admin_client, patient, bird_dog):
    session, _ = Session.start(patient, pain_before=4)
    entry = session.entries.get(exercise=bird_dog)
    as_logged = entry.exercise_version
    original = bird_dog.instructions

    edit(admin_client, bird_dog, instructions="Completely new words.", reps=8, sets=2)

    entry.refresh_from_db()
    assert entry.exercise_version == as_logged
    assert entry.exercise_version.instructions == original
    assert (entry.sets, entry.reps) == (1, 5)
    next_session_entry = Session.start(patient, pain_before=4)[0].entries.get(exercise=bird_dog)
    assert next_session_entry.exercise_version == as_logged  # still the open session
    assert Programme.for_patient(patient).items().get(exercise=bird_dog).reps == 5


def test_the_session_links_to_the_instructions_as_they_were(
    checked_in, admin_client, patient, patient_client, bird_dog
):
    session, _ = Session.start(patient, pain_before=4)
    entry = session.entries.get(exercise=bird_dog)
    original_step = bird_dog.steps[0]
    edit(admin_client, bird_dog, instructions="Completely new words.")

    page = patient_client.get(session.get_absolute_url())
    assert entry.get_exercise_url() in page.content.decode()
    # The patient's page of it, and the library's version page a physio's table links to.
    for url in (entry.get_exercise_url(), entry.get_instructions_url()):
        html = patient_client.get(url).content.decode()
        assert original_step in html
        assert "Completely new words." not in html
        assert "It has been updated since" in html
        assert bird_dog.get_absolute_url() in html


def test_a_new_session_follows_the_latest_version(admin_client, patient, bird_dog):
    edit(admin_client, bird_dog, instructions="Completely new words.")

    session, _ = Session.start(patient, pain_before=4)

    entry = session.entries.get(exercise=bird_dog)
    assert entry.exercise_version == bird_dog.history.first()
    page = signed_in(patient).get(entry.get_instructions_url())
    assert "Completely new words." in page.content.decode()
    assert "It has been updated since" not in page.content.decode()


def test_an_unknown_version_is_404(patient_client):
    assert patient_client.get(reverse("exercises:version", args=[999999])).status_code == 404


def test_line_breaks_from_the_browser_do_not_count_as_changes(admin_client, bird_dog):
    as_sent = bird_dog.instructions.replace("opposite", "other").replace("\n", "\r\n")
    before = admin_client.get(history_url(bird_dog)).content.decode()
    struck_before = before.split('id="change-history"')[1].count("<del>")

    edit(admin_client, bird_dog, instructions=as_sent)

    bird_dog.refresh_from_db()
    assert "\r" not in bird_dog.instructions
    html = admin_client.get(history_url(bird_dog)).content.decode()
    changes = html.split('id="change-history"')[1]
    assert changes.count("<del>") == struck_before + 1
    assert "<del>opposite</del><ins>other</ins>" in changes
