"""Shared fixtures: one user per access level, and small factories."""

import datetime as dt
import functools
import importlib
import os
import time
import uuid
from base64 import b32decode
from collections.abc import Iterable

import pytest
from django.conf import settings
from django.contrib.auth.models import Group
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from hypothesis import settings as hypothesis_settings
from qsessions.backends.db import SessionStore

from accounts import two_step
from accounts.models import Assignment, Role, User
from exercises.models import Exercise, current_versions
from tracking.models import SafetyCheck, Session, SessionEntry

PASSWORD = "correct-horse-battery"

# Hypothesis profiles, chosen by HYPOTHESIS_PROFILE.
# - default: failing examples are kept in .hypothesis/ (ignored by git) and tried
#   first next time.
# - ci: no example database (a fresh clone has none to reuse); a failure prints the
#   blob that reproduces it (@reproduce_failure).
# - ci-postgres: the same, for CI's second pass, on PostgreSQL.
# Property tests keep Hypothesis's own number of examples. The fuzzed forms
# (tests/security/test_fuzz_forms.py) take theirs from FORM_EXAMPLES: 200 each, but
# fewer on CI's PostgreSQL pass, which repeats the SQLite one to find only what
# PostgreSQL refuses.
HYPOTHESIS_PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "default")
FORM_EXAMPLES = {"default": 200, "ci": 200, "ci-postgres": 25}
hypothesis_settings.register_profile("default")
for _name in ("ci", "ci-postgres"):
    hypothesis_settings.register_profile(_name, database=None, print_blob=True)
hypothesis_settings.load_profile(HYPOTHESIS_PROFILE)


# What lets a test reach the database: pytest-django refuses it to any other test.
DATABASE_FIXTURES = {
    "db",
    "transactional_db",
    "django_db_reset_sequences",
    "django_db_serialized_rollback",
    "live_server",
}


def uses_the_database(item: pytest.Item) -> bool:
    fixtures = set(getattr(item, "fixturenames", ()))
    return item.get_closest_marker("django_db") is not None or bool(fixtures & DATABASE_FIXTURES)


def pytest_itemcollected(item: pytest.Item) -> None:
    """Mark the tests that can reach the database `database`, so that a second pass
    on another database can run only them (-m database): the rest cannot differ."""
    if uses_the_database(item):
        item.add_marker(pytest.mark.database)


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Run browser tests last: they are transactional, and Django empties every
    table after them, the migrated routine included. pytest-django sorts them
    last too, but pytest's own fixture grouping can interleave them again."""
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _fresh_cache(settings):
    """Each test counts rate limits afresh: the cache is a database table that
    transactional tests do not empty, so each test gets keys of its own."""
    default = settings.CACHES["default"]
    settings.CACHES = {"default": {**default, "KEY_PREFIX": f"test-{uuid.uuid4().hex}"}}


@functools.cache
def _migrated_apps():
    """The models as the migrations see them, as data migrations are run with."""
    return MigrationLoader(connection).project_state().apps


@pytest.fixture
def migrated_data(transactional_db):
    """What the data migrations load (roles, the routine, its first versions and
    later changes of words, the audit chain's head), for transactional tests.

    Django empties every table after a transactional test, so such tests load it
    again with the migrations' own functions and the migrations' own models:
    the real ones would record history of their own.
    """
    from exercises.models import Exercise

    if Exercise.objects.exists():  # the first such test: the migrations' data is still there
        return
    migrated = _migrated_apps()
    for module, function in [
        ("accounts.migrations.0002_roles", "create_role_groups"),
        ("exercises.migrations.0002_load_routine", "load_routine"),
        ("exercises.migrations.0004_first_versions", "record_first_versions"),
        ("exercises.migrations.0005_rewrite_start_positions", "forwards"),
        ("audit.migrations.0002_chain_head", "start_the_chain"),
    ]:
        getattr(importlib.import_module(module), function)(migrated, None)


@pytest.fixture
def make_user(db):
    def make(username: str, role: Role | None = None, **fields) -> User:
        user = User.objects.create_user(username=username, password=PASSWORD, **fields)
        if role is not None:
            user.groups.add(Group.objects.get(name=role.value))
        return user

    return make


@pytest.fixture
def patient(make_user) -> User:
    return make_user("pat", Role.PATIENT, first_name="Pat", last_name="Lee")


@pytest.fixture
def other_patient(make_user) -> User:
    return make_user("olly", Role.PATIENT, first_name="Olly", last_name="Ng")


@pytest.fixture
def physio(make_user) -> User:
    return make_user("phil", Role.PHYSIO, first_name="Phil", last_name="Io")


@pytest.fixture
def other_physio(make_user) -> User:
    return make_user("phoebe", Role.PHYSIO, first_name="Phoebe", last_name="Ray")


@pytest.fixture
def staff_admin(make_user) -> User:
    return make_user("ada", is_staff=True, is_superuser=True)


def signed_in(user: User | None, *, verified: bool | None = None) -> Client:
    """A test client signed in as `user` (anonymous for None).

    The session is saved with the client's own address and browser, as a real
    sign-in would, so a first request does not re-save it and counts stay true.
    Admins (and, with verified=True, physios) have passed two-step verification.
    """
    if verified is None:
        verified = user is not None and two_step.required(user)
    client = Client()
    if user is not None:
        client.force_login(user)
        key = client.cookies[settings.SESSION_COOKIE_NAME].value
        store = SessionStore(session_key=key, user_agent="", ip="127.0.0.1")
        store.load()
        if verified and two_step.offered(user):
            device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
            device = device or TOTPDevice.objects.create(user=user, name="Phone")
            store[DEVICE_ID_SESSION_KEY] = device.persistent_id
            store[two_step.ENROLLED] = True
        store.save()
    return client


