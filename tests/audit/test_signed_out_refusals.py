"""Signed-out visitors cannot grow the audit trail at will; people who signed in are
recorded every time they are refused.

Anyone on the internet can ask for a page that needs signing in. Each such
refusal used to add a record to the hash chain, so a flood from one address
added thousands a second. Now an address gets one record every few minutes,
counting the refusals it stands for, and is answered 429 past a rate limit.
"""

import io
import time
import uuid
from functools import partial

import pytest
import time_machine
from django.core.cache.backends.locmem import LocMemCache
from django.core.management import call_command
from django.test import Client, RequestFactory
from django.urls import reverse

from audit import trail
from audit.models import Action, AuditEvent
from tests.conftest import signed_in
from tests.parallel import at_once

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


def test_a_flood_is_answered_429_and_its_size_shows_in_the_trail_at_once(db, settings):
    settings.SIGNED_OUT_RATE_LIMIT = "20/m"
    visitor = from_address("203.0.113.9")
    since = last_seq()
    with time_machine.travel("2026-03-02 09:00:10", tick=False) as clock:
        answers = [visitor.get(TODAY).status_code for _ in range(50)]

        assert answers[:20] == [302] * 20  # sent to sign in, as before
        assert set(answers[20:]) == {429}
        first, too_many = denials_since(since)
        assert first.detail == {
            "view": "tracking:today",
            "method": "GET",
            "status": 302,
            "count": 1,
        }
        # The first 429 says how many came before it; the next 29 wait for the next record.
        assert too_many.detail == {
            "view": "tracking:today",
            "method": "GET",
            "status": 429,
            "count": 20,
        }
        assert {first.actor, too_many.actor} == {None}
        assert {first.ip, too_many.ip} == {"203.0.113.9"}

        clock.shift(trail.SIGNED_OUT_WINDOW + 1)
        visitor.get(TODAY)

    *_, later = denials_since(since)
    assert later.detail["count"] == 30  # the 29 left over, and itself: none lost
    assert sum(denial.detail["count"] for denial in denials_since(since)) == 51
    assert "The audit trail is intact" in verified()


def test_a_flood_adds_at_most_two_records_a_window(db, settings):
    settings.SIGNED_OUT_RATE_LIMIT = "5/m"
    visitor = from_address("203.0.113.9")
    since = last_seq()
    with time_machine.travel("2026-03-02 09:00:10", tick=False) as clock:
        for _ in range(4):  # four minutes of flooding, within one window
            for _ in range(10):
                visitor.get(TODAY)
            clock.shift(60)

    assert [denial.detail["status"] for denial in denials_since(since)] == [302, 429]


def test_an_ipv6_network_is_counted_as_one_address(db, settings):
    """A subscriber is commonly given a whole /64: each of its addresses is not a new visitor."""
    settings.SIGNED_OUT_RATE_LIMIT = "20/m"
    since = last_seq()

    answers = [from_address(f"2001:db8:1:2::{n:x}").get(TODAY).status_code for n in range(1, 51)]
    elsewhere = from_address("2001:db8:1:3::1").get(TODAY).status_code

    assert answers[:20] == [302] * 20
    assert set(answers[20:]) == {429}
    assert elsewhere == 302  # the next /64 is someone else
    assert [denial.ip for denial in denials_since(since)] == [
        "2001:db8:1:2::1",
        "2001:db8:1:2::15",  # the first answered 429, counting the 20 before it
        "2001:db8:1:3::1",
    ]


def test_a_429_answer_costs_a_few_queries(db, settings, django_assert_max_num_queries):
    settings.SIGNED_OUT_RATE_LIMIT = "2/m"
    visitor = from_address("203.0.113.9")
    for _ in range(3):
        visitor.get(TODAY)

    # On the database cache: one read (past the limit?), and one count kept for a day
    # (incr: a read and a write; touch: a write). It was 24, and a record's worth.
    with django_assert_max_num_queries(12):
        response = visitor.get(TODAY)

    assert response.status_code == 429


class SlowReadsCache(LocMemCache):
    """A cache whose reads take a moment, as a shared cache's do over the network:
    a count read, added to and written back loses what others wrote meanwhile."""

    def get(self, *args, **kwargs):
        value = super().get(*args, **kwargs)
        time.sleep(0.02)  # what was read may be out of date by the time it is used
        return value


def test_refusals_at_the_same_moment_are_all_counted(db, settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "tests.audit.test_signed_out_refusals.SlowReadsCache",
            "LOCATION": uuid.uuid4().hex,  # a memory of its own, shared by the threads
        }
    }
    requests = [RequestFactory(REMOTE_ADDR="203.0.113.9").get(TODAY) for _ in range(21)]
    since = last_seq()
    with time_machine.travel("2026-03-02 09:00", tick=False) as clock:
        trail.denied_signed_out(requests[0], status=302)
        at_once([partial(trail.denied_signed_out, r, status=302) for r in requests[1:]])
        clock.shift(trail.SIGNED_OUT_WINDOW + 1)
        trail.denied_signed_out(RequestFactory(REMOTE_ADDR="203.0.113.9").get(TODAY), status=302)

    assert [denial.detail["count"] for denial in denials_since(since)] == [1, 21]


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
