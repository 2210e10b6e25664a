"""Only admins reach the admin: every admin URL, for every kind of person.

The list of URLs comes from the admin site itself, so an admin page added later
without a place in this grid fails the test until it is given one.
"""

from typing import Any

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.apps import apps
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.urls import URLResolver, reverse
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import Invitation, User
from exercises.models import Exercise
from tests.conftest import signed_in

# Admin pages that are not about any data: signing in and out, and helpers.
NOT_DATA = {
    "login",
    "logout",
    "password_change",
    "password_change_done",
    "jsi18n",
    "autocomplete",
    "view_on_site",
}
PER_OBJECT = ("change", "delete", "history", "password_change", "config", "qrcode", "erase")


def _names(patterns) -> set[str]:
    names = set()
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            names |= _names(pattern.url_patterns)
        elif pattern.name:
            names.add(pattern.name)
    return names


def admin_urls(objects: dict[str, Any]) -> dict[str, str]:
    """Every named admin URL about data, filled in with an object of its model."""
    urls = {"index": reverse("admin:index")}
    for app_label in {model._meta.app_label for model in admin.site._registry}:
        urls[f"app_list:{app_label}"] = reverse("admin:app_list", args=[app_label])
    for name in _names(admin.site.get_urls()) - NOT_DATA - {"index", "app_list"}:
        if name == "auth_user_password_change":  # the user model's own password page
            urls[name] = reverse(f"admin:{name}", args=[objects["accounts_user"].pk])
            continue
        prefix, _, view = name.rpartition("_")
        if view == "history" and prefix.endswith("_simple"):
            prefix = prefix.removesuffix("_simple")
            obj = objects[prefix]
            urls[name] = reverse(f"admin:{name}", args=[obj.pk, obj.history.first().pk])
        elif view in PER_OBJECT:
            urls[name] = reverse(f"admin:{name}", args=[objects[prefix].pk])
        else:
            assert view in {"changelist", "add"}, f"{name} has no place in the grid"
            urls[name] = reverse(f"admin:{name}")
    return urls


@pytest.fixture
def objects(patient, physio, staff_admin) -> dict[str, Any]:
    invitation = Invitation(email="x@example.com", invited_by=physio)
    invitation.new_token()
    invitation.save()
    seen = {"user_agent": "test", "ip_address": "10.0.0.1", "username": "pat", "path_info": "/"}
    AccessAttempt.objects.create(**seen, get_data="", post_data="", failures_since_start=1)
    AccessLog.objects.create(**seen)
    AccessFailureLog.objects.create(**seen)
    TOTPDevice.objects.create(user=staff_admin, name="Phone")
    StaticDevice.objects.create(user=staff_admin, name="Recovery codes").token_set.create(token="a")
    found = {}
    for model in admin.site._registry:
        key = f"{model._meta.app_label}_{model._meta.model_name}"
        found[key] = patient if model is User else model._default_manager.order_by("pk").first()
        assert found[key] is not None, f"no {key} to try the admin pages with"
    return found


def snapshot() -> dict[str, int]:
    return {
        model._meta.label: model._default_manager.count()
        for model in apps.get_models()
        if model._meta.app_label in {"accounts", "exercises", "tracking", "auth"}
    }


@pytest.fixture
def staff_without_permissions(make_user) -> User:
    return make_user("stan", is_staff=True)


@pytest.mark.parametrize("who", ["anonymous", "patient", "physio"])
def test_people_who_are_not_staff_are_turned_away_and_change_nothing(
    request, who, objects, settings
):
    # Every admin page in a row, signed out: more than the signed-out rate limit
    # lets through (tests/audit/test_signed_out_refusals.py), so it is lifted here.
    settings.SIGNED_OUT_RATE_LIMIT = "1000/m"
    client = signed_in(None if who == "anonymous" else request.getfixturevalue(who))
    urls = admin_urls(objects)
    urls["login"] = reverse("admin:login")
    before = snapshot()

    for name, url in urls.items():
        for method in ("get", "post"):
            response = getattr(client, method)(url, {"post": "yes", "is_active": ""})
            if who == "anonymous":  # to the app's own sign-in
                assert response.status_code == 302, (method, name)
                assert response["Location"].startswith(reverse("login")), name
            else:
                assert response.status_code == 403, (who, method, name)

    assert snapshot() == before
    assert Exercise.objects.filter(is_active=True).count() == 10


def test_the_admin_has_no_sign_in_form_of_its_own(staff_admin):
    anonymous = signed_in(None).get(reverse("admin:login") + "?next=/admin/accounts/user/")
    admin_back = signed_in(staff_admin).get(reverse("admin:login") + "?next=/admin/accounts/user/")
    elsewhere = signed_in(staff_admin).get(reverse("admin:login") + "?next=https://evil.example/")
    not_a_path = signed_in(staff_admin).get(reverse("admin:login") + "?next=0")

    assert (
        anonymous["Location"]
        == f"{reverse('login')}?next=/admin/login/%3Fnext%3D/admin/accounts/user/"
    )
    assert admin_back["Location"] == "/admin/accounts/user/"
    assert elsewhere["Location"] == reverse("admin:index")
    assert not_a_path["Location"] == reverse("admin:index")


def test_staff_without_permissions_see_no_data(staff_without_permissions, objects):
    client = signed_in(staff_without_permissions)
    urls = admin_urls(objects)
    before = snapshot()

    for name, url in urls.items():
        for response in (client.get(url), client.post(url, {"post": "yes"})):
            if name == "index":
                assert response.status_code == 200
                assert "have permission to view or edit anything." in (response.content.decode())
            else:
                assert response.status_code in (403, 404), name

    assert snapshot() == before


def test_staff_see_only_what_their_permissions_allow(staff_without_permissions, objects):
    staff_without_permissions.user_permissions.add(Permission.objects.get(codename="view_exercise"))
    client = signed_in(staff_without_permissions)

    assert client.get(reverse("admin:exercises_exercise_changelist")).status_code == 200
    assert client.get(reverse("admin:accounts_user_changelist")).status_code == 403
    bird_dog = Exercise.objects.get(slug="bird-dog")
    response = client.post(
        reverse("admin:exercises_exercise_change", args=[bird_dog.pk]), {"name": "Cat"}
    )
    assert response.status_code == 403
    assert Exercise.objects.get(pk=bird_dog.pk).name == "Bird-dog"


# Invitations are made by physios in the app, with a link only the patient receives;
# records of sign-in attempts are written by django-axes, never by hand; nobody,
# not even an admin, may read someone else's authenticator key or set one up for them;
# the audit trail is only ever added to by the app itself, and never changed;
# a patient's account (the person these pages are tried with) goes only by erasure.
CLOSED_EVEN_TO_ADMINS = {
    "accounts_user_delete",
    "audit_auditevent_add",
    "audit_auditevent_delete",
    "otp_totp_totpdevice_add",
    "otp_static_staticdevice_add",
    "otp_totp_totpdevice_config",
    "otp_totp_totpdevice_qrcode",
    "accounts_invitation_add",
    "axes_accessattempt_add",
    "axes_accesslog_add",
    "axes_accessfailurelog_add",
}


def test_admins_reach_every_admin_page(staff_admin, objects):
    client = signed_in(staff_admin)

    for name, url in admin_urls(objects).items():
        expected = 403 if name in CLOSED_EVEN_TO_ADMINS else 200
        assert client.get(url).status_code == expected, name


def test_admin_pages_carry_the_sites_icon_and_title(staff_admin):
    page = signed_in(staff_admin).get(reverse("admin:index")).content.decode()

    assert '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">' in page
    assert "BackTrack administration" in page
