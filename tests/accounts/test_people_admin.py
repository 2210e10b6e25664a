"""Admins run the clinic's accounts in the admin: roles, assignments, deactivation, links."""

import re

import pytest
from django.contrib.auth.models import Group, Permission
from django.core import mail
from django.urls import reverse
from qsessions.models import Session as SignIn

from accounts.models import Assignment, Role, User
from tests.conftest import PASSWORD, admin_user_form, signed_in

ADD_URL = reverse("admin:accounts_user_add")
LIST_URL = reverse("admin:accounts_user_changelist")
STRONG = "plum-tree-orbit-42"


@pytest.fixture
def admin_client(staff_admin):
    return signed_in(staff_admin)


def add_person(client, role_: str, username: str, **fields):
    data = {
        "role": role_,
        "username": username,
        "first_name": username.title(),
        "last_name": "Example",
        "email": f"{username}@example.com",
        "timezone": "Europe/London",
        "usable_password": "true",
        "password1": STRONG,
        "password2": STRONG,
        **fields,
    }
    return client.post(ADD_URL, {k: v for k, v in data.items() if v is not None})


def test_an_admin_adds_a_physio_with_their_role(admin_client):
    response = add_person(admin_client, Role.PHYSIO, "nina")

    assert response.status_code == 302
    nina = User.objects.get(username="nina")
    assert nina.has_role(Role.PHYSIO)
    assert not nina.has_role(Role.PATIENT)
    assert not nina.is_staff
    assert nina.check_password(STRONG)


def test_an_admin_adds_a_patient_in_a_physios_care(admin_client, physio):
    response = add_person(admin_client, Role.PATIENT, "paula", physio=physio.pk)

    assert response.status_code == 302
    paula = User.objects.get(username="paula")
    assert paula.is_patient
    assert list(paula.physios.all()) == [physio]
    assert paula in User.objects.patients_of(physio)


def test_a_new_person_can_be_sent_a_link_to_choose_their_password(admin_client, client):
    response = add_person(
        admin_client,
        Role.PATIENT,
        "paula",
        usable_password="false",
        password1=None,
        password2=None,
        send_password_link="on",
    )

    assert response.status_code == 302
    paula = User.objects.get(username="paula")
    assert not paula.has_usable_password()
    [message] = mail.outbox
    assert message.to == ["paula@example.com"]
    assert "An account has been made for you" in message.body
    assert "Your username is paula" in message.body
    [link] = re.findall(r"http://testserver(/accounts/password/reset/\S+/)", str(message.body))
    form_page = client.get(link, follow=True)
    client.post(form_page.redirect_chain[-1][0], {"new_password1": STRONG, "new_password2": STRONG})
    paula.refresh_from_db()
    assert paula.check_password(STRONG)
    again = client.get(link, follow=True)
    assert "This link no longer works" in again.content.decode()  # once only


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"role": ""}, "role", "This field is required."),
        ({"send_password_link": "on", "email": ""}, "email", "Add their email address"),
        ({"role": Role.PHYSIO, "physio": "PHYSIO"}, "physio", "Only a patient is assigned"),
        ({"email": "Phil@Example.com"}, "email", "already has an account"),
        ({"password2": "something-else-9"}, "password2", "match"),
        ({"password1": "password", "password2": "password"}, "password2", "too common"),
        ({"timezone": "Mars/Olympus"}, "timezone", "is not a time zone"),
    ],
)
def test_a_bad_new_person_is_refused_with_a_message(admin_client, physio, fields, field, message):
    physio.email = "phil@example.com"
    physio.save()
    if fields.get("physio") == "PHYSIO":
        fields = {**fields, "physio": physio.pk}

    response = add_person(admin_client, Role.PATIENT, "paula", **fields)

    assert response.status_code == 200
    form = response.context["adminform"].form
    assert message in " ".join(form.errors[field])
    assert form["first_name"].value() == "Paula"
    assert not User.objects.filter(username="paula").exists()


def test_the_people_list_shows_and_filters_by_role(admin_client, patient, physio):
    everyone = admin_client.get(LIST_URL).content.decode()
    physios = admin_client.get(LIST_URL, {"role": Role.PHYSIO}).context["cl"].result_list

    assert "Physiotherapist" in everyone
    assert list(physios) == [physio]


def test_an_admin_assigns_and_unassigns_a_patient(admin_client, patient, physio):
    url = reverse("admin:accounts_user_change", args=[patient.pk])
    page = admin_client.get(url).content.decode()
    assert "Physiotherapists looking after this patient" in page

    data = admin_user_form(patient)
    data.update({"physio_assignments-TOTAL_FORMS": 1, "physio_assignments-0-physio": physio.pk})
    assert admin_client.post(url, data).status_code == 302
    assignment = Assignment.objects.get(patient=patient)
    assert assignment.physio == physio

    data = admin_user_form(patient)
    data.update(
        {
            "physio_assignments-TOTAL_FORMS": 1,
            "physio_assignments-INITIAL_FORMS": 1,
            "physio_assignments-0-id": assignment.pk,
            "physio_assignments-0-patient": patient.pk,
            "physio_assignments-0-physio": physio.pk,
            "physio_assignments-0-DELETE": "on",
        }
    )
    assert admin_client.post(url, data).status_code == 302
    assert not Assignment.objects.exists()


