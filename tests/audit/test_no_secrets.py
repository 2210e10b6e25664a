"""The trail never holds a password, a session key, a CSRF token or what anyone wrote."""

import json
import re

from django.conf import settings
from django.test import Client
from django.urls import reverse

from audit.models import AuditEvent
from tests.conftest import PASSWORD
from tracking.models import AlertAcknowledgement, Comment, SafetyCheck, Session

from .conftest import last_seq

NEW_PASSWORD = "wombat-lantern-quiet-88"
NOTES = "my knee hurts SECRET-NOTE"
COMMENT = "Ease off the bridge SECRET-COMMENT"
ACK_NOTE = "Phoned them SECRET-ACK-NOTE"
TYPED_USERNAME = "hunter2-SECRET"


class Browser:
    """A client that checks CSRF as a browser's requests are checked, and remembers
    every session key and CSRF token it is given along the way."""

    def __init__(self) -> None:
        self.client = Client(enforce_csrf_checks=True)
        self.session_keys: set[str] = set()
        self.csrf_tokens: set[str] = set()

    def get(self, url: str):
        response = self.client.get(url, follow=True)
        found = re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', response.text)
        self.csrf_tokens.update(found)
        self._note_cookies()
        return response

    def post(self, url: str, data: dict):
        token = self.client.cookies[settings.CSRF_COOKIE_NAME].value
        response = self.client.post(url, {**data, "csrfmiddlewaretoken": token})
        assert response.status_code in (200, 302), (url, response.status_code)
        self._note_cookies()
        return response

    def _note_cookies(self) -> None:
        cookies = self.client.cookies
        if cookies.get(settings.CSRF_COOKIE_NAME) and cookies[settings.CSRF_COOKIE_NAME].value:
            self.csrf_tokens.add(cookies[settings.CSRF_COOKIE_NAME].value)
        if self.client.session.session_key:
            self.session_keys.add(self.client.session.session_key)

    def sign_in(self, username: str, password: str):
        self.get(reverse("login"))
        return self.post(reverse("login"), {"username": username, "password": password})


def test_a_whole_journey_leaves_no_secret_and_no_free_text_in_the_trail(patient, physio, assigned):
    old_hash = patient.password
    pat, phil = Browser(), Browser()

    failed = pat.sign_in(TYPED_USERNAME, PASSWORD)
    pat.sign_in(patient.username, PASSWORD)
    pat.get(reverse("tracking:start"))
    pat.post(reverse("tracking:check-in"), {"answer": "none"})
    pat.post(reverse("tracking:start"), {"pain_before": "2"})
    session = Session.objects.get(patient=patient)
    entry = session.entries.order_by("order")[0]
    pat.get(session.get_absolute_url())
    pat.post(reverse("tracking:entry-done", args=[session.pk, entry.pk]), {})
    pat.post(reverse("tracking:entry-hurt", args=[session.pk, entry.pk]), {"hurt": "5"})
    pat.post(
        reverse("tracking:finish", args=[session.pk]),
        {"pain_after": "6", "notes": NOTES, "flagged": "on"},
    )
    # Which warning sign was reported is health data: the trail says how urgent, not what.
    pat.post(reverse("tracking:check-in"), {"flags": ["bladder_bowel"], "answer": "some"})
    phil.sign_in(physio.username, PASSWORD)
    phil.get(reverse("tracking:patient", args=[patient.pk]))
    phil.post(reverse("tracking:session-comment", args=[patient.pk, session.pk]), {"body": COMMENT})
    phil.post(
        reverse("tracking:acknowledge", args=[patient.pk]),
        {"kind": "pain_rose", "key": str(session.pk), "note": ACK_NOTE},
    )
    pat.get(reverse("password_change"))
    pat.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    pat.get(session.get_absolute_url())
    pat.post(reverse("logout"), {})

    # The journey happened, with everything the trail must not repeat.
    assert "Please enter a correct username and password" in failed.text
    assert Session.objects.get(pk=session.pk).notes == NOTES
    assert Comment.objects.get().body == COMMENT
    assert AlertAcknowledgement.objects.get().note == ACK_NOTE
    assert SafetyCheck.objects.filter(patient=patient).count() == 2
    patient.refresh_from_db()
    assert patient.check_password(NEW_PASSWORD)
    # The patient's, theirs again after the password change, and the physio's.
    assert len(pat.session_keys | phil.session_keys) >= 3
    assert len(pat.csrf_tokens | phil.csrf_tokens) >= 4
    assert last_seq() > 20

    secrets = {
        PASSWORD,
        NEW_PASSWORD,
        old_hash,
        patient.password,
        NOTES,
        "SECRET",
        "knee",
        "bladder",
        COMMENT,
        ACK_NOTE,
        TYPED_USERNAME,
        "hunter2",
        *pat.session_keys,
        *phil.session_keys,
        *pat.csrf_tokens,
        *phil.csrf_tokens,
    }
    for row in AuditEvent.objects.values():
        text = " ".join(
            json.dumps(value) if isinstance(value, dict) else str(value) for value in row.values()
        )
        for secret in secrets:
            assert secret.lower() not in text.lower(), (secret, row)
