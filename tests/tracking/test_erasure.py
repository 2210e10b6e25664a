"""Deleting a patient's account: by the patient, or by an admin on a written request.

Everything about them goes, in every table; the audit trail keeps one record
of the erasure and a pseudonym in place of the person, and still verifies.
"""

import datetime as dt
import io
import json
import re
from dataclasses import dataclass
from typing import Any

import pytest
import time_machine
from axes.models import AccessAttempt, AccessLog
from django.apps import apps
from django.conf import settings
from django.contrib.admin.models import LogEntry
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core import mail
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from qsessions.models import Session as SignIn

from accounts.models import Assignment, Invitation, Role, User
from audit.models import Action, AuditEvent, pseudonym
from tests.conftest import PASSWORD, admin_user_form, programme_post, signed_in
from tracking.models import (
    AlertAcknowledgement,
    Comment,
    Programme,
    ProgrammeExercise,
    ProgrammeVersion,
    Session,
    SessionEntry,
)

ERASE = reverse("tracking:erase")
LOGIN = reverse("login")
TODAY = reverse("tracking:today")
PEOPLE = reverse("admin:accounts_user_changelist")
DELETED = "Your account and all your exercise records have been deleted."
# Distinctive, so finding them anywhere in the database means they were left behind.
USERNAME = "zebulonq"
FIRST_NAME = "Zebulon"
LAST_NAME = "Quixtopher"
EMAIL = "zq@example.org"
WORDS = [USERNAME, FIRST_NAME, LAST_NAME, EMAIL]


# Helpers ------------------------------------------------------------------


def log_session(patient: User, *, days_ago: int, pain_after: int | None = 3, notes="") -> Session:
    """A session with the patient's programme, a few exercises done and one skipped."""
    session, _ = Session.start(patient, pain_before=5)
    entries = list(session.entries.order_by("order"))
    for entry in entries[:3]:
        entry.mark_done()
        entry.save()
    entries[3].mark_skipped()
    entries[3].save()
    if pain_after is not None:
        session.finish(pain_after=pain_after, notes=notes, flagged=False)
    started = timezone.now() - dt.timedelta(days=days_ago)
    Session.objects.filter(pk=session.pk).update(
        started_at=started,
        finished_at=started + dt.timedelta(minutes=20) if pain_after is not None else None,
        local_date=timezone.localdate(started, patient.tzinfo),
    )
    return session


def sign_in(username: str, password: str = PASSWORD, address: str = "127.0.0.1") -> Client:
    """A real sign-in through the form, as django-axes and the audit trail see it."""
    client = Client(REMOTE_ADDR=address)
    client.post(LOGIN, {"username": username, "password": password})
    return client


def session_key(client: Client) -> str:
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def lands_on_sign_in(client: Client) -> bool:
    response = client.get(TODAY)
    return response.status_code == 302 and response["Location"].startswith(LOGIN)


def admin_edit(client: Client, user: User, **changes: Any) -> None:
    url = reverse("admin:accounts_user_change", args=[user.pk])
    response = client.post(url, admin_user_form(user, **changes))
    assert response.status_code == 302, response.content.decode()[:2000]


def rows_pointing_to(user_id: int) -> list[str]:
    """Every row of every table with a foreign key or one-to-one link to the person."""
    found = []
    for model in apps.get_models(include_auto_created=True):
        for field in model._meta.get_fields():
            if not (field.concrete and (field.many_to_one or field.one_to_one)):
                continue
            if field.related_model is not get_user_model():
                continue
            count = model._base_manager.filter(**{field.attname: user_id}).count()  # type: ignore[union-attr]
            if count:
                found.append(f"{model._meta.label}.{field.name}: {count}")
    return found


def as_text(value: Any) -> str:
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).decode("utf-8", "replace")
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def places_mentioning(words: list[str]) -> list[str]:
    """Every value, in every column of every table, that contains one of `words`."""
    found = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
            columns = [column[0] for column in cursor.description]
            for row in cursor.fetchall():
                for column, value in zip(columns, row, strict=True):
                    text = as_text(value).casefold()
                    found += [
                        f"{table}.{column} holds {word!r}: {text[:300]}"
                        for word in words
                        if word.casefold() in text
                    ]
    return found


