"""An exercise's page, reached from the patient's own pages, shows their own dose.

The library page shows the usual dose, labelled as such; Today, the programme,
a session and follow-along link to pages with the dose and the physio's note
that the patient was given.
"""

import pytest
from django.urls import reverse

from exercises.models import Exercise
from tests.conftest import check_in, signed_in
from tracking.models import Programme, ProgrammeExercise, Session, SessionEntry

NOTE = "Squeeze your buttocks before you lift."


@pytest.fixture
def bridge_at_12(patient) -> ProgrammeExercise:
    """The physio's dose for the glute bridge: 12 times (the library's is 10), with a note."""
    programme = Programme.for_patient(patient)
    item = programme.exercises.get(exercise__slug="glute-bridge")
    item.reps = 12
    item.note = NOTE
    item.save()
    return item


def bridge_entry(session: Session) -> SessionEntry:
    return session.entries.get(exercise__slug="glute-bridge")


def test_the_library_page_shows_the_usual_dose_and_leads_to_the_patients_own(
    patient_client, bridge_at_12
):
    html = patient_client.get(reverse("exercises:detail", args=["glute-bridge"])).content.decode()

    assert "<strong>Usual dose:</strong> 10 times" in html
    assert NOTE not in html
    own = reverse("tracking:programme-exercise", args=["glute-bridge"])
    assert f'<strong>Your dose:</strong> <a href="{own}">12 times</a>' in html


def test_the_library_page_of_an_exercise_left_out_offers_no_dose_of_the_patients(
    patient_client, bridge_at_12
):
    bridge_at_12.included = False
    bridge_at_12.save()

    html = patient_client.get(reverse("exercises:detail", args=["glute-bridge"])).content.decode()

    assert "<strong>Usual dose:</strong> 10 times" in html
    assert "Your dose" not in html
    assert reverse("tracking:programme-exercise", args=["glute-bridge"]) not in html


def test_the_library_list_shows_a_patient_their_own_dose_and_leads_to_its_page(
    patient_client, patient, bridge_at_12
):
    Programme.for_patient(patient).exercises.filter(exercise__slug="back-curl").update(
        included=False
    )

    html = patient_client.get(reverse("exercises:routine")).content.decode()

    own = reverse("tracking:programme-exercise", args=["glute-bridge"])
    assert f'<a href="{own}">Glute bridge</a>' in html
    assert "<strong>Your dose:</strong> 12 times" in html
    assert "10 times</p>" not in html.split("Glute bridge", 1)[1].split("Dead bug", 1)[0]
    # Left out of their programme: the library's page, at its usual dose, said so.
    back_curl = html.split("Back curl", 1)[1].split("Bird-dog", 1)[0]
    assert "<strong>Usual dose:</strong> 5 each side" in back_curl
    assert "not in your programme" in back_curl
    assert f'<a href="{reverse("exercises:detail", args=["back-curl"])}">Back curl</a>' in html


def test_a_physio_reading_the_library_list_sees_the_usual_doses_labelled(physio):
    html = signed_in(physio, verified=True).get(reverse("exercises:routine")).content.decode()

    assert "<strong>Usual dose:</strong> 10 times" in html
    assert "Your dose" not in html
    assert "programme" not in html
    bridge = reverse("exercises:detail", args=["glute-bridge"])
    assert f'<a href="{bridge}">Glute bridge</a>' in html


def test_the_library_list_makes_one_query_more_for_a_patient_whatever_their_programme(
    patient_client, patient, physio, bridge_at_12, django_assert_num_queries
):
    # The sign-in (session, user, groups), the exercises, and the patient's own doses.
    with django_assert_num_queries(5):
        patient_client.get(reverse("exercises:routine"))
    Programme.for_patient(patient).exercises.filter(exercise__slug="dead-bug").update(
        included=False
    )
    with django_assert_num_queries(5):
        patient_client.get(reverse("exercises:routine"))
    # A physio's sign-in reads their two-step device too; they have no doses to look up.
    physio_client = signed_in(physio, verified=True)
    with django_assert_num_queries(5):  # session, user, device, groups, exercises
        physio_client.get(reverse("exercises:routine"))


