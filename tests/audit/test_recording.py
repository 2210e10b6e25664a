"""Exactly one audit record for each thing the trail must show, with the right fields.

Each test notes where the trail ends, does one thing through HTTP as a person
would, and compares every record added since with what should be there.
"""

import datetime as dt
from typing import Any, NamedTuple

import pytest
import time_machine
from django.contrib.auth.models import Group
from django.forms.models import model_to_dict
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import Assignment, Invitation, Role, User
from audit.models import Action, AuditEvent, Outcome, Target, pseudonym
from exercises.models import Exercise
from tests.conftest import (
    PASSWORD,
    admin_user_form,
    current_code,
    finished_session,
    programme_post,
    signed_in,
)
from tracking.models import AlertAcknowledgement, Comment, Programme, Session, SessionEntry

from .conftest import added_since, last_seq

LOGIN = reverse("login")
LOCAL = "127.0.0.1"


class Row(NamedTuple):
    """An audit record, as compared in these tests (its time is checked on its own)."""

    action: str
    outcome: str
    actor: int | None
    patient: int | None
    target: tuple[str, int | str | None]  # a person by pseudonym, anything else by number
    detail: dict[str, Any]
    ip: str


def expected(
    action: Action,
    actor: User | None,
    *,
    patient: User | None = None,
    target: tuple[str, int | None] = ("", None),
    outcome: Outcome = Outcome.SUCCESS,
    detail: dict[str, Any] | None = None,
    ip: str = LOCAL,
) -> Row:
    kind, number = target
    return Row(
        action=action.value,
        outcome=outcome.value,
        actor=actor.pk if actor else None,
        patient=patient.pk if patient else None,
        target=(kind, pseudonym(number) if kind == Target.USER else number),
        detail=detail or {},
        ip=ip,
    )


def recorded_since(seq: int) -> list[Row]:
    """The records added after #`seq`, each checked for a time of now, in UTC."""
    records = added_since(seq)
    now = timezone.now()
    for record in records:
        assert record.at.tzinfo is not None, record
        assert record.at.utcoffset() == dt.timedelta(0), record
        assert abs(now - record.at) < dt.timedelta(seconds=1), record
        assert record.actor_ref == pseudonym(record.actor_id), record
        if record.patient_id is not None:
            assert record.patient_ref == pseudonym(record.patient_id), record
        if record.target_type == Target.USER:  # never a person's account number
            assert record.target_id is None, record
            assert record.target_ref, record
    return [
        Row(
            action=record.action,
            outcome=record.outcome,
            actor=record.actor_id,
            patient=record.patient_id,
            target=(record.target_type, record.target_ref or record.target_id),
            detail=record.detail,
            ip=record.ip,
        )
        for record in records
    ]


def as_text(record: AuditEvent) -> str:
    """Every column of a stored record, as text."""
    return " ".join(str(value) for value in AuditEvent.objects.values().get(pk=record.pk).values())


@pytest.fixture
def programme(patient) -> Programme:
    """The patient's programme, made beforehand, so its first use is not part of a test."""
    return Programme.for_patient(patient)


@pytest.fixture
def admin_client(staff_admin) -> Client:
    return signed_in(staff_admin)


# Signing in and out ---------------------------------------------------------------


def test_signing_in_through_the_form_is_one_sign_in(patient):
    client = Client()
    since = last_seq()

    response = client.post(LOGIN, {"username": patient.username, "password": PASSWORD})

    assert response.status_code == 302
    assert recorded_since(since) == [expected(Action.SIGN_IN, patient)]


def test_a_wrong_password_is_one_failure_naming_the_account_tried(patient):
    since = last_seq()

    response = Client().post(LOGIN, {"username": patient.username, "password": "not-it-at-all"})

    assert response.status_code == 200
    assert recorded_since(since) == [
        expected(
            Action.SIGN_IN_FAILED,
            patient,
            outcome=Outcome.FAILURE,
            detail={"known_account": True, "locked_out": False},
        )
    ]


def test_an_unknown_username_is_one_failure_naming_nobody_and_not_what_was_typed(patient):
    typed = "nobody-called-this-7731"
    since = last_seq()

    response = Client().post(LOGIN, {"username": typed, "password": PASSWORD})

    assert response.status_code == 200
    assert recorded_since(since) == [
        expected(
            Action.SIGN_IN_FAILED,
            None,
            outcome=Outcome.FAILURE,
            detail={"known_account": False, "locked_out": False},
        )
    ]
    [record] = added_since(since)
    assert typed not in as_text(record)