def counts_for(patient: User) -> dict[str, int]:
    return {
        "sessions": Session.objects.filter(patient=patient).count(),
        "entries": SessionEntry.objects.filter(session__patient=patient).count(),
        "comments": Comment.objects.filter(patient=patient).count(),
        "programme": Programme.objects.filter(patient=patient).count(),
        "versions": ProgrammeVersion.objects.filter(programme__patient=patient).count(),
        "exercises": ProgrammeExercise.objects.filter(programme__patient=patient).count(),
        "acknowledgements": AlertAcknowledgement.objects.filter(patient=patient).count(),
        "assignments": Assignment.objects.filter(patient=patient).count(),
        "audit": AuditEvent.objects.filter(patient=patient).count(),
        "sign_ins": SignIn.objects.filter(user=patient).count(),
    }


def erase_data(**changes: Any) -> dict[str, str]:
    data = {
        "request_received": (timezone.localdate() - dt.timedelta(days=2)).isoformat(),
        "username": USERNAME,
        "confirm": "on",
        **changes,
    }
    return {key: value for key, value in data.items() if value is not None}


def erase_url(user: User) -> str:
    return reverse("admin:accounts_user_erase", args=[user.pk])


# The account ----------------------------------------------------------------


@dataclass
class Account:
    patient: User
    pk: int
    ref: str
    phone: Client
    laptop: Client
    admin: Client
    other_patient: User


@pytest.fixture
def account(physio, other_physio, staff_admin, other_patient) -> Account:
    """A patient with a bit of everything that can name them, anywhere in the database.

    Invited by email (and invited again by a second physio, in other capitals),
    in the care of two physios, signed in on two devices, one failed sign-in,
    a role change and admin edits, sessions, comments, a seen alert, audit
    records of their physio looking and of a download. Another patient of the
    same physios has history of their own.
    """
    physio_client, colleague = signed_in(physio), signed_in(other_physio)
    colleague.post(reverse("accounts:invitations"), {"email": "ZQ@Example.ORG"})
    physio_client.post(
        reverse("accounts:invitations"),
        {"email": EMAIL, "first_name": FIRST_NAME, "last_name": LAST_NAME},
    )
    physio_client.post(reverse("accounts:invitations"), {"email": "someone.else@example.com"})
    [invitation] = [message for message in mail.outbox if message.to == [EMAIL]]
    [link] = re.findall(r"http://testserver(/invitation/[^/\s]+/)", str(invitation.body))
    accepted = Client().post(
        link,
        {
            "first_name": FIRST_NAME,
            "last_name": LAST_NAME,
            "username": USERNAME,
            "password1": PASSWORD,
            "password2": PASSWORD,
        },
    )
    assert accepted.status_code == 302, accepted.content.decode()[:2000]
    patient = User.objects.get(username=USERNAME)
    assert Invitation.objects.filter(email__iexact=EMAIL).count() == 2

    admin = signed_in(staff_admin)
    physio_group = Group.objects.get(name=Role.PHYSIO)
    patient_group = Group.objects.get(name=Role.PATIENT)
    admin_edit(admin, patient, groups=[patient_group.pk, physio_group.pk])  # a role change...
    admin_edit(admin, patient, groups=[patient_group.pk], timezone="Europe/Dublin")  # ...undone
    # The second physio takes them on, from the physio's own page in the admin.
    admin_edit(
        admin,
        other_physio,
        **{
            "patient_assignments-TOTAL_FORMS": 1,
            "patient_assignments-0-patient": patient.pk,
            "patient_assignments-0-physio": other_physio.pk,
        },
    )
    assert set(patient.physios.all()) == {physio, other_physio}
    # Made a patient on accepting, then a physio too, then a patient only again.
    assert AuditEvent.objects.filter(action=Action.ROLE_CHANGE, patient=patient).count() == 3
    assert LogEntry.objects.filter(object_id=str(patient.pk)).count() == 2

    phone, laptop = sign_in(USERNAME), sign_in(USERNAME)
    sign_in(USERNAME, "not-my-password", address="10.9.8.7")
    assert AccessAttempt.objects.filter(username=USERNAME).exists()
    assert AccessLog.objects.filter(username=USERNAME).count() == 3  # with the invitation's

    log_session(patient, days_ago=6, notes="Felt fine")
    flagged = log_session(patient, days_ago=3, pain_after=5, notes="Worse after bridges")
    Session.objects.filter(pk=flagged.pk).update(flagged=True)
    log_session(patient, days_ago=0, pain_after=None)
    programme = Programme.objects.get(patient=patient)
    physio_client.post(
        reverse("tracking:programme-edit", args=[patient.pk]),
        programme_post(programme, {"Glute bridge": {"reps": 12}}),
    )
    physio_client.post(reverse("tracking:comment", args=[patient.pk]), {"body": "Good start"})
    physio_client.post(
        reverse("tracking:session-comment", args=[patient.pk, flagged.pk]),
        {"body": "Let us lower the bridge"},
    )
    physio_client.post(
        reverse("tracking:acknowledge", args=[patient.pk]),
        {"kind": "flagged", "key": str(flagged.pk), "note": "Called them"},
    )
    physio_client.get(reverse("tracking:patient", args=[patient.pk]))
    physio_client.get(reverse("tracking:patient-session", args=[patient.pk, flagged.pk]))
    phone.get(reverse("tracking:export-json"))
    assert AlertAcknowledgement.objects.filter(patient=patient).exists()

    # Someone else in the same physios' care, with a history of their own.
    Assignment.objects.create(patient=other_patient, physio=physio)
    Assignment.objects.create(patient=other_patient, physio=other_physio)
    theirs = log_session(other_patient, days_ago=2, notes="Other patient's note")
    physio_client.post(
        reverse("tracking:session-comment", args=[other_patient.pk, theirs.pk]), {"body": "Hi"}
    )
    physio_client.get(reverse("tracking:patient", args=[other_patient.pk]))

    return Account(patient, patient.pk, pseudonym(patient.pk), phone, laptop, admin, other_patient)


