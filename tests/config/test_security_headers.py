"""Every response carries the security headers; production settings pass `check --deploy`."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

from ..conftest import PASSWORD, signed_in
from .test_settings import GOOD_SECRET

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION = {
    "DEBUG": "false",
    "SECRET_KEY": GOOD_SECRET,
    "ALLOWED_HOSTS": "backtrack.example.org",
    "EMAIL_URL": "smtp+tls://mailer:secret@smtp.example.org:587",
    "PROXY_COUNT": "1",
    "AUDIT_KEY": "a-separate-random-key-for-the-audit-trail-0123456789",
}


def run(args: list[str], **env: str) -> subprocess.CompletedProcess:
    unset = {"DEBUG", "DATABASE_URL", "DJANGO_ALLOW_ASYNC_UNSAFE", "AUDIT_KEY"}
    clean = {k: v for k, v in os.environ.items() if k not in unset}
    return subprocess.run(  # noqa: S603 - our own interpreter and code
        [sys.executable, *args],
        cwd=ROOT,
        env={**clean, "DJANGO_SETTINGS_MODULE": "config.settings", **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def csp_of(response) -> dict[str, list[str]]:
    directives = {}
    for part in response["Content-Security-Policy"].split(";"):
        name, *values = part.split()
        directives[name] = values
    return directives


def assert_secure_headers(response) -> None:
    csp = csp_of(response)
    assert csp["default-src"] == ["'none'"]
    assert csp["script-src"] == ["'self'"]
    assert csp["style-src"] == ["'self'"]
    assert csp["object-src"] == ["'none'"]
    assert csp["base-uri"] == ["'none'"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert "unsafe" not in response["Content-Security-Policy"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"


def test_production_settings_pass_the_deployment_checks():
    result = run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], **PRODUCTION)

    assert result.returncode == 0, result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def readme_deploy_variables() -> set[str]:
    """The variables the README's Production section sets before `check --deploy`."""
    production = (ROOT / "README.md").read_text().split("## Production", 1)[1].split("\n## ", 1)[0]
    exported = re.search(r"export (.*?)\n```", production, re.DOTALL)
    assert exported is not None
    named = re.search(r"check --deploy.*?: with (.*?) set", production, re.DOTALL)
    assert named is not None
    return set(re.findall(r"\b([A-Z_]+)=", exported[1])) | set(re.findall(r"`([A-Z_]+)`", named[1]))


def test_the_readmes_production_variables_are_what_passes_the_deployment_checks():
    """Exactly the README's variables: check --deploy reports nothing, as it says."""
    variables = readme_deploy_variables() - {"DATABASE_URL"}  # SQLite will do for the check

    assert variables == set(PRODUCTION)
    result = run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], **PRODUCTION)
    assert result.returncode == 0, result.stderr


def test_the_deployment_checks_do_fail_on_a_weakened_setting():
    result = run(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        **PRODUCTION,
        HSTS_SECONDS="0",
    )

    assert result.returncode != 0
    assert "security.W004" in result.stderr


def test_the_deployment_checks_ask_how_many_proxies_stand_in_front():
    without = {key: value for key, value in PRODUCTION.items() if key != "PROXY_COUNT"}

    result = run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], **without)

    assert result.returncode != 0
    assert "backtrack.W002" in result.stderr


def test_the_deployment_checks_ask_for_an_audit_key_of_its_own():
    without = {key: value for key, value in PRODUCTION.items() if key != "AUDIT_KEY"}

    result = run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], **without)

    assert result.returncode != 0
    assert "backtrack.W003" in result.stderr


def test_a_short_audit_key_stops_start_up_with_a_message():
    result = run(["manage.py", "check"], **{**PRODUCTION, "AUDIT_KEY": "short"})

    assert result.returncode != 0
    assert "AUDIT_KEY must be a random string of at least 32 characters" in result.stderr


def test_production_cookies_are_secure_host_only_and_https_is_enforced():
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.SESSION_COOKIE_NAME, s.SESSION_COOKIE_SECURE, s.SESSION_COOKIE_HTTPONLY, "
        "s.SESSION_COOKIE_SAMESITE, s.CSRF_COOKIE_NAME, s.CSRF_COOKIE_SECURE, "
        "s.CSRF_COOKIE_HTTPONLY, s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS)"
    )
    result = run(["-c", code], **PRODUCTION)

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "__Host-sessionid",
        "True",
        "True",
        "Lax",
        "__Host-csrftoken",
        "True",
        "True",
        "True",
        "31536000",
    ]


def test_hsts_is_sent_over_https(settings, client, db):
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True

    response = client.get(reverse("login"), secure=True)

    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"


def test_pages_with_health_data_are_never_stored(patient_client):
    response = patient_client.get(reverse("tracking:history"))

    assert "no-store" in response["Cache-Control"]
    assert "private" in response["Cache-Control"]
    assert_secure_headers(response)


def test_static_files_keep_their_cache(client, db):
    response = client.get("/static/css/app.css")
    response.close()

    assert response.status_code == 200
    assert "no-store" not in response.get("Cache-Control", "")


def test_htmx_fragments_carry_the_headers(patient_client, session, htmx_headers):
    entry = session.entries.first()

    response = patient_client.post(
        reverse("tracking:entry-done", args=[session.pk, entry.pk]), headers=htmx_headers
    )

    assert response.status_code == 200
    assert_secure_headers(response)
    assert "no-store" in response["Cache-Control"]


@pytest.mark.parametrize(
    ("who", "url", "status"),
    [
        (None, "/no/such/page/", 404),
        ("patient", "/patients/", 403),
        ("patient", reverse("logout"), 405),
    ],
)
def test_error_pages_carry_the_headers(request, db, who, url, status):
    client = signed_in(request.getfixturevalue(who) if who else None)

    response = client.get(url)

    assert response.status_code == status
    assert_secure_headers(response)


def test_a_refused_csrf_token_gets_a_plain_page_with_the_headers(patient):
    client = Client(enforce_csrf_checks=True)
    client.force_login(patient)

    response = client.post(reverse("tracking:start"), {"pain_before": "3"})

    assert response.status_code == 403
    assert "Please try that again" in response.content.decode()
    assert_secure_headers(response)


def test_a_lockout_carries_the_headers(patient, settings):
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT + 1):
        response = client.post(reverse("login"), {"username": patient.username, "password": "x"})

    assert response.status_code == 429
    assert_secure_headers(response)


@pytest.mark.urls("tests.config.error_urls")
def test_an_error_shows_a_plain_page_without_traceback_settings_or_sql(db):
    client = Client(raise_request_exception=False)

    response = client.get("/test/broken/")

    page = response.content.decode()
    assert response.status_code == 500
    assert "Something went wrong on our side" in page
    for leak in ("Traceback", "RuntimeError", "SELECT", "SECRET_KEY", "settings"):
        assert leak not in page
    assert_secure_headers(response)


def test_session_and_csrf_cookies_are_http_only_and_same_site(client, patient):
    page = client.get(reverse("login"))
    csrf = page.cookies["csrftoken"]
    response = client.post(reverse("login"), {"username": patient.username, "password": PASSWORD})
    session = response.cookies["sessionid"]

    for cookie in (csrf, session):
        assert cookie["httponly"] is True
        assert cookie["samesite"] == "Lax"