def test_each_attempt_while_locked_out_is_one_denied_record(patient, settings):
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(LOGIN, {"username": patient.username, "password": "wrong"})
    since = last_seq()

    wrong = client.post(LOGIN, {"username": patient.username, "password": "wrong"})
    right = client.post(LOGIN, {"username": patient.username, "password": PASSWORD})

    assert (wrong.status_code, right.status_code) == (429, 429)
    locked_out = expected(
        Action.SIGN_IN_FAILED,
        patient,
        outcome=Outcome.DENIED,
        detail={"known_account": True, "locked_out": True},
    )
    assert recorded_since(since) == [locked_out, locked_out]


def test_the_wrong_password_that_reaches_the_limit_is_recorded_as_the_lockout(patient, settings):
    """That attempt already gets the lockout page (429), and its record says so."""
    client = Client()
    outcomes = []
    for _ in range(settings.AXES_FAILURE_LIMIT):
        since = last_seq()
        client.post(LOGIN, {"username": patient.username, "password": "wrong"})
        [record] = added_since(since)
        outcomes.append((record.outcome, record.detail["locked_out"]))

    assert outcomes == [("failure", False)] * (settings.AXES_FAILURE_LIMIT - 1) + [("denied", True)]


def test_signing_out_is_one_sign_out(patient_client, patient):
    since = last_seq()

    response = patient_client.post(reverse("logout"))

    assert response.status_code == 302
    assert recorded_since(since) == [expected(Action.SIGN_OUT, patient)]


def test_a_sign_in_that_ran_out_is_one_sign_out_and_no_refusal(patient, settings):
    with time_machine.travel(timezone.now(), tick=False) as clock:
        client = signed_in(patient)
        clock.shift(settings.SESSION_IDLE_TIMEOUT + dt.timedelta(minutes=1))
        since = last_seq()

        response = client.get(reverse("tracking:today"))

        assert response["Location"].startswith(LOGIN)
        assert recorded_since(since) == [expected(Action.SIGN_OUT, patient)]


def test_signing_out_when_nobody_is_signed_in_records_nothing(client, db):
    since = last_seq()

    response = client.post(reverse("logout"))

    assert response.status_code == 302
    assert recorded_since(since) == []


@pytest.mark.parametrize(
    ("proxy_count", "address"),
    [(0, LOCAL), (1, "203.0.113.7"), (2, "198.51.100.9"), (3, LOCAL)],
)
def test_the_forwarded_address_is_used_only_as_far_as_proxy_count_says(
    patient, settings, proxy_count, address
):
    """Two proxies of our own in front each appended the address they saw; with
    more proxies configured than addresses given, the header proves nothing."""
    settings.PROXY_COUNT = proxy_count
    client = Client(HTTP_X_FORWARDED_FOR="198.51.100.9, 203.0.113.7")
    since = last_seq()

    client.post(LOGIN, {"username": patient.username, "password": PASSWORD})

    assert recorded_since(since) == [expected(Action.SIGN_IN, patient, ip=address)]


# A physio looking at patients ---------------------------------------------------------


def test_the_caseload_is_one_view_of_the_caseload_counting_its_rows(
    physio_client, physio, patient, other_patient, assigned, htmx_headers
):
    Assignment.objects.create(patient=other_patient, physio=physio)
    for person in (patient, other_patient):
        Programme.for_patient(person)
    since = last_seq()

    page = physio_client.get(reverse("tracking:caseload"))
    fragment = physio_client.get(reverse("tracking:caseload"), headers=htmx_headers)

    assert (page.status_code, fragment.status_code) == (200, 200)
    caseload = expected(Action.VIEW_CASELOAD, physio, detail={"patients": 2})
    assert recorded_since(since) == [caseload, caseload]


@pytest.mark.parametrize("page", ["patient page", "its htmx fragment", "session", "programme"])
def test_a_physio_opening_a_patients_page_is_one_view_of_that_patient(
    physio_client, physio, patient, assigned, session, htmx_headers, page
):
    programme = Programme.objects.get(patient=patient)
    patient_url = reverse("tracking:patient", args=[patient.pk])
    url, headers, about = {
        "patient page": (patient_url, {}, (Target.USER, patient.pk)),
        "its htmx fragment": (patient_url, htmx_headers, (Target.USER, patient.pk)),
        "session": (
            reverse("tracking:patient-session", args=[patient.pk, session.pk]),
            {},
            (Target.SESSION, session.pk),
        ),
        "programme": (
            reverse("tracking:programme-edit", args=[patient.pk]),
            {},
            (Target.PROGRAMME, programme.pk),
        ),
    }[page]
    since = last_seq()

    response = physio_client.get(url, headers=headers)

    assert response.status_code == 200
    assert recorded_since(since) == [
        expected(Action.VIEW_PATIENT, physio, patient=patient, target=about)
    ]


