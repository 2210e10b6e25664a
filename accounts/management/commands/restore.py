"""Replace the whole database with a backup: `python manage.py restore PATH`.

The file is checked before anything changes: it must exist, be a backup of
this kind of database (SQLite or PostgreSQL) and be readable. Then, unless
--yes is given, the person running it types "restore" to confirm. Everything
in the database is replaced in one transaction, so a restore that fails part
way changes nothing. On PostgreSQL, the tables are then analysed, so the
planner has statistics from the first request on.
"""

import os
import re
import sqlite3
import sys
import tempfile
from contextlib import closing
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from .backup import ENGINES, PGDUMP_HEADER, SQLITE_HEADER, engine, run_pg

# A table in `pg_restore --list`: "215; 1259 16390 TABLE public accounts_user postgres".
PG_TABLE = re.compile(r"^\d+; \d+ \d+ TABLE (?!DATA )\S+ (\S+) ", re.MULTILINE)


def check_kind(path: Path, kind: str) -> None:
    """Refuse a missing file, or one that is not a backup of this kind of database."""
    if not path.is_file():
        raise CommandError(f"There is no backup at {path}.")
    with path.open("rb") as file:
        start = file.read(len(SQLITE_HEADER))
    if start == SQLITE_HEADER:
        found = "sqlite"
    elif start.startswith(PGDUMP_HEADER):
        found = "postgresql"
    else:
        raise CommandError(
            f"{path} is not a backup: it is neither an SQLite database nor a "
            "pg_dump file in the custom format."
        )
    if found != kind:
        raise CommandError(
            f"{path} was made from {ENGINES[found]}, but this database is "
            f"{ENGINES[kind]}. Restore it where it came from."
        )


def pg_tables(path: Path) -> set[str]:
    """The tables a pg_dump file holds, once pg_restore has read all of it."""
    try:
        run_pg("pg_restore", f"--file={os.devnull}", str(path))  # a cut-off file fails here
    except CommandError as exc:
        raise CommandError(f"{path} cannot be read whole: {exc}\nNothing was restored.") from exc
    return {match[1] for match in PG_TABLE.finditer(run_pg("pg_restore", "--list", str(path)))}


def sqlite_tables(path: Path) -> int:
    """How many tables the SQLite backup holds, once SQLite has checked it is whole."""
    try:
        with closing(sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)) as source:
            (check,) = source.execute("PRAGMA quick_check").fetchone()
            (tables,) = source.execute(
                "SELECT count(*) FROM sqlite_master "
                "WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            ).fetchone()
    except sqlite3.DatabaseError as exc:
        raise CommandError(f"{path} cannot be read as an SQLite database: {exc}.") from exc
    if check != "ok":
        raise CommandError(f"{path} is damaged ({check}).")
    return int(tables)


def restore_sqlite(path: Path) -> None:
    """Copy the backup over the whole database, through Django's own connection."""
    connection.ensure_connection()
    try:
        with closing(sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)) as source:
            source.backup(connection.connection)
    except sqlite3.Error as exc:
        raise CommandError(f"The restore failed, and nothing was restored: {exc}.") from exc


def restore_postgresql(path: Path, tables: set[str]) -> None:
    """Load the dump through psql in one transaction, so a failure changes nothing.

    Tables the backup does not have (made by a later migration) are dropped in
    the same transaction, so that `migrate` can make them again.
    """
    extra = sorted(set(connection.introspection.table_names()) - tables)
    name = connection.settings_dict["NAME"]
    # psql drops and recreates every table: it must not wait for our own locks.
    connection.close()
    # The script holds health data: made beside the backup, readable by its owner only.
    with tempfile.TemporaryDirectory(dir=path.parent, prefix=".restore-") as work:
        drops, script = Path(work) / "drop.sql", Path(work) / "restore.sql"
        drops.write_text(
            "".join(
                f"DROP TABLE IF EXISTS {connection.ops.quote_name(t)} CASCADE;\n" for t in extra
            )
        )
        run_pg(
            "pg_restore",
            "--clean",
            "--if-exists",
            "--no-owner",
            "--no-privileges",
            f"--file={script}",
            str(path),
        )
        try:
            run_pg(
                "psql",
                "--no-psqlrc",
                "--quiet",
                "--single-transaction",
                "--set=ON_ERROR_STOP=1",
                f"--dbname={name}",
                f"--file={drops}",
                f"--file={script}",
            )
        except CommandError as exc:
            raise CommandError(f"{exc}\nNothing was restored.") from exc


def analyze() -> None:
    """Give PostgreSQL's planner statistics on the restored tables.

    A restore loads the rows but no statistics, and until autovacuum gets to
    them the planner guesses: a restored database ran one page 30 times slower.
    """
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


class Command(BaseCommand):
    help = "Replace the whole database with a backup made by `manage.py backup`."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path, help="The backup file.")
        parser.add_argument(
            "--yes",
            action="store_true",
            help="Do not ask for confirmation (for scripts).",
        )

    def handle(self, *args: Any, path: Path, yes: bool = False, **options: Any) -> None:
        kind = engine()
        path = path.resolve()
        check_kind(path, kind)
        # Read the whole backup before asking, so a bad file is refused first.
        tables = pg_tables(path) if kind == "postgresql" else set()
        count = len(tables) if kind == "postgresql" else sqlite_tables(path)
        if not yes:
            self.confirm(path)

        if kind == "sqlite":
            restore_sqlite(path)
        else:
            restore_postgresql(path, tables)
        self.stdout.write(self.style.SUCCESS(f"Restored {count} tables from {path}."))
        if kind == "postgresql":
            analyze()
            self.stdout.write("Updated the database's statistics (ANALYZE).")
        self.check_migrations()

    def confirm(self, path: Path) -> None:
        if not sys.stdin.isatty():
            raise CommandError(
                "Restoring replaces everything in the database, so it asks first: run it "
                "in a terminal, or add --yes to confirm. Nothing was restored."
            )
        answer = input(
            f"This replaces everything in the database {connection.settings_dict['NAME']} "
            f"with {path}.\nType 'restore' to go on: "
        )
        if answer.strip() != "restore":
            raise CommandError("Nothing was restored.")

    def check_migrations(self) -> None:
        """Say whether the restored schema matches this version of BackTrack."""
        executor = MigrationExecutor(connection)
        graph = executor.loader.graph
        unknown = sorted(
            f"{app}.{name}"
            for app, name in executor.loader.applied_migrations
            if (app, name) not in graph.nodes
        )
        if unknown:
            self.stdout.write(
                self.style.WARNING(
                    "The backup was made by a newer version of BackTrack: this one does "
                    f"not know its migrations {', '.join(unknown)}."
                )
            )
        elif executor.migration_plan(graph.leaf_nodes()):
            self.stdout.write(
                self.style.WARNING(
                    "The backup was made by an older version of BackTrack: "
                    "run `python manage.py migrate` now."
                )
            )
