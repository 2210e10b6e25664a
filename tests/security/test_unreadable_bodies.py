"""A post whose body the server will not read is a clear 400, never a 500.

Every URL is tried, signed out and signed in as someone
who may use it, with CSRF checks on and a CSRF cookie, as a browser (or an
attacker) would send them: reading the body used to raise inside the CSRF
check, and again inside Django's own error pages.
"""

import pytest
from django.conf import settings
from django.test import Client

from tests.config.test_security_headers import assert_secure_headers
from tests.conftest import signed_in

from .test_access_matrix import PATTERNS, rule_for, snapshot, url_of
from .test_csrf import POSTER

UTF16_FORM = "application/x-www-form-urlencoded; charset=utf-16"


def strict(client: Client) -> Client:
    checked = Client(enforce_csrf_checks=True, raise_request_exception=False)
    checked.cookies = client.cookies
    checked.cookies[settings.CSRF_COOKIE_NAME] = "x" * 32
    return checked


def assert_our_bad_request_page(response, pattern: str, who: str) -> None:
    assert response.status_code == 400, (pattern, who, response.status_code)
    assert b"Something was wrong with that request" in response.content, (pattern, who)
    assert_secure_headers(response)
    assert "no-store" in response["Cache-Control"], (pattern, who)


@pytest.mark.parametrize("pattern", PATTERNS)
def test_a_form_post_in_utf16_is_our_400_page_signed_out_and_signed_in(pattern, world):
    """Those that take no posts too: the body is refused before the method is."""
    url = url_of(pattern, world)
    who_posts = sorted({"anonymous", POSTER[rule_for(pattern)]})
    clients = {who: strict(signed_in(world["people"][who])) for who in who_posts}
    before = snapshot()
    for who, client in clients.items():
        response = client.generic("POST", url, "username=pat&body=hello", content_type=UTF16_FORM)

        assert_our_bad_request_page(response, pattern, who)
    assert snapshot() == before


def test_the_sign_in_page_answers_a_utf16_post_with_our_400_page(db):
    client = strict(Client())

    response = client.generic(
        "POST", "/accounts/login/", "username=pat&password=x", content_type=UTF16_FORM
    )

    assert_our_bad_request_page(response, "login", "anonymous")


def test_a_form_post_in_utf16_is_logged_as_django_logs_a_bad_request(db, caplog):
    client = strict(Client())

    client.generic("POST", "/accounts/login/", "username=pat", content_type=UTF16_FORM)

    [logged] = [r for r in caplog.records if r.name == "django.request"]
    assert logged.levelname == "WARNING"
    assert logged.getMessage().endswith("must be UTF-8 encoded.: /accounts/login/")
    assert logged.status_code == 400


def test_a_malformed_multipart_post_is_our_400_page(db, caplog):
    client = strict(Client())

    response = client.generic(
        "POST",
        "/accounts/login/",
        "--nothing-like-the-boundary\r\n",
        content_type="multipart/form-data; boundary=",
    )

    assert_our_bad_request_page(response, "login", "anonymous")
    [logged] = [r for r in caplog.records if r.name == "django.request"]
    assert logged.levelname == "WARNING"
    assert logged.getMessage() == "Bad request (Unable to parse request body): /accounts/login/"


def test_a_post_with_too_many_fields_is_our_400_page_and_a_security_error(db, settings, caplog):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 10
    client = strict(Client())

    response = client.generic(
        "POST",
        "/accounts/login/",
        "&".join(f"f{n}=1" for n in range(20)),
        content_type="application/x-www-form-urlencoded",
    )

    assert_our_bad_request_page(response, "login", "anonymous")
    [logged] = [r for r in caplog.records if r.name.startswith("django.security")]
    assert logged.name == "django.security.TooManyFieldsSent"
    assert logged.levelname == "ERROR"
    assert "number of GET/POST parameters exceeded" in logged.getMessage()
