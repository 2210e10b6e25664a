"""Two-step verification: required for admins, offered to physios, with recovery codes."""

import datetime as dt
import re

import pytest
import time_machine
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from qsessions.models import Session as SignIn

from ..conftest import PASSWORD, app_code, current_code, signed_in

VERIFY = reverse("accounts:two-step-verify")
AFTER_THE_PAUSE = dt.timedelta(seconds=2)
SETUP = reverse("accounts:two-step-setup")


def password_only(user) -> Client:
    """Signed in with the password, as the sign-in form leaves someone: not yet verified."""
    client = Client()
    response = client.post(reverse("login"), {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302
    return client


@pytest.fixture
def admin_phone(staff_admin) -> TOTPDevice:
    return TOTPDevice.objects.create(user=staff_admin, name="Phone")


@pytest.fixture
def physio_phone(physio) -> TOTPDevice:
    return TOTPDevice.objects.create(user=physio, name="Phone")


def recovery_codes(html: str) -> list[str]:
    return [code.replace(" ", "") for code in re.findall(r"<code>(\w{4} \w{4})</code>", html)]


@pytest.mark.parametrize("url", ["/admin/", "/admin/accounts/user/", "/exercises/", "/"])
def test_an_admin_without_an_app_must_set_one_up_before_anything_else(staff_admin, url):
    response = password_only(staff_admin).get(url)

    assert response.status_code == 302
    assert response["Location"].startswith(f"{SETUP}?next=")


def test_setting_up_shows_a_qr_code_and_the_key_and_turns_on_with_a_right_code(staff_admin):
    client = password_only(staff_admin)

    page = client.get(f"{SETUP}?next=/admin/").content.decode()
    device = TOTPDevice.objects.get(user=staff_admin, confirmed=False)
    assert "<svg" in page
    assert 'role="img" aria-label="QR code to scan with your app"' in page
    assert '<label for="id_code">Code:</label>' in page

    wrong = client.post(SETUP, {"code": "000000", "next": "/admin/"})
    assert wrong.status_code == 400
    assert "That code did not match" in wrong.content.decode()
    device.refresh_from_db()
    assert not device.confirmed

    with time_machine.travel(AFTER_THE_PAUSE):  # a wrong code pauses tries for a second
        right = client.post(SETUP, {"code": current_code(device), "next": "/admin/"})
    assert right.status_code == 200
    device.refresh_from_db()
    assert device.confirmed
    codes = recovery_codes(right.content.decode())
    assert len(codes) == 10
    assert sorted(codes) == sorted(
        StaticToken.objects.filter(device__user=staff_admin).values_list("token", flat=True)
    )
    assert client.get("/admin/").status_code == 200


def test_reloading_the_set_up_page_keeps_the_same_key(staff_admin):
    client = password_only(staff_admin)

    first = client.get(SETUP).content.decode()
    second = client.get(SETUP).content.decode()

    assert TOTPDevice.objects.filter(user=staff_admin).count() == 1
    key = re.search(r'<p class="secret-key"><code>([A-Z2-7 ]+)</code>', first)
    assert key is not None
    assert key.group(1) in second


def test_an_admin_with_an_app_enters_a_code_after_the_password(staff_admin, admin_phone):
    client = password_only(staff_admin)

    response = client.get("/admin/accounts/user/")
    assert response["Location"] == f"{VERIFY}?next=/admin/accounts/user/"

    wrong = client.post(VERIFY, {"code": "123456", "next": "/admin/accounts/user/"})
    assert wrong.status_code == 400
    assert "That code did not work" in wrong.content.decode()
    assert client.get("/admin/").status_code == 302

    with time_machine.travel(AFTER_THE_PAUSE):
        right = client.post(
            VERIFY, {"code": current_code(admin_phone), "next": "/admin/accounts/user/"}
        )
    assert right["Location"] == "/admin/accounts/user/"
    assert client.get("/admin/accounts/user/").status_code == 200


def test_a_code_cannot_be_used_twice(staff_admin, admin_phone):
    code = current_code(admin_phone)
    first = password_only(staff_admin)
    assert first.post(VERIFY, {"code": code})["Location"] == "/"

    second = password_only(staff_admin)

    assert second.post(VERIFY, {"code": code}).status_code == 400


def test_many_wrong_codes_slow_down_guessing(staff_admin, admin_phone):
    client = password_only(staff_admin)
    for _ in range(5):
        client.post(VERIFY, {"code": "000000"})

    response = client.post(VERIFY, {"code": current_code(admin_phone)})

    assert response.status_code == 400
    assert "Too many wrong codes" in response.content.decode()


def test_a_recovery_code_works_once_and_says_how_many_are_left(staff_admin, admin_phone):
    device = StaticDevice.objects.create(user=staff_admin, name="Recovery codes")
    for token in ("aaaabbbb", "ccccdddd"):
        device.token_set.create(token=token)
    client = password_only(staff_admin)

    response = client.post(VERIFY, {"code": "AAAA BBBB", "next": "/admin/"}, follow=True)

    assert response.redirect_chain[0][0] == "/admin/"
    assert "You used a recovery code; 1 left." in response.content.decode()
    assert password_only(staff_admin).post(VERIFY, {"code": "aaaabbbb"}).status_code == 400


def test_new_recovery_codes_replace_the_old_ones(staff_admin, admin_phone):
    client = signed_in(staff_admin)
    old = StaticDevice.objects.create(user=staff_admin, name="Recovery codes")
    old.token_set.create(token="oldcode1")

    response = client.post(reverse("accounts:recovery-codes"))

    codes = recovery_codes(response.content.decode())
    assert len(codes) == 10
    assert set(StaticToken.objects.values_list("token", flat=True)) == set(codes)


def test_a_physio_without_an_app_is_offered_it_but_not_made_to(physio):
    client = password_only(physio)

    response = client.get(reverse("tracking:caseload"))

    assert response.status_code == 200
    assert "set up two-step verification" in response.content.decode()


def test_a_physio_who_set_it_up_is_asked_for_a_code_on_every_physio_page(
    physio, physio_phone, patient, assigned
):
    client = password_only(physio)
    pages = [
        reverse("tracking:caseload"),
        reverse("tracking:patient", args=[patient.pk]),
        reverse("tracking:programme-edit", args=[patient.pk]),
        reverse("accounts:invitations"),
    ]

    for page in pages:
        response = client.get(page)
        assert response["Location"] == f"{VERIFY}?next={page}", page
    posted = client.post(reverse("tracking:comment", args=[patient.pk]), {"body": "Hello"})
    assert posted["Location"] == VERIFY
    assert not patient.comments_received.exists()

    client.post(VERIFY, {"code": current_code(physio_phone)})
    assert all(client.get(page).status_code == 200 for page in pages)


def test_an_htmx_request_before_the_code_redirects_the_whole_page(physio, physio_phone):
    client = password_only(physio)

    response = client.get(
        reverse("tracking:caseload"),
        headers={"HX-Request": "true", "HX-Current-URL": "http://testserver/patients/"},
    )

    assert response["HX-Redirect"] == f"{VERIFY}?next=/patients/"


def test_setting_it_up_signs_out_everyone_else_using_the_account(physio):
    elsewhere = password_only(physio)
    client = password_only(physio)
    client.get(SETUP)
    device = TOTPDevice.objects.get(user=physio)

    client.post(SETUP, {"code": current_code(device)})

    assert SignIn.objects.filter(user=physio).count() == 1
    assert elsewhere.get(reverse("tracking:caseload")).status_code == 302
    assert client.get(reverse("tracking:caseload")).status_code == 200


def test_a_physio_can_turn_it_off_with_a_code(physio, physio_phone):
    client = signed_in(physio, verified=True)

    refused = client.post(reverse("accounts:two-step-off"), {"code": "000000"})
    assert refused.status_code == 400
    assert TOTPDevice.objects.filter(user=physio).exists()

    with time_machine.travel(AFTER_THE_PAUSE):
        client.post(reverse("accounts:two-step-off"), {"code": current_code(physio_phone)})
    assert not TOTPDevice.objects.filter(user=physio).exists()
    assert password_only(physio).get(reverse("tracking:caseload")).status_code == 200


def test_an_admin_cannot_turn_it_off(staff_admin, admin_phone):
    client = signed_in(staff_admin)

    response = client.post(
        reverse("accounts:two-step-off"), {"code": current_code(admin_phone, ahead=1)}
    )

    assert response.status_code == 403
    assert TOTPDevice.objects.filter(user=staff_admin).exists()


def test_patients_have_no_two_step_pages(patient):
    client = signed_in(patient)

    for name in ("two-step", "two-step-setup", "two-step-verify"):
        assert client.get(reverse(f"accounts:{name}")).status_code == 403


def test_an_admin_can_remove_a_lost_phone_so_it_can_be_set_up_again(
    staff_admin, make_user, physio, physio_phone
):
    response = signed_in(staff_admin).post(
        reverse("admin:otp_totp_totpdevice_delete", args=[physio_phone.pk]), {"post": "yes"}
    )

    assert response.status_code == 302
    assert password_only(physio).get(reverse("tracking:caseload")).status_code == 200


def test_the_admin_never_shows_an_authenticator_key(staff_admin, physio_phone):
    client = signed_in(staff_admin)

    page = client.get(reverse("admin:otp_totp_totpdevice_change", args=[physio_phone.pk]))

    assert page.status_code == 200
    assert physio_phone.key not in page.content.decode()
    qr = client.get(reverse("admin:otp_totp_totpdevice_qrcode", args=[physio_phone.pk]))
    assert qr.status_code == 403


def test_each_sign_in_gets_a_key_of_its_own_and_only_the_confirmed_one_stays(physio):
    first, second = password_only(physio), password_only(physio)
    key_of = re.compile(r'<p class="secret-key"><code>([A-Z2-7 ]+)</code>')
    first_key = key_of.search(first.get(SETUP).content.decode())
    second_key = key_of.search(second.get(SETUP).content.decode())
    assert first_key is not None
    assert second_key is not None
    assert first_key.group(1) != second_key.group(1)

    second.post(SETUP, {"code": app_code(second_key.group(1))})

    assert TOTPDevice.objects.filter(user=physio).count() == 1
    with time_machine.travel(AFTER_THE_PAUSE):  # the key first shown elsewhere never works
        later = password_only(physio)
        assert later.post(VERIFY, {"code": app_code(first_key.group(1))}).status_code == 400


def test_verifying_gives_the_sign_in_a_new_session_key(staff_admin, admin_phone):
    client = password_only(staff_admin)
    before = client.cookies[settings.SESSION_COOKIE_NAME].value

    client.post(VERIFY, {"code": current_code(admin_phone)})

    assert client.cookies[settings.SESSION_COOKIE_NAME].value != before
    assert client.get("/admin/").status_code == 200


def test_the_owner_is_emailed_when_two_step_is_turned_on_or_off(physio, mailoutbox):
    physio.email = "phil@example.com"
    physio.save()
    client = password_only(physio)
    client.get(SETUP)
    device = TOTPDevice.objects.get(user=physio)
    client.post(SETUP, {"code": current_code(device)})
    with time_machine.travel(AFTER_THE_PAUSE):
        client.post(reverse("accounts:two-step-off"), {"code": current_code(device, ahead=1)})

    assert [mail.subject for mail in mailoutbox] == [
        "Two-step verification is on for your BackTrack account",
        "Two-step verification is off for your BackTrack account",
    ]
    assert mailoutbox[0].to == ["phil@example.com"]
    assert "If it was not you, someone knows your password" in mailoutbox[0].body


def test_a_physio_whose_phone_an_admin_removed_is_not_stuck(physio, physio_phone):
    client = password_only(physio)
    assert client.get(reverse("tracking:caseload"))["Location"].startswith(VERIFY)
    physio_phone.delete()

    response = client.get(reverse("tracking:caseload"), follow=True)

    assert response.status_code == 200
    assert response.redirect_chain[-1][0] == reverse("tracking:caseload")
