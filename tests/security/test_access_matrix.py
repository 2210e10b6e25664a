"""Deny by default, proven for every URL the site has.

The list of URL patterns comes from Django's resolver, so a URL added later
without a rule here fails `test_every_url_pattern_has_a_rule` (and its own
matrix test) until someone decides who may use it. Each pattern is tried by six
people: signed out, the patient who owns the data, another patient, the
patient's physio, a physio who does not look after them, and an admin; with
every method its view allows. Signed-out people are sent to sign in (htmx
requests with a client redirect); people who may not see the object get 404;
a role too low gets 403. Every refused request is checked to have changed
nothing in the database, row for row, and to have left exactly one record
of the refusal in the audit trail, naming the person.
"""

import ipaddress
import itertools
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlparse

import pytest
from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from accounts.models import User
from audit.models import Action, AuditEvent, Outcome
from tests.accounts.test_admin_access import CLOSED_EVEN_TO_ADMINS, admin_urls
from tests.conftest import signed_in
from tracking.models import Session

ACTORS = ["anonymous", "owner", "other_patient", "physio", "other_physio", "admin"]
METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"]
LOGIN = reverse("login")

# What a refused request tries to write: every field name a form here takes.
ATTEMPT = {
    "pain_before": "3",
    "pain_after": "2",
    "notes": "changed",
    "status": "done",
    "sets_done": "1",
    "reps_done": "1",
    "body": "changed",
    "note": "changed",
    "kind": "pain_worse",
    "key": "x",
    "exercise": "1",
    "physio": "1",
    "email": "someone@example.com",
    "code": "123456",
    "post": "yes",
    "is_active": "",
    "confirm": "yes",
    "flags": "fever",
    "answer": "some",
    "hurt": "5",
    "outcome": "done",
    "guided": "on",
}

# Who may use each URL. Admin URLs follow one rule, below.
PUBLIC = "public"  # anyone, signed in or not
SIGNED_IN = "signed in"  # anyone signed in
PATIENT = "patient"  # patients, their own data only
PATIENT_OBJECT = "patient's object"  # the owning patient; another patient gets 404
PHYSIO = "physio"  # physios
PHYSIO_OBJECT = "physio's patient"  # the patient's physio; another physio gets 404
STAFF_OR_PHYSIO = "physio or admin"  # two-step verification pages
INVITED = "invited"  # signed out only: an invitation makes a new account
ADMIN = "admin"

RULES: dict[str, str] = {
    "home": SIGNED_IN,
    "login": PUBLIC,
    "logout": SIGNED_IN,
    "password_reset": PUBLIC,
    "password_reset_done": PUBLIC,
    "password_reset_confirm": PUBLIC,
    "password_reset_complete": PUBLIC,
    "password_change": SIGNED_IN,
    "password_change_done": SIGNED_IN,
    "health": PUBLIC,
    "safety": PUBLIC,
    "learn": PUBLIC,
    "learn-topic": PUBLIC,
    "exercises:routine": SIGNED_IN,
    "exercises:version": SIGNED_IN,
    "exercises:detail": SIGNED_IN,
    "accounts:invitations": PHYSIO,
    "accounts:invitation-resend": PHYSIO_OBJECT,
    "accounts:invitation-cancel": PHYSIO_OBJECT,
    "accounts:accept": INVITED,
    "accounts:two-step": STAFF_OR_PHYSIO,
    "accounts:two-step-setup": STAFF_OR_PHYSIO,
    "accounts:two-step-verify": STAFF_OR_PHYSIO,
    "accounts:recovery-codes": STAFF_OR_PHYSIO,
    "accounts:two-step-off": STAFF_OR_PHYSIO,
    "tracking:today": PATIENT,
    "tracking:history": PATIENT,
    "tracking:progress": PATIENT,
    "tracking:programme": PATIENT,
    "tracking:programme-exercise": PATIENT,
    "tracking:start": PATIENT,
    "tracking:check-in": PATIENT,
    "tracking:check-in-result": PATIENT_OBJECT,
    "tracking:check-in-withdraw": PATIENT_OBJECT,
    "tracking:session": PATIENT_OBJECT,
    "tracking:finish": PATIENT_OBJECT,
    "tracking:discard": PATIENT_OBJECT,
    "tracking:entry": PATIENT_OBJECT,
    "tracking:entry-done": PATIENT_OBJECT,
    "tracking:entry-skip": PATIENT_OBJECT,
    "tracking:entry-hurt": PATIENT_OBJECT,
    "tracking:entry-exercise": PATIENT_OBJECT,
    "tracking:guided": PATIENT_OBJECT,
    "tracking:guided-step": PATIENT_OBJECT,
    "tracking:guided-hurt": PATIENT_OBJECT,
    "tracking:my-data": PATIENT,
    "tracking:export-json": PATIENT,
    "tracking:export-csv": PATIENT,
    "tracking:erase": PATIENT,
    "tracking:caseload": PHYSIO,
    "tracking:patient": PHYSIO_OBJECT,
    "tracking:programme-edit": PHYSIO_OBJECT,
    "tracking:leave-out": PHYSIO_OBJECT,
    "tracking:comment": PHYSIO_OBJECT,
    "tracking:share-care": PHYSIO_OBJECT,
    "tracking:leave-care": PHYSIO_OBJECT,
    "tracking:acknowledge": PHYSIO_OBJECT,
    "tracking:patient-session": PHYSIO_OBJECT,
    "tracking:session-comment": PHYSIO_OBJECT,
    "tracking:patient-export-json": PHYSIO_OBJECT,
    "tracking:patient-export-csv": PHYSIO_OBJECT,
    "tracking:patient-progress": PHYSIO_OBJECT,
}

