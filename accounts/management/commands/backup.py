"""Back up the whole database to one file: `python manage.py backup`.

SQLite is copied with SQLite's own online backup, through Django's connection,
so the copy is a consistent snapshot that includes what is still in the
write-ahead log. PostgreSQL is dumped with pg_dump in its custom format, for
pg_restore. The file is written under a temporary name beside the final one
and renamed only once complete, so a failed backup never leaves a file that
looks good. Backups hold health data: the file is readable by its owner only.
"""

import datetime as dt
import os
import shutil
import sqlite3
import subprocess
import tempfile
from contextlib import closing
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection
from django.db.backends.postgresql.client import DatabaseClient

BACKUP_DIR = settings.BASE_DIR / "backups"
SQLITE_HEADER = b"SQLite format 3\x00"
PGDUMP_HEADER = b"PGDMP"
ENGINES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
SUFFIXES = {"sqlite": ".sqlite3", "postgresql": ".pgdump"}


def engine() -> str:
    """The database's kind: "sqlite" or "postgresql" (nothing else is backed up)."""
    if connection.vendor not in ENGINES:
        raise CommandError(f"Backups work with SQLite and PostgreSQL, not {connection.vendor}.")
    return connection.vendor


def run_pg(program: str, *args: str) -> str:
    """Run pg_dump or pg_restore on Django's database and return what it printed.

    The password goes in the environment, never on the command line, where
    anyone on the machine could read it. A failure is a CommandError that
    quotes the program's own message.
    """
    executable = shutil.which(program)
    if executable is None:
        raise CommandError(
            f"{program} was not found. Install the PostgreSQL client tools of the "
            "server's major version (on Debian: apt-get install postgresql-client)."
        )
    database = connection.settings_dict
    _, pg_env = DatabaseClient.settings_to_cmd_args_env(database, [])
    target = [
        f"--{flag}={value}"
        for flag, value in [
            ("host", database["HOST"]),
            ("port", database["PORT"]),
            ("username", database["USER"]),
        ]
        if value
    ]
    result = subprocess.run(  # noqa: S603 (no shell; the arguments come from settings)
        [executable, *target, *args],
        env={**os.environ, **(pg_env or {})},
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise CommandError(f"{program} failed: {result.stderr.strip()}")
    return result.stdout


def copy_sqlite(destination: Path) -> None:
    """Copy the whole SQLite database, as one consistent snapshot, to `destination`."""
    connection.ensure_connection()
    with closing(sqlite3.connect(destination)) as target:
        connection.connection.backup(target)
        # The copy inherits write-ahead logging: switch it off, so the backup
        # stays one self-contained file.
        target.execute("PRAGMA journal_mode=DELETE")


class Command(BaseCommand):
    help = (
        "Back up the whole database to one file, in backups/ unless --output says "
        "otherwise, and print its path."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--output",
            type=Path,
            help=(
                "Where to write the backup (it must not exist yet). Default: "
                "backups/backtrack-<UTC date and time>.sqlite3, or .pgdump for PostgreSQL."
            ),
        )

    def handle(self, *args: Any, output: Path | None = None, **options: Any) -> None:
        kind = engine()
        if output is None:
            stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%d-%H%M%S")
            output = BACKUP_DIR / f"backtrack-{stamp}{SUFFIXES[kind]}"
        output = output.resolve()
        if output.exists():
            raise CommandError(f"{output} already exists: choose another --output.")
        try:
            output.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            # mkstemp makes the file readable by its owner only, and the rename keeps that.
            handle, name = tempfile.mkstemp(
                dir=output.parent, prefix=f".{output.name}.", suffix=".partial"
            )
        except OSError as exc:
            raise CommandError(f"Cannot write a backup in {output.parent}: {exc}.") from exc
        os.close(handle)
        partial = Path(name)
        try:
            if kind == "sqlite":
                copy_sqlite(partial)
            else:
                run_pg(
                    "pg_dump",
                    "--format=custom",
                    "--no-owner",
                    "--no-privileges",
                    f"--file={partial}",
                    f"--dbname={connection.settings_dict['NAME']}",
                )
            partial.replace(output)
        except (sqlite3.Error, OSError) as exc:
            raise CommandError(f"The backup failed: {exc}.") from exc
        finally:
            partial.unlink(missing_ok=True)
        self.stdout.write(str(output))
