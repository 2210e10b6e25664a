"""The library changes under existing programmes: never silently, always the physio's decision."""

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from exercises.models import Exercise
from tests.conftest import programme_post, signed_in
from tracking.models import AlertKind, Programme, ProgrammeExercise, Session


@pytest.fixture
def programme(patient, assigned) -> Programme:
    return Programme.for_patient(patient)


@pytest.fixture
def bird_dog(db) -> Exercise:
    return Exercise.objects.get(slug="bird-dog")


def retire(exercise: Exercise) -> None:
    exercise.is_active = False
    exercise.save()


def patient_page(client, patient) -> str:
    return client.get(reverse("tracking:patient", args=[patient.pk])).content.decode()


def retired_alerts(client) -> list:
    rows = client.get(reverse("tracking:caseload")).context["rows"]
    return [alert for row in rows for alert in row.alerts if alert.kind == AlertKind.RETIRED]


def clam() -> Exercise:
    return Exercise.objects.create(
        order=11,
        name="Clam",
        slug="clam",
        summary="Strengthens the side of your hip.",
        instructions="Lie on your side.\nLift your top knee.\nLower it slowly.",
        sets=2,
        reps=12,
    )


def test_a_new_programme_has_the_active_exercises_only(patient, bird_dog):
    retire(bird_dog)
    new = clam()

    names = [item.exercise.name for item in Programme.for_patient(patient).items()]

    assert "Bird-dog" not in names
    assert names[-1] == "Clam"
    assert len(names) == 10
    assert Programme.for_patient(patient).items().get(exercise=new).reps == 12


def test_retiring_leaves_existing_programmes_alone_and_tells_the_physio(
    physio_client, patient, programme, bird_dog
):
    retire(bird_dog)

    assert programme.items().get(exercise=bird_dog).included
    session, _ = Session.start(patient, pain_before=3)
    assert session.entries.filter(exercise=bird_dog).exists()
    [alert] = retired_alerts(physio_client)
    assert alert.summary.startswith("Bird-dog was retired from the library on ")
    page = patient_page(physio_client, patient)
    assert "Keep it" in page
    assert "Leave it out" in page


def test_an_exercise_already_left_out_needs_no_decision(
    physio_client, patient, programme, bird_dog
):
    ProgrammeExercise.objects.filter(programme=programme, exercise=bird_dog).update(included=False)
    retire(bird_dog)

    assert retired_alerts(physio_client) == []


def test_keeping_a_retired_exercise_ends_the_alert_and_keeps_it(
    physio_client, patient, programme, bird_dog
):
    retire(bird_dog)
    [alert] = retired_alerts(physio_client)

    physio_client.post(
        reverse("tracking:acknowledge", args=[patient.pk]),
        {"kind": alert.kind, "key": alert.key, "note": "Still useful for her"},
    )

    assert retired_alerts(physio_client) == []
    assert programme.items().get(exercise=bird_dog).included
    page = patient_page(physio_client, patient)
    assert "Still useful for her" in page
    assert "Kept by Phil Io" in page


def test_a_later_retirement_asks_again(physio_client, physio, patient, programme, bird_dog):
    retire(bird_dog)
    [alert] = retired_alerts(physio_client)
    physio_client.post(
        reverse("tracking:acknowledge", args=[patient.pk]), {"kind": alert.kind, "key": alert.key}
    )
    bird_dog.is_active = True
    bird_dog.save()
    assert bird_dog.retired_at is None

    with time_machine.travel(dt.timedelta(hours=1)):
        retire(bird_dog)
        [again] = retired_alerts(signed_in(physio))  # the first sign-in has timed out

    assert again.key != alert.key


def test_leaving_a_retired_exercise_out_makes_a_version(
    physio_client, physio, patient, programme, bird_dog
):
    retire(bird_dog)

    response = physio_client.post(
        reverse("tracking:leave-out", args=[patient.pk]), {"exercise": bird_dog.pk}, follow=True
    )

    assert "Bird-dog left out: saved as version 2" in response.content.decode()
    programme.refresh_from_db()
    assert programme.version == 2
    latest = programme.versions.first()
    assert latest.changes == ["Bird-dog: left out for now"]
    assert latest.created_by == physio
    assert retired_alerts(physio_client) == []
    session, _ = Session.start(patient, pain_before=3)
    assert not session.entries.filter(exercise=bird_dog).exists()


