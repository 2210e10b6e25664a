"""Sign-ins that end: on sign-out, after inactivity, after a day's work, and on deactivation."""

import datetime as dt

import pytest
import time_machine
from django.conf import settings
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice
from qsessions.backends.db import SessionStore
from qsessions.models import Session as SignIn

from accounts.models import Role

from ..conftest import PASSWORD, current_code

LOGIN = reverse("login")
TODAY = reverse("tracking:today")
START = dt.datetime(2026, 11, 21, 8, 0, tzinfo=dt.UTC)


def sign_in(user, *, remember: bool = False, client: Client | None = None) -> Client:
    client = client or Client()
    data = {"username": user.username, "password": PASSWORD}
    if remember:
        data["remember"] = "on"
    response = client.post(LOGIN, data)
    assert response.status_code == 302, response.content.decode()
    if user.is_staff:  # and the second step
        device, _ = TOTPDevice.objects.get_or_create(user=user, defaults={"name": "Phone"})
        response = client.post(reverse("accounts:two-step-verify"), {"code": current_code(device)})
        assert response.status_code == 302, response.content.decode()
    return client


def cookie(client: Client) -> str:
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def replay(key: str) -> Client:
    client = Client()
    client.cookies[settings.SESSION_COOKIE_NAME] = key
    return client


def sent_to_sign_in(response, back: str = TODAY) -> bool:
    return response.status_code == 302 and response["Location"] == f"{LOGIN}?next={back}"


def test_signing_in_gives_a_new_session_key(patient):
    planted = SessionStore()
    planted["seen"] = True
    planted.create()
    client = replay(planted.session_key)

    sign_in(patient, client=client)

    assert cookie(client) != planted.session_key
    assert not SignIn.objects.filter(session_key=planted.session_key).exists()


def test_signing_out_ends_the_session_and_an_old_cookie_lands_on_sign_in(patient):
    client = sign_in(patient)
    key = cookie(client)
    assert client.get(TODAY).status_code == 200

    client.post(reverse("logout"))

    assert not SignIn.objects.filter(session_key=key).exists()
    assert sent_to_sign_in(replay(key).get(TODAY))


def test_deactivating_someone_ends_their_sessions_at_once(patient):
    key = cookie(sign_in(patient))

    patient.is_active = False
    patient.save()

    assert not SignIn.objects.filter(user=patient).exists()
    assert sent_to_sign_in(replay(key).get(TODAY))


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["patient", "physio", "staff_admin"])
def test_everyone_is_signed_out_after_30_minutes_without_activity(request, who):
    user = request.getfixturevalue(who)
    page = reverse("tracking:caseload") if who == "physio" else reverse("exercises:routine")
    with time_machine.travel(START, tick=False) as clock:
        client = sign_in(user)
        for _ in range(3):  # each visit within 30 minutes keeps the sign-in going
            clock.shift(dt.timedelta(minutes=29))
            assert client.get(page).status_code == 200

        clock.shift(dt.timedelta(minutes=31))
        response = client.get(page)

        assert sent_to_sign_in(response, back=page)
        assert "_auth_user_id" not in client.session
        login_page = client.get(response["Location"]).content.decode()
        assert "signed out after 30 minutes without activity" in login_page


def test_a_busy_day_still_ends_after_12_hours(physio):
    page = reverse("tracking:caseload")
    with time_machine.travel(START, tick=False) as clock:
        client = sign_in(physio)
        for _ in range(12 * 3 - 1):
            clock.shift(dt.timedelta(minutes=20))
            assert client.get(page).status_code == 200

        clock.shift(dt.timedelta(minutes=21))  # 12 hours and a minute after signing in
        response = client.get(page)

        assert sent_to_sign_in(response, back=page)
        assert "signed in over 12 hours ago" in client.get(response["Location"]).content.decode()


def test_a_patient_can_stay_signed_in_on_their_own_device_for_30_days(patient):
    with time_machine.travel(START, tick=False) as clock:
        client = sign_in(patient, remember=True)
        assert client.cookies[settings.SESSION_COOKIE_NAME]["max-age"] == 30 * 24 * 3600

        clock.shift(dt.timedelta(days=3))  # no visit for three days
        assert client.get(TODAY).status_code == 200
        clock.shift(dt.timedelta(days=26, hours=23))
        assert client.get(TODAY).status_code == 200

        clock.shift(dt.timedelta(hours=2))
        assert sent_to_sign_in(client.get(TODAY))