@pytest.mark.parametrize("form", ["comment", "session comment", "programme"])
def test_a_page_shown_again_with_a_mistake_is_one_view_of_that_patient(
    physio_client, physio, patient, assigned, session, form
):
    """APP BUG (left failing on purpose): a form with a mistake comes back on the
    full page, with the patient's data, but only a GET records the view
    (review.add_comment and review.edit_programme render without recording)."""
    programme = Programme.objects.get(patient=patient)
    url, data, about = {
        "comment": (
            reverse("tracking:comment", args=[patient.pk]),
            {"body": ""},
            (Target.USER, patient.pk),
        ),
        "session comment": (
            reverse("tracking:session-comment", args=[patient.pk, session.pk]),
            {"body": ""},
            (Target.SESSION, session.pk),
        ),
        "programme": (
            reverse("tracking:programme-edit", args=[patient.pk]),
            programme_post(programme, target_per_week=99),
            (Target.PROGRAMME, programme.pk),
        ),
    }[form]
    since = last_seq()

    response = physio_client.post(url, data)

    assert response.status_code == 200
    assert patient.first_name in response.text
    assert recorded_since(since) == [
        expected(Action.VIEW_PATIENT, physio, patient=patient, target=about)
    ]


@pytest.mark.parametrize(
    "page",
    [
        "home",
        "tracking:today",
        "tracking:history",
        "tracking:programme",
        "tracking:session",
        "tracking:finish",
        "tracking:discard",
        "tracking:entry",
    ],
)
def test_a_patient_reading_their_own_pages_records_no_view(patient_client, session, page):
    entry = session.entries.first()
    args = {
        "tracking:session": [session.pk],
        "tracking:finish": [session.pk],
        "tracking:discard": [session.pk],
        "tracking:entry": [session.pk, entry.pk],
    }.get(page, [])
    since = last_seq()

    response = patient_client.get(reverse(page, args=args), follow=True)

    assert response.status_code == 200
    assert recorded_since(since) == []


# A patient logging a session ---------------------------------------------------------


def test_starting_a_session_is_one_create_for_it_and_one_for_each_entry(
    checked_in, patient_client, patient, programme
):
    since = last_seq()

    response = patient_client.post(reverse("tracking:start"), {"pain_before": "4"})

    assert response.status_code == 302
    session = Session.objects.get(patient=patient)
    entries = list(session.entries.order_by("pk"))
    assert len(entries) == 10
    assert recorded_since(since) == [
        expected(Action.CREATE, patient, patient=patient, target=(Target.SESSION, session.pk)),
        *(
            expected(Action.CREATE, patient, patient=patient, target=(Target.ENTRY, entry.pk))
            for entry in entries
        ),
    ]


def test_a_second_start_while_one_is_open_records_nothing(checked_in, patient_client, session):
    since = last_seq()

    response = patient_client.post(reverse("tracking:start"), {"pain_before": "4"})

    assert response.url == session.get_absolute_url()
    assert recorded_since(since) == []


@pytest.mark.parametrize(
    ("view", "data", "status"),
    [
        ("tracking:entry-done", {}, "done"),
        ("tracking:entry-skip", {}, "skipped"),
        (
            "tracking:entry",
            {"status": "done", "sets_done": "1", "reps_done": "4", "effort": "too_hard"},
            "done",
        ),
        ("tracking:entry", {"status": "skipped"}, "skipped"),
    ],
)
def test_each_change_to_an_entry_is_one_change_naming_its_status(
    checked_in, patient_client, patient, session, view, data, status
):
    entry = session.entries.first()
    since = last_seq()

    response = patient_client.post(reverse(view, args=[session.pk, entry.pk]), data)

    assert response.status_code == 302
    entry.refresh_from_db()
    assert entry.status == status
    assert recorded_since(since) == [
        expected(
            Action.CHANGE,
            patient,
            patient=patient,
            target=(Target.ENTRY, entry.pk),
            detail={"status": status},
        )
    ]


