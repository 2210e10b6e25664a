"""Physios comment on a session or the programme; patients see them, marked new until seen."""

import datetime as dt
from functools import partial

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import Assignment, Role
from audit.models import Action, AuditEvent, Target
from tests.conftest import finished_session, same_queries, signed_in, sql_of
from tests.parallel import at_once, postgresql_only
from tracking.models import Comment, Programme, Session


def test_a_comment_on_the_programme_shows_on_today_marked_new_until_seen(
    physio_client, patient_client, patient, physio, assigned
):
    response = physio_client.post(
        reverse("tracking:comment", args=[patient.pk]), {"body": "Great week!\r\nKeep going."}
    )
    assert response.status_code == 302
    comment = Comment.objects.get()
    assert (comment.patient, comment.author, comment.session) == (patient, physio, None)
    assert comment.body == "Great week!\nKeep going."

    first = patient_client.get(reverse("tracking:today")).content.decode()
    second = patient_client.get(reverse("tracking:today")).content.decode()

    assert "Great week!<br>Keep going." in first
    assert 'class="badge badge--new">New' in first
    assert "Great week!" in second
    assert "badge--new" not in second
    comment.refresh_from_db()
    assert comment.read_at is not None


def test_a_comment_on_a_session_shows_on_that_session_and_on_today(
    physio_client, patient_client, patient, assigned
):
    session = finished_session(patient, 1, pain_before=5, pain_after=4)

    physio_client.post(
        reverse("tracking:session-comment", args=[patient.pk, session.pk]),
        {"body": "Nice work on the bridges"},
    )
    page = patient_client.get(session.get_absolute_url()).content.decode()

    assert Comment.objects.get().session == session
    assert "Nice work on the bridges" in page
    assert "badge--new" in page
    today = patient_client.get(reverse("tracking:today")).content.decode()
    assert "Nice work on the bridges" in today
    assert "badge--new" not in today  # already seen on the session page
    assert session.get_absolute_url() in today  # with a link to the session


def test_the_physio_sees_whether_the_patient_has_read_it(
    physio_client, patient_client, patient, assigned
):
    physio_client.post(reverse("tracking:comment", args=[patient.pk]), {"body": "Hello"})
    url = reverse("tracking:patient", args=[patient.pk])
    assert "not read yet" in physio_client.get(url).content.decode()

    patient_client.get(reverse("tracking:today"))

    assert "not read yet" not in physio_client.get(url).content.decode()
    assert "read " in physio_client.get(url).content.decode()


def test_an_unread_comment_stays_on_today_however_old(patient_client, patient, physio):
    Comment.objects.create(
        patient=patient,
        author=physio,
        body="From long ago",
        created_at=timezone.now() - dt.timedelta(days=60),
    )
    Comment.objects.create(
        patient=patient,
        author=physio,
        body="Old and read",
        created_at=timezone.now() - dt.timedelta(days=60),
        read_at=timezone.now() - dt.timedelta(days=59),
    )

    page = patient_client.get(reverse("tracking:today")).content.decode()

    assert "From long ago" in page
    assert "Old and read" not in page


def test_a_patient_never_sees_comments_for_someone_else(
    patient_client, other_patient, physio, patient
):
    Comment.objects.create(patient=other_patient, author=physio, body="For Olly only")

    page = patient_client.get(reverse("tracking:today")).content.decode()

    assert "For Olly only" not in page
    assert Comment.objects.get().read_at is None


def test_an_empty_comment_is_refused_with_a_message(physio_client, patient, assigned):
    response = physio_client.post(reverse("tracking:comment", args=[patient.pk]), {"body": "  "})

    assert response.status_code == 200
    assert "Write your comment first." in response.content.decode()
    assert not Comment.objects.exists()


def test_a_comment_too_long_is_refused_and_kept(physio_client, patient, assigned):
    session = finished_session(patient, 1, pain_before=5, pain_after=4)
    body = "word " * 401

    response = physio_client.post(
        reverse("tracking:session-comment", args=[patient.pk, session.pk]), {"body": body}
    )

    page = response.content.decode()
    assert "2000 characters or fewer" in page
    assert body.strip() in page
    assert not Comment.objects.exists()


def test_a_patient_can_ask_their_physio_to_look_when_finishing(patient_client, session):
    response = patient_client.post(
        reverse("tracking:finish", args=[session.pk]),
        {"pain_after": 4, "notes": "Twinge in the hip", "flagged": "on"},
    )

    assert response.status_code == 302
    session.refresh_from_db()
    assert session.flagged
    assert session.notes == "Twinge in the hip"


def test_finishing_without_asking_leaves_the_session_unflagged(patient_client, session):
    patient_client.post(reverse("tracking:finish", args=[session.pk]), {"pain_after": 4})

    assert not Session.objects.get(pk=session.pk).flagged


