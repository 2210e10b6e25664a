"""With CSRF checks on, every URL that takes a post refuses one without a token.

The URLs come from the same resolver walk as the access matrix, and each is
posted to by someone who may use it, so a refusal cannot be mistaken for a
missing permission. URLs that only change things (POST-only views) also answer
GET with 405.
"""

import pytest
from django.conf import settings
from django.test import Client

from tests.conftest import signed_in

from .test_access_matrix import (
    ADMIN,
    ATTEMPT,
    INVITED,
    PATIENT,
    PATIENT_OBJECT,
    PATTERNS,
    PHYSIO,
    PHYSIO_OBJECT,
    PUBLIC,
    SIGNED_IN,
    STAFF_OR_PHYSIO,
    allowed_methods,
    rule_for,
    snapshot,
    url_of,
)

# Who may post to a URL of each rule, so the test posts as someone let in.
POSTER = {
    PUBLIC: "anonymous",
    INVITED: "anonymous",
    SIGNED_IN: "owner",
    PATIENT: "owner",
    PATIENT_OBJECT: "owner",
    PHYSIO: "physio",
    PHYSIO_OBJECT: "physio",
    STAFF_OR_PHYSIO: "physio",
    ADMIN: "admin",
}


def strict(client: Client) -> Client:
    """The same person, in a client that enforces CSRF checks as a browser's server does."""
    checked = Client(enforce_csrf_checks=True)
    checked.cookies = client.cookies
    return checked


@pytest.mark.parametrize("pattern", PATTERNS)
def test_a_post_without_a_csrf_token_is_refused_and_changes_nothing(pattern, world):
    url = url_of(pattern, world)
    takes_posts = "POST" in allowed_methods(url)
    client = strict(signed_in(world["people"][POSTER[rule_for(pattern)]]))
    before = snapshot()

    response = client.post(url, ATTEMPT)

    if takes_posts:
        assert response.status_code == 403, pattern
    else:  # a page that only shows things: refused by the token check or the method
        assert response.status_code in (403, 405), (pattern, response.status_code)
    assert snapshot() == before


def test_the_csrf_refusal_is_the_real_check_not_a_permission(patient, session, world):
    """The same post with the token goes through, so the 403 above is the token's."""
    client = strict(signed_in(patient))
    page = client.get(f"/sessions/{session.pk}/finish/")
    token = page.context["csrf_token"]

    response = client.post(
        f"/sessions/{session.pk}/finish/",
        {"pain_after": "2", "csrfmiddlewaretoken": str(token)},
    )

    assert response.status_code == 302
    session.refresh_from_db()
    assert session.finished_at is not None


POST_ONLY = [
    pattern
    for pattern in PATTERNS
    if pattern.startswith(("tracking:", "accounts:"))
    and pattern
    not in {
        # Pages with a form: GET shows it, POST sends it.
        "tracking:today",
        "tracking:history",
        "tracking:programme",
        "tracking:start",
        "tracking:check-in",
        "tracking:check-in-result",
        "tracking:entry-hurt",
        "tracking:guided",
        "tracking:guided-step",
        "tracking:session",
        "tracking:finish",
        "tracking:discard",
        "tracking:entry",
        "tracking:caseload",
        "tracking:patient",
        "tracking:programme-edit",
        "tracking:patient-session",
        "tracking:my-data",
        "tracking:progress",
        "tracking:patient-progress",
        "tracking:programme-exercise",
        "tracking:entry-exercise",
        "tracking:erase",
        # Downloads: GET only.
        "tracking:export-json",
        "tracking:export-csv",
        "tracking:patient-export-json",
        "tracking:patient-export-csv",
        "accounts:invitations",
        "accounts:accept",
        "accounts:two-step",
        "accounts:two-step-setup",
        "accounts:two-step-verify",
    }
]


@pytest.mark.parametrize("pattern", [*POST_ONLY, "logout"])
def test_a_url_that_only_changes_things_answers_get_with_405(pattern, world):
    url = url_of(pattern, world)
    client = signed_in(world["people"][POSTER.get(rule_for(pattern), "owner")])
    before = snapshot()

    response = client.get(url)

    assert response.status_code == 405
    assert "POST" in response["Allow"]
    assert snapshot() == before


def test_the_csrf_cookie_cannot_be_read_by_scripts():
    assert settings.CSRF_COOKIE_HTTPONLY
