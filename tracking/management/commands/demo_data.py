"""Demo accounts with up to six weeks of believable history, for trying BackTrack out.

The physio's caseload shows the patients a real clinic has: improving,
stalled, stopped and flaring. Safe to run again: accounts are reset to the
demo password, and history is only made for a patient who has none yet.
"""

import datetime as dt
import random
from base64 import b32encode
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import Assignment, Role, User
from exercises.models import current_versions
from tracking.models import (
    AlertAcknowledgement,
    AlertKind,
    Comment,
    Programme,
    SafetyCheck,
    Session,
    SessionEntry,
)
from tracking.review import session_alerts
from tracking.safety import Advice, advice_for, flags_for

DEMO_PASSWORD = "backtrack-demo"
# The demo admin's second step: a fixed authenticator key, and recovery codes.
DEMO_APP_KEY = "4261636b547261636b2d64656d6f2d6b65792d31"
DEMO_RECOVERY_CODES = [f"demo{n:04d}" for n in range(1, 11)]
HISTORY_DAYS = 42


@dataclass(frozen=True)
class DemoPatient:
    username: str
    first_name: str
    last_name: str
    seed: int
    chance_of_session: float  # on any given day
    pain_start: float
    pain_end: float
    flare_days_ago: range  # days with a flare-up: pain jumps, some moves skipped
    gap_days_ago: range  # a stretch with no sessions at all
    history_days: int = HISTORY_DAYS
    asks_physio_to_look: bool = False  # at the start of the flare-up
    physios: tuple[str, ...] = ("physio",)
    warning_signs: tuple[str, ...] = ()  # reported at check-in yesterday evening


NONE = range(0)
PATIENTS = [
    # Improving, with a flare-up weeks ago that the physio has already dealt with.
    DemoPatient("alice", "Alice", "Morgan", 1, 0.8, 6.5, 2.0, range(17, 21), NONE),
    # Slowly improving, with a gap; seen by two physios.
    DemoPatient(
        "ben",
        "Ben",
        "Carter",
        2,
        0.55,
        5.5,
        3.5,
        range(30, 33),
        range(2, 6),
        physios=("physio", "sam"),
    ),
    # Flaring now: pain up this week, worse after exercising, asking for help.
    DemoPatient(
        "chloe",
        "Chloe",
        "Davies",
        3,
        0.85,
        4.0,
        2.5,
        range(1, 7),
        NONE,
        asks_physio_to_look=True,
        warning_signs=("spreading",),
    ),
    # Stopped eleven days ago.
    DemoPatient("dev", "Dev", "Patel", 4, 0.75, 6.0, 4.5, NONE, range(1, 12)),
    # Doing well and doing it daily.
    DemoPatient("emma", "Emma", "Wilson", 5, 0.95, 5.0, 1.5, NONE, NONE),
    # Stalled: pain unchanged, about half the sessions.
    DemoPatient("farid", "Farid", "Haddad", 6, 0.5, 5.0, 5.0, NONE, NONE),
    # New: started ten days ago.
    DemoPatient("grace", "Grace", "Okafor", 7, 0.7, 6.0, 5.0, NONE, NONE, history_days=10),
    # Missed the last few days.
    DemoPatient("harry", "Harry", "Jones", 8, 0.8, 5.5, 3.0, NONE, range(1, 5)),
    # Improving, on and off.
    DemoPatient("isla", "Isla", "Brown", 9, 0.65, 7.0, 3.5, NONE, NONE),
    # One bad session three days ago.
    DemoPatient("jack", "Jack", "Murphy", 10, 0.8, 4.5, 3.0, range(3, 4), NONE),
    # Nearly pain free.
    DemoPatient("kate", "Kate", "Nguyen", 11, 0.9, 3.0, 0.5, NONE, NONE),
    # Stalled and rarely exercising.
    DemoPatient("leo", "Leo", "Rossi", 12, 0.3, 6.0, 6.0, NONE, NONE, physios=("sam",)),
]
PHYSIOS = [("physio", "Priya", "Shah"), ("sam", "Sam", "Taylor")]
COMMENTS = {
    "alice": "Lovely steady progress, Alice. I have made the bridge a little harder.",
    "emma": "Brilliant consistency this month. Keep it up!",
}
CHANGES = {
    "alice": {"Glute bridge": {"reps": 12, "note": "Squeeze your buttocks before you lift."}},
    "chloe": {"Back curl": {"included": False, "note": "Leave this one out until we talk."}},
}


