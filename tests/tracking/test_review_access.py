"""Who may reach the physio's pages: the whole role grid, for every new URL.

Someone who may not see a patient gets 404, as if the patient did not exist;
a role too low gets 403; anonymous people are sent to sign in. Denied requests
change nothing.
"""

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import Assignment
from tests.conftest import finished_session, programme_post, signed_in
from tracking.models import AlertAcknowledgement, Comment, Programme, ProgrammeVersion

ACTORS = ["anonymous", "patient", "other_patient", "physio", "other_physio", "staff_admin"]
# What each actor gets from a page about `patient`, who is in `physio`'s care.
EXPECTED = {
    "anonymous": "login",
    "patient": 403,
    "other_patient": 403,
    "physio": "allowed",
    "other_physio": 404,
    "staff_admin": 403,
}


def _client(request, who: str) -> Client:
    return signed_in(None if who == "anonymous" else request.getfixturevalue(who))


@pytest.fixture
def record(patient, assigned):
    """A session with a rising pain (an open alert) and a programme."""
    session = finished_session(patient, days_ago=1, pain_before=3, pain_after=6)
    programme = Programme.for_patient(patient)
    item = programme.items().first()
    return {"session": session, "programme": programme, "item": item}


def _requests(patient, record) -> list[tuple[str, str, dict]]:
    session = record["session"]
    programme = record["programme"]
    programme_data = programme_post(programme, {record["item"].exercise.name: {"reps": 12}})
    return [
        ("get", reverse("tracking:patient", args=[patient.pk]), {}),
        ("get", reverse("tracking:patient-session", args=[patient.pk, session.pk]), {}),
        ("get", reverse("tracking:programme-edit", args=[patient.pk]), {}),
        ("post", reverse("tracking:programme-edit", args=[patient.pk]), programme_data),
        ("post", reverse("tracking:comment", args=[patient.pk]), {"body": "Well done"}),
        (
            "post",
            reverse("tracking:session-comment", args=[patient.pk, session.pk]),
            {"body": "Easy does it"},
        ),
        (
            "post",
            reverse("tracking:acknowledge", args=[patient.pk]),
            {"kind": "pain_rose", "key": str(session.pk), "note": "Called"},
        ),
    ]


def _state() -> tuple:
    return (
        list(Comment.objects.values_list("pk", "body")),
        list(AlertAcknowledgement.objects.values_list("pk", "key")),
        list(ProgrammeVersion.objects.values_list("pk", "number")),
        list(Programme.objects.values_list("pk", "version", "target_per_week")),
    )


@pytest.mark.parametrize("who", ACTORS)
def test_every_physio_page_about_a_patient_answers_each_role_as_it_should(
    request, who, patient, record, other_patient, physio, other_physio, staff_admin
):
    client = _client(request, who)
    expected = EXPECTED[who]

    for method, url, data in _requests(patient, record):
        before = _state()
        response = getattr(client, method)(url, data)

        if expected == "login":
            assert response.status_code == 302, url
            assert response.url.startswith(reverse("login")), url
        elif expected == "allowed":
            assert response.status_code in (200, 302), url
            if response.status_code == 302:
                assert not response.url.startswith(reverse("login")), url
        else:
            assert response.status_code == expected, (method, url)
        if expected != "allowed":
            assert _state() == before, f"a denied {method} to {url} changed something"


def test_the_assigned_physio_really_did_change_things(physio_client, patient, record):
    for method, url, data in _requests(patient, record):
        getattr(physio_client, method)(url, data)

    assert Comment.objects.filter(patient=patient).count() == 2
    assert AlertAcknowledgement.objects.filter(patient=patient).count() == 1
    assert Programme.objects.get(patient=patient).version == 2


@pytest.mark.parametrize("who", ACTORS)
def test_the_caseload_is_for_physios_only(request, who, patient, assigned, other_physio):
    response = _client(request, who).get(reverse("tracking:caseload"))

    if who == "anonymous":
        assert response["Location"].startswith(reverse("login"))
    elif who in ("physio", "other_physio"):
        assert response.status_code == 200
        names = [row.patient for row in response.context["rows"]]
        assert names == ([patient] if who == "physio" else [])
    else:
        assert response.status_code == 403


def test_a_session_of_another_patient_is_not_found_under_this_patient(
    physio_client, patient, other_patient, assigned, physio
):
    Assignment.objects.create(patient=other_patient, physio=physio)
    theirs = finished_session(other_patient, days_ago=1, pain_before=2, pain_after=2)

    response = physio_client.get(reverse("tracking:patient-session", args=[patient.pk, theirs.pk]))

    assert response.status_code == 404


def test_unassigning_takes_effect_on_the_next_request(physio_client, patient, assigned):
    url = reverse("tracking:patient", args=[patient.pk])
    assert physio_client.get(url).status_code == 200

    assigned.delete()

    assert physio_client.get(url).status_code == 404
    assert physio_client.get(reverse("tracking:caseload")).context["rows"] == []


def test_a_deactivated_patient_leaves_the_caseload(physio_client, patient, assigned):
    patient.is_active = False
    patient.save()

    assert physio_client.get(reverse("tracking:patient", args=[patient.pk])).status_code == 404


def test_a_physio_who_loses_the_role_loses_access(physio_client, physio, patient, assigned):
    physio.groups.clear()

    assert physio_client.get(reverse("tracking:patient", args=[patient.pk])).status_code == 403


def test_a_patient_has_no_way_to_change_or_delete_a_comment(patient_client, patient, physio):
    comment = Comment.objects.create(patient=patient, author=physio, body="Keep going")

    # The only comment URLs are the physio's; a patient posting there is refused.
    response = patient_client.post(
        reverse("tracking:comment", args=[patient.pk]), {"body": "Edited"}
    )

    assert response.status_code == 403
    comment.refresh_from_db()
    assert comment.body == "Keep going"
    assert Comment.objects.count() == 1