def erase_by_the_patient(account: Account):
    return account.phone.post(ERASE, {"password": PASSWORD, "confirm": "on"})


def erase_by_an_admin(account: Account):
    return account.admin.post(erase_url(account.patient), erase_data())


@pytest.fixture(params=["by the patient", "by an admin"])
def erase(request, account):
    """Each erasure check runs for both ways an account is erased."""
    return erase_by_the_patient if request.param == "by the patient" else erase_by_an_admin


# The patient's delete page ----------------------------------------------------


def test_the_delete_page_asks_for_the_password_and_a_tick_each_labelled(patient_client):
    page = patient_client.get(ERASE).content.decode()

    assert re.search(r'<label for="id_password"[^>]*>Your password', page)
    assert re.search(r'<input type="password" name="password"[^>]*id="id_password"', page)
    assert '<input type="checkbox" name="confirm" id="id_confirm"' in page
    assert '<label for="id_confirm">I understand that my account' in page
    assert '<button type="submit" class="danger">Delete my account and data</button>' in page
    assert f'href="{reverse("tracking:export-json")}" download' in page


def test_the_delete_page_is_for_patients_only(physio_client, physio):
    assert physio_client.get(ERASE).status_code == 403
    assert physio_client.post(ERASE, {"password": PASSWORD, "confirm": "on"}).status_code == 403
    assert User.objects.filter(pk=physio.pk).exists()


def test_a_wrong_password_deletes_nothing_and_keeps_the_tick(patient_client, patient, session):
    response = patient_client.post(ERASE, {"password": "not-my-password", "confirm": "on"})

    assert response.status_code == 200
    page = response.content.decode()
    assert "That is not your password" in page
    assert '<input type="checkbox" name="confirm" id="id_confirm" checked' in page
    assert "not-my-password" not in page  # a password is never sent back
    assert User.objects.filter(pk=patient.pk).exists()
    assert Session.objects.filter(pk=session.pk).exists()
    assert patient_client.get(TODAY).status_code == 200  # still signed in


def test_without_the_tick_nothing_is_deleted(patient_client, patient, session):
    response = patient_client.post(ERASE, {"password": PASSWORD})

    assert response.status_code == 200
    form = response.context["form"]
    assert form.errors == {"confirm": ["This field is required."]}
    assert 'id="id_confirm_error"' in response.content.decode()
    assert User.objects.filter(pk=patient.pk).exists()
    assert Session.objects.filter(pk=session.pk).exists()