def test_only_physios_can_be_assigned_to_a_patient(admin_client, patient, other_patient):
    url = reverse("admin:accounts_user_change", args=[patient.pk])
    data = admin_user_form(patient)
    data.update(
        {"physio_assignments-TOTAL_FORMS": 1, "physio_assignments-0-physio": other_patient.pk}
    )

    response = admin_client.post(url, data)

    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert not Assignment.objects.exists()


def test_a_physios_page_lists_their_patients(admin_client, physio, patient, assigned):
    page = admin_client.get(reverse("admin:accounts_user_change", args=[physio.pk]))

    html = page.content.decode()
    assert "Patients in this physiotherapist&#x27;s care" in html
    assert "Physiotherapists looking after this patient" not in html


def test_deactivating_ends_every_sign_in_at_once(admin_client, patient):
    phone, laptop = signed_in(patient), signed_in(patient)
    assert SignIn.objects.filter(user=patient).count() == 2

    response = admin_client.post(
        LIST_URL, {"action": "deactivate", "_selected_action": [patient.pk]}, follow=True
    )

    assert "1 account deactivated and signed out." in response.content.decode()
    assert SignIn.objects.filter(user=patient).count() == 0
    for device in (phone, laptop):
        page = device.get(reverse("tracking:today"))
        assert page.status_code == 302
        assert page["Location"].startswith(reverse("login"))
    patient.refresh_from_db()
    assert not patient.is_active


def test_unticking_active_on_the_page_also_ends_sign_ins(admin_client, patient):
    device = signed_in(patient)

    response = admin_client.post(
        reverse("admin:accounts_user_change", args=[patient.pk]),
        admin_user_form(patient, is_active=None),
    )

    assert response.status_code == 302
    assert not SignIn.objects.filter(user=patient).exists()
    assert device.get(reverse("tracking:today")).status_code == 302


def test_a_deactivated_person_cannot_sign_in(client, patient):
    patient.is_active = False
    patient.save()

    response = client.post(reverse("login"), {"username": "pat", "password": PASSWORD})

    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_an_admin_cannot_deactivate_themselves(admin_client, staff_admin):
    response = admin_client.post(
        LIST_URL, {"action": "deactivate", "_selected_action": [staff_admin.pk]}, follow=True
    )

    assert "You cannot deactivate your own account." in response.content.decode()
    staff_admin.refresh_from_db()
    assert staff_admin.is_active


def test_an_admin_emails_password_links(admin_client, patient, physio):
    patient.email = "pat@example.com"
    patient.save()

    response = admin_client.post(
        LIST_URL,
        {"action": "send_password_links", "_selected_action": [patient.pk, physio.pk]},
        follow=True,
    )

    html = response.content.decode()
    assert "A link to choose a password was emailed to pat@example.com." in html
    assert "Phil Io has no email address" in html
    [message] = mail.outbox
    assert message.to == ["pat@example.com"]
    assert "/accounts/password/reset/" in message.body
    patient.refresh_from_db()
    assert patient.check_password(PASSWORD)  # nothing changes until the link is used


def test_a_forgotten_password_is_reset_by_email(client, patient):
    patient.email = "pat@example.com"
    patient.save()

    response = client.post(reverse("password_reset"), {"email": "PAT@example.com"}, follow=True)

    assert "Check your email" in response.content.decode()
    [message] = mail.outbox
    assert "Someone asked for a new BackTrack password" in message.body


def test_asking_for_an_unknown_email_says_the_same_and_sends_nothing(client, db):
    response = client.post(reverse("password_reset"), {"email": "nobody@example.com"}, follow=True)

    assert "Check your email" in response.content.decode()
    assert mail.outbox == []


def test_changing_a_password_needs_the_current_one(patient_client, patient):
    url = reverse("password_change")
    data = {"old_password": "wrong", "new_password1": STRONG, "new_password2": STRONG}

    refused = patient_client.post(url, data)
    accepted = patient_client.post(url, {**data, "old_password": PASSWORD})

    assert "Your old password was entered incorrectly" in refused.content.decode()
    assert accepted.status_code == 302
    patient.refresh_from_db()
    assert patient.check_password(STRONG)


def test_roles_exist_as_groups(db):
    assert set(Group.objects.values_list("name", flat=True)) >= set(Role.values)


@pytest.mark.parametrize("action", ["deactivate", "send_password_links"])
def test_staff_who_may_only_view_people_cannot_act_on_them(make_user, staff_admin, action):
    viewer = make_user("vera", is_staff=True, email="vera@example.com")
    viewer.user_permissions.add(Permission.objects.get(codename="view_user"))
    staff_admin.email = "ada@example.com"
    staff_admin.save()

    signed_in(viewer).post(LIST_URL, {"action": action, "_selected_action": [staff_admin.pk]})

    staff_admin.refresh_from_db()
    assert staff_admin.is_active
    assert mail.outbox == []
