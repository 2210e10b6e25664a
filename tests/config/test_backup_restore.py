"""Backing up and restoring the whole database (`manage.py backup` and `restore`).

Each test runs on the database the suite runs on: SQLite by default,
PostgreSQL with DATABASE_URL. The tests are transactional, because pg_dump
runs in a process of its own and sees only committed rows.
"""

import io
import re
import sqlite3
import stat
import sys
from contextlib import closing
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.migrations.recorder import MigrationRecorder
from django.urls import reverse

from accounts.management.commands import backup as backup_command
from accounts.models import Assignment, User
from tests.conftest import finished_session
from tracking.models import Comment, SafetyCheck, Session, SessionEntry
from tracking.safety import Advice

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("migrated_data"),
]

Snapshot = dict[str, list[tuple[str, ...]]]


def snapshot() -> Snapshot:
    """Every row of every table, each value as text, sorted: equal means identical."""
    tables: Snapshot = {}
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            sql = f"SELECT * FROM {connection.ops.quote_name(table)}"  # noqa: S608 (a table name)
            cursor.execute(sql)
            tables[table] = sorted(tuple(map(as_text, row)) for row in cursor.fetchall())
    return tables


def as_text(value: object) -> str:
    return repr(bytes(value)) if isinstance(value, memoryview) else repr(value)


def assert_same(after: Snapshot, before: Snapshot) -> None:
    assert sorted(after) == sorted(before), "the restored database has other tables"
    for table, rows in before.items():
        assert after[table] == rows, f"the rows of {table} differ"


def back_up(tmp_path: Path, name: str = "backup") -> Path:
    out = io.StringIO()
    call_command("backup", "--output", str(tmp_path / name), stdout=out)
    path = Path(out.getvalue().strip())
    assert path.is_file()
    return path


def restore(path: Path) -> str:
    out = io.StringIO()
    call_command("restore", str(path), "--yes", stdout=out)
    return out.getvalue()


@pytest.fixture(scope="module", autouse=True)
def _leave_the_database_as_found(django_db_setup, django_db_blocker, tmp_path_factory):
    """Put the whole database back as it was before these tests.

    Each transactional test ends with every table emptied, the migrations' data
    included, and tests that run later expect that data: a backup taken
    before the first test, restored after the last, brings it back.
    """
    with django_db_blocker.unblock():
        found = back_up(tmp_path_factory.mktemp("as-found"))
    yield
    with django_db_blocker.unblock():
        restore(found)


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture
def not_a_terminal(monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.StringIO())


# What a restore brings back -------------------------------------------------------


def test_a_restore_brings_back_every_row_exactly(
    settings, tmp_path, patient, physio, assigned, session, make_user
):
    settings.DEBUG = True
    call_command("demo_data", stdout=io.StringIO())
    backup = back_up(tmp_path)
    before = snapshot()
    assert sum(map(len, before.values())) > 1000  # the demo's six weeks of history

    # Insert, update and delete rows in several tables.
    make_user("newcomer")
    Comment.objects.create(patient=patient, author=physio, body="Written after the backup.")
    User.objects.filter(username="alice").update(first_name="Changed")
    session.entries.update(status=SessionEntry.Status.SKIPPED)
    Session.objects.filter(patient__username="ben").delete()
    Assignment.objects.filter(physio__username="sam").delete()
    assert snapshot() != before

    message = restore(backup)

    assert_same(snapshot(), before)
    assert f"Restored {len(before)} tables from {backup}." in message
    assert "migrate" not in message
    out = io.StringIO()
    call_command("verify_audit_trail", stdout=out)  # the restored trail still holds together
    assert "The audit trail is intact" in out.getvalue()