def test_after_five_wrong_passwords_even_the_right_one_is_refused_for_a_while(patient):
    with time_machine.travel(dt.datetime(2026, 5, 4, 10, 0, tzinfo=dt.UTC), tick=False) as clock:
        client = signed_in(patient)
        for _ in range(5):
            wrong = client.post(ERASE, {"password": "not-my-password", "confirm": "on"})
            assert wrong.status_code == 200

        refused = client.post(ERASE, {"password": PASSWORD, "confirm": "on"})

        assert refused.status_code == 429
        assert "Too many wrong passwords" in refused.content.decode()
        assert User.objects.filter(pk=patient.pk).exists()

        clock.shift(dt.timedelta(minutes=16))
        client = signed_in(patient)
        allowed = client.post(ERASE, {"password": PASSWORD, "confirm": "on"})

        assert allowed.status_code == 302
        assert not User.objects.filter(pk=patient.pk).exists()


def test_four_wrong_passwords_still_leave_a_fifth_try(patient):
    with time_machine.travel(dt.datetime(2026, 5, 4, 10, 0, tzinfo=dt.UTC), tick=False):
        client = signed_in(patient)
        for _ in range(4):
            client.post(ERASE, {"password": "not-my-password", "confirm": "on"})

        response = client.post(ERASE, {"password": PASSWORD, "confirm": "on"})

    assert response.status_code == 302
    assert not User.objects.filter(pk=patient.pk).exists()


def test_wrong_passwords_of_one_patient_do_not_hold_up_another(patient, other_patient):
    with time_machine.travel(dt.datetime(2026, 5, 4, 10, 0, tzinfo=dt.UTC), tick=False):
        mine = signed_in(patient)
        for _ in range(7):
            mine.post(ERASE, {"password": "not-my-password", "confirm": "on"})

        response = signed_in(other_patient).post(ERASE, {"password": PASSWORD, "confirm": "on"})

    assert response.status_code == 302
    assert not User.objects.filter(pk=other_patient.pk).exists()


# Erasing: by the patient --------------------------------------------------------


def test_the_patient_lands_on_sign_in_with_a_message(account):
    response = account.phone.post(ERASE, {"password": PASSWORD, "confirm": "on"}, follow=True)

    assert response.redirect_chain == [(LOGIN, 302)]
    assert DELETED in response.content.decode()


def test_the_erased_patients_sign_ins_all_end(account):
    keys = [session_key(account.phone), session_key(account.laptop)]
    # Two devices, and the sign-in that accepting the invitation began.
    assert SignIn.objects.filter(user=account.patient).count() == 3

    erase_by_the_patient(account)

    assert not SignIn.objects.filter(session_key__in=keys).exists()
    assert not SignIn.objects.filter(user_id=account.pk).exists()
    assert lands_on_sign_in(account.laptop)
    assert lands_on_sign_in(account.phone)


def test_the_erased_patient_cannot_sign_in_again(account):
    erase_by_the_patient(account)

    client = sign_in(USERNAME)

    assert "_auth_user_id" not in client.session


def test_erasing_adds_one_record_to_the_trail_and_no_refusal(account):
    before = AuditEvent.objects.latest("seq").seq

    erase_by_the_patient(account)

    added = AuditEvent.objects.filter(seq__gt=before).order_by("seq")
    assert [(event.action, event.outcome) for event in added] == [(Action.ERASE, "success")]


# Erasing: what is gone, either way -------------------------------------------------


def test_the_person_and_all_their_records_are_gone(account, erase):
    patient = account.patient
    response = erase(account)

    assert response.status_code == 302
    assert not User.objects.filter(pk=account.pk).exists()
    assert counts_for(patient) == dict.fromkeys(counts_for(patient), 0)
    assert not Programme.objects.filter(patient_id=account.pk).exists()
    assert not Invitation.objects.filter(accepted_by_id=account.pk).exists()
    assert not Invitation.objects.filter(email__iexact=EMAIL).exists()
    assert Invitation.objects.filter(email="someone.else@example.com").exists()
    assert not AccessAttempt.objects.filter(username=USERNAME).exists()
    assert not AccessLog.objects.filter(username=USERNAME).exists()
    assert not LogEntry.objects.filter(object_id=str(account.pk)).exists()
    assert not SignIn.objects.filter(user_id=account.pk).exists()
    assert lands_on_sign_in(account.laptop)


def test_no_table_points_to_the_erased_person(account, erase):
    assert rows_pointing_to(account.pk)  # the check finds something to look for

    erase(account)

    assert rows_pointing_to(account.pk) == []


