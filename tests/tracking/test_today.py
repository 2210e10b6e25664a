import datetime as dt

import time_machine
from django.urls import reverse
from django.utils import timezone

from tests.conftest import same_queries, sql_of
from tracking.models import Session


def finish(session: Session, pain_after: int = 2, *, done: int = 1) -> None:
    """Finish the session with its first `done` exercises done."""
    for entry in session.entries.order_by("order")[:done]:
        entry.mark_done()
        entry.save()
    Session.objects.filter(pk=session.pk).update(finished_at=timezone.now(), pain_after=pain_after)


def test_today_invites_you_to_start_with_the_time_it_takes(patient_client):
    response = patient_client.get(reverse("tracking:today"))

    html = response.content.decode()
    assert response.status_code == 200
    assert reverse("tracking:start") in html
    assert "10 exercises, about 15 minutes" in html
    assert "Nothing logged yet today." in html


def test_today_offers_to_carry_on_with_an_open_session(patient_client, session):
    html = patient_client.get(reverse("tracking:today")).content.decode()

    assert "Session in progress" in html
    assert session.get_absolute_url() in html
    assert reverse("tracking:start") not in html


def test_an_open_session_with_an_exercise_done_is_not_called_nothing_logged(
    patient_client, session
):
    entry = session.entries.order_by("order")[0]
    entry.mark_done()
    entry.save()

    html = patient_client.get(reverse("tracking:today")).content.decode()

    assert "Nothing logged yet today." not in html
    assert "No session finished yet today." in html


def test_today_lists_sessions_finished_today_only(patient_client, patient):
    with time_machine.travel(timezone.now() - dt.timedelta(days=2)):
        old, _ = Session.start(patient, pain_before=8)
        finish(old)
    new, _ = Session.start(patient, pain_before=4)
    finish(new, pain_after=1)

    html = patient_client.get(reverse("tracking:today")).content.decode()

    assert new.get_absolute_url() in html
    assert "Pain 4 → 1" in html
    assert old.get_absolute_url() not in html
    assert "Do the routine again" in html


def test_a_session_finished_with_nothing_done_is_not_done_today(patient_client, patient):
    empty, _ = Session.start(patient, pain_before=4)
    finish(empty, done=0)

    html = patient_client.get(reverse("tracking:today")).content.decode()

    assert empty.get_absolute_url() not in html
    assert "Nothing logged yet today." not in html
    assert "No session done yet today: the one you finished had no exercises done." in html
    assert "Ready when you are" in html


def test_today_uses_the_same_queries_however_many_sessions(patient_client, patient):
    def visit() -> None:
        assert patient_client.get(reverse("tracking:today")).status_code == 200

    session, _ = Session.start(patient, pain_before=4)
    finish(session)
    one = sql_of(visit)
    for _ in range(5):
        session, _ = Session.start(patient, pain_before=4)
        finish(session)

    assert same_queries(one, sql_of(visit))


def test_today_offers_to_discard_an_unfinished_session(patient_client, session):
    html = patient_client.get(reverse("tracking:today")).content.decode()

    assert reverse("tracking:discard", args=[session.pk]) in html