# Who gets what, for each rule: "ok", "sign in", 403 or 404.
EXPECTED: dict[str, dict[str, Any]] = {
    PUBLIC: dict.fromkeys(ACTORS, "ok"),
    INVITED: {**dict.fromkeys(ACTORS, 403), "anonymous": "ok"},
    SIGNED_IN: {**dict.fromkeys(ACTORS, "ok"), "anonymous": "sign in"},
    PATIENT: {
        "anonymous": "sign in",
        "owner": "ok",
        "other_patient": "ok",
        "physio": 403,
        "other_physio": 403,
        "admin": 403,
    },
    PATIENT_OBJECT: {
        "anonymous": "sign in",
        "owner": "ok",
        "other_patient": 404,
        "physio": 403,
        "other_physio": 403,
        "admin": 403,
    },
    PHYSIO: {
        "anonymous": "sign in",
        "owner": 403,
        "other_patient": 403,
        "physio": "ok",
        "other_physio": "ok",
        "admin": 403,
    },
    PHYSIO_OBJECT: {
        "anonymous": "sign in",
        "owner": 403,
        "other_patient": 403,
        "physio": "ok",
        "other_physio": 404,
        "admin": 403,
    },
    STAFF_OR_PHYSIO: {
        "anonymous": "sign in",
        "owner": 403,
        "other_patient": 403,
        "physio": "ok",
        "other_physio": "ok",
        "admin": "ok",
    },
    ADMIN: {
        "anonymous": "sign in",
        "owner": 403,
        "other_patient": 403,
        "physio": 403,
        "other_physio": 403,
        "admin": "ok",
    },
}


SIGNED_OUT = "signed out"  # allowed, and then on the sign-in page

# Where one URL departs from its rule, and why.
ADMIN_CATCH_ALL = "admin/(?P<url>.*)$"
EXCEPTIONS: dict[str, dict[str, Any]] = {
    # Admins must keep two-step verification on.
    "accounts:two-step-off": {"admin": 403},
    # Signing out is allowed, and lands on the sign-in page.
    "logout": {**dict.fromkeys(ACTORS, SIGNED_OUT), "anonymous": "sign in"},
    "admin:logout": {"admin": {**dict.fromkeys(METHODS, SIGNED_OUT), "GET": "ok", "HEAD": "ok"}},
    # Invitations are read-only in the admin: it shows them, but saves no change.
    "admin:accounts_invitation_change": {"admin": {**dict.fromkeys(METHODS, "ok"), "POST": 403}},
    # The admin's answer to an address it does not have.
    ADMIN_CATCH_ALL: {"admin": 404},
    # The audit trail is read-only in the admin: it shows records, but saves no change.
    "admin:audit_auditevent_change": {"admin": {**dict.fromkeys(METHODS, "ok"), "POST": 403}},
}


def _patterns(patterns: list, prefix: str = "", namespace: str = "") -> Iterator[str]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from _patterns(pattern.url_patterns, prefix + str(pattern.pattern), inner)
        else:
            assert isinstance(pattern, URLPattern)
            yield f"{namespace}{pattern.name}" if pattern.name else prefix + str(pattern.pattern)


PATTERNS = sorted(set(_patterns(get_resolver().url_patterns)))


def rule_for(pattern: str) -> str:
    if pattern.startswith(("admin:", "admin/")):
        return ADMIN
    return RULES[pattern]


