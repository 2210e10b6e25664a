import io
from base64 import b32encode
from statistics import mean

import pytest
from django.core.management import CommandError, call_command
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import User
from tests.conftest import signed_in
from tracking.management.commands.demo_data import (
    DEMO_PASSWORD,
    DEMO_RECOVERY_CODES,
    HISTORY_DAYS,
    PATIENTS,
)
from tracking.models import Session
from tracking.review import progress_for


@pytest.fixture
def demo(db, settings):
    settings.DEBUG = True
    call_command("demo_data", stdout=io.StringIO())


def test_it_creates_an_admin_two_physios_and_a_caseload_of_patients(demo):
    admin = User.objects.get(username="admin")
    assert admin.is_superuser
    assert admin.check_password(DEMO_PASSWORD)
    physio = User.objects.get(username="physio")
    assert physio.is_physio
    assert User.objects.get(username="sam").is_physio
    patients = {u.username for u in User.objects.all() if u.is_patient}
    assert patients == {demo.username for demo in PATIENTS}
    assert 10 <= User.objects.patients_of(physio).count() <= 14


def test_the_caseload_shows_improving_stalled_stopped_and_flaring_patients(demo):
    physio = User.objects.get(username="physio")
    rows = {row.patient.username: row for row in progress_for(User.objects.patients_of(physio))}

    flaring = rows["chloe"]
    assert flaring.trend == "worse"
    assert {alert.kind for alert in flaring.alerts} >= {"pain_rose", "flagged", "pain_worse"}
    assert [alert.kind for alert in rows["dev"].alerts] == ["inactive"]  # stopped
    assert not rows["emma"].alerts  # doing well
    assert rows["emma"].tally_28.percent > 80
    assert rows["farid"].tally_28.percent < 70  # stalled
    # Alice's old flare-up was already dealt with: it is in her record, not in the list.
    assert not rows["alice"].alerts
    assert User.objects.get(username="alice").alert_acknowledgements.exists()


@pytest.mark.parametrize("username", ["alice", "ben"])
def test_each_patient_has_six_weeks_of_believable_history(demo, username):
    sessions = Session.objects.filter(patient__username=username).order_by("started_at")
    days = sorted(set(sessions.values_list("local_date", flat=True)))

    assert (days[-1] - days[0]).days >= HISTORY_DAYS - 7
    assert len(days) < HISTORY_DAYS  # some days missed
    assert all(s.is_finished for s in sessions)
    assert all(s.entries.count() == 10 for s in sessions[:3])
    first_week = [s.pain_before for s in sessions if (s.local_date - days[0]).days < 7]
    last_week = [s.pain_before for s in sessions if (days[-1] - s.local_date).days < 7]
    assert mean(last_week) < mean(first_week)  # pain mostly improves


@pytest.mark.parametrize("username", ["alice", "ben"])
def test_each_patient_has_one_flare_up_where_pain_rose_after_exercise(demo, username):
    worse_after = Session.objects.filter(
        patient__username=username, pain_after__gte=F("pain_before") + 2
    )
    days = sorted(set(worse_after.values_list("local_date", flat=True)))

    assert len(days) == 1  # one flare-up, starting on one day


def test_running_it_twice_changes_nothing(demo):
    before = Session.objects.count()

    call_command("demo_data", stdout=io.StringIO())

    assert Session.objects.count() == before
    assert User.objects.count() == 3 + len(PATIENTS)


def test_it_prints_the_logins(db, settings, capsys):
    settings.DEBUG = True
    call_command("demo_data")

    out = capsys.readouterr().out
    for username in ("alice", "ben", "chloe", "physio", "sam", "admin", DEMO_PASSWORD):
        assert username in out


def test_it_refuses_when_debug_is_off(db, settings):
    settings.DEBUG = False

    with pytest.raises(CommandError, match="DEBUG is off"):
        call_command("demo_data")
    assert not User.objects.exists()


def test_force_overrides_the_refusal(db, settings):
    settings.DEBUG = False

    call_command("demo_data", "--force", stdout=io.StringIO())

    assert User.objects.filter(username="alice").exists()


def test_the_physio_has_already_commented_and_changed_a_programme(demo):
    alice = User.objects.get(username="alice")

    assert alice.comments_received.get().author.username == "physio"
    assert alice.programme.version == 2
    assert alice.programme.versions.first().changes == [
        "Glute bridge: 10 → 12 reps, new note: “Squeeze your buttocks before you lift.”"
    ]


def test_the_demo_admin_can_pass_two_step_with_the_printed_key_or_codes(db, settings, capsys):
    settings.DEBUG = True
    call_command("demo_data")
    call_command("demo_data")  # a second run tops the recovery codes up again

    out = capsys.readouterr().out
    admin = User.objects.get(username="admin")
    app = TOTPDevice.objects.get(user=admin)
    printed_key = out.split("authenticator app,\n")[-1].splitlines()[0].replace(" ", "")
    assert b32encode(app.bin_key).decode() == printed_key
    for code in DEMO_RECOVERY_CODES:
        assert code in out
    assert StaticToken.objects.filter(device__user=admin).count() == len(DEMO_RECOVERY_CODES)


def test_the_demo_history_is_consistent_with_itself(demo):
    for patient in User.objects.filter(username__in=[demo.username for demo in PATIENTS]):
        sessions = Session.objects.filter(patient=patient).order_by("started_at")
        first = sessions.first()
        assert first is not None, patient
        programme = patient.programme
        started = programme.versions.get(number=1)

        assert patient.date_joined <= first.started_at, patient
        assert programme.created_at <= first.started_at, patient
        assert started.created_at <= first.started_at, patient
        # Every session followed a version of the programme that existed when it started.
        for session in sessions:
            version = programme.versions.get(number=session.programme_version)
            assert version.created_at <= session.started_at, (patient, session)
        # Nobody exercised after being told, that day, not to.
        for check in patient.safety_checks.raised():
            assert not sessions.filter(
                local_date=check.local_date, started_at__gt=check.answered_at
            ).exists(), (patient, check)


def test_the_physio_sees_when_each_demo_programme_really_started(demo):
    physio = User.objects.get(username="physio")
    alice = User.objects.get(username="alice")
    first = Session.objects.filter(patient=alice).order_by("started_at")[0]
    client = signed_in(physio, verified=True)

    html = client.get(reverse("tracking:patient", args=[alice.pk])).content.decode()

    started = alice.programme.versions.get(number=1).created_at
    assert started.date() <= first.local_date
    assert (
        f"Programme started</strong> on {date_format(timezone.localtime(started), 'D j M Y')}"
        in html
    )
