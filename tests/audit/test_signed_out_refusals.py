"""Signed-out visitors cannot grow the audit trail at will; people who signed in are
recorded every time they are refused.

Anyone on the internet can ask for a page that needs signing in. Each such
refusal used to add a record to the hash chain, so a flood from one address
added thousands a second. Now an address gets one record every few minutes,
counting the refusals it stands for, and is answered 429 past a rate limit.
"""

import io

import pytest
import time_machine
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from audit import trail
from audit.models import Action, AuditEvent
from tests.conftest import signed_in

from .conftest import added_since, last_seq

TODAY = reverse("tracking:today")


def denials_since(seq: int) -> list[AuditEvent]:
    return [event for event in added_since(seq) if event.action == Action.ACCESS_DENIED]


def from_address(address: str) -> Client:
    return Client(REMOTE_ADDR=address)


def verified() -> str:
    out = io.StringIO()
    call_command("verify_audit_trail", stdout=out)
    return out.getvalue()


def test_a_flood_of_signed_out_requests_adds_one_record_and_is_answered_429(db, settings):
    settings.SIGNED_OUT_RATE_LIMIT = "20/m"
    visitor = from_address("203.0.113.9")
    since = last_seq()

    answers = [visitor.get(TODAY).status_code for _ in range(50)]

    assert answers[:20] == [302] * 20  # sent to sign in, as before
    assert set(answers[20:]) == {429}
    [denial] = denials_since(since)
    assert denial.actor is None
    assert denial.ip == "203.0.113.9"
    assert denial.detail == {"view": "tracking:today", "method": "GET", "status": 302, "count": 1}
    assert "The audit trail is intact" in verified()


def test_the_429_says_what_to_do_and_when_to_try_again(db, settings):
    settings.SIGNED_OUT_RATE_LIMIT = "2/m"
    visitor = from_address("203.0.113.9")
    for _ in range(2):
        visitor.get(TODAY)

    response = visitor.get(TODAY)

    assert response.status_code == 429
    assert response["Retry-After"] == "60"
    assert "Wait a minute, then" in response.content.decode()
    assert "no-store" in response["Cache-Control"]
    assert "Content-Security-Policy" in response


def test_the_next_record_counts_the_refusals_the_last_window_left_unrecorded(db, settings):
    settings.SIGNED_OUT_RATE_LIMIT = "1000/m"
    visitor = from_address("203.0.113.9")
    since = last_seq()
    with time_machine.travel("2026-03-02 09:00", tick=False) as clock:
        for _ in range(30):
            visitor.get(TODAY)
        clock.shift(trail.SIGNED_OUT_WINDOW + 1)
        visitor.get(TODAY)

    first, second = denials_since(since)
    assert first.detail["count"] == 1
    assert second.detail["count"] == 30  # the 29 left over, and itself
    assert (second.at - first.at).total_seconds() > trail.SIGNED_OUT_WINDOW


def test_each_address_has_its_own_record(db):
    since = last_seq()

    for address in ["203.0.113.9", "203.0.113.10", "2001:db8::1"]:
        for _ in range(3):
            from_address(address).get(TODAY)

    assert sorted(denial.ip for denial in denials_since(since)) == [
        "2001:db8::1",
        "203.0.113.10",
        "203.0.113.9",
    ]


@pytest.mark.parametrize("times", [1, 25])
def test_a_signed_in_refusal_is_recorded_every_time(patient, other_session, settings, times):
    settings.SIGNED_OUT_RATE_LIMIT = "5/m"
    client = signed_in(patient)
    since = last_seq()

    answers = {client.get(other_session.get_absolute_url()).status_code for _ in range(times)}

    assert answers == {404}  # never rate-limited as a signed-out visitor would be
    denials = denials_since(since)
    assert len(denials) == times
    assert {denial.actor for denial in denials} == {patient}
    assert "The audit trail is intact" in verified()