def test_an_entry_marked_done_with_htmx_is_one_change(
    checked_in, patient_client, patient, session, htmx_headers
):
    entry = session.entries.first()
    since = last_seq()

    response = patient_client.post(
        reverse("tracking:entry-done", args=[session.pk, entry.pk]), headers=htmx_headers
    )

    assert response.status_code == 200
    assert recorded_since(since) == [
        expected(
            Action.CHANGE,
            patient,
            patient=patient,
            target=(Target.ENTRY, entry.pk),
            detail={"status": "done"},
        )
    ]


def test_a_double_clicked_done_changes_the_entry_once_so_is_recorded_once(patient_client, session):
    """The second, identical click changes nothing the patient logged, so, as with
    a programme saved unchanged or a session finished twice, nothing is recorded."""
    entry = session.entries.first()
    url = reverse("tracking:entry-done", args=[session.pk, entry.pk])
    logged = ("status", "sets_done", "reps_done", "effort")
    patient_client.post(url)
    after_first = SessionEntry.objects.values(*logged).get(pk=entry.pk)
    since = last_seq()

    response = patient_client.post(url)

    assert response.status_code == 302
    assert SessionEntry.objects.values(*logged).get(pk=entry.pk) == after_first
    assert recorded_since(since) == []


def test_finishing_is_one_change_and_finishing_again_records_nothing(
    patient_client, patient, session
):
    url = reverse("tracking:finish", args=[session.pk])
    data = {"pain_after": "3", "notes": ""}
    since = last_seq()

    patient_client.post(url, data)
    finished = recorded_since(since)
    since = last_seq()
    again = patient_client.post(url, data)

    assert finished == [
        expected(
            Action.CHANGE,
            patient,
            patient=patient,
            target=(Target.SESSION, session.pk),
            detail={"finished": True},
        )
    ]
    assert again.status_code == 302
    assert recorded_since(since) == []


def test_discarding_is_one_delete_for_the_session_and_one_for_each_entry(
    patient_client, patient, session
):
    entries = list(session.entries.values_list("pk", flat=True))
    since = last_seq()

    response = patient_client.post(reverse("tracking:discard", args=[session.pk]))

    assert response.status_code == 302
    assert not Session.objects.filter(pk=session.pk).exists()
    assert recorded_since(since) == [
        expected(Action.DELETE, patient, patient=patient, target=(Target.SESSION, session.pk)),
        *(
            expected(Action.DELETE, patient, patient=patient, target=(Target.ENTRY, pk))
            for pk in entries
        ),
    ]


def test_discarding_a_finished_session_records_nothing(patient_client, session):
    session.finish(pain_after=2, notes="", flagged=False)
    since = last_seq()

    response = patient_client.post(reverse("tracking:discard", args=[session.pk]))

    assert response.status_code == 302
    assert Session.objects.filter(pk=session.pk).exists()
    assert recorded_since(since) == []


# A physio's changes ----------------------------------------------------------------


@pytest.mark.parametrize("about", ["a session", "the programme"])
def test_a_physios_comment_is_one_create(physio_client, physio, patient, assigned, session, about):
    url = (
        reverse("tracking:session-comment", args=[patient.pk, session.pk])
        if about == "a session"
        else reverse("tracking:comment", args=[patient.pk])
    )
    since = last_seq()

    response = physio_client.post(url, {"body": "Lovely steady work."})

    assert response.status_code == 302
    comment = Comment.objects.get()
    assert recorded_since(since) == [
        expected(Action.CREATE, physio, patient=patient, target=(Target.COMMENT, comment.pk))
    ]


def test_acknowledging_an_alert_is_one_create(physio_client, physio, patient, assigned, programme):
    rose = finished_session(patient, 1, pain_before=2, pain_after=5)
    since = last_seq()

    response = physio_client.post(
        reverse("tracking:acknowledge", args=[patient.pk]),
        {"kind": "pain_rose", "key": str(rose.pk), "note": "Phoned them"},
    )

    assert response.status_code == 302
    seen = AlertAcknowledgement.objects.get()
    assert recorded_since(since) == [
        expected(Action.CREATE, physio, patient=patient, target=(Target.ALERT, seen.pk))
    ]


def test_a_programme_edit_that_changes_something_is_one_change_naming_the_version(
    physio_client, physio, patient, assigned, programme
):
    since = last_seq()

    response = physio_client.post(
        reverse("tracking:programme-edit", args=[patient.pk]),
        programme_post(programme, target_per_week=5),
    )

    assert response.status_code == 302
    assert recorded_since(since) == [
        expected(
            Action.CHANGE,
            physio,
            patient=patient,
            target=(Target.PROGRAMME, programme.pk),
            detail={"version": 2},
        )
    ]