def test_without_the_tick_a_patient_is_signed_out_like_everyone(patient):
    with time_machine.travel(START, tick=False) as clock:
        client = sign_in(patient)
        assert client.cookies[settings.SESSION_COOKIE_NAME]["max-age"] == 12 * 3600
        clock.shift(dt.timedelta(minutes=31))

        assert sent_to_sign_in(client.get(TODAY))


def test_staff_cannot_choose_to_stay_signed_in(physio):
    page = reverse("tracking:caseload")
    with time_machine.travel(START, tick=False) as clock:
        client = sign_in(physio, remember=True)
        assert client.cookies[settings.SESSION_COOKIE_NAME]["max-age"] == 12 * 3600
        clock.shift(dt.timedelta(minutes=31))

        assert sent_to_sign_in(client.get(page), back=page)


def test_a_patient_who_is_also_a_physio_cannot_stay_signed_in(patient):
    patient.groups.add(Group.objects.get(name=Role.PHYSIO.value))
    with time_machine.travel(START, tick=False) as clock:
        client = sign_in(patient, remember=True)
        assert client.cookies[settings.SESSION_COOKIE_NAME]["max-age"] == 12 * 3600
        clock.shift(dt.timedelta(minutes=31))

        assert sent_to_sign_in(client.get(TODAY))


def test_a_remembered_patient_made_a_physio_is_signed_out_when_idle(patient):
    with time_machine.travel(START, tick=False) as clock:
        client = sign_in(patient, remember=True)
        patient.groups.add(Group.objects.get(name=Role.PHYSIO.value))
        clock.shift(dt.timedelta(minutes=31))

        assert sent_to_sign_in(client.get(TODAY))


def test_the_sign_in_page_offers_to_keep_patients_signed_in(client, db):
    page = client.get(LOGIN).content.decode()

    assert '<label for="id_remember">Keep me signed in on this device for 30 days</label>' in page
    assert "Leave it unticked on a shared one" in page


@pytest.mark.urls("tests.accounts.polling_urls")
def test_background_polling_does_not_count_as_activity(patient):
    with time_machine.travel(START, tick=False) as clock:
        client = sign_in(patient)
        for _ in range(5):  # a page left open polls every ten minutes
            clock.shift(dt.timedelta(minutes=10))
            response = client.get("/test/poll/")
            if response.status_code != 200:
                break

        assert sent_to_sign_in(response, back="/test/poll/")


@pytest.mark.urls("tests.accounts.polling_urls")
def test_an_ordinary_request_does_count_as_activity(patient):
    with time_machine.travel(START, tick=False) as clock:
        client = sign_in(patient)
        for _ in range(5):
            clock.shift(dt.timedelta(minutes=10))
            assert client.get("/test/look/").status_code == 200


def test_an_anonymous_htmx_request_redirects_the_whole_page_to_sign_in(client, db):
    response = client.post(
        reverse("tracking:start"),
        {"pain_before": "3"},
        headers={"HX-Request": "true", "HX-Current-URL": "http://testserver/today/"},
    )

    assert response.status_code == 200
    assert response["HX-Redirect"] == f"{LOGIN}?next={TODAY}"
    assert response.content == b""


def test_an_expired_sign_in_during_an_htmx_request_redirects_the_whole_page(patient, session):
    entry = session.entries.first()
    with time_machine.travel(START, tick=False) as clock:
        client = sign_in(patient)
        clock.shift(dt.timedelta(minutes=31))
        response = client.post(
            reverse("tracking:entry-done", args=[session.pk, entry.pk]),
            headers={
                "HX-Request": "true",
                "HX-Current-URL": f"http://testserver/sessions/{session.pk}/",
            },
        )

    assert response["HX-Redirect"] == f"{LOGIN}?next=/sessions/{session.pk}/"
    entry.refresh_from_db()
    assert entry.status == "todo"


def test_a_form_posted_after_the_sign_in_ended_comes_back_to_its_page(patient, session):
    page = reverse("tracking:finish", args=[session.pk])
    with time_machine.travel(START, tick=False) as clock:
        client = sign_in(patient)
        clock.shift(dt.timedelta(minutes=31))
        response = client.post(
            page, {"pain_after": "2"}, headers={"Referer": f"http://testserver{page}"}
        )

    assert sent_to_sign_in(response, back=page)
    session.refresh_from_db()
    assert session.finished_at is None


def test_a_referer_from_another_site_is_not_followed_back(patient, session):
    with time_machine.travel(START, tick=False) as clock:
        client = sign_in(patient)
        clock.shift(dt.timedelta(minutes=31))
        response = client.post(
            reverse("tracking:finish", args=[session.pk]),
            {"pain_after": "2"},
            headers={"Referer": "https://evil.example/phish/"},
        )

    assert response["Location"] == LOGIN