def test_leaving_out_twice_changes_nothing_more(physio_client, patient, programme, bird_dog):
    url = reverse("tracking:leave-out", args=[patient.pk])
    physio_client.post(url, {"exercise": bird_dog.pk})

    response = physio_client.post(url, {"exercise": bird_dog.pk}, follow=True)

    assert "Bird-dog was already left out." in response.content.decode()
    programme.refresh_from_db()
    assert programme.version == 2


def test_the_last_exercise_is_never_left_out(physio_client, patient, programme, bird_dog):
    ProgrammeExercise.objects.filter(programme=programme).exclude(exercise=bird_dog).update(
        included=False
    )

    response = physio_client.post(
        reverse("tracking:leave-out", args=[patient.pk]), {"exercise": bird_dog.pk}, follow=True
    )

    assert "Bird-dog is the only exercise left in the programme" in response.content.decode()
    assert programme.items().get(exercise=bird_dog).included


@pytest.mark.parametrize("posted", [{}, {"exercise": "x"}, {"exercise": "999999"}])
def test_leaving_out_something_not_in_the_programme_says_so(
    physio_client, patient, programme, posted
):
    response = physio_client.post(
        reverse("tracking:leave-out", args=[patient.pk]), posted, follow=True
    )

    assert response.status_code == 200
    assert "That exercise is not in the programme." in response.content.decode()
    programme.refresh_from_db()
    assert programme.version == 1


def test_only_the_patients_own_physio_leaves_an_exercise_out(
    request, patient, programme, bird_dog, other_physio
):
    url = reverse("tracking:leave-out", args=[patient.pk])
    for who, status in [("other_physio", 404), ("patient", 403), ("staff_admin", 403)]:
        response = signed_in(request.getfixturevalue(who)).post(url, {"exercise": bird_dog.pk})
        assert response.status_code == status, who
    assert signed_in(None).post(url, {"exercise": bird_dog.pk}).status_code == 302
    assert programme.items().get(exercise=bird_dog).included


def test_the_physio_adds_a_new_library_exercise_to_a_programme(
    checked_in, physio_client, patient, programme
):
    new = clam()
    url = reverse("tracking:programme-edit", args=[patient.pk])
    page = physio_client.get(url).content.decode()
    assert "Clam: 2 sets of 12" in page

    response = physio_client.post(url, {**programme_post(programme), "add": [new.pk]})

    assert response.status_code == 302
    programme.refresh_from_db()
    item = programme.items().last()
    assert (item.exercise, item.order, item.sets, item.reps) == (new, 11, 2, 12)
    assert programme.versions.first().changes == ["Clam: added"]
    assert "Clam" not in physio_client.get(url).context["form"].fields["add"].queryset.values_list(
        "name", flat=True
    )
    session, _ = Session.start(patient, pain_before=3)
    assert session.entries.filter(exercise=new).exists()


def test_adding_an_exercise_retired_meanwhile_is_refused_and_keeps_the_typing(
    physio_client, patient, programme
):
    new = clam()
    retire(new)
    posted = programme_post(programme, {"Glute bridge": {"reps": 14}})

    response = physio_client.post(
        reverse("tracking:programme-edit", args=[patient.pk]), {**posted, "add": [new.pk]}
    )

    assert response.status_code == 200
    html = response.content.decode()
    assert "has just been retired from the library" in html
    bridge = programme.items().get(exercise__slug="glute-bridge")
    form = dict(response.context["rows"])[bridge]
    assert form["reps"].value() == "14"
    programme.refresh_from_db()
    assert programme.version == 1


def test_the_editor_marks_a_retired_exercise(physio_client, patient, programme, bird_dog):
    retire(bird_dog)

    page = physio_client.get(reverse("tracking:programme-edit", args=[patient.pk]))

    assert "Retired from the library" in page.content.decode()


def test_an_exercise_loaded_without_history_gets_a_version_when_a_session_starts(patient):
    new = clam()
    new.history.all().delete()  # as a bulk load or a fixture would leave it

    session, _ = Session.start(patient, pain_before=3)

    entry = session.entries.get(exercise=new)
    assert entry.exercise_version == new.history.get()


@pytest.mark.parametrize("value", ["²", "9223372036854775808", "-1", "x"])
def test_an_id_that_cannot_be_one_is_refused_as_a_choice(physio_client, patient, programme, value):
    url = reverse("tracking:programme-edit", args=[patient.pk])

    response = physio_client.post(url, programme_post(programme, add=value))

    assert response.status_code == 200  # the form again, with the reason
    assert "Choose exercises from the list." in response.content.decode()
    assert programme.versions.count() == 1