def test_no_table_holds_their_name_username_or_email(account, erase):
    assert len(places_mentioning(WORDS)) > 10  # the scan sees them before

    erase(account)

    assert places_mentioning(WORDS) == []


def test_other_patients_and_both_physios_are_untouched(account, erase, physio, other_physio):
    other = account.other_patient
    before = counts_for(other)
    assert before["sessions"] > 0
    assert before["comments"] > 0
    assert before["assignments"] == 2

    erase(account)

    assert counts_for(other) == before
    assert {p.username for p in other.physios.all()} == {physio.username, other_physio.username}
    assert User.objects.filter(pk__in=[physio.pk, other_physio.pk, other.pk]).count() == 3
    assert Invitation.objects.filter(invited_by=physio).exists()


# The audit trail ------------------------------------------------------------------


def test_the_trail_keeps_a_pseudonym_in_place_of_the_person(account, erase):
    about_them = set(
        AuditEvent.objects.filter(patient=account.patient).values_list("seq", flat=True)
    )
    by_them = set(AuditEvent.objects.filter(actor=account.patient).values_list("seq", flat=True))
    assert len(about_them) > 5
    assert len(by_them) > 2

    erase(account)

    earlier = AuditEvent.objects.filter(seq__in=about_them | by_them)
    assert earlier.count() == len(about_them | by_them)  # kept, not deleted
    for event in earlier:
        if event.seq in about_them:
            assert (event.patient_id, event.patient_ref) == (None, account.ref)
        if event.seq in by_them:
            assert (event.actor_id, event.actor_ref) == (None, account.ref)


def test_the_patients_own_erasure_is_one_record_by_their_pseudonym(account):
    erase_by_the_patient(account)

    [erasure] = AuditEvent.objects.filter(action=Action.ERASE)
    assert erasure.actor is None
    assert erasure.patient is None
    assert erasure.actor_ref == erasure.patient_ref == account.ref
    assert erasure.detail == {"sessions": 3, "entries": 30, "comments": 2, "by": "patient"}


def test_an_admins_erasure_is_one_record_naming_the_admin_and_the_request_date(
    account, staff_admin
):
    received = timezone.localdate() - dt.timedelta(days=2)

    erase_by_an_admin(account)

    [erasure] = AuditEvent.objects.filter(action=Action.ERASE)
    assert erasure.actor == staff_admin
    assert erasure.actor_ref == pseudonym(staff_admin.pk)
    assert (erasure.patient, erasure.patient_ref) == (None, account.ref)
    assert erasure.detail == {
        "sessions": 3,
        "entries": 30,
        "comments": 2,
        "by": "admin",
        "request_received": received.isoformat(),
    }


def test_the_trail_still_verifies_after_an_erasure(account, erase):
    erase(account)

    out = io.StringIO()
    call_command("verify_audit_trail", stdout=out)

    assert "The audit trail is intact" in out.getvalue()


# Erasing in the admin ---------------------------------------------------------------


@pytest.fixture
def admin_client(staff_admin) -> Client:
    return signed_in(staff_admin)


@pytest.fixture
def zebulon(make_user, physio) -> User:
    patient = make_user(USERNAME, Role.PATIENT, first_name=FIRST_NAME, email=EMAIL)
    Assignment.objects.create(patient=patient, physio=physio)
    log_session(patient, days_ago=1)
    return patient


def test_a_patients_page_in_the_admin_links_to_erasure(admin_client, zebulon, physio):
    patient_page = admin_client.get(reverse("admin:accounts_user_change", args=[zebulon.pk]))
    physio_page = admin_client.get(reverse("admin:accounts_user_change", args=[physio.pk]))

    link = f'<a href="{erase_url(zebulon)}">Erase on written request</a>'
    assert link in patient_page.content.decode()
    assert "Erase on written request" not in physio_page.content.decode()