def test_a_programme_edit_that_changes_nothing_records_nothing(
    physio_client, patient, assigned, programme
):
    since = last_seq()

    response = physio_client.post(
        reverse("tracking:programme-edit", args=[patient.pk]), programme_post(programme)
    )

    assert response.status_code == 302
    assert Programme.objects.get(pk=programme.pk).version == 1
    assert recorded_since(since) == []


def test_leaving_an_exercise_out_is_one_change_and_again_is_nothing(
    physio_client, physio, patient, assigned, programme
):
    url = reverse("tracking:leave-out", args=[patient.pk])
    bridge = Exercise.objects.get(name="Glute bridge")
    since = last_seq()

    physio_client.post(url, {"exercise": bridge.pk})
    left_out = recorded_since(since)
    since = last_seq()
    physio_client.post(url, {"exercise": bridge.pk})

    assert left_out == [
        expected(
            Action.CHANGE,
            physio,
            patient=patient,
            target=(Target.PROGRAMME, programme.pk),
            detail={"version": 2},
        )
    ]
    assert recorded_since(since) == []


def test_a_programmes_first_use_is_one_create(patient_client, patient):
    since = last_seq()

    first = patient_client.get(reverse("tracking:today"))
    made = recorded_since(since)
    since = last_seq()
    patient_client.get(reverse("tracking:today"))

    assert first.status_code == 200
    programme = Programme.objects.get(patient=patient)
    assert made == [
        expected(Action.CREATE, patient, patient=patient, target=(Target.PROGRAMME, programme.pk))
    ]
    assert recorded_since(since) == []


def test_a_physios_first_look_at_a_new_patient_is_a_view_and_the_programme_made(
    physio_client, physio, patient, assigned
):
    since = last_seq()

    response = physio_client.get(reverse("tracking:patient", args=[patient.pk]))

    assert response.status_code == 200
    programme = Programme.objects.get(patient=patient)
    assert recorded_since(since) == [
        expected(Action.VIEW_PATIENT, physio, patient=patient, target=(Target.USER, patient.pk)),
        expected(Action.CREATE, physio, patient=patient, target=(Target.PROGRAMME, programme.pk)),
    ]


# Roles and care teams ----------------------------------------------------------------


def change_user(client: Client, user: User, **changes: Any):
    return client.post(
        reverse("admin:accounts_user_change", args=[user.pk]), admin_user_form(user, **changes)
    )


def test_an_admin_giving_someone_the_physio_role_is_one_role_change(
    admin_client, staff_admin, make_user
):
    nina = make_user("nina")
    physios = Group.objects.get(name=Role.PHYSIO)
    since = last_seq()

    response = change_user(admin_client, nina, groups=[physios.pk])

    assert response.status_code == 302
    assert nina.has_role(Role.PHYSIO)
    assert recorded_since(since) == [
        expected(
            Action.ROLE_CHANGE,
            staff_admin,
            target=(Target.USER, nina.pk),
            detail={"added": ["physio"]},
        )
    ]


def test_an_admin_taking_a_patients_role_away_is_one_role_change_about_them(
    admin_client, staff_admin, patient
):
    since = last_seq()

    response = change_user(admin_client, patient, groups=[])

    assert response.status_code == 302
    assert recorded_since(since) == [
        expected(
            Action.ROLE_CHANGE,
            staff_admin,
            patient=patient,
            target=(Target.USER, patient.pk),
            detail={"removed": ["patient"]},
        )
    ]


def test_an_admin_making_someone_staff_is_one_role_change(admin_client, staff_admin, physio):
    since = last_seq()

    response = change_user(admin_client, physio, is_staff="on")

    assert response.status_code == 302
    assert recorded_since(since) == [
        expected(
            Action.ROLE_CHANGE,
            staff_admin,
            target=(Target.USER, physio.pk),
            detail={"is_staff": True},
        )
    ]


@pytest.mark.parametrize("who", ["physio", "patient"])
def test_an_admin_deactivating_someone_is_one_role_change(admin_client, staff_admin, request, who):
    """A patient's record names them as the patient, as a change to their groups does,
    so filtering the trail by that patient shows their account was switched off."""
    person = request.getfixturevalue(who)
    since = last_seq()

    response = admin_client.post(
        reverse("admin:accounts_user_changelist"),
        {"action": "deactivate", "_selected_action": [person.pk]},
    )

    assert response.status_code == 302
    assert recorded_since(since) == [
        expected(
            Action.ROLE_CHANGE,
            staff_admin,
            patient=person if who == "patient" else None,
            target=(Target.USER, person.pk),
            detail={"is_active": False},
        )
    ]


