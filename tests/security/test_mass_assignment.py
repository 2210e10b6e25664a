"""Posting fields a form does not have changes nothing: no owner, physio, staff flag
or someone else's session can be slipped in."""

from django.urls import reverse

from accounts.models import Invitation, User
from tests.conftest import signed_in
from tracking.models import Comment, Session

EXTRA = {
    "patient": "",
    "patient_id": "",
    "owner": "",
    "user": "",
    "author": "",
    "physio": "",
    "invited_by": "",
    "session": "",
    "session_id": "",
    "is_staff": "on",
    "is_superuser": "on",
    "groups": "",
    "finished_at": "2020-01-01T00:00:00Z",
    "flagged": "",
    "prescribed_sets": "99",
    "sets": "99",
    "exercise": "",
    "exercise_version": "",
}


def extra(**ids) -> dict:
    return {**EXTRA, **{key: str(value) for key, value in ids.items()}}


def test_a_patient_cannot_start_a_session_for_someone_else(checked_in, patient, other_patient):
    client = signed_in(patient)

    client.post(
        reverse("tracking:start"),
        {"pain_before": "3", **extra(patient=other_patient.pk, patient_id=other_patient.pk)},
    )

    assert Session.objects.get().patient == patient
    assert not Session.objects.filter(patient=other_patient).exists()
    patient.refresh_from_db()
    assert (patient.is_staff, patient.is_superuser) == (False, False)


def test_an_entry_keeps_its_session_and_its_prescription(
    checked_in, patient, session, other_session
):
    entry = session.entries.order_by("order").first()
    prescribed = (entry.sets, entry.exercise_id, entry.exercise_version_id)

    signed_in(patient).post(
        reverse("tracking:entry", args=[session.pk, entry.pk]),
        {
            "status": "done",
            "sets_done": "1",
            "reps_done": "5",
            **extra(session=other_session.pk, session_id=other_session.pk),
        },
    )

    entry.refresh_from_db()
    assert entry.session_id == session.pk
    assert (entry.sets, entry.exercise_id, entry.exercise_version_id) == prescribed
    assert entry.status == "done"
    assert not other_session.entries.filter(status="done").exists()


def test_finishing_a_session_keeps_its_owner_and_time(patient, other_patient, session):
    signed_in(patient).post(
        reverse("tracking:finish", args=[session.pk]),
        {"pain_after": "2", **extra(patient=other_patient.pk)},
    )

    session.refresh_from_db()
    assert session.patient == patient
    assert session.finished_at.year != 2020


def test_a_comment_is_always_the_physios_own_about_the_patient_in_the_address(
    physio, other_physio, patient, other_patient, assigned, session
):
    signed_in(physio).post(
        reverse("tracking:comment", args=[patient.pk]),
        {"body": "Keep going", **extra(author=other_physio.pk, patient=other_patient.pk)},
    )

    comment = Comment.objects.get()
    assert (comment.author, comment.patient) == (physio, patient)


def test_an_invitation_is_always_from_the_physio_who_sent_it(physio, other_physio):
    signed_in(physio).post(
        reverse("accounts:invitations"),
        {"email": "new@example.com", **extra(invited_by=other_physio.pk)},
    )

    assert Invitation.objects.get().invited_by == physio


def test_accepting_an_invitation_makes_a_patient_never_staff(physio):
    invitation = Invitation(email="new@example.com", invited_by=physio)
    token = invitation.new_token()
    invitation.save()

    signed_in(None).post(
        reverse("accounts:accept", args=[token]),
        {
            "username": "newbie",
            "first_name": "New",
            "last_name": "Person",
            "password1": "a-good-long-secret",
            "password2": "a-good-long-secret",
            **extra(groups="1"),
        },
    )

    newbie = User.objects.get(username="newbie")
    assert (newbie.is_patient, newbie.is_physio) == (True, False)
    assert (newbie.is_staff, newbie.is_superuser) == (False, False)


def test_changing_a_password_changes_nothing_else(patient):
    signed_in(patient).post(
        reverse("password_change"),
        {
            "old_password": "correct-horse-battery",
            "new_password1": "a-good-long-secret",
            "new_password2": "a-good-long-secret",
            **EXTRA,
        },
    )

    patient.refresh_from_db()
    assert patient.check_password("a-good-long-secret")
    assert (patient.is_staff, patient.is_superuser) == (False, False)


def test_a_patient_can_neither_edit_a_programme_nor_a_physios_comment(
    patient, physio, assigned, session
):
    comment = Comment.objects.create(patient=patient, author=physio, body="As written")
    client = signed_in(patient)

    programme = client.post(
        reverse("tracking:programme-edit", args=[patient.pk]), {"target_per_week": "1"}
    )
    on_comment = client.post(
        reverse("tracking:comment", args=[patient.pk]), {"body": "Rewritten", "id": comment.pk}
    )

    assert (programme.status_code, on_comment.status_code) == (403, 403)
    comment.refresh_from_db()
    assert comment.body == "As written"
    assert Comment.objects.count() == 1
    assert patient.programme.version == 1
