"""A physio shares a patient's care with a colleague, or hands it over, in the app."""

from functools import partial

import pytest
from django.urls import reverse

from accounts.models import Assignment, Role, User
from tests.conftest import signed_in
from tests.parallel import at_once, postgresql_only


def share(client, patient, physio_id):
    return client.post(
        reverse("tracking:share-care", args=[patient.pk]), {"physio": physio_id}, follow=True
    )


def leave(client, patient):
    return client.post(reverse("tracking:leave-care", args=[patient.pk]), follow=True)


def test_the_patient_page_shows_the_care_team(physio_client, patient, assigned, other_physio):
    page = physio_client.get(reverse("tracking:patient", args=[patient.pk])).content.decode()

    assert "Phil Io (you)" in page
    assert "Share their care with a colleague" in page
    assert "Phoebe Ray" in page  # offered


def test_sharing_care_lets_the_colleague_see_the_patient(
    physio_client, patient, assigned, other_physio
):
    response = share(physio_client, patient, other_physio.pk)

    assert "Phoebe Ray now also looks after Pat Lee." in response.content.decode()
    assert patient in User.objects.patients_of(other_physio)
    colleague = signed_in(other_physio)
    assert colleague.get(reverse("tracking:patient", args=[patient.pk])).status_code == 200


@pytest.mark.parametrize("choice", ["", "x", "999999", "PATIENT", "SELF"])
def test_only_another_physio_can_be_added(
    physio_client, physio, patient, other_patient, assigned, choice
):
    physio_id = {"PATIENT": other_patient.pk, "SELF": physio.pk}.get(choice, choice)

    response = share(physio_client, patient, physio_id)

    assert response.status_code == 200
    html = response.content.decode()
    assert "Choose the colleague" in html or "That colleague cannot be added" in html
    assert list(patient.physios.all()) == [physio]


def test_leaving_needs_a_colleague_still_looking_after_them(
    physio_client, physio, patient, assigned, other_physio
):
    refused = leave(physio_client, patient)
    assert "You are the only physiotherapist looking after Pat Lee" in refused.content.decode()
    assert list(patient.physios.all()) == [physio]

    Assignment.objects.create(patient=patient, physio=other_physio)
    response = leave(physio_client, patient)

    assert "Pat Lee is no longer in your patient list." in response.content.decode()
    assert list(patient.physios.all()) == [other_physio]
    assert physio_client.get(reverse("tracking:patient", args=[patient.pk])).status_code == 404


def test_a_colleague_who_left_does_not_count(
    physio_client, physio, patient, assigned, other_physio
):
    Assignment.objects.create(patient=patient, physio=other_physio)
    other_physio.is_active = False
    other_physio.save()

    leave(physio_client, patient)

    assert physio in patient.physios.all()


@pytest.mark.parametrize(
    ("who", "status"), [("other_physio", 404), ("patient", 403), ("staff_admin", 403)]
)
def test_only_the_patients_own_physio_changes_their_care_team(
    request, patient, assigned, make_user, who, status
):
    stranger = make_user("sue")
    client = signed_in(request.getfixturevalue(who))

    for url in (
        reverse("tracking:share-care", args=[patient.pk]),
        reverse("tracking:leave-care", args=[patient.pk]),
    ):
        assert client.post(url, {"physio": stranger.pk}).status_code == status
    assert Assignment.objects.count() == 1


def test_a_colleague_who_is_no_longer_a_physio_does_not_count(
    physio_client, physio, patient, assigned, other_physio
):
    Assignment.objects.create(patient=patient, physio=other_physio)
    other_physio.groups.clear()

    page = physio_client.get(reverse("tracking:patient", args=[patient.pk])).content.decode()
    leave(physio_client, patient)

    assert "Phoebe Ray" not in page.split('id="care-title"')[1].split("</ul>")[0]
    assert physio in patient.physios.all()


def test_of_two_physios_leaving_one_after_the_other_the_second_stays(
    physio_client, physio, patient, assigned, other_physio
):
    Assignment.objects.create(patient=patient, physio=other_physio)

    leave(physio_client, patient)
    refused = leave(signed_in(other_physio), patient)

    assert "You are the only physiotherapist looking after" in refused.content.decode()
    assert list(patient.physios.all()) == [other_physio]


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_two_physios_leaving_at_once_never_leave_a_patient_with_nobody(migrated_data, make_user):
    """Several patients, each with two physios who both leave at the same moment."""
    leaving = []
    patients = []
    for number in range(8):
        patient = make_user(f"pat{number}", Role.PATIENT)
        patients.append(patient)
        for side in "ab":
            physio = make_user(f"phil{number}{side}", Role.PHYSIO)
            Assignment.objects.create(patient=patient, physio=physio)
            leaving.append((signed_in(physio), patient))

    at_once([partial(c.post, reverse("tracking:leave-care", args=[p.pk])) for c, p in leaving])

    assert [Assignment.objects.filter(patient=p).count() for p in patients] == [1] * 8