def test_the_patient_page_shows_the_timeline_with_each_exercise(physio_client, patient, assigned):
    session, _ = Session.start(patient, pain_before=6)
    entry = session.entries.get(order=1)
    entry.mark_done()
    entry.save()
    Session.objects.filter(pk=session.pk).update(
        finished_at=timezone.now(), pain_after=8, notes="Sore after the bridges", flagged=True
    )

    page = physio_client.get(reverse("tracking:patient", args=[patient.pk])).content.decode()

    assert "Pain 6 → 8" in page
    assert "1 of 10 done" in page
    assert "Sore after the bridges" in page
    assert "Asked you to look" in page
    assert "Pelvic tilt" in page
    assert "As asked" in page
    assert "Not done" in page


def test_the_timeline_pages_with_htmx_as_a_fragment(physio_client, patient, assigned, htmx_headers):
    for days_ago in range(12):
        finished_session(patient, days_ago, pain_before=3, pain_after=3)
    url = reverse("tracking:patient", args=[patient.pk]) + "?page=2"

    full = physio_client.get(url).content.decode()
    fragment = physio_client.get(url, headers=htmx_headers).content.decode()

    assert "<html" in full
    assert "Page 2 of 2" in full
    assert "<html" not in fragment
    assert fragment.strip().startswith('<div id="timeline">')
    assert fragment.count('class="timeline-session') == 2


def test_the_patient_page_makes_the_same_queries_for_few_and_many_sessions(
    physio_client, patient, assigned
):
    url = reverse("tracking:patient", args=[patient.pk])
    Programme.for_patient(patient)
    finished_session(patient, 1, pain_before=3, pain_after=6)
    Comment.objects.create(patient=patient, body="Hi")
    few = sql_of(lambda: physio_client.get(url))
    for days_ago in range(2, 30):
        session = finished_session(patient, days_ago, pain_before=3, pain_after=3)
        Comment.objects.create(patient=patient, session=session, body="Hi")

    many = sql_of(lambda: physio_client.get(url))

    assert same_queries(few, many)


def test_every_unread_comment_shows_on_today_however_many(patient_client, patient, physio):
    for n in range(12):
        Comment.objects.create(patient=patient, author=physio, body=f"Message number {n}.")

    page = patient_client.get(reverse("tracking:today")).content.decode()

    assert page.count("badge--new") == 12
    assert not Comment.objects.unread().exists()


def test_a_comment_posted_twice_is_kept_once_and_the_second_post_says_so(
    physio_client, patient, assigned
):
    url = reverse("tracking:comment", args=[patient.pk])

    physio_client.post(url, {"body": "Well done this week"})
    again = physio_client.post(url, {"body": "Well done this week"}, follow=True)

    assert Comment.objects.count() == 1
    assert "That comment was already sent" in again.content.decode()


def test_a_session_comment_posted_twice_is_kept_once(physio_client, patient, assigned):
    session = finished_session(patient, 1, pain_before=5, pain_after=4)
    url = reverse("tracking:session-comment", args=[patient.pk, session.pk])

    for _ in range(3):
        physio_client.post(url, {"body": "Nice bridges"})

    assert Comment.objects.get().session == session


def test_the_same_words_again_later_or_elsewhere_are_new_comments(
    physio_client, patient, physio, assigned
):
    session = finished_session(patient, 1, pain_before=5, pain_after=4)
    earlier = timezone.now() - dt.timedelta(minutes=3)
    Comment.objects.create(patient=patient, author=physio, body="Keep going", created_at=earlier)

    physio_client.post(reverse("tracking:comment", args=[patient.pk]), {"body": "Keep going"})
    physio_client.post(
        reverse("tracking:session-comment", args=[patient.pk, session.pk]), {"body": "Keep going"}
    )
    physio_client.post(reverse("tracking:comment", args=[patient.pk]), {"body": "Keep going!"})

    assert Comment.objects.count() == 4


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_twenty_identical_comments_posted_at_once_are_kept_once(migrated_data, make_user):
    patient = make_user("pat", Role.PATIENT)
    physio = make_user("phil", Role.PHYSIO)
    Assignment.objects.create(patient=patient, physio=physio)
    clients = [signed_in(physio) for _ in range(20)]
    url = reverse("tracking:comment", args=[patient.pk])

    answers = at_once([partial(c.post, url, {"body": "Well done"}) for c in clients])

    assert [answer.status_code for answer in answers] == [302] * 20
    assert Comment.objects.count() == 1
    creates = AuditEvent.objects.filter(action=Action.CREATE, target_type=Target.COMMENT)
    assert creates.count() == 1
