"""XSS payloads stored in every free-text field render escaped on every page that shows them.

Each payload is stored in every free-text field, each copy marked with the field it
sits in (the payload first, so a `javascript:` value would still run from a link).
Then every page, htmx fragment and email that shows those fields is fetched as the
person who sees it, and each response must:

- never hold the raw payload, a tag or event handler it makes, or a `javascript:` link;
- hold the escaped value of every field the page shows, which proves it was rendered;
- show template syntax literally: `{{ 7*7 }}` stays as typed and never becomes 49.

Emails are plain text: they must say so, and show what was typed exactly.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlencode

import pytest
from django.apps import apps
from django.contrib import admin
from django.core import mail
from django.core.mail import EmailMessage
from django.db import models
from django.forms.models import model_to_dict
from django.http.response import HttpResponseBase
from django.test import Client
from django.urls import reverse
from django.utils.html import escape

from accounts.models import Assignment, Invitation, Role, User
from exercises.models import Exercise
from tests.conftest import programme_post, signed_in
from tracking.models import (
    AlertAcknowledgement,
    AlertKind,
    Programme,
    ProgrammeVersion,
    SafetyCheck,
    Session,
    SessionEntry,
)

PAYLOADS = {
    "script": "<script>alert(1)</script>",
    "attribute-breakout": '"><img src=x onerror=alert(1)>',
    "single-quote-breakout": "'><svg onload=alert(1)>",
    "javascript-url": "javascript:alert(1)",
    "template-variable": "{{ 7*7 }}",
    "template-tag": "{% debug %}",
    "textarea-breakout": "</textarea><script>alert(1)</script>",
}

# Every free-text field of the project's models, and where it is shown.
FREE_TEXT_FIELDS = {
    "accounts.User.username": "caseload and patient page (a patient without a name), admin, emails",
    "accounts.User.first_name": "every page naming a patient or physio, admin, emails",
    "accounts.User.last_name": "every page naming a patient or physio, admin",
    "accounts.User.email": "admin",
    "accounts.Invitation.email": "invitations page, invitation page, admin",
    "accounts.Invitation.first_name": "invitations page, invitation page, email, admin",
    "accounts.Invitation.last_name": "invitations page, invitation page, admin",
    "exercises.Exercise.name": "everywhere an exercise is named, alerts, admin",
    "exercises.Exercise.alt_name": "exercise pages, admin",
    "exercises.Exercise.summary": "exercise pages, admin",
    "exercises.Exercise.start_position": "exercise detail, admin",
    "exercises.Exercise.instructions": "exercise detail, admin",
    "exercises.Exercise.feel": "exercise detail, admin",
    "exercises.Exercise.avoid": "exercise detail, admin",
    "exercises.Exercise.harder": "exercise detail, admin",
    "exercises.HistoricalExercise.name": "an exercise version, admin history",
    "exercises.HistoricalExercise.alt_name": "an exercise version, admin history",
    "exercises.HistoricalExercise.summary": "an exercise version, admin history",
    "exercises.HistoricalExercise.start_position": "an exercise version, admin history",
    "exercises.HistoricalExercise.instructions": "an exercise version, admin history",
    "exercises.HistoricalExercise.feel": "an exercise version, admin history",
    "exercises.HistoricalExercise.avoid": "an exercise version, admin history",
    "exercises.HistoricalExercise.harder": "an exercise version, admin history",
    "exercises.HistoricalExercise.history_change_reason": "admin history",
    "tracking.Session.notes": "the patient's session, the physio's patient and session pages",
    "tracking.SessionEntry.note": "the patient's session and its htmx rows",
    "tracking.ProgrammeExercise.note": "today, programme, patient page, programme edit",
    "tracking.ProgrammeVersion.changes": "today, programme, patient page",
    "tracking.Comment.body": "today, the patient's session, patient and session pages",
    "tracking.AlertAcknowledgement.summary": "patient page",
    "tracking.AlertAcknowledgement.note": "patient page",
}

# Text fields that are not free text. Fields with choices are not free text either:
# the value is one of a fixed list (kept so by check constraints or by the library).
NOT_FREE_TEXT = {
    "accounts.User.password": "a password hash, never shown",
    "accounts.User.timezone": "validated to be a time zone name",
    "accounts.Invitation.token_hash": "a hash of the link's token, never shown",
    "exercises.Exercise.slug": "a slug: letters, digits and hyphens only",
    "exercises.HistoricalExercise.slug": "a slug: letters, digits and hyphens only",
    "tracking.AlertAcknowledgement.key": "made by the app from ids and dates, never typed",
    "tracking.SafetyCheck.flags": "codes from the app's fixed list of warning signs, never typed",
    "tracking.ProgrammeVersion.snapshot": (
        "the programme as data, never shown; its names and notes are covered by their own fields"
    ),
}

# Where each value is stored: a field, and for a second copy of the same field, whose.
LABELS = [
    *FREE_TEXT_FIELDS,
    "accounts.User.first_name (physio)",
    "accounts.User.last_name (physio)",
    "accounts.User.first_name (colleague)",
    "exercises.Exercise.name (retired)",
    "exercises.Exercise.name (new)",
    "tracking.SessionEntry.note (in progress)",
    "tracking.Comment.body (session)",
]

PATIENT_NAME = ("accounts.User.first_name", "accounts.User.last_name")
PHYSIO_NAME = ("accounts.User.first_name (physio)", "accounts.User.last_name (physio)")
EXERCISE = (
    "exercises.Exercise.name",
    "exercises.Exercise.alt_name",
    "exercises.Exercise.summary",
    "exercises.Exercise.start_position",
    "exercises.Exercise.instructions",
    "exercises.Exercise.feel",
    "exercises.Exercise.avoid",
    "exercises.Exercise.harder",
)
VERSION = tuple(label.replace(".Exercise.", ".HistoricalExercise.") for label in EXERCISE)
# A follow-along step: the wording the session follows, and the physio's note.
FOLLOW_ALONG = (
    "exercises.Exercise.name",
    "tracking.SessionEntry.note (in progress)",
    "exercises.HistoricalExercise.start_position",
    "exercises.HistoricalExercise.instructions",
    "exercises.HistoricalExercise.feel",
)


def field_of(label: str) -> str:
    return label.split(" ")[0]


def tagged(label: str, payload: str) -> str:
    """The payload marked with where it is stored, e.g. `<script>…</script>[tracking.…]`."""
    return f"{payload}[{label.replace(' ', '_')}]"


@dataclass
class World:
    """Everything the pages show, with a payload in every free-text field."""

    payload: str
    values: dict[str, str]
    clients: dict[str, Client]
    patient: User
    nameless: User
    physio: User
    exercise: Exercise
    retired: Exercise
    version_id: int
    finished: Session
    in_progress: Session
    entry: SessionEntry
    invitation: Invitation
    invitation_token: str
    emailed_link: str
    outbox: list[EmailMessage] = field(default_factory=list)


@dataclass(frozen=True)
class Page:
    name: str
    who: str  # patient, physio, admin or anonymous
    url: Callable[[World], str]
    shows: tuple[str, ...]
    htmx: bool = False
    post: bool = False
    json: bool = False  # an answer for a script, not a page


def _user_admin(user: Callable[[World], User], view: str) -> Callable[[World], str]:
    return lambda w: reverse(f"admin:accounts_user_{view}", args=[user(w).pk])


def _changelist(model: type[models.Model]) -> Callable[[World], str]:
    name = f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist"
    return lambda w: reverse(name)


def _autocomplete(field_name: str) -> str:
    """The admin's search for the person to assign, as its select box asks for it."""
    query = urlencode(
        {"app_label": "accounts", "model_name": "assignment", "field_name": field_name}
    )
    return f"{reverse('admin:autocomplete')}?{query}"


