"""Passwords are hashed with Argon2, validated, and guessing them is throttled."""

import datetime as dt

import pytest
import time_machine
from axes.models import AccessAttempt
from django.contrib.auth.hashers import make_password
from django.test import Client, RequestFactory
from django.urls import reverse

from accounts.http import client_ip
from config import settings as project_settings

from ..conftest import PASSWORD, signed_in

LOGIN = reverse("login")


def sign_in(username: str, password: str, address: str = "10.0.0.1") -> tuple[Client, int]:
    client = Client(REMOTE_ADDR=address)
    response = client.post(LOGIN, {"username": username, "password": password})
    return client, response.status_code


def is_signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


@pytest.fixture
def real_hashers(settings):
    settings.PASSWORD_HASHERS = project_settings.PASSWORD_HASHERS


@pytest.mark.usefixtures("real_hashers")
def test_new_passwords_are_hashed_with_argon2(make_user):
    user = make_user("newbie")
    assert user.password.startswith("argon2$")


@pytest.mark.usefixtures("real_hashers")
def test_an_older_hash_is_upgraded_to_argon2_at_sign_in(patient):
    patient.password = make_password(PASSWORD, hasher="pbkdf2_sha256")
    patient.save()

    client, status = sign_in(patient.username, PASSWORD)

    assert status == 302
    assert is_signed_in(client)
    patient.refresh_from_db()
    assert patient.password.startswith("argon2$")


@pytest.mark.parametrize(
    ("new_password", "message"),
    [
        ("short1x!", "too short"),
        ("password123", "too common"),
        ("4815162342", "entirely numeric"),
    ],
)
def test_weak_new_passwords_are_refused_with_the_reason(patient, new_password, message):
    response = signed_in(patient).post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": new_password, "new_password2": new_password},
    )

    assert response.status_code == 200
    assert message in response.content.decode()
    patient.refresh_from_db()
    assert patient.check_password(PASSWORD)


def test_changing_a_password_needs_the_current_one(patient):
    response = signed_in(patient).post(
        reverse("password_change"),
        {
            "old_password": "not-my-password",
            "new_password1": "a-much-better-secret",
            "new_password2": "a-much-better-secret",
        },
    )

    assert response.status_code == 200
    assert "Your old password was entered incorrectly" in response.content.decode()
    patient.refresh_from_db()
    assert patient.check_password(PASSWORD)


def test_a_few_wrong_passwords_still_allow_the_right_one(patient, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert sign_in(patient.username, "wrong")[1] == 200

    client, status = sign_in(patient.username, PASSWORD)

    assert status == 302
    assert is_signed_in(client)
    assert not AccessAttempt.objects.exists()  # a success clears the count


def test_too_many_wrong_passwords_lock_the_account_even_against_the_right_one(patient, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in(patient.username, "wrong")

    client, status = sign_in(patient.username, PASSWORD, address="10.9.9.9")

    assert status == 429
    assert not is_signed_in(client)
    page = client.post(LOGIN, {"username": patient.username, "password": PASSWORD})
    assert "Too many attempts to sign in" in page.content.decode()
    assert "wait 15 minutes" in page.content.decode()
    assert page["Retry-After"] == "900"


def test_the_lock_lifts_when_the_cool_off_ends(patient, settings):
    with time_machine.travel(dt.datetime(2026, 3, 1, 9, 0, tzinfo=dt.UTC), tick=False) as clock:
        for _ in range(settings.AXES_FAILURE_LIMIT):
            sign_in(patient.username, "wrong")
        clock.shift(settings.AXES_COOLOFF_TIME - dt.timedelta(minutes=1))
        assert sign_in(patient.username, PASSWORD)[1] == 429

        clock.shift(dt.timedelta(minutes=2))
        client, status = sign_in(patient.username, PASSWORD)

        assert status == 302
        assert is_signed_in(client)


def test_one_address_guessing_many_usernames_is_locked_out(patient, other_patient, settings):
    for number in range(settings.AXES_FAILURE_LIMIT):
        sign_in(f"someone{number}", "wrong", address="10.6.6.6")

    assert sign_in(other_patient.username, PASSWORD, address="10.6.6.6")[1] == 429
    assert sign_in(other_patient.username, PASSWORD, address="10.0.0.2")[1] == 302


def test_an_admin_unlocks_an_account_by_deleting_its_attempts(patient, staff_admin, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in(patient.username, "wrong")
    attempts = list(AccessAttempt.objects.values_list("pk", flat=True))
    assert attempts

    response = signed_in(staff_admin).post(
        reverse("admin:axes_accessattempt_changelist"),
        {"action": "delete_selected", "_selected_action": attempts, "post": "yes"},
    )

    assert response.status_code == 302
    assert sign_in(patient.username, PASSWORD)[1] == 302


@pytest.mark.parametrize(
    ("proxies", "forwarded_for", "expected"),
    [
        (0, "203.0.113.9", "10.0.0.1"),  # no proxy: the header is the client's to forge
        (1, "203.0.113.9", "203.0.113.9"),
        (1, "198.51.100.1, 203.0.113.9", "203.0.113.9"),  # the forged part is ignored
        (2, "198.51.100.1, 203.0.113.9, 10.1.1.1", "203.0.113.9"),
        (2, "203.0.113.9", "10.0.0.1"),  # fewer hops than proxies: not trusted
    ],
)
def test_the_client_address_trusts_only_our_own_proxies(settings, proxies, forwarded_for, expected):
    settings.PROXY_COUNT = proxies
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR=forwarded_for)

    assert client_ip(request) == expected


def test_a_username_too_long_to_be_one_is_refused_before_anything_records_it(db):
    client, status = sign_in("0" * 300, "wrong")

    assert status == 200
    page = client.post(LOGIN, {"username": "0" * 300, "password": "x"}).content.decode()
    assert "Ensure this value has at most 150 characters (it has 300)." in page
    assert not AccessAttempt.objects.exists()