def test_no_acknowledged_write_is_missing_after_a_restore(tmp_path, patient, patient_client):
    checked = patient_client.post(reverse("tracking:check-in"), {"answer": "none"})
    assert checked.status_code == 302
    started = patient_client.post(reverse("tracking:start"), {"pain_before": "7"})
    assert started.status_code == 302
    session = Session.objects.for_patient(patient).get()
    entry = session.entries.get(order=1)
    done = patient_client.post(reverse("tracking:entry-done", args=[session.pk, entry.pk]))
    assert done.status_code == 302
    backup = back_up(tmp_path)

    User.objects.filter(pk=patient.pk).delete()
    assert not Session.objects.filter(pk=session.pk).exists()
    restore(backup)

    restored = Session.objects.get(pk=session.pk)
    assert (restored.patient_id, restored.pain_before) == (patient.pk, 7)
    assert SessionEntry.objects.get(pk=entry.pk).status == SessionEntry.Status.DONE
    assert SafetyCheck.objects.filter(patient_id=patient.pk, advice=Advice.CLEAR).count() == 1


def test_the_app_works_on_restored_data(tmp_path, patient, patient_client, session):
    earlier = finished_session(patient, days_ago=2, pain_before=6, pain_after=3)
    backup = back_up(tmp_path)

    User.objects.filter(pk=patient.pk).delete()
    restore(backup)

    # The patient's sign-in came back with everything else.
    today = patient_client.get(reverse("tracking:today"))
    assert today.status_code == 200
    assert session.get_absolute_url() in today.content.decode()
    history = patient_client.get(reverse("tracking:history"))
    assert history.status_code == 200
    assert earlier.get_absolute_url() in history.content.decode()
    assert session.get_absolute_url() in history.content.decode()
    # migrate --check exits with an error when a migration is unapplied.
    call_command("migrate", check=True, stdout=io.StringIO(), stderr=io.StringIO())


def test_a_backup_from_an_older_schema_says_to_run_migrate(tmp_path):
    recorder = MigrationRecorder(connection)
    latest = recorder.migration_qs.filter(app="tracking").latest("id")
    latest.delete()
    try:
        backup = back_up(tmp_path)
        message = restore(backup)
    finally:
        recorder.record_applied(latest.app, latest.name)

    assert "run `python manage.py migrate` now" in message


# Asking first -----------------------------------------------------------------------


def test_a_restore_outside_a_terminal_needs_yes_and_changes_nothing(
    tmp_path, patient, not_a_terminal
):
    backup = back_up(tmp_path)
    patient.delete()
    before = snapshot()

    with pytest.raises(CommandError, match="run it in a terminal, or add --yes"):
        call_command("restore", str(backup))

    assert_same(snapshot(), before)


@pytest.mark.parametrize(("answer", "restored"), [("restore", True), ("yes", False), ("", False)])
def test_a_restore_in_a_terminal_goes_ahead_only_when_restore_is_typed(
    tmp_path, monkeypatch, patient, answer, restored
):
    backup = back_up(tmp_path)
    patient.delete()
    monkeypatch.setattr(sys, "stdin", Terminal())
    monkeypatch.setattr("builtins.input", lambda prompt: answer)

    if restored:
        call_command("restore", str(backup), stdout=io.StringIO())
    else:
        with pytest.raises(CommandError, match="Nothing was restored"):
            call_command("restore", str(backup))

    assert User.objects.filter(username="pat").exists() == restored


# Clear errors -----------------------------------------------------------------------


def missing(path: Path) -> Path:
    return path


def text_file(path: Path) -> Path:
    path.write_text("SELECT 1;\n")
    return path


def other_engines_backup(path: Path) -> Path:
    """A backup of the other kind of database than the one the tests run on."""
    if connection.vendor == "postgresql":
        with closing(sqlite3.connect(path)) as other:
            other.execute("CREATE TABLE t (x)")
    else:
        path.write_bytes(b"PGDMP\x01\x0f\x00" + bytes(100))
    return path


@pytest.mark.parametrize(
    ("make_file", "message"),
    [
        (missing, r"There is no backup at .*missing"),
        (text_file, r"is not a backup: it is neither an SQLite database nor a pg_dump file"),
        (other_engines_backup, r"was made from .*, but this database is"),
    ],
    ids=["missing", "not-a-backup", "other-database"],
)
def test_restoring_a_file_that_is_not_a_backup_of_this_database_is_refused_clearly(
    tmp_path, patient, make_file, message
):
    path = make_file(tmp_path / "missing")
    before = snapshot()

    with pytest.raises(CommandError, match=message):
        call_command("restore", str(path), "--yes")

    assert_same(snapshot(), before)


