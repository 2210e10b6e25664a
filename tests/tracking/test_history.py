import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.conftest import finished_session, one_exercise_done, same_queries, sql_of
from tracking.models import Session
from tracking.views.history import SESSIONS_PER_PAGE


@pytest.fixture
def make_sessions(patient):
    def make(count: int, who=None) -> list[Session]:
        owner = who or patient
        now = timezone.now()
        sessions = [
            Session(
                patient=owner,
                started_at=now - dt.timedelta(days=day),
                finished_at=now - dt.timedelta(days=day) + dt.timedelta(minutes=14),
                local_date=(now - dt.timedelta(days=day)).date(),
                pain_before=5,
                pain_after=3,
            )
            for day in range(1, count + 1)
        ]
        sessions = Session.objects.bulk_create(sessions)
        one_exercise_done(sessions)
        return sessions

    return make


def test_history_lists_sessions_newest_first(patient_client, make_sessions):
    sessions = make_sessions(3)

    html = patient_client.get(reverse("tracking:history")).content.decode()

    positions = [html.index(s.get_absolute_url()) for s in sessions]
    assert positions == sorted(positions)


def test_history_is_paginated(patient_client, make_sessions):
    sessions = make_sessions(SESSIONS_PER_PAGE + 2)

    first = patient_client.get(reverse("tracking:history")).content.decode()
    second = patient_client.get(reverse("tracking:history"), {"page": 2}).content.decode()

    assert sessions[0].get_absolute_url() in first
    assert sessions[-1].get_absolute_url() not in first
    assert sessions[-1].get_absolute_url() in second
    assert "Page 2 of 2" in second


@pytest.mark.parametrize("page", ["99", "abc", "-1"])
def test_a_bad_page_number_still_shows_a_page(patient_client, make_sessions, page):
    make_sessions(2)

    response = patient_client.get(reverse("tracking:history"), {"page": page})

    assert response.status_code == 200


def test_history_with_htmx_returns_only_the_list(patient_client, make_sessions, htmx_headers):
    make_sessions(SESSIONS_PER_PAGE + 1)

    response = patient_client.get(reverse("tracking:history"), {"page": 2}, headers=htmx_headers)

    html = response.content.decode()
    assert html.strip().startswith('<div id="session-list">')
    assert "<html" not in html
    assert "Page 2 of 2" in html
    assert response.headers["Vary"] == "HX-Request, Cookie"


def test_history_links_have_real_hrefs_for_no_javascript(patient_client, make_sessions):
    make_sessions(SESSIONS_PER_PAGE + 1)

    html = patient_client.get(reverse("tracking:history")).content.decode()

    assert 'href="?page=2" data-hx-get="?page=2"' in html


def test_history_shows_only_your_own_sessions(patient_client, make_sessions, other_patient):
    others = make_sessions(2, who=other_patient)

    html = patient_client.get(reverse("tracking:history")).content.decode()

    assert all(s.get_absolute_url() not in html for s in others)
    assert "No sessions yet." in html


def test_history_uses_the_same_queries_for_2_or_20_sessions(patient_client, make_sessions):
    def visit() -> None:
        assert patient_client.get(reverse("tracking:history")).status_code == 200

    make_sessions(2)
    few = sql_of(visit)
    Session.objects.all().delete()
    make_sessions(SESSIONS_PER_PAGE)

    assert same_queries(few, sql_of(visit))


def test_going_back_to_an_htmx_page_gets_the_whole_page(patient_client, make_sessions):
    make_sessions(SESSIONS_PER_PAGE + 1)

    response = patient_client.get(
        reverse("tracking:history"),
        {"page": 2},
        headers={"HX-Request": "true", "HX-History-Restore-Request": "true"},
    )

    html = response.content.decode()
    assert "<html" in html
    assert '<nav aria-label="Main">' in html


def test_history_keeps_a_session_with_nothing_done_and_says_it_does_not_count(
    patient_client, patient
):
    counted = finished_session(patient, 2, pain_before=5, pain_after=4)
    empty = finished_session(patient, 1, pain_before=5, pain_after=5, nothing_done=True)

    html = patient_client.get(reverse("tracking:history")).content.decode()

    assert counted.get_absolute_url() in html
    assert empty.get_absolute_url() in html
    assert html.count("not counted in your progress") == 1
    assert html.index("not counted") < html.index(counted.get_absolute_url())