def test_the_admin_erase_page_asks_for_the_date_the_username_and_a_tick(admin_client, zebulon):
    page = admin_client.get(erase_url(zebulon)).content.decode()

    assert '<label for="id_request_received">Date the written request was received' in page
    assert '<label for="id_username">Type the patient' in page
    assert '<label for="id_confirm">I understand' in page
    assert 'value="Erase the account and all its data"' in page


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"request_received": None}, "request_received", "This field is required."),
        ({"request_received": "not a date"}, "request_received", "Enter a valid date."),
        (
            {"request_received": "FUTURE"},
            "request_received",
            "The request cannot have been received in the future.",
        ),
        ({"username": None}, "username", "This field is required."),
        ({"username": "Zebulonq"}, "username", "That is not this patient"),
        ({"username": "pat"}, "username", "That is not this patient"),
        ({"confirm": None}, "confirm", "This field is required."),
    ],
)
def test_a_mistake_on_the_admin_erase_page_deletes_nothing(
    admin_client, zebulon, changes, field, message
):
    if changes.get("request_received") == "FUTURE":
        tomorrow = timezone.localdate() + dt.timedelta(days=1)
        changes = {"request_received": tomorrow.isoformat()}

    response = admin_client.post(erase_url(zebulon), erase_data(**changes))

    assert response.status_code == 200
    errors = response.context["form"].errors
    assert list(errors) == [field]
    assert message in " ".join(errors[field])
    assert message.replace("'", "&#x27;") in response.content.decode()
    assert User.objects.filter(pk=zebulon.pk).exists()
    assert Session.objects.filter(patient=zebulon).exists()
    assert not AuditEvent.objects.filter(action=Action.ERASE).exists()


def test_a_request_received_today_is_accepted(admin_client, zebulon):
    response = admin_client.post(
        erase_url(zebulon), erase_data(request_received=timezone.localdate().isoformat())
    )

    assert response.status_code == 302
    assert not User.objects.filter(pk=zebulon.pk).exists()


def test_the_admin_is_sent_back_to_the_people_list_with_a_message(admin_client, zebulon):
    response = admin_client.post(erase_url(zebulon), erase_data(), follow=True)

    assert response.redirect_chain == [(PEOPLE, 302)]
    assert "Zebulon&#x27;s account and all their data were erased." in response.content.decode()


@pytest.mark.parametrize(
    "who", ["physio", "staff_admin", "patient_and_admin", "patient_and_physio"]
)
def test_only_a_patients_account_can_be_erased_in_the_admin(admin_client, request, make_user, who):
    if who == "patient_and_admin":
        person = make_user("nurse", Role.PATIENT, is_staff=True)
    elif who == "patient_and_physio":
        # Also someone's physio: erasing them would take other patients' physio away.
        person = make_user("phyllis", Role.PATIENT)
        person.groups.add(Group.objects.get(name=Role.PHYSIO))
    else:
        person = request.getfixturevalue(who)
    change_url = reverse("admin:accounts_user_change", args=[person.pk])
    change_page = admin_client.get(change_url).content.decode()
    assert "Erase on written request" not in change_page

    shown = admin_client.get(erase_url(person), follow=True)
    posted = admin_client.post(erase_url(person), erase_data(username=person.username), follow=True)

    for response in (shown, posted):
        assert response.redirect_chain == [(change_url, 302)]
        assert "Only a patient&#x27;s own account can be erased here" in response.content.decode()
    assert User.objects.filter(pk=person.pk).exists()
    assert not AuditEvent.objects.filter(action=Action.ERASE).exists()


def test_erasing_someone_who_does_not_exist_is_not_found(admin_client):
    assert admin_client.get(reverse("admin:accounts_user_erase", args=[999999])).status_code == 404


@pytest.mark.parametrize(
    ("who", "status"),
    [("staff_admin", 200), ("staff_without_delete", 403), ("physio", 403), (None, 302)],
)
def test_only_admins_who_may_delete_people_may_erase_them(request, make_user, zebulon, who, status):
    if who == "staff_without_delete":
        user = make_user("clerk", is_staff=True)
        user.user_permissions.add(
            *Permission.objects.filter(codename__in=["view_user", "change_user"])
        )
    else:
        user = request.getfixturevalue(who) if who else None
    client = signed_in(user)

    shown = client.get(erase_url(zebulon))
    posted = client.post(erase_url(zebulon), erase_data())

    assert (shown.status_code, posted.status_code) == (status, status if status != 200 else 302)
    if status == 302:
        assert shown["Location"].startswith(f"{LOGIN}?next=")
    assert User.objects.filter(pk=zebulon.pk).exists() == (who != "staff_admin")