def current_code(device: TOTPDevice, *, ahead: int = 0) -> str:
    """The code an authenticator app shows now for `device` (or `ahead` steps later)."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() + ahead * device.step
    return f"{totp.token():0{device.digits}d}"


def app_code(base32_key: str) -> str:
    """The code an authenticator app shows now for a key typed in as shown on screen."""
    totp = TOTP(b32decode(base32_key.replace(" ", "")))
    totp.time = time.time()
    return f"{totp.token():06d}"


@pytest.fixture
def patient_client(patient) -> Client:
    return signed_in(patient)


def admin_user_form(user: User, **changes) -> dict:
    """The admin's change form for `user`, as a browser posts it, with no inline rows."""
    data: dict[str, object] = {
        "username": user.username,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "is_active": "on" if user.is_active else None,
        "groups": [group.pk for group in user.groups.all()],
        "last_login_0": "",
        "last_login_1": "",
        "date_joined_0": user.date_joined.strftime("%Y-%m-%d"),
        "date_joined_1": user.date_joined.strftime("%H:%M:%S"),
        "timezone": user.timezone,
    }
    for prefix in ("physio_assignments", "patient_assignments"):
        data.update({f"{prefix}-TOTAL_FORMS": 0, f"{prefix}-INITIAL_FORMS": 0})
    data.update(changes)
    return {name: value for name, value in data.items() if value is not None}


def sql_of(fn) -> list[str]:
    """The SQL statements `fn()` runs, to compare counts and print them on failure."""
    with CaptureQueriesContext(connection) as queries:
        fn()
    return [query["sql"] for query in queries.captured_queries]


def same_queries(few: list[str], many: list[str]) -> bool:
    if len(few) != len(many):
        print("With fewer rows:", *few, "With more rows:", *many, sep="\n  ")
    return len(few) == len(many)


@pytest.fixture
def htmx_headers() -> dict[str, str]:
    return {"HX-Request": "true"}


def check_in(patient: User) -> SafetyCheck:
    """Today's safety check-in, answered "none of these", as logging exercise needs."""
    return SafetyCheck.answer(patient, [])


@pytest.fixture
def checked_in(patient) -> SafetyCheck:
    return check_in(patient)


@pytest.fixture
def session(patient) -> Session:
    """An in-progress session of `patient` with the full routine."""
    session, _ = Session.start(patient, pain_before=5)
    return session


@pytest.fixture
def other_session(other_patient) -> Session:
    session, _ = Session.start(other_patient, pain_before=3)
    return session


@pytest.fixture
def assigned(patient, physio) -> Assignment:
    """`patient` is in `physio`'s care (and `other_patient` is in nobody's)."""
    return Assignment.objects.create(patient=patient, physio=physio)


@pytest.fixture
def physio_client(physio) -> Client:
    return signed_in(physio)


def one_exercise_done(sessions: Iterable[Session]) -> None:
    """The pelvic tilt done in each session: enough for a session to count in the figures."""
    exercise = Exercise.objects.get(slug="pelvic-tilt")
    version = current_versions([exercise.pk])[exercise.pk]
    SessionEntry.objects.bulk_create(
        SessionEntry(
            session=session,
            exercise=exercise,
            exercise_version_id=version,
            order=1,
            status=SessionEntry.Status.DONE,
            sets_done=exercise.sets,
            reps_done=exercise.reps,
            **exercise.dose_values(),
        )
        for session in sessions
    )


def finished_session(
    patient: User,
    days_ago: int,
    pain_before: int,
    pain_after: int,
    *,
    flagged: bool = False,
    hour: int = 9,
    nothing_done: bool = False,
) -> Session:
    """A finished session on one of the patient's past days, with one exercise done
    (enough for the figures), or with none (`nothing_done`)."""
    day = timezone.localdate(timezone.now(), patient.tzinfo) - dt.timedelta(days=days_ago)
    started = dt.datetime.combine(day, dt.time(hour), tzinfo=patient.tzinfo)
    session = Session.objects.create(
        patient=patient,
        started_at=started,
        finished_at=started + dt.timedelta(minutes=15),
        local_date=day,
        pain_before=pain_before,
        pain_after=pain_after,
        flagged=flagged,
    )
    if not nothing_done:
        one_exercise_done([session])
    return session


def programme_post(programme, changes: dict[str, dict] | None = None, **settings_) -> dict:
    """The programme form as the page would post it, with `changes` by exercise name."""
    changes = changes or {}
    data = {
        "version": programme.version,
        "target_per_week": programme.target_per_week,
        "inactivity_days": programme.inactivity_days,
        **settings_,
    }
    if programme.gentle_start and data.pop("gentle_start", True):
        data["gentle_start"] = "on"  # an unticked box is not posted at all
    for item in programme.items():
        values = {
            "included": item.included,
            "order": item.order,
            "sets": item.sets,
            "reps": item.reps,
            "hold_seconds": item.hold_seconds,
            "per_side": item.per_side,
            "rest_seconds": item.rest_seconds,
            "note": item.note,
            **changes.get(item.exercise.name, {}),
        }
        for name, value in values.items():
            if value is True:
                value = "on"
            if value is not False:  # an unticked box is not posted at all
                data[f"exercise-{item.pk}-{name}"] = value
    return data