def test_an_admin_adding_a_patient_in_a_physios_care_records_each_part(
    admin_client, staff_admin, physio
):
    since = last_seq()

    response = admin_client.post(
        reverse("admin:accounts_user_add"),
        {
            "role": Role.PATIENT.value,
            "username": "paula",
            "first_name": "Paula",
            "last_name": "Example",
            "email": "paula@example.com",
            "timezone": "Europe/London",
            "physio": physio.pk,
            "usable_password": "true",
            "password1": "plum-tree-orbit-42",
            "password2": "plum-tree-orbit-42",
        },
    )

    assert response.status_code == 302
    paula = User.objects.get(username="paula")
    care = Assignment.objects.get(patient=paula)
    assert recorded_since(since) == [
        expected(Action.CREATE, staff_admin, target=(Target.USER, paula.pk)),
        expected(
            Action.ROLE_CHANGE,
            staff_admin,
            patient=paula,
            target=(Target.USER, paula.pk),
            detail={"added": ["patient"]},
        ),
        expected(
            Action.ASSIGNMENT_CHANGE,
            staff_admin,
            patient=paula,
            target=(Target.ASSIGNMENT, care.pk),
            detail={"physio": pseudonym(physio.pk), "change": "added"},
        ),
    ]


def test_sharing_care_is_one_assignment_change_and_sharing_again_is_nothing(
    physio_client, physio, patient, assigned, other_physio, programme
):
    url = reverse("tracking:share-care", args=[patient.pk])
    since = last_seq()

    physio_client.post(url, {"physio": other_physio.pk})
    shared = recorded_since(since)
    since = last_seq()
    physio_client.post(url, {"physio": other_physio.pk})

    care = Assignment.objects.get(patient=patient, physio=other_physio)
    assert shared == [
        expected(
            Action.ASSIGNMENT_CHANGE,
            physio,
            patient=patient,
            target=(Target.ASSIGNMENT, care.pk),
            detail={"physio": pseudonym(other_physio.pk), "change": "added"},
        )
    ]
    assert recorded_since(since) == []


def test_leaving_care_is_one_assignment_change_naming_the_patient_by_pseudonym(
    physio_client, physio, patient, assigned, other_physio
):
    Assignment.objects.create(patient=patient, physio=other_physio)
    since = last_seq()

    response = physio_client.post(reverse("tracking:leave-care", args=[patient.pk]))

    assert response.status_code == 302
    assert recorded_since(since) == [
        expected(
            Action.ASSIGNMENT_CHANGE,
            physio,
            target=(Target.ASSIGNMENT, assigned.pk),
            detail={"physio": pseudonym(physio.pk), "change": "removed"},
        )
    ]
    [record] = added_since(since)
    assert record.patient_ref == pseudonym(patient.pk)


def test_an_admin_changing_the_care_team_is_one_assignment_change_each(
    admin_client, staff_admin, patient, physio, assigned, other_physio
):
    since = last_seq()

    response = change_user(
        admin_client,
        patient,
        **{
            "physio_assignments-TOTAL_FORMS": 2,
            "physio_assignments-INITIAL_FORMS": 1,
            "physio_assignments-0-id": assigned.pk,
            "physio_assignments-0-patient": patient.pk,
            "physio_assignments-0-physio": physio.pk,
            "physio_assignments-0-DELETE": "on",
            "physio_assignments-1-patient": patient.pk,
            "physio_assignments-1-physio": other_physio.pk,
        },
    )

    assert response.status_code == 302
    assert list(patient.physios.all()) == [other_physio]
    new = Assignment.objects.get(patient=patient)
    assert recorded_since(since) == [
        expected(
            Action.ASSIGNMENT_CHANGE,
            staff_admin,
            target=(Target.ASSIGNMENT, assigned.pk),
            detail={"physio": pseudonym(physio.pk), "change": "removed"},
        ),
        expected(
            Action.ASSIGNMENT_CHANGE,
            staff_admin,
            patient=patient,
            target=(Target.ASSIGNMENT, new.pk),
            detail={"physio": pseudonym(other_physio.pk), "change": "added"},
        ),
    ]


# The exercise library ------------------------------------------------------------------