def test_every_url_pattern_has_a_rule():
    missing = [pattern for pattern in PATTERNS if not pattern.startswith(("admin:", "admin/"))]
    assert sorted(set(missing) - set(RULES)) == []
    assert sorted(set(RULES) - set(missing)) == []  # no rule for a URL that is gone


def url_of(pattern: str, world: dict) -> str:
    """The pattern, filled in with the owning patient's objects."""
    session, patient = world["session"], world["people"]["owner"]
    by_name = {
        "exercises:version": [world["exercise"].history.first().history_id],
        "exercises:detail": [world["exercise"].slug],
        "accounts:invitation-resend": [world["invitation"].pk],
        "accounts:invitation-cancel": [world["invitation"].pk],
        "accounts:accept": [world["token"]],
        "password_reset_confirm": ["MQ", "set-password"],
        "tracking:session": [session.pk],
        "tracking:finish": [session.pk],
        "tracking:discard": [session.pk],
        "tracking:entry": [session.pk, world["entry"].pk],
        "tracking:entry-done": [session.pk, world["entry"].pk],
        "tracking:entry-skip": [session.pk, world["entry"].pk],
        "tracking:entry-hurt": [session.pk, world["entry"].pk],
        "tracking:entry-exercise": [session.pk, world["entry"].pk],
        "tracking:programme-exercise": [world["exercise"].slug],
        "tracking:guided": [session.pk],
        "tracking:guided-step": [session.pk, world["entry"].pk],
        "tracking:guided-hurt": [session.pk, world["entry"].pk],
        "tracking:check-in-result": [world["check"].pk],
        "tracking:check-in-withdraw": [world["check"].pk],
        "learn-topic": ["back-and-hip"],
        "tracking:patient-session": [patient.pk, session.pk],
        "tracking:session-comment": [patient.pk, session.pk],
    }
    if pattern.startswith("tracking:") and pattern in RULES and RULES[pattern] == PHYSIO_OBJECT:
        by_name.setdefault(pattern, [patient.pk])
    if pattern.startswith("admin:"):
        return _admin_url(pattern, world)
    if pattern == "admin/(?P<url>.*)$":
        return "/admin/no-such-page/"
    if pattern.startswith("admin/"):  # the old change-page address, redirected
        return "/" + pattern.replace("<path:object_id>", str(_admin_object(pattern).pk))
    return reverse(pattern, args=by_name.get(pattern, []))


def _admin_object(pattern: str) -> Any:
    app_label, model_name = pattern.split("/")[1:3]
    return apps.get_model(app_label, model_name)._default_manager.order_by("pk").first()


def _admin_url(pattern: str, world: dict) -> str:
    objects = {}
    for model in apps.get_models():
        key = f"{model._meta.app_label}_{model._meta.model_name}"
        objects[key] = world["people"]["owner"] if model is User else model._default_manager.first()
    name = pattern.removeprefix("admin:")
    urls = admin_urls(objects)
    if name in {"login", "logout", "password_change", "password_change_done", "jsi18n"}:
        return reverse(pattern)
    if name == "autocomplete":
        return reverse(pattern) + "?app_label=accounts&model_name=user&field_name=groups"
    if name == "view_on_site":
        content_type = ContentType.objects.get_for_model(Session)
        return reverse(pattern, args=[content_type.pk, world["session"].pk])
    if name == "app_list":
        return urls["app_list:accounts"]
    return urls[name]


def snapshot() -> dict[str, list[dict]]:
    """Every row of every table a request could change, but sessions and the cache."""
    labels = {"accounts", "auth", "exercises", "tracking", "otp_totp", "otp_static", "axes"}
    return {
        model._meta.label: list(model._default_manager.order_by("pk").values())
        for model in apps.get_models()
        if model._meta.app_label in labels
    }


def request(client: Client, method: str, url: str, **extra: Any):
    data = ATTEMPT if method in ("POST", "PUT", "PATCH") else None
    return client.generic(method, url, data=_encoded(data), content_type=_type(method), **extra)


def _encoded(data: dict | None) -> str:
    if data is None:
        return ""
    from urllib.parse import urlencode

    return urlencode(data)


def _type(method: str) -> str:
    return "application/x-www-form-urlencoded" if method != "GET" else ""


def allowed_methods(url: str) -> list[str]:
    """The methods the view answers: the others get 405 even before sign-in."""
    anonymous = Client()
    return [m for m in METHODS if request(anonymous, m, url).status_code != 405]


def wanted(expected: dict[str, Any], actor: str, method: str) -> Any:
    rule = expected[actor]
    rule = rule[method] if isinstance(rule, dict) else rule
    return "sign in" if rule == SIGNED_OUT else rule