PAGES = [
    # The patient.
    Page(
        "today",
        "patient",
        lambda w: reverse("tracking:today"),
        (
            "exercises.Exercise.name",
            "tracking.ProgrammeExercise.note",
            "tracking.ProgrammeVersion.changes",
            "tracking.Comment.body",
            "tracking.Comment.body (session)",
            *PHYSIO_NAME,
        ),
    ),
    # History lists dates and pain scores only: no free text, but checked for raw payloads.
    Page("history", "patient", lambda w: reverse("tracking:history"), ()),
    Page("history (htmx)", "patient", lambda w: reverse("tracking:history"), (), htmx=True),
    # Progress names each exercise in its table.
    Page(
        "progress",
        "patient",
        lambda w: reverse("tracking:progress") + "?range=all",
        ("exercises.Exercise.name",),
    ),
    Page(
        "progress (htmx)",
        "patient",
        lambda w: reverse("tracking:progress") + "?range=12w",
        ("exercises.Exercise.name",),
        htmx=True,
    ),
    Page(
        "a finished session",
        "patient",
        lambda w: w.finished.get_absolute_url(),
        (
            "tracking.Session.notes",
            "exercises.Exercise.name",
            "tracking.SessionEntry.note",
            "tracking.Comment.body (session)",
            *PHYSIO_NAME,
        ),
    ),
    Page(
        "the session in progress",
        "patient",
        lambda w: w.in_progress.get_absolute_url(),
        ("exercises.Exercise.name", "tracking.SessionEntry.note (in progress)"),
    ),
    Page(
        "an entry's page",
        "patient",
        lambda w: reverse("tracking:entry", args=[w.in_progress.pk, w.entry.pk]),
        ("exercises.Exercise.name",),
    ),
    Page(
        "an entry's 'this hurt' page",
        "patient",
        lambda w: reverse("tracking:entry-hurt", args=[w.in_progress.pk, w.entry.pk]),
        ("exercises.Exercise.name",),
    ),
    Page(
        "a follow-along step",
        "patient",
        lambda w: reverse("tracking:guided-step", args=[w.in_progress.pk, w.entry.pk]),
        FOLLOW_ALONG,
    ),
    Page(
        "a follow-along step (htmx)",
        "patient",
        lambda w: reverse("tracking:guided-step", args=[w.in_progress.pk, w.entry.pk]),
        FOLLOW_ALONG,
        htmx=True,
    ),
    Page(
        "an entry's row after Done (htmx)",
        "patient",
        lambda w: reverse("tracking:entry-done", args=[w.in_progress.pk, w.entry.pk]),
        ("exercises.Exercise.name", "tracking.SessionEntry.note (in progress)"),
        htmx=True,
        post=True,
    ),
    Page(
        "the programme",
        "patient",
        lambda w: reverse("tracking:programme"),
        (
            "exercises.Exercise.name",
            "tracking.ProgrammeExercise.note",
            "tracking.ProgrammeVersion.changes",
            *PHYSIO_NAME,
        ),
    ),
    Page(
        "the exercises",
        "patient",
        lambda w: reverse("exercises:routine"),
        (
            "exercises.Exercise.name",
            "exercises.Exercise.alt_name",
            "exercises.Exercise.summary",
            "exercises.Exercise.name (new)",
        ),
    ),
    Page("an exercise", "patient", lambda w: w.exercise.get_absolute_url(), EXERCISE),
    Page(
        "an exercise of the programme, at the patient's dose",
        "patient",
        lambda w: reverse("tracking:programme-exercise", args=[w.exercise.slug]),
        (*EXERCISE, "tracking.ProgrammeExercise.note"),
    ),
    Page(
        "an exercise of a session, as the session gave it",
        "patient",
        lambda w: reverse("tracking:entry-exercise", args=[w.in_progress.pk, w.entry.pk]),
        (*VERSION, "tracking.SessionEntry.note (in progress)"),
    ),
    Page(
        "a retired exercise",
        "patient",
        lambda w: w.retired.get_absolute_url(),
        ("exercises.Exercise.name (retired)",),
    ),
    Page(
        "an exercise version",
        "patient",
        lambda w: reverse("exercises:version", args=[w.version_id]),
        VERSION,
    ),
    # The physio.
    Page(
        "the caseload",
        "physio",
        lambda w: reverse("tracking:caseload"),
        (*PATIENT_NAME, "accounts.User.username", "exercises.Exercise.name (retired)"),
    ),
    Page(
        "the caseload (htmx)",
        "physio",
        lambda w: reverse("tracking:caseload") + "?sort=name",
        (*PATIENT_NAME, "accounts.User.username", "exercises.Exercise.name (retired)"),
        htmx=True,
    ),
    Page(
        "a patient",
        "physio",
        lambda w: reverse("tracking:patient", args=[w.patient.pk]),
        (
            *PATIENT_NAME,
            *PHYSIO_NAME,
            "accounts.User.first_name (colleague)",
            "exercises.Exercise.name",
            "exercises.Exercise.name (retired)",
            "tracking.Session.notes",
            "tracking.ProgrammeExercise.note",
            "tracking.ProgrammeVersion.changes",
            "tracking.Comment.body",
            "tracking.AlertAcknowledgement.summary",
            "tracking.AlertAcknowledgement.note",
        ),
    ),
    Page(
        "a patient's sessions (htmx)",
        "physio",
        lambda w: reverse("tracking:patient", args=[w.patient.pk]),
        ("tracking.Session.notes", "exercises.Exercise.name"),
        htmx=True,
    ),
    Page(
        "a patient without a name",
        "physio",
        lambda w: reverse("tracking:patient", args=[w.nameless.pk]),
        ("accounts.User.username",),
    ),
    Page(
        "a patient's session",
        "physio",
        lambda w: reverse("tracking:patient-session", args=[w.patient.pk, w.finished.pk]),
        (
            *PATIENT_NAME,
            *PHYSIO_NAME,
            "tracking.Session.notes",
            "exercises.Exercise.name",
            "tracking.Comment.body (session)",
        ),
    ),
    Page(
        "a patient's programme to change",
        "physio",
        lambda w: reverse("tracking:programme-edit", args=[w.patient.pk]),
        (
            *PATIENT_NAME,
            "exercises.Exercise.name",
            "exercises.Exercise.name (retired)",
            "exercises.Exercise.name (new)",
            "tracking.ProgrammeExercise.note",
        ),
    ),
    Page(
        "the invitations",
        "physio",
        lambda w: reverse("accounts:invitations"),
        (
            "accounts.Invitation.email",
            "accounts.Invitation.first_name",
            "accounts.Invitation.last_name",
        ),
    ),
    # Someone invited, not signed in.
    Page(
        "an invitation",
        "anonymous",
        lambda w: reverse("accounts:accept", args=[w.invitation_token]),
        ("accounts.Invitation.email", *PHYSIO_NAME),
    ),
    Page(
        "the emailed invitation link",
        "anonymous",
        lambda w: w.emailed_link,
        ("accounts.Invitation.first_name", "accounts.Invitation.last_name", *PHYSIO_NAME),
    ),
    # The admin.
    Page(
        "the admin's home", "admin", lambda w: reverse("admin:index"), ("exercises.Exercise.name",)
    ),
    Page(
        "the exercises in the admin",
        "admin",
        lambda w: reverse("admin:exercises_exercise_changelist"),
        (
            "exercises.Exercise.name",
            "exercises.Exercise.name (retired)",
            "exercises.Exercise.name (new)",
        ),
    ),
    Page(
        "an exercise in the admin",
        "admin",
        lambda w: reverse("admin:exercises_exercise_change", args=[w.exercise.pk]),
        EXERCISE,
    ),
    Page(
        "an exercise's history in the admin",
        "admin",
        lambda w: reverse("admin:exercises_exercise_history", args=[w.exercise.pk]),
        (
            "exercises.Exercise.name",
            "exercises.HistoricalExercise.name",
            "exercises.HistoricalExercise.history_change_reason",
        ),
    ),
    Page(
        "an exercise version in the admin",
        "admin",
        lambda w: reverse(
            "admin:exercises_exercise_simple_history", args=[w.exercise.pk, w.version_id]
        ),
        VERSION,
    ),
    Page(
        "deleting an exercise in use, in the admin",
        "admin",
        lambda w: reverse("admin:exercises_exercise_delete", args=[w.exercise.pk]),
        ("exercises.Exercise.name",),
    ),
    Page(
        "the people in the admin",
        "admin",
        lambda w: reverse("admin:accounts_user_changelist"),
        (*PATIENT_NAME, *PHYSIO_NAME, "accounts.User.username", "accounts.User.email"),
    ),
    Page(
        "a patient in the admin",
        "admin",
        _user_admin(lambda w: w.patient, "change"),
        (*PATIENT_NAME, *PHYSIO_NAME, "accounts.User.email"),
    ),
    Page(
        "a patient without a name in the admin",
        "admin",
        _user_admin(lambda w: w.nameless, "change"),
        ("accounts.User.username",),
    ),
    Page(
        "a physio in the admin",
        "admin",
        _user_admin(lambda w: w.physio, "change"),
        (*PHYSIO_NAME, *PATIENT_NAME, "accounts.User.username"),
    ),
    Page(
        "a patient's history in the admin",
        "admin",
        _user_admin(lambda w: w.patient, "history"),
        PATIENT_NAME,
    ),
    Page(
        "erasing a patient in the admin",
        "admin",
        _user_admin(lambda w: w.patient, "erase"),
        PATIENT_NAME,
    ),
    Page(
        "deleting a physio in the admin",
        "admin",
        _user_admin(lambda w: w.physio, "delete"),
        (*PATIENT_NAME, *PHYSIO_NAME),
    ),
    Page(
        "the audit trail in the admin",
        "admin",
        lambda w: reverse("admin:audit_auditevent_changelist"),
        (*PATIENT_NAME, *PHYSIO_NAME),
    ),
    Page(
        "the invitations in the admin",
        "admin",
        lambda w: reverse("admin:accounts_invitation_changelist"),
        ("accounts.Invitation.email", *PHYSIO_NAME),
    ),
    Page(
        "an invitation in the admin",
        "admin",
        lambda w: reverse(
            "admin:accounts_invitation_change",
            args=[Invitation.objects.exclude(pk=w.invitation.pk).get().pk],
        ),
        ("accounts.Invitation.first_name", "accounts.Invitation.last_name", *PHYSIO_NAME),
    ),
    Page(
        "the admin's search for a physio (JSON)",
        "admin",
        lambda w: _autocomplete("physio"),
        PHYSIO_NAME,
        json=True,
    ),
    Page(
        "the admin's search for a patient (JSON)",
        "admin",
        lambda w: _autocomplete("patient"),
        (*PATIENT_NAME, "accounts.User.username"),
        json=True,
    ),
    # Every other list in the admin, whatever it shows.
    *[
        Page(f"the {model._meta.verbose_name_plural} in the admin", "admin", _changelist(model), ())
        for model in admin.site._registry
        if model not in {User, Invitation, Exercise}
    ],
]

