"""Settings come from the environment and stop start-up loudly when wrong."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.urls import reverse

ROOT = Path(__file__).resolve().parents[2]
GOOD_SECRET = "a-long-random-production-secret-key-0123456789-abcdefghij"


def load_settings(tmp_path: Path, code: str = "", **env: str) -> subprocess.CompletedProcess:
    """Import the settings in a fresh interpreter with exactly this environment."""
    clean = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "DATABASE_URL"}}
    clean.update(DJANGO_SETTINGS_MODULE="config.settings", **env)
    script = f"import django; django.setup(); from django.conf import settings; {code}"
    return subprocess.run(  # noqa: S603 - our own interpreter and code
        [sys.executable, "-c", script],
        cwd=tmp_path,
        env={**clean, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"DEBUG": "ture"}, "DEBUG"),
        ({"DEBUG": "false"}, "SECRET_KEY"),
        ({"DEBUG": "false", "SECRET_KEY": "short"}, "SECRET_KEY"),
        ({"DEBUG": "false", "SECRET_KEY": GOOD_SECRET}, "ALLOWED_HOSTS"),
        ({"DEBUG": "true", "TIME_ZONE": "Mars/Olympus_Mons"}, "TIME_ZONE"),
        ({"DEBUG": "true", "DATABASE_URL": "nosuchdb://somewhere/x"}, "DATABASE_URL"),
        ({"DEBUG": "true", "DATABASE_URL": "garbage"}, "DATABASE_URL"),
        (
            {"DEBUG": "true", "DATABASE_URL": "postgres://u@h/db", "CONN_MAX_AGE": "ten"},
            "CONN_MAX_AGE",
        ),
        ({"DEBUG": "true", "DATABASE_URL": "postgres://"}, "DATABASE_URL"),
        (
            {
                "DEBUG": "false",
                "SECRET_KEY": GOOD_SECRET,
                "ALLOWED_HOSTS": "example.org",
                "SECURE_COOKIES": "maybe",
            },
            "SECURE_COOKIES",
        ),
    ],
)
def test_a_bad_or_missing_value_stops_start_up_naming_it(tmp_path, env, named):
    result = load_settings(tmp_path, **env)

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert named in result.stderr.splitlines()[-1]


def test_production_settings_load_with_a_secret_and_hosts(tmp_path):
    result = load_settings(
        tmp_path,
        "print(settings.DEBUG, settings.ALLOWED_HOSTS, settings.SESSION_COOKIE_SECURE)",
        DEBUG="false",
        SECRET_KEY=GOOD_SECRET,
        ALLOWED_HOSTS="backtrack.example.org",
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False ['backtrack.example.org'] True"


def test_sqlite_runs_in_wal_mode(tmp_path):
    result = load_settings(
        tmp_path,
        "from django.db import connection; cursor = connection.cursor(); "
        "print(cursor.execute('PRAGMA journal_mode').fetchone()[0])",
        DEBUG="true",
        DATABASE_URL=f"sqlite:///{tmp_path / 'wal.sqlite3'}",
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "wal"


def test_postgresql_connections_persist_with_health_checks(tmp_path):
    result = load_settings(
        tmp_path,
        "d = settings.DATABASES['default']; "
        "print(d['ENGINE'], d['CONN_MAX_AGE'] > 0, d['CONN_HEALTH_CHECKS'])",
        DEBUG="true",
        DATABASE_URL="postgres://someone@db.example.org:5432/backtrack",
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "django.db.backends.postgresql True True"


def test_the_health_check_is_public_and_reaches_the_database(client, db):
    response = client.get(reverse("health"))

    assert response.status_code == 200
    assert response.content == b"ok"
    assert "no-cache" in response.headers["Cache-Control"]


def test_the_red_flags_page_needs_no_sign_in(client, db):
    response = client.get(reverse("safety"))

    assert response.status_code == 200
    assert "emergency" in response.content.decode()
