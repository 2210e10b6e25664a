"""Logging is limited per person: past LOG_RATE_LIMIT a clear 429, and nothing saved."""

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from tracking.models import Session

from ..conftest import signed_in


@pytest.fixture(autouse=True)
def _five_a_minute(settings):
    settings.LOG_RATE_LIMIT = "5/m"


@pytest.fixture(autouse=True)
def _still_clock():
    """The limit counts in fixed one-minute windows: a test must not straddle two."""
    with time_machine.travel(dt.datetime.now(tz=dt.UTC), tick=False):
        yield


def done_url(session, entry) -> str:
    return reverse("tracking:entry-done", args=[session.pk, entry.pk])


def test_past_the_limit_a_log_is_refused_with_429_and_not_saved(patient_client, session):
    entries = list(session.entries.order_by("order"))
    for entry in entries[:5]:
        assert patient_client.post(done_url(session, entry)).status_code == 302

    response = patient_client.post(done_url(session, entries[5]))

    assert response.status_code == 429
    assert response["Retry-After"] == "60"
    assert "your last change was not saved.</strong> Wait a minute" in response.content.decode()
    entries[5].refresh_from_db()
    assert entries[5].status == "todo"


def test_an_htmx_request_past_the_limit_shows_the_message_in_the_page(
    patient_client, session, htmx_headers
):
    entries = list(session.entries.order_by("order"))
    for entry in entries[:5]:
        patient_client.post(done_url(session, entry), headers=htmx_headers)

    response = patient_client.post(done_url(session, entries[5]), headers=htmx_headers)

    assert response.status_code == 429
    assert response["HX-Retarget"] == "#notices"
    page = response.content.decode()
    assert 'role="alert"' in page
    assert "<html" not in page


def test_the_limit_is_per_person(patient_client, session, other_patient, other_session):
    for entry in list(session.entries.all())[:6]:
        patient_client.post(done_url(session, entry))

    other = signed_in(other_patient)
    entry = other_session.entries.first()

    assert other.post(done_url(other_session, entry)).status_code == 302


def test_every_logging_step_counts_and_reading_does_not(checked_in, patient_client, patient):
    for _ in range(10):
        assert patient_client.get(reverse("tracking:today")).status_code == 200
    assert patient_client.post(reverse("tracking:start"), {"pain_before": "4"}).status_code == 302
    session = Session.objects.get(patient=patient)
    entry = session.entries.get(order=1)
    patient_client.post(reverse("tracking:entry-skip", args=[session.pk, entry.pk]))
    patient_client.post(
        reverse("tracking:entry", args=[session.pk, entry.pk]), {"status": "done", "sets_done": 1}
    )
    patient_client.post(done_url(session, entry))
    patient_client.post(reverse("tracking:finish", args=[session.pk]), {"pain_after": "x"})

    response = patient_client.post(reverse("tracking:finish", args=[session.pk]), {"pain_after": 3})

    assert response.status_code == 429
    session.refresh_from_db()
    assert session.finished_at is None


def test_the_limit_lifts_after_a_minute(patient, session):
    entries = list(session.entries.order_by("order"))
    with time_machine.travel(dt.datetime(2026, 11, 21, 10, 0, 5, tzinfo=dt.UTC), tick=False) as t:
        client = signed_in(patient)
        for entry in entries[:5]:
            client.post(done_url(session, entry))
        assert client.post(done_url(session, entries[5])).status_code == 429

        t.shift(dt.timedelta(minutes=1))

        assert client.post(done_url(session, entries[5])).status_code == 302


def guided_url(session, entry) -> str:
    return reverse("tracking:guided-step", args=[session.pk, entry.pk])


def test_following_along_counts_against_the_same_limit(checked_in, patient_client, session):
    entries = list(session.entries.order_by("order"))
    for entry in entries[:3]:
        patient_client.post(done_url(session, entry))
    answers = [
        patient_client.post(guided_url(session, entry), {"outcome": "done"}).status_code
        for entry in entries[3:6]
    ]

    assert answers == [302, 302, 429]
    entries[5].refresh_from_db()
    assert entries[5].status == "todo"


def test_saying_it_hurt_while_following_along_is_not_stopped_by_the_logging_limit(
    checked_in, patient_client, session
):
    entries = list(session.entries.order_by("order"))
    for entry in entries[:5]:
        patient_client.post(guided_url(session, entry), {"outcome": "done"})
    assert (
        patient_client.post(guided_url(session, entries[5]), {"outcome": "done"}).status_code == 429
    )

    url = reverse("tracking:guided-hurt", args=[session.pk, entries[5].pk])
    response = patient_client.post(url, {"hurt": "7"})

    assert response.status_code == 302
    entries[5].refresh_from_db()
    assert entries[5].hurt == 7