def test_a_physio_reading_the_library_is_not_sent_to_a_programme(physio):
    html = signed_in(physio, verified=True).get(reverse("exercises:detail", args=["glute-bridge"]))

    assert "<strong>Usual dose:</strong> 10 times" in html.content.decode()
    assert "Your dose" not in html.content.decode()


@pytest.mark.parametrize("page", ["tracking:today", "tracking:programme"])
def test_today_and_the_programme_link_to_the_patients_own_dose(patient_client, bridge_at_12, page):
    url = reverse("tracking:programme-exercise", args=["glute-bridge"])
    listing = patient_client.get(reverse(page)).content.decode()
    assert f'<a href="{url}">Glute bridge</a>' in listing
    assert reverse("exercises:detail", args=["glute-bridge"]) not in listing

    html = patient_client.get(url).content.decode()

    assert "<strong>Your dose:</strong> 12 times" in html
    assert f"Your physio says: {NOTE}" in html
    assert "10 times" not in html
    bridge = Exercise.objects.get(slug="glute-bridge")
    assert bridge.start_position in html  # the library's words, all the same


def test_an_exercise_not_in_the_programme_opens_the_library_page(patient_client, patient):
    programme = Programme.for_patient(patient)
    programme.exercises.filter(exercise__slug="back-curl").update(included=False)

    response = patient_client.get(reverse("tracking:programme-exercise", args=["back-curl"]))

    assert response.status_code == 302
    assert response.url == reverse("exercises:detail", args=["back-curl"])


def test_an_unknown_exercise_ends_on_the_librarys_404(patient_client):
    response = patient_client.get(
        reverse("tracking:programme-exercise", args=["handstand"]), follow=True
    )

    assert response.status_code == 404


def test_the_session_and_follow_along_link_to_the_dose_the_session_gave(
    patient_client, patient, bridge_at_12
):
    check_in(patient)
    session, _ = Session.start(patient, pain_before=3)
    entry = bridge_entry(session)
    # The physio changes the dose meanwhile: the session keeps what it asked for.
    ProgrammeExercise.objects.filter(pk=bridge_at_12.pk).update(reps=15, note="Go higher.")
    url = reverse("tracking:entry-exercise", args=[session.pk, entry.pk])

    listing = patient_client.get(session.get_absolute_url()).content.decode()
    guided = patient_client.get(
        reverse("tracking:guided-step", args=[session.pk, entry.pk])
    ).content.decode()
    html = patient_client.get(url).content.decode()

    assert f'<a href="{url}">Glute bridge</a>' in listing
    assert f'<a href="{url}">More about Glute bridge' in guided
    assert "<strong>Your dose:</strong> 12 times" in html
    assert f"Your physio says: {NOTE}" in html
    assert "10 times" not in html
    assert "15 times" not in html
    assert f'href="{session.get_absolute_url()}#entry-{entry.pk}">Back to your session' in html


def test_the_session_exercise_page_keeps_the_words_of_its_time(patient_client, patient):
    session, _ = Session.start(patient, pain_before=3)
    entry = bridge_entry(session)
    bridge = Exercise.objects.get(slug="glute-bridge")
    before = bridge.start_position
    bridge.start_position = "Lie on your back, knees bent, feet flat."
    bridge.save()

    html = patient_client.get(
        reverse("tracking:entry-exercise", args=[session.pk, entry.pk])
    ).content.decode()

    assert before in html
    assert "It has been updated since" in html


def test_nobody_else_sees_a_patients_session_exercise(other_patient, session, physio, assigned):
    entry = bridge_entry(session)
    url = reverse("tracking:entry-exercise", args=[session.pk, entry.pk])

    assert signed_in(other_patient).get(url).status_code == 404
    assert signed_in(physio, verified=True).get(url).status_code in (403, 404)


def test_the_pages_make_a_fixed_number_of_queries(
    patient_client, patient, bridge_at_12, django_assert_num_queries
):
    session, _ = Session.start(patient, pain_before=3)
    entry = bridge_entry(session)

    # The sign-in (session, user, groups), then the programme's exercise.
    with django_assert_num_queries(4):
        patient_client.get(reverse("tracking:programme-exercise", args=["glute-bridge"]))
    # The sign-in, the entry, the version it followed, the latest version, the exercise now.
    with django_assert_num_queries(7):
        patient_client.get(reverse("tracking:entry-exercise", args=[session.pk, entry.pk]))
