"""How fast is the progress page with two years of daily sessions? `make bench`.

Seeds a patient with a session every day for two years (each with the whole
routine logged) in a scratch database, then asks for the progress page in
this process, through Django's test client, many times over, and prints the
median and 95th percentile of each range, with the number of queries. It runs
with DEBUG on and Django's test set-up, so the figures are a little slower
than a production server's.

    make bench                       # SQLite, in a temporary file
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/backtrack_bench make bench

The database is emptied first, so its name must contain "bench".
"""

from __future__ import annotations

import atexit
import datetime as dt
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
if "DATABASE_URL" not in os.environ:  # a scratch SQLite file, removed at the end
    scratch = tempfile.mkdtemp(prefix="backtrack-bench-")
    atexit.register(shutil.rmtree, scratch, ignore_errors=True)
    os.environ["DATABASE_URL"] = f"sqlite:///{Path(scratch) / 'bench.sqlite3'}"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DEBUG", "true")

import django  # noqa: E402 - settings first

django.setup()

from django.contrib.auth.models import Group  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402
from django.utils import timezone  # noqa: E402

from accounts.models import Role, User  # noqa: E402
from exercises.models import current_versions  # noqa: E402
from tracking.models import Programme, Session, SessionEntry  # noqa: E402

DAYS = 730
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "100"))


def seed() -> User:
    call_command("flush", "--noinput", verbosity=0)
    call_command("migrate", "--noinput", verbosity=0)
    today = timezone.localdate()
    patient = User.objects.create_user("bench")  # signed in by force_login: no password
    patient.date_joined = timezone.now() - dt.timedelta(days=DAYS)
    patient.save()
    patient.groups.add(Group.objects.get(name=Role.PATIENT))
    programme = Programme.for_patient(patient)
    items = list(programme.included_items())
    versions = current_versions(item.exercise_id for item in items)
    sessions = []
    for days_ago in range(DAYS, 0, -1):
        day = today - dt.timedelta(days=days_ago)
        started = timezone.make_aware(dt.datetime.combine(day, dt.time(8, 0)))
        sessions.append(
            Session(
                patient=patient,
                local_date=day,
                started_at=started,
                finished_at=started + dt.timedelta(minutes=20),
                pain_before=5 - days_ago % 3,
                pain_after=3 - days_ago % 2,
                programme_version=programme.version,
            )
        )
    Session.objects.bulk_create(sessions, batch_size=500)
    entries = []
    for session in Session.objects.filter(patient=patient):
        for item in items:
            entry = SessionEntry.prescribed(session, item, versions)
            entry.mark_done()
            entries.append(entry)
    SessionEntry.objects.bulk_create(entries, batch_size=1000)
    return patient


def measure(client: Client, url: str) -> tuple[float, float, int]:
    client.get(url)  # warm: templates compiled, connection open
    times = []
    for _ in range(ROUNDS):
        began = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - began) * 1000)
        assert response.status_code == 200, response.status_code
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    times.sort()
    p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
    return statistics.median(times), p95, len(queries.captured_queries)


def main() -> None:
    name = str(connection.settings_dict["NAME"])
    if "bench" not in Path(name).name:
        sys.exit(f"The benchmark empties its database: use one named *bench*, not {name}.")
    setup_test_environment()
    print(f"Seeding {DAYS} days of sessions on {connection.vendor}...", flush=True)
    patient = seed()
    print(
        f"{Session.objects.count()} sessions, {SessionEntry.objects.count()} entries. "
        f"{ROUNDS} requests each:"
    )
    client = Client()
    client.force_login(patient)
    print(f"  {'page':<28}{'median':>10}{'p95':>10}{'queries':>9}")
    for query in ("4w", "12w", "all"):
        url = f"/progress/?range={query}"
        median, p95, count = measure(client, url)
        print(f"  {url:<28}{median:>8.1f}ms{p95:>8.1f}ms{count:>9}")


if __name__ == "__main__":
    main()