def lets_in(rule: Any) -> bool:
    """Whether the person may use the URL (with at least one method)."""
    values = rule.values() if isinstance(rule, dict) else [rule]
    return any(value in ("ok", SIGNED_OUT) for value in values)


def denials_expected(pattern: str, expected: dict[str, Any], actor: str, method: str) -> int:
    """One audit record for each refusal; none for what is not one."""
    rule = expected[actor]
    rule = rule[method] if isinstance(rule, dict) else rule
    if rule == 404 and pattern == ADMIN_CATCH_ALL:
        return 0  # a page that does not exist
    if rule in (403, 404):
        return 1
    if rule == "sign in" and pattern in ("home", "logout", "admin:logout"):
        return 0  # front doors: sending the signed-out to sign in is their job
    if rule == "sign in":
        return 1
    return 0  # allowed, or signed out on purpose


def new_denials(since: int) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(seq__gt=since, action=Action.ACCESS_DENIED))


def last_seq() -> int:
    return AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first() or 0


def assert_refusal_recorded(pattern, expected, actor, method, person, since: int) -> None:
    denials = new_denials(since)
    assert len(denials) == denials_expected(pattern, expected, actor, method), (
        pattern,
        actor,
        method,
        "audit records of the refusal",
        len(denials),
    )
    for denial in denials:
        assert denial.outcome == Outcome.DENIED
        assert denial.actor == person, (pattern, actor, method)


_addresses = itertools.count(1)


def from_anywhere(actor: str) -> dict[str, str]:
    """Signed out, each request from an address of its own: an address's signed-out
    refusals are recorded once every few minutes (tests/audit/test_signed_out_refusals.py),
    and here each one must be seen to be recorded."""
    if actor != "anonymous":
        return {}
    return {"REMOTE_ADDR": str(ipaddress.ip_address("198.18.0.0") + next(_addresses))}


def outcome(response, url: str) -> Any:
    status = response.status_code
    if status == 302 and urlparse(response["Location"]).path == LOGIN:
        return "sign in"
    if status == 200 and response.get("HX-Redirect", "").startswith(LOGIN):
        return "sign in"
    if status in (403, 404):
        return status
    assert status < 500, (url, status)
    return "ok"


@pytest.mark.parametrize("pattern", PATTERNS)
def test_each_url_answers_each_person_as_its_rule_says_and_refusals_change_nothing(pattern, world):
    rule = rule_for(pattern)
    url = url_of(pattern, world)
    methods = allowed_methods(url)
    assert methods, f"{pattern} answers no method at all"
    expected = dict(EXPECTED[rule])
    if pattern.removeprefix("admin:") in CLOSED_EVEN_TO_ADMINS:
        expected["admin"] = 403
    expected.update(EXCEPTIONS.get(pattern, {}))
    clients = {actor: signed_in(person) for actor, person in world["people"].items()}
    checked = 0

    # Everyone who is refused first, so that nothing they do can hide behind a change
    # the rightful user makes; then the people allowed in.
    refused = [actor for actor in ACTORS if not lets_in(expected[actor])]
    allowed = [actor for actor in ACTORS if lets_in(expected[actor])]
    before = snapshot()
    people = world["people"]
    for actor in refused:
        for method in methods:
            since = last_seq()
            response = request(clients[actor], method, url, **from_anywhere(actor))
            assert outcome(response, url) == wanted(expected, actor, method), (
                pattern,
                actor,
                method,
                url,
            )
            assert "Content-Security-Policy" in response, (pattern, actor, method)
            assert_refusal_recorded(pattern, expected, actor, method, people[actor], since)
            checked += 1
        if expected[actor] == "sign in":
            since = last_seq()
            htmx = request(
                clients[actor],
                methods[0],
                url,
                headers={"HX-Request": "true"},
                **from_anywhere(actor),
            )
            assert htmx.status_code == 200, (pattern, htmx.status_code)
            assert htmx["HX-Redirect"].startswith(LOGIN), pattern
            assert_refusal_recorded(pattern, expected, actor, methods[0], None, since)
    assert snapshot() == before, f"a refused request to {pattern} changed the database"

    for actor in allowed:
        for method in methods:
            since = last_seq()
            response = request(clients[actor], method, url)
            assert outcome(response, url) == wanted(expected, actor, method), (
                pattern,
                actor,
                method,
                response.status_code,
            )
            assert_refusal_recorded(pattern, expected, actor, method, people[actor], since)
            checked += 1
    assert checked == len(ACTORS) * len(methods)