class Command(BaseCommand):
    help = "Create demo accounts (admin, physiotherapist, two patients) with six weeks of history."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--force",
            action="store_true",
            help="Run even when DEBUG is off. Never do this on a site with real patients.",
        )

    def handle(self, *args: Any, force: bool = False, **options: Any) -> None:
        if not settings.DEBUG and not force:
            raise CommandError(
                "Refusing to create demo accounts with a known password while DEBUG is off. "
                "Use --force if this really is a demo site."
            )
        with transaction.atomic():
            admin = self._user("admin", "Ada", "Admin", is_staff=True, is_superuser=True)
            app_key = self._two_step(admin)
            physios = {
                username: self._user(username, first, last, role=Role.PHYSIO)
                for username, first, last in PHYSIOS
            }
            for demo in PATIENTS:
                patient = self._user(
                    demo.username, demo.first_name, demo.last_name, role=Role.PATIENT
                )
                for physio in demo.physios:
                    Assignment.objects.get_or_create(patient=patient, physio=physios[physio])
                if not Session.objects.for_patient(patient).exists():
                    self._history(patient, demo, physios[demo.physios[0]])
                    self._review(patient, physios[demo.physios[0]], demo)

        others = ", ".join(demo.username for demo in PATIENTS[2:])
        self.stdout.write(
            self.style.SUCCESS("Demo accounts are ready. ")
            + f"Every demo password is: {DEMO_PASSWORD}\n"
            "  patient           alice\n"
            "  patient           ben\n"
            "  physiotherapist   physio  (Priya Shah: a caseload of 11 patients)\n"
            "  physiotherapist   sam     (Sam Taylor: 2 patients)\n"
            "  admin             admin   (also signs in to /admin/)\n"
            f"  more patients: {others}\n"
            "The admin also needs a code: add this key to an authenticator app,\n"
            f"  {app_key}\n"
            f"or use a recovery code (each works once): {', '.join(DEMO_RECOVERY_CODES)}\n"
        )

    def _two_step(self, admin: User) -> str:
        """The demo admin's authenticator app, and recovery codes topped up on each run."""
        device, _ = TOTPDevice.objects.update_or_create(
            user=admin, name="Demo app", defaults={"key": DEMO_APP_KEY, "confirmed": True}
        )
        recovery, _ = StaticDevice.objects.get_or_create(user=admin, name="Recovery codes")
        recovery.token_set.all().delete()
        StaticToken.objects.bulk_create(
            StaticToken(device=recovery, token=code) for code in DEMO_RECOVERY_CODES
        )
        key = b32encode(device.bin_key).decode()
        return " ".join(key[i : i + 4] for i in range(0, len(key), 4))

    def _user(
        self,
        username: str,
        first_name: str,
        last_name: str,
        role: Role | None = None,
        **flags: bool,
    ) -> User:
        user, _ = User.objects.update_or_create(
            username=username,
            defaults={
                "first_name": first_name,
                "last_name": last_name,
                "email": f"{username}@example.com",
                "is_active": True,
                **flags,
            },
        )
        user.set_password(DEMO_PASSWORD)
        user.save(update_fields=["password"])
        if role is not None:
            user.groups.add(Group.objects.get(name=role.value))
        return user

    def _history(self, patient: User, demo: DemoPatient, physio: User) -> None:
        rng = random.Random(demo.seed)
        programme = Programme.for_patient(patient)
        items = list(programme.included_items())
        tz = patient.tzinfo
        today = timezone.localdate(timezone.now(), tz)
        sessions: list[Session] = []
        moves: list[list[tuple[str, int, str]]] = []
        # Joined, and given the programme, the day before the first session could be.
        joined = timezone.now() - dt.timedelta(days=demo.history_days + 1)
        User.objects.filter(pk=patient.pk).update(date_joined=joined)
        Programme.objects.filter(pk=programme.pk).update(created_at=joined, updated_at=joined)
        programme.versions.filter(number=1).update(created_at=joined)

        for days_ago in range(demo.history_days, 0, -1):
            flare_starts = bool(demo.flare_days_ago) and days_ago == max(demo.flare_days_ago)
            skipped_day = rng.random() > demo.chance_of_session
            if days_ago in demo.gap_days_ago or (skipped_day and not flare_starts):
                continue
            day = today - dt.timedelta(days=days_ago)
            progress = 1 - days_ago / demo.history_days
            pain = demo.pain_start + (demo.pain_end - demo.pain_start) * progress
            flare = days_ago in demo.flare_days_ago
            if flare:
                pain += 3
            # Mostly once a day, sometimes twice (morning and evening).
            times = [dt.time(rng.randint(7, 9), rng.choice([0, 15, 30, 45]))]
            if rng.random() < 0.2 and not flare_starts:
                times.append(dt.time(rng.randint(18, 20), rng.choice([0, 20, 40])))
            for start_time in times:
                before = _pain(pain + rng.uniform(-1, 1))
                if flare_starts:
                    after = _pain(before + 2)  # the flare-up: worse after exercising
                else:
                    after = _pain(before - rng.choice([0, 1, 1, 2]))
                started = dt.datetime.combine(day, start_time, tzinfo=tz)
                sessions.append(
                    Session(
                        patient=patient,
                        started_at=started,
                        finished_at=started + dt.timedelta(minutes=rng.randint(12, 18)),
                        local_date=day,
                        pain_before=before,
                        pain_after=after,
                        notes=_note(rng, flare),
                        flagged=flare_starts and demo.asks_physio_to_look,
                        programme_version=programme.version,
                    )
                )
                moves.append([_move(rng, flare) for _ in items])

        Session.objects.bulk_create(sessions)
        # Each day's first session came after a check-in with none of the warning signs.
        first_of_day: dict[dt.date, dt.datetime] = {}
        for session in sessions:
            first_of_day.setdefault(session.local_date, session.started_at)
        SafetyCheck.objects.bulk_create(
            SafetyCheck(
                patient=patient,
                answered_at=started - dt.timedelta(minutes=1),
                local_date=day,
                advice=Advice.CLEAR,
            )
            for day, started in first_of_day.items()
        )
        if demo.warning_signs:
            evening = dt.datetime.combine(today - dt.timedelta(days=1), dt.time(20, 30), tzinfo=tz)
            flags = [flag.code for flag in flags_for(demo.warning_signs)]
            SafetyCheck.objects.create(
                patient=patient,
                answered_at=evening,
                local_date=evening.date(),
                flags=flags,
                advice=advice_for(flags),
            )
        versions = current_versions(item.exercise_id for item in items)
        SessionEntry.objects.bulk_create(
            SessionEntry.prescribed(
                session,
                item,
                versions,
                status=status,
                sets_done=item.sets if status == SessionEntry.Status.DONE else None,
                reps_done=_reps(item.reps, shortfall)
                if status == SessionEntry.Status.DONE
                else None,
                effort=effort if status == SessionEntry.Status.DONE else "",
                # The flare-up began with one exercise that hurt well above the start.
                hurt=min(10, session.pain_before + 3)
                if session.flagged and position == 0
                else None,
            )
            for session, session_moves in zip(sessions, moves, strict=True)
            for position, (item, (status, shortfall, effort)) in enumerate(
                zip(items, session_moves, strict=True)
            )
        )
        if demo.flare_days_ago and min(demo.flare_days_ago) > 14:
            # An old flare-up the physio has already looked into.
            self._acknowledge_flare(patient, physio, sessions)

    def _review(self, patient: User, physio: User, demo: DemoPatient) -> None:
        """What the physio already did: a comment, and for some a changed programme."""
        if demo.username in COMMENTS:
            Comment.objects.create(patient=patient, author=physio, body=COMMENTS[demo.username])
        if demo.username in CHANGES:
            programme = Programme.for_patient(patient)
            items = list(programme.items())
            for item in items:
                for name, value in CHANGES[demo.username].get(item.exercise.name, {}).items():
                    setattr(item, name, value)
            programme.change(
                physio,
                expected_version=programme.version,
                target_per_week=programme.target_per_week,
                inactivity_days=programme.inactivity_days,
                items=items,
            )

    def _acknowledge_flare(self, patient: User, physio: User, sessions: list[Session]) -> None:
        for alert in session_alerts(sessions):
            if alert.kind != AlertKind.PAIN_ROSE or alert.day is None:
                continue
            AlertAcknowledgement.objects.create(
                patient=patient,
                kind=alert.kind,
                key=alert.key,
                summary=alert.summary,
                acknowledged_by=physio,
                acknowledged_at=dt.datetime.combine(
                    alert.day + dt.timedelta(days=1), dt.time(10), tzinfo=physio.tzinfo
                ),
                note="Phoned: lifted boxes at the weekend. Easing off the floor work "
                "for a few days.",
            )


def _pain(value: float) -> int:
    return max(0, min(10, round(value)))


def _reps(prescribed: int, shortfall: int) -> int:
    return max(1, prescribed - shortfall)


def _move(rng: random.Random, flare: bool) -> tuple[str, int, str]:
    """What happened to one exercise: status, reps short of the dose, effort."""
    if rng.random() < (0.3 if flare else 0.05):
        return SessionEntry.Status.SKIPPED, 0, ""
    shortfall = rng.choice([1, 2]) if flare and rng.random() < 0.5 else 0
    effort = rng.choice(
        ["", "", SessionEntry.Effort.ABOUT_RIGHT, SessionEntry.Effort.TOO_EASY]
        if not flare
        else ["", SessionEntry.Effort.TOO_HARD]
    )
    return SessionEntry.Status.DONE, shortfall, effort


def _note(rng: random.Random, flare: bool) -> str:
    if flare:
        return rng.choice(
            [
                "Back very stiff today after lifting boxes at the weekend.",
                "Pain worse this evening, went easy on the floor moves.",
                "",
            ]
        )
    return rng.choice(["", "", "", "Felt good.", "Hips less stiff than last week."])