# The emails, by a word their subject holds, and what each shows.
EMAILS = {
    "invites you": ("accounts.Invitation.first_name", *PHYSIO_NAME),
    "password": ("accounts.User.username",),
}

# Attributes a browser follows as a link or loads from.
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "data", "xlink:href", "poster"}


class _Markup(HTMLParser):
    """Finds what a payload would do if it escaped: scripts, handlers, javascript: links."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._in_script = tag == "script"
        for name, value in attrs:
            value = value or ""
            if name.startswith("on") and "alert(" in value:
                self.problems.append(f"an event handler: <{tag} {name}={value!r}>")
            if name in URL_ATTRIBUTES and value.strip().lower().startswith("javascript:"):
                self.problems.append(f"a javascript: link: <{tag} {name}={value!r}>")
        if tag in {"img", "svg"} and ("src", "x") in attrs:
            self.problems.append(f"an injected <{tag}>")

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script and "alert(" in data:
            self.problems.append(f"a script: {data!r}")


def escaping_problems(html: str, values: dict[str, str], shows: Iterable[str]) -> list[str]:
    """What is wrong with how `html` shows the stored values; [] when all is escaped."""
    parser = _Markup()
    parser.feed(html)
    parser.close()
    problems = list(parser.problems)
    raw = [label for label, value in values.items() if escape(value) != value and value in html]
    problems += [f"{label} raw: {values[label]!r}" for label in raw]
    for label, value in values.items():
        payload = value.removesuffix(tagged(label, ""))
        if not raw and "<" in payload and payload in html:  # raw, but cut from its field's mark
            problems.append(f"the payload raw: {payload!r}")
            raw.append(label)
        if f"49{tagged(label, '')}" in html:
            problems.append(f"{label} evaluated as a template: 49{tagged(label, '')}")
    for label in shows:
        if escape(values[label]) not in html:
            problems.append(f"{label} not shown escaped: {escape(values[label])!r}")
    return problems


def test_every_free_text_field_is_covered_or_excluded_with_a_reason():
    text_fields = {
        f"{model._meta.app_label}.{model.__name__}.{model_field.name}"
        for app in ("accounts", "exercises", "tracking")
        for model in apps.get_app_config(app).get_models()
        for model_field in model._meta.get_fields()
        if isinstance(model_field, models.CharField | models.TextField | models.JSONField)
        and not model_field.choices
    }

    assert set(FREE_TEXT_FIELDS) | set(NOT_FREE_TEXT) == text_fields, (
        "A new text field? Add it to FREE_TEXT_FIELDS and show it below, "
        "or to NOT_FREE_TEXT with the reason it is not free text. "
        f"Not listed: {sorted(text_fields - set(FREE_TEXT_FIELDS) - set(NOT_FREE_TEXT))}; "
        f"listed but gone: {sorted((set(FREE_TEXT_FIELDS) | set(NOT_FREE_TEXT)) - text_fields)}"
    )
    assert not set(FREE_TEXT_FIELDS) & set(NOT_FREE_TEXT)


def test_every_free_text_field_is_checked_on_some_page_or_email():
    shown = {field_of(label) for page in PAGES for label in page.shows}
    shown |= {field_of(label) for labels in EMAILS.values() for label in labels}

    assert shown == set(FREE_TEXT_FIELDS)
    assert {field_of(label) for label in LABELS} == set(FREE_TEXT_FIELDS)
    named = {label for page in PAGES for label in page.shows}
    named |= {label for labels in EMAILS.values() for label in labels}
    assert named <= set(LABELS), named - set(LABELS)


@pytest.mark.parametrize(
    ("payload", "html", "found"),
    [
        (PAYLOADS["script"], "<p><script>alert(1)</script>[x]</p>", "a script"),
        (PAYLOADS["script"], "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>", "x not shown"),
        (
            PAYLOADS["attribute-breakout"],
            '<input value=""><img src=x onerror=alert(1)>[x]">',
            "x raw",
        ),
        (PAYLOADS["single-quote-breakout"], "<p title=''><svg onload=alert(1)>[x]'>", "handler"),
        (PAYLOADS["javascript-url"], '<a href="javascript:alert(1)[x]">Go</a>', "javascript: link"),
        (PAYLOADS["template-variable"], "<p>49[x]</p>", "evaluated as a template"),
        (
            PAYLOADS["textarea-breakout"],
            "<textarea></textarea><script>alert(1)</script>[x]",
            "x raw",
        ),
    ],
    ids=["script", "not-rendered", "attribute", "single-quote", "link", "template", "textarea"],
)
def test_the_check_finds_a_payload_that_is_not_escaped(payload, html, found):
    values = {"x": tagged("x", payload)}

    problems = escaping_problems(html, values, ["x"])

    assert any(found in problem for problem in problems), problems
    assert escaping_problems(f"<p>{escape(values['x'])}</p>", values, ["x"]) == []


@pytest.fixture(params=list(PAYLOADS.values()), ids=list(PAYLOADS))
def payload(request) -> str:
    return request.param


@pytest.fixture
def world(payload, patient, physio, other_physio, staff_admin, make_user, assigned) -> World:
    """A payload in every free-text field.

    Stored through the app's own forms where a person types it (the admin's exercise
    form, finishing a session, the programme form, comments, invitations), and
    through the ORM elsewhere: names, notes copied into entries, a recorded version.
    """
    values = {label: tagged(label, payload) for label in LABELS}
    clients = {
        "patient": signed_in(patient),
        "physio": signed_in(physio),
        "admin": signed_in(staff_admin),
        "anonymous": signed_in(None),
    }

    # People.
    User.objects.filter(pk=patient.pk).update(
        first_name=values["accounts.User.first_name"],
        last_name=values["accounts.User.last_name"],
        email=values["accounts.User.email"],
    )
    User.objects.filter(pk=physio.pk).update(
        first_name=values["accounts.User.first_name (physio)"],
        last_name=values["accounts.User.last_name (physio)"],
    )
    User.objects.filter(pk=other_physio.pk).update(
        first_name=values["accounts.User.first_name (colleague)"]
    )
    nameless = make_user(
        values["accounts.User.username"], Role.PATIENT, email="nameless@example.com"
    )
    Assignment.objects.create(patient=nameless, physio=physio)
    patient.refresh_from_db()
    physio.refresh_from_db()

    # The library, edited in the admin; its version as recorded, changed afterwards.
    exercise, to_retire = Exercise.objects.active()[:2]
    programme = Programme.for_patient(patient)
    form = model_to_dict(exercise, exclude=["id", "retired_at"])
    form.update({field_of(label).split(".")[-1]: values[label] for label in EXERCISE})
    form["slug"] = "xss"
    response = clients["admin"].post(
        reverse("admin:exercises_exercise_change", args=[exercise.pk]),
        {name: value for name, value in form.items() if value is not False},
    )
    assert response.status_code == 302, response.content.decode()
    exercise.refresh_from_db()
    version = exercise.history.latest()
    Exercise.history.filter(history_id=version.history_id).update(
        **{field_of(label).split(".")[-1]: values[label] for label in VERSION},
        history_change_reason=values["exercises.HistoricalExercise.history_change_reason"],
    )
    to_retire.name = values["exercises.Exercise.name (retired)"]
    to_retire.is_active = False
    to_retire.save()  # still in the patient's programme: an alert for the physio
    Exercise.objects.create(
        order=99,
        name=values["exercises.Exercise.name (new)"],
        slug="xss-new",
        summary="New",
        start_position="Lying down",
        instructions="Breathe",
        feel="Calm",
        avoid="Holding your breath",
    )

    # A session finished through its form, and one in progress.
    finished, _ = Session.start(patient, pain_before=2)
    finished.entries.filter(exercise=exercise).update(note=values["tracking.SessionEntry.note"])
    done = finished.entries.get(exercise=exercise)
    done.mark_done()  # one exercise done, so the session counts on the progress page
    done.save_if_session_open()
    response = clients["patient"].post(
        reverse("tracking:finish", args=[finished.pk]),
        {"pain_after": 3, "notes": values["tracking.Session.notes"], "flagged": "on"},
    )
    assert response.status_code == 302
    finished.refresh_from_db()
    assert finished.notes == values["tracking.Session.notes"]
    SafetyCheck.answer(patient, [])  # the day's check-in, so the session's pages open
    in_progress, _ = Session.start(patient, pain_before=3)
    entry = in_progress.entries.get(exercise=exercise)
    entry.note = values["tracking.SessionEntry.note (in progress)"]
    entry.save()

    # The physio changes the programme and comments, through their forms.
    response = clients["physio"].post(
        reverse("tracking:programme-edit", args=[patient.pk]),
        programme_post(
            programme, {exercise.name: {"note": values["tracking.ProgrammeExercise.note"]}}
        ),
    )
    assert response.status_code == 302
    changed = ProgrammeVersion.objects.get(programme=programme, number=2)
    changed.changes.append(values["tracking.ProgrammeVersion.changes"])
    changed.save()
    for url, label in [
        (reverse("tracking:comment", args=[patient.pk]), "tracking.Comment.body"),
        (
            reverse("tracking:session-comment", args=[patient.pk, finished.pk]),
            "tracking.Comment.body (session)",
        ),
    ]:
        assert clients["physio"].post(url, {"body": values[label]}).status_code == 302
    AlertAcknowledgement.objects.create(
        patient=patient,
        kind=AlertKind.FLAGGED,
        key="0",
        summary=values["tracking.AlertAcknowledgement.summary"],
        note=values["tracking.AlertAcknowledgement.note"],
        acknowledged_by=physio,
    )

    # Invitations: one through the form (and its email), one with an address no form takes.
    response = clients["physio"].post(
        reverse("accounts:invitations"),
        {
            "email": "invited@example.com",
            "first_name": values["accounts.Invitation.first_name"],
            "last_name": values["accounts.Invitation.last_name"],
        },
    )
    assert response.status_code == 302
    [link] = re.findall(r"http://testserver(/invitation/[^/\s]+/)", str(mail.outbox[-1].body))
    invitation = Invitation(email=values["accounts.Invitation.email"], invited_by=physio)
    token = invitation.new_token()
    invitation.save()

    # A forgotten password, for the patient known by their username only.
    response = clients["anonymous"].post(reverse("password_reset"), {"email": nameless.email})
    assert response.status_code == 302

    return World(
        payload=payload,
        values=values,
        clients=clients,
        patient=patient,
        nameless=nameless,
        physio=physio,
        exercise=exercise,
        retired=to_retire,
        version_id=version.history_id,
        finished=finished,
        in_progress=in_progress,
        entry=entry,
        invitation=invitation,
        invitation_token=token,
        emailed_link=link,
        outbox=list(mail.outbox),
    )


def visit(world: World, page: Page) -> list[str]:
    """What is wrong with how `page` shows the world's values, each problem named by page."""
    client = world.clients[page.who]
    headers = {"HX-Request": "true"} if page.htmx else {}
    url = page.url(world)
    response = (client.post if page.post else client.get)(url, headers=headers)
    if response.status_code != 200:
        return [f"{page.name}: {response.status_code} from {url}"]
    if page.json and response["Content-Type"] != "application/json":
        return [f"{page.name}: served as {response['Content-Type']}, not as JSON"]
    if page.json:
        return [
            f"{page.name}: {problem}"
            for problem in json_problems(response, response.json(), world, page)
        ]
    if not response["Content-Type"].startswith("text/html"):
        return [f"{page.name}: served as {response['Content-Type']}"]
    html = response.content.decode()
    problems = escaping_problems(html, world.values, page.shows)
    if page.htmx and "<html" in html:
        problems.append("a whole page, not the fragment htmx asked for")
    return [f"{page.name}: {problem}" for problem in problems]


