"""Who may reach the tracking pages: every page needs sign-in, and a patient
sees only their own sessions (anyone else's answers 404, as if missing)."""

import re

import pytest
from django.urls import reverse

from tests.conftest import signed_in
from tracking.models import Session, SessionEntry


def session_urls(session: Session) -> list[tuple[str, str]]:
    entry = session.entries.get(order=1)
    return [
        ("get", reverse("tracking:session", args=[session.pk])),
        ("get", reverse("tracking:finish", args=[session.pk])),
        ("post", reverse("tracking:finish", args=[session.pk])),
        ("get", reverse("tracking:entry", args=[session.pk, entry.pk])),
        ("post", reverse("tracking:entry", args=[session.pk, entry.pk])),
        ("post", reverse("tracking:entry-done", args=[session.pk, entry.pk])),
        ("post", reverse("tracking:entry-skip", args=[session.pk, entry.pk])),
        ("get", reverse("tracking:discard", args=[session.pk])),
        ("post", reverse("tracking:discard", args=[session.pk])),
    ]


PAGES = [
    ("get", "tracking:today"),
    ("get", "tracking:history"),
    ("get", "tracking:start"),
    ("post", "tracking:start"),
]


def without_csrf(html: bytes) -> str:
    html_text = re.sub(r'"X-CSRFToken": "[^"]+"', "", html.decode())
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html_text)


def snapshot() -> list[tuple]:
    sessions = list(Session.objects.values_list("pk", "pain_before", "pain_after", "notes"))
    entries = list(
        SessionEntry.objects.values_list("pk", "status", "sets_done", "reps_done", "effort")
    )
    return sorted(sessions) + sorted(entries)


@pytest.mark.parametrize(("method", "name"), PAGES)
def test_anonymous_visitors_are_sent_to_sign_in(client, db, method, name):
    url = reverse(name)

    response = getattr(client, method)(url, {"pain_before": "3"})

    assert response.status_code == 302
    # A form post comes back to its page (its Referer; none here), not to its address.
    if method == "get":
        assert response.url.startswith(f"{reverse('login')}?next={url}")
    else:
        assert response.url == reverse("login")
    assert not Session.objects.exists()


def test_anonymous_visitors_cannot_reach_a_session(client, session):
    before = snapshot()
    for method, url in session_urls(session):
        response = getattr(client, method)(url, {"pain_after": "1", "status": "done"})
        assert response.status_code == 302, url
        assert response.url.startswith(reverse("login")), url
    assert snapshot() == before


@pytest.mark.parametrize("as_htmx", [False, True])
def test_another_patients_session_answers_404_and_changes_nothing(
    patient_client, other_session, as_htmx
):
    before = snapshot()
    headers = {"HX-Request": "true"} if as_htmx else {}

    for method, url in session_urls(other_session):
        response = getattr(patient_client, method)(
            url, {"pain_after": "1", "status": "done", "sets_done": "1"}, headers=headers
        )
        assert response.status_code == 404, f"{method} {url}"

    assert snapshot() == before


def test_an_entry_id_from_another_session_answers_404(patient_client, session, other_session):
    foreign = other_session.entries.get(order=1)
    before = snapshot()

    for name in ("entry", "entry-done", "entry-skip"):
        url = reverse(f"tracking:{name}", args=[session.pk, foreign.pk])
        assert patient_client.post(url, {"status": "done"}).status_code == 404

    assert snapshot() == before


def test_a_missing_session_and_a_forbidden_one_look_the_same(patient_client, other_session):
    missing = patient_client.get(reverse("tracking:session", args=[other_session.pk + 1000]))
    forbidden = patient_client.get(reverse("tracking:session", args=[other_session.pk]))

    assert missing.status_code == forbidden.status_code == 404
    # Identical but for the per-request CSRF token.
    assert without_csrf(missing.content) == without_csrf(forbidden.content)


@pytest.mark.parametrize("who", ["physio", "other_physio", "staff_admin"])
def test_people_without_the_patient_role_cannot_reach_a_patients_session(request, who, session):
    """Patient pages refuse other roles before looking anything up: the same
    403 whether the session exists or not, so nothing leaks either way."""
    client = signed_in(request.getfixturevalue(who))
    before = snapshot()

    for method, url in session_urls(session):
        response = getattr(client, method)(url, {"pain_after": "1", "status": "done"})
        assert response.status_code == 403, f"{method} {url}"
    missing = client.get(reverse("tracking:session", args=[session.pk + 1000]))

    assert missing.status_code == 403
    assert snapshot() == before


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["physio", "staff_admin"])
@pytest.mark.parametrize(("method", "name"), PAGES)
def test_people_without_the_patient_role_get_403(request, who, method, name):
    client = signed_in(request.getfixturevalue(who))

    response = getattr(client, method)(reverse(name), {"pain_before": "3"})

    assert response.status_code == 403
    assert not Session.objects.exists()


def test_a_deactivated_patient_is_signed_out(patient_client, patient):
    patient.is_active = False
    patient.save()

    response = patient_client.get(reverse("tracking:today"))

    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("who", "destination"),
    [
        ("patient", "tracking:today"),
        ("physio", "tracking:caseload"),
        ("staff_admin", "admin:index"),
    ],
)
def test_home_sends_each_role_to_its_start_page(request, who, destination):
    client = signed_in(request.getfixturevalue(who))

    response = client.get(reverse("home"))

    assert response.status_code == 302
    assert response["Location"] == reverse(destination)