def exercise_form(exercise: Exercise, **changes: Any) -> dict[str, Any]:
    data = model_to_dict(exercise, exclude=["id", "retired_at"])
    data.update(changes)
    return {name: value for name, value in data.items() if value is not False}


def add_clam(client: Client):
    return client.post(
        reverse("admin:exercises_exercise_add"),
        exercise_form(
            Exercise.objects.get(slug="bird-dog"),
            order=11,
            name="Clam",
            slug="clam",
            summary="Strengthens the side of your hip.",
            instructions="Lie on your side.\nLift your top knee.",
        ),
    )


def test_adding_an_exercise_in_the_admin_is_one_create(admin_client, staff_admin):
    since = last_seq()

    response = add_clam(admin_client)

    assert response.status_code == 302
    clam = Exercise.objects.get(slug="clam")
    assert recorded_since(since) == [
        expected(Action.CREATE, staff_admin, target=(Target.EXERCISE, clam.pk))
    ]


def test_changing_an_exercise_in_the_admin_is_one_change(admin_client, staff_admin):
    bird_dog = Exercise.objects.get(slug="bird-dog")
    since = last_seq()

    response = admin_client.post(
        reverse("admin:exercises_exercise_change", args=[bird_dog.pk]),
        exercise_form(bird_dog, summary="A steadier back."),
    )

    assert response.status_code == 302
    assert recorded_since(since) == [
        expected(Action.CHANGE, staff_admin, target=(Target.EXERCISE, bird_dog.pk))
    ]


def test_deleting_an_exercise_in_the_admin_is_one_delete(admin_client, staff_admin):
    add_clam(admin_client)
    clam = Exercise.objects.get(slug="clam")
    since = last_seq()

    response = admin_client.post(
        reverse("admin:exercises_exercise_delete", args=[clam.pk]), {"post": "yes"}
    )

    assert response.status_code == 302
    assert not Exercise.objects.filter(pk=clam.pk).exists()
    assert recorded_since(since) == [
        expected(Action.DELETE, staff_admin, target=(Target.EXERCISE, clam.pk))
    ]


# Refusals ----------------------------------------------------------------------------


class Refusal(NamedTuple):
    who: User | None
    method: str
    view: str
    args: list[int]
    status: int
    owner: User | None = None  # the patient whose data was asked for, if any
    target: tuple[str, int | None] = ("", None)
    headers: dict[str, str] = {}


@pytest.mark.parametrize(
    "case",
    [
        "another patient's session",
        "another patient's entry",
        "a session that does not exist",
        "a patient on a physio's page",
        "a physio on a patient outside their care",
        "a physio on another physio's invitation",
        "someone signed out on a protected page",
        "someone signed out, with htmx",
    ],
)
def test_a_refused_access_is_one_denied_record(
    patient, physio, other_physio, other_patient, other_session, assigned, htmx_headers, case
):
    entry = other_session.entries.first()
    invitation = Invitation(email="newbie@example.com", invited_by=other_physio)
    invitation.new_token()
    invitation.save()
    refusal = {
        "another patient's session": Refusal(
            patient,
            "get",
            "tracking:session",
            [other_session.pk],
            404,
            other_patient,
            (Target.SESSION, other_session.pk),
        ),
        "another patient's entry": Refusal(
            patient,
            "post",
            "tracking:entry-done",
            [other_session.pk, entry.pk],
            404,
            other_patient,
            (Target.ENTRY, entry.pk),
        ),
        "a session that does not exist": Refusal(
            patient, "get", "tracking:session", [987654], 404, None, (Target.SESSION, 987654)
        ),
        "a patient on a physio's page": Refusal(patient, "get", "tracking:caseload", [], 403),
        "a physio on a patient outside their care": Refusal(
            physio,
            "get",
            "tracking:patient",
            [other_patient.pk],
            404,
            other_patient,
            (Target.USER, other_patient.pk),
        ),
        "a physio on another physio's invitation": Refusal(
            physio, "post", "accounts:invitation-resend", [invitation.pk], 404
        ),
        "someone signed out on a protected page": Refusal(None, "get", "tracking:today", [], 302),
        # htmx is told where to go in a header, on a 200.
        "someone signed out, with htmx": Refusal(
            None, "get", "tracking:today", [], 200, headers=htmx_headers
        ),
    }[case]
    client = signed_in(refusal.who)
    since = last_seq()

    response = getattr(client, refusal.method)(
        reverse(refusal.view, args=refusal.args), headers=refusal.headers
    )

    assert response.status_code == refusal.status
    if refusal.who is None:
        assert (response.get("HX-Redirect") or response["Location"]).startswith(LOGIN)
    assert recorded_since(since) == [
        expected(
            Action.ACCESS_DENIED,
            refusal.who,
            patient=refusal.owner,
            target=refusal.target,
            outcome=Outcome.DENIED,
            detail={
                "view": refusal.view,
                "method": refusal.method.upper(),
                "status": refusal.status,
                # A signed-out visitor's record counts the refusals it stands for.
                **({"count": 1} if refusal.who is None else {}),
            },
        )
    ]