def json_problems(
    response: HttpResponseBase, data: dict[str, Any], world: World, page: Page
) -> list[str]:
    """JSON keeps the text as typed, for a script to show as text: never read as HTML."""
    problems = []
    if response.get("X-Content-Type-Options") != "nosniff":
        problems.append("without X-Content-Type-Options: nosniff, a browser may sniff HTML")
    texts = " ".join(result["text"] for result in data["results"])
    problems += [f"{label} missing" for label in page.shows if world.values[label] not in texts]
    return problems


def test_every_page_fragment_and_json_answer_shows_every_payload_escaped(world):
    problems = [problem for page in PAGES for problem in visit(world, page)]

    assert not problems, "\n".join(problems)


def test_emails_are_plain_text_and_show_every_payload_as_typed(world):
    for word, shows in EMAILS.items():
        [message] = [message for message in world.outbox if word in message.subject]
        assert message.content_subtype == "plain", word
        assert not getattr(message, "alternatives", []), word  # no HTML version
        for label in shows:
            assert world.values[label] in message.body, (word, label)


def test_the_invitation_subject_shows_the_physios_name_as_typed(physio):
    """The subject is plain text like the body: HTML escaping there shows `O&#x27;Brien`."""
    User.objects.filter(pk=physio.pk).update(first_name="Dara", last_name="O'Brien")

    signed_in(physio).post(reverse("accounts:invitations"), {"email": "invited@example.com"})

    [message] = mail.outbox
    assert message.subject == "Dara O'Brien invites you to BackTrack"