def test_restoring_a_damaged_backup_fails_clearly_and_changes_nothing(tmp_path, patient):
    backup = back_up(tmp_path)
    data = backup.read_bytes()
    backup.write_bytes(data[: len(data) * 2 // 3])
    patient.delete()
    before = snapshot()

    with pytest.raises(CommandError, match=r"damaged|cannot be read|pg_restore failed"):
        call_command("restore", str(backup), "--yes")

    assert_same(snapshot(), before)


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="SQLite restores through its backup API, page by page under one lock",
)
def test_a_restore_that_fails_half_way_changes_nothing_not_even_tables_the_backup_lacks(
    tmp_path, patient
):
    backup = back_up(tmp_path)
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE made_later (id integer)")  # as a later migration would
        # A view on a table stops pg_restore from dropping it, half way through.
        cursor.execute("CREATE VIEW holds_people AS SELECT id FROM accounts_user")
    try:
        before = snapshot()
        assert "made_later" in before

        with pytest.raises(CommandError, match="Nothing was restored"):
            restore(backup)

        assert_same(snapshot(), before)
    finally:
        with connection.cursor() as cursor:
            cursor.execute("DROP VIEW IF EXISTS holds_people")
            cursor.execute("DROP TABLE IF EXISTS made_later")


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="PostgreSQL's planner statistics after a restore"
)
def test_a_restore_leaves_postgresql_with_statistics_on_every_table(tmp_path, patient):
    backup = back_up(tmp_path)

    message = restore(backup)

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname FROM pg_class JOIN pg_namespace ON pg_namespace.oid = relnamespace "
            "WHERE nspname = 'public' AND relkind = 'r' AND reltuples < 0 ORDER BY relname"
        )
        never_analysed = [name for (name,) in cursor.fetchall()]
    assert never_analysed == []
    assert "Updated the database's statistics (ANALYZE)." in message


# Backing up -------------------------------------------------------------------------


def test_a_backup_goes_to_backups_named_by_its_time_and_only_its_owner_can_read_it(
    tmp_path, monkeypatch
):
    monkeypatch.setattr(backup_command, "BACKUP_DIR", tmp_path / "backups")
    out = io.StringIO()

    call_command("backup", stdout=out)

    path = Path(out.getvalue().strip())
    suffix = {"sqlite": "sqlite3", "postgresql": "pgdump"}[connection.vendor]
    assert path.parent == tmp_path / "backups"
    assert re.fullmatch(rf"backtrack-\d{{8}}-\d{{6}}\.{suffix}", path.name)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert list(path.parent.iterdir()) == [path]  # one file: no WAL or partial file beside it


def test_a_backup_never_overwrites_a_file(tmp_path):
    existing = tmp_path / "backup"
    existing.write_text("an earlier backup")

    with pytest.raises(CommandError, match="already exists"):
        call_command("backup", "--output", str(existing))

    assert existing.read_text() == "an earlier backup"


def test_a_failed_backup_says_why_and_leaves_no_file(tmp_path, monkeypatch):
    if connection.vendor == "postgresql":
        monkeypatch.setitem(connection.settings_dict, "NAME", "no_such_database")
        message = r'pg_dump failed: .*"no_such_database" does not exist'
    else:

        def fail_half_way(destination: Path) -> None:
            destination.write_bytes(b"SQLite format 3\x00 and then the disk filled up")
            raise sqlite3.OperationalError("database or disk is full")

        monkeypatch.setattr(backup_command, "copy_sqlite", fail_half_way)
        message = "The backup failed: database or disk is full"

    with pytest.raises(CommandError, match=message):
        call_command("backup", "--output", str(tmp_path / "backup"))

    assert list(tmp_path.iterdir()) == []