def test_the_plain_admin_delete_of_a_patient_is_refused(admin_client, zebulon):
    url = reverse("admin:accounts_user_delete", args=[zebulon.pk])

    assert admin_client.get(url).status_code == 403
    assert admin_client.post(url, {"post": "yes"}).status_code == 403
    assert User.objects.filter(pk=zebulon.pk).exists()


def test_the_people_list_offers_no_delete_selected_action(admin_client, zebulon):
    page = admin_client.get(PEOPLE).content.decode()
    posted = admin_client.post(
        PEOPLE, {"action": "delete_selected", "_selected_action": [zebulon.pk], "post": "yes"}
    )

    assert 'value="deactivate"' in page  # the list does offer actions
    assert 'value="delete_selected"' not in page
    assert posted.status_code in (200, 302)
    assert User.objects.filter(pk=zebulon.pk).exists()


def test_a_physio_can_still_be_deleted_in_the_admin(admin_client, physio):
    # The refusal is for patients only: a departing physio's account still goes the usual way.
    url = reverse("admin:accounts_user_delete", args=[physio.pk])

    response = admin_client.post(url, {"post": "yes"})

    assert response.status_code == 302
    assert not User.objects.filter(pk=physio.pk).exists()


# Found in review ---------------------------------------------------------------------


def test_a_former_patient_with_records_goes_only_by_erasure(admin_client, zebulon):
    zebulon.groups.clear()  # the role taken away first
    delete_url = reverse("admin:accounts_user_delete", args=[zebulon.pk])

    refused = admin_client.post(delete_url, {"post": "yes"})
    patient_page = admin_client.get(reverse("admin:accounts_user_change", args=[zebulon.pk]))

    assert refused.status_code == 403
    assert User.objects.filter(pk=zebulon.pk).exists()
    assert erase_url(zebulon) in patient_page.content.decode()


def test_erasing_takes_out_only_the_patients_own_names_from_the_admin_history(
    admin_client, make_user, physio
):
    """A short username is no reason to rewrite other people's names, and an
    invitation's entry goes with the invitation, email and all."""
    ann = make_user("ann", Role.PATIENT, first_name="Ann", last_name="Bo", email="ann@example.org")
    joanna = make_user("joanna", Role.PHYSIO, first_name="Joanna", last_name="Smith")
    admin_edit(admin_client, joanna, first_name="Joanna")  # an entry naming "Joanna Smith"
    admin_edit(
        admin_client,
        physio,
        **{
            "groups": [Group.objects.get(name=Role.PHYSIO).pk],
            "patient_assignments-TOTAL_FORMS": 1,
            "patient_assignments-0-patient": ann.pk,
            "patient_assignments-0-physio": physio.pk,
        },
    )  # an entry on the physio's page naming Ann's care
    invitation = Invitation(email="ann@example.org", invited_by=physio)
    invitation.new_token()
    invitation.save()
    LogEntry.objects.log_actions(
        user_id=physio.pk, queryset=[invitation], action_flag=3, change_message=""
    )
    names_before = list(LogEntry.objects.exclude(object_id=str(ann.pk)).values_list("object_repr"))

    admin_client.post(erase_url(ann), erase_data(username="ann"))

    assert not User.objects.filter(pk=ann.pk).exists()
    text = " ".join(f"{e.object_repr} {e.change_message}" for e in LogEntry.objects.all())
    assert "Ann Bo" not in text
    assert "ann@example.org" not in text
    assert "Joanna Smith" in text  # untouched
    assert "erased patient" in text  # the physio's entry keeps what was done
    assert len(names_before) > len(LogEntry.objects.exclude(object_id=str(ann.pk)))


def test_a_comment_on_an_unfinished_session_survives_its_discard(patient_client, patient, physio):
    Assignment.objects.create(patient=patient, physio=physio)
    session, _ = Session.start(patient, pain_before=4)
    comment = Comment.objects.create(patient=patient, author=physio, session=session, body="Hi")
    since = AuditEvent.objects.latest("seq").seq

    patient_client.post(reverse("tracking:discard", args=[session.pk]))

    comment.refresh_from_db()
    assert not Session.objects.filter(pk=session.pk).exists()
    assert comment.session is None  # now about the programme
    [moved] = AuditEvent.objects.filter(seq__gt=since, target_type="comment")
    assert (moved.action, moved.target_id, moved.detail) == (
        "change",
        comment.pk,
        {"now_about": "programme"},
    )
