"""Shared fixtures: one user per access level, and small factories."""

import importlib

import pytest
from django.apps import apps
from django.contrib.auth.models import Group
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accounts.models import Role, User
from tracking.models import Session

PASSWORD = "correct-horse-battery"


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Run browser tests last: they are transactional, and Django empties every
    table after them, the migrated routine included. pytest-django sorts them
    last too, but pytest's own fixture grouping can interleave them again."""
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def migrated_data(transactional_db):
    """What the data migrations load (roles, the routine), for transactional tests.

    Django empties every table after a transactional test, so such tests load it
    again with the migrations' own functions.
    """
    roles = importlib.import_module("accounts.migrations.0002_roles")
    routine = importlib.import_module("exercises.migrations.0002_load_routine")
    roles.create_role_groups(apps, None)
    routine.load_routine(apps, None)


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


@pytest.fixture
def patient_client(patient) -> Client:
    client = Client()
    client.force_login(patient)
    return client


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


@pytest.fixture
def session(patient) -> Session:
    """An in-progress session of `patient` with the full routine."""
    session, _ = Session.start(patient, pain_before=5)
    return session


@pytest.fixture
def other_session(other_patient) -> Session:
    session, _ = Session.start(other_patient, pain_before=3)
    return session