def test_a_mistyped_address_is_not_a_refusal(patient_client):
    since = last_seq()

    response = patient_client.get("/no-such-page/")

    assert response.status_code == 404
    assert recorded_since(since) == []


# Found in review ---------------------------------------------------------------------


def test_moving_a_patient_to_another_physio_by_editing_the_row_is_a_removal_and_an_addition(
    admin_client, staff_admin, patient, physio, assigned, other_physio
):
    since = last_seq()

    response = change_user(
        admin_client,
        patient,
        **{
            "physio_assignments-TOTAL_FORMS": 1,
            "physio_assignments-INITIAL_FORMS": 1,
            "physio_assignments-0-id": assigned.pk,
            "physio_assignments-0-patient": patient.pk,
            "physio_assignments-0-physio": other_physio.pk,
        },
    )

    assert response.status_code == 302
    assert list(patient.physios.all()) == [other_physio]
    assert recorded_since(since) == [
        expected(
            Action.ASSIGNMENT_CHANGE,
            staff_admin,
            patient=patient,
            target=(Target.ASSIGNMENT, assigned.pk),
            detail={"physio": pseudonym(physio.pk), "change": "removed"},
        ),
        expected(
            Action.ASSIGNMENT_CHANGE,
            staff_admin,
            patient=patient,
            target=(Target.ASSIGNMENT, assigned.pk),
            detail={"physio": pseudonym(other_physio.pk), "change": "added"},
        ),
    ]


def test_emptying_a_group_is_one_role_change_for_each_person_in_it(patient, other_patient):
    since = last_seq()

    Group.objects.get(name=Role.PATIENT).user_set.clear()

    changes = recorded_since(since)
    assert len(changes) == 2
    assert {row.patient for row in changes} == {patient.pk, other_patient.pk}
    assert {row.action for row in changes} == {Action.ROLE_CHANGE.value}
    assert {str(row.detail) for row in changes} == {str({"removed": ["patient"]})}


def test_with_two_step_verification_the_sign_in_is_recorded_once_the_code_is_given(
    staff_admin,
):
    device = TOTPDevice.objects.create(user=staff_admin, name="Phone")
    client = Client()
    since = last_seq()

    client.post(LOGIN, {"username": staff_admin.username, "password": PASSWORD})
    assert recorded_since(since) == []  # only half signed in

    response = client.post(reverse("accounts:two-step-verify"), {"code": current_code(device)})

    assert response.status_code == 302
    assert recorded_since(since) == [
        expected(Action.SIGN_IN, staff_admin, detail={"two_step": True})
    ]


def test_an_admin_deleting_their_own_account_that_looks_after_patients_is_no_error(
    staff_admin, patient
):
    Assignment.objects.create(patient=patient, physio=staff_admin)
    client = signed_in(staff_admin)

    response = client.post(
        reverse("admin:accounts_user_delete", args=[staff_admin.pk]), {"post": "yes"}
    )

    assert response.status_code == 302
    assert not User.objects.filter(pk=staff_admin.pk).exists()
    [removal] = AuditEvent.objects.filter(action=Action.ASSIGNMENT_CHANGE, seq__gt=0).order_by(
        "-seq"
    )[:1]
    assert removal.actor is None  # the account deleted was the one deleting
    assert removal.actor_ref == pseudonym(staff_admin.pk)


def test_a_patient_reading_a_new_comment_is_one_change_to_it_and_reading_again_is_none(
    checked_in, patient, physio, patient_client, session
):
    comment = Comment.objects.create(patient=patient, author=physio, session=session, body="Hi")
    since = last_seq()

    patient_client.get(session.get_absolute_url())
    first = recorded_since(since)
    again = last_seq()
    patient_client.get(session.get_absolute_url())

    assert first == [
        expected(
            Action.CHANGE,
            patient,
            patient=patient,
            target=(Target.COMMENT, comment.pk),
            detail={"read": True},
        )
    ]
    assert recorded_since(again) == []
