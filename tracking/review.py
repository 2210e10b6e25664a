"""The physio's view of how each patient is doing: progress figures and alerts.

Everything is worked out in a fixed number of queries, however many patients
a caseload holds: the patients with their programme settings, day by day
totals for the last four weeks, the warning signs reported at check-in, the
sessions and exercises that raise alerts, the retired exercises still in
programmes, and the alerts already acknowledged.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from dataclasses import dataclass, field
from fractions import Fraction
from typing import TYPE_CHECKING

from django.db.models import Count, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.models import User

from .models import (
    INACTIVITY_DAYS_DEFAULT,
    MEANINGFUL_PAIN_CHANGE,
    TARGET_PER_WEEK_DEFAULT,
    AlertAcknowledgement,
    AlertKind,
    ProgrammeExercise,
    SafetyCheck,
    Session,
    SessionEntry,
    rose_too_much_q,
)
from .safety import Advice

# The longer of the two windows the figures cover.
RECENT_DAYS = 28
# An acknowledged "pain trending worse" stays quiet this long, then is raised again if still true.
TREND_ACK_DAYS = 7
# A new programme builds up: sessions a week in its first week, then its second, then the target.
GENTLE_START = (2, 4)


@dataclass(frozen=True)
class Plan:
    """How many sessions a programme asks for, day by day, from its first day (`since`)."""

    target_per_week: int
    since: dt.date
    gentle_start: bool = False

    @property
    def full_from(self) -> dt.date:
        """The first day the whole target applies."""
        if not self.gentle_start:
            return self.since
        return self.since + dt.timedelta(weeks=len(GENTLE_START))

    def per_week_on(self, day: dt.date) -> int:
        """The weekly target that applies on `day`."""
        if self.since <= day < self.full_from:
            week = (day - self.since).days // 7
            return min(GENTLE_START[week], self.target_per_week)
        return self.target_per_week

    def is_starting_gently(self, day: dt.date) -> bool:
        return self.per_week_on(day) < self.target_per_week

    def starting_week(self, day: dt.date) -> tuple[int, dt.date, dt.date]:
        """Which week of the programme `day` is in (1, 2...), and its first and last day."""
        number = max(0, (day - self.since).days) // 7
        first = self.since + dt.timedelta(weeks=number)
        return number + 1, first, first + dt.timedelta(days=6)

    def planned(self, first: dt.date, last: dt.date) -> int:
        """Sessions the days from `first` to `last` ask for; days before the start ask none."""
        return math.ceil(self._share(max(first, self.since), last))

    def planned_recently(self, days: int, today: dt.date) -> int:
        """Sessions the `days` ending today ask for; someone who started this week is
        measured against this week's days only."""
        first = max(today - dt.timedelta(days=days - 1), self.since)
        return math.ceil(self._share(min(first, today), today))

    def _share(self, first: dt.date, last: dt.date) -> Fraction:
        days = (last - first).days + 1
        if days <= 0:
            return Fraction(0)
        if first >= self.full_from or not self.gentle_start:
            return Fraction(self.target_per_week * days, 7)
        return sum(
            (Fraction(self.per_week_on(first + dt.timedelta(days=n)), 7) for n in range(days)),
            Fraction(0),
        )


@dataclass(frozen=True)
class Alert:
    kind: AlertKind
    key: str  # which occurrence, so acknowledging one does not hide the next
    summary: str
    day: dt.date | None = None
    session_id: int | None = None
    exercise_id: int | None = None

    urgent: bool = False

    @property
    def severity(self) -> int:
        if self.kind == AlertKind.RED_FLAG:
            return 4 if self.urgent else 3
        return 1 if self.kind in {AlertKind.INACTIVE, AlertKind.RETIRED} else 2


class RecentTallies:
    """Sessions done against those planned over the last 7 and the last 28 days, for
    the caseload's rows (Progress) and the progress page (PatientProgress) alike."""

    if TYPE_CHECKING:  # what the class mixed into gives, as a field or a property
        sessions_7: int
        sessions_28: int

        @property
        def target_7(self) -> int: ...

        @property
        def target_28(self) -> int: ...

    @property
    def tally_7(self) -> Tally:
        return Tally(self.sessions_7, self.target_7)

    @property
    def tally_28(self) -> Tally:
        return Tally(self.sessions_28, self.target_28)


@dataclass
class Progress(RecentTallies):
    """One patient's figures, as of the patient's own `today`."""

    patient: User
    today: dt.date
    since: dt.date  # the first day of the programme: joining, or the first session if earlier
    last_session: dt.date | None
    sessions_7: int
    sessions_28: int
    target_per_week: int
    inactivity_days: int
    pain_7: Fraction | None
    pain_previous_7: Fraction | None
    gentle_start: bool = False
    alerts: list[Alert] = field(default_factory=list)

    @property
    def plan(self) -> Plan:
        return Plan(self.target_per_week, self.since, self.gentle_start)

    @property
    def target_7(self) -> int:
        return self.plan.planned_recently(7, self.today)

    @property
    def target_28(self) -> int:
        return self.plan.planned_recently(28, self.today)

    @property
    def red_flags(self) -> list[Alert]:
        return [alert for alert in self.alerts if alert.kind == AlertKind.RED_FLAG]

    @property
    def days_since_last(self) -> int | None:
        return None if self.last_session is None else (self.today - self.last_session).days

    @property
    def pain_change(self) -> Fraction | None:
        """Average pain this week minus the week before: positive is worse."""
        if self.pain_7 is None or self.pain_previous_7 is None:
            return None
        return self.pain_7 - self.pain_previous_7

    @property
    def trend(self) -> str:
        """'worse', 'better', 'steady', or '' when there is too little to tell."""
        change = self.pain_change
        if change is None:
            return ""
        if change >= MEANINGFUL_PAIN_CHANGE:
            return "worse"
        if change <= -MEANINGFUL_PAIN_CHANGE:
            return "better"
        return "steady"

    @property
    def needs_attention(self) -> bool:
        return bool(self.alerts)

    @property
    def attention_rank(self) -> tuple[int, int, float]:
        """Most urgent first: the worst alert, then how many, then the steepest pain rise."""
        return (
            -max((alert.severity for alert in self.alerts), default=0),
            -len(self.alerts),
            -float(self.pain_change or 0),
        )


def percent(done: int, target: int) -> int:
    """Done as a share of the target, rounded to the nearest (half up: 6 of 7 is 86%),
    and capped at 100: doing more than the target is not more than all of it."""
    if not target:
        return 0
    return min(100, (200 * done + target) // (2 * target))


@dataclass(frozen=True)
class Tally:
    """Sessions done against those planned, in words that never show a count over its
    own total: "6 of 7 planned (86%)", but "8 sessions, 7 planned (100%)"."""

    done: int
    planned: int

    @property
    def percent(self) -> int:
        return percent(self.done, self.planned)

    @property
    def beyond_plan(self) -> bool:
        return self.done > self.planned

    @property
    def sessions(self) -> str:
        """In a sentence: "5 of 7 planned sessions", "8 sessions, 7 planned"."""
        if not self.planned:
            return f"{_sessions(self.done)}, none planned yet"
        if self.beyond_plan:
            return f"{_sessions(self.done)}, {self.planned} planned"
        return f"{self.done} of {_sessions(self.planned, 'planned ')}"

    @property
    def brief(self) -> str:
        """In a table cell: "5 of 7", "8 (7 planned)"."""
        if self.beyond_plan or not self.planned:
            return f"{self.done} ({self.planned} planned)"
        return f"{self.done} of {self.planned}"

    @property
    def mark(self) -> str:
        """On a chart's narrow margin: "5/7", and "7/7 +1" beyond the plan."""
        if self.beyond_plan:
            return f"{self.planned}/{self.planned} +{self.done - self.planned}"
        return f"{self.done}/{self.planned}"

    def __str__(self) -> str:
        if not self.planned:
            return self.sessions
        if self.beyond_plan:
            return f"{self.sessions} ({self.percent}%)"
        return f"{self.done} of {self.planned} planned ({self.percent}%)"


def _sessions(count: int, kind: str = "") -> str:
    return f"{count} {kind}session{'s' if count != 1 else ''}"


def plan_for(patient: User, target_per_week: int, gentle_start: bool) -> Plan:
    """The patient's plan, counted from joining, or from the first session if earlier."""
    joined = timezone.localdate(patient.date_joined, patient.tzinfo)
    first = (
        Session.objects.counted()
        .filter(patient=patient)
        .order_by("local_date")
        .values_list("local_date", flat=True)
        .first()
    )
    return Plan(target_per_week, min(joined, first or joined), gentle_start)


@dataclass
class _Window:
    sessions: int = 0
    pain_total: int = 0

    def add(self, sessions: int, pain_total: int) -> None:
        self.sessions += sessions
        self.pain_total += pain_total

    @property
    def pain(self) -> Fraction | None:
        return Fraction(self.pain_total, self.sessions) if self.sessions else None


def _counted_day(patient_sessions: QuerySet[Session], order: str) -> Subquery:
    """The first or last day (by `order`) of each patient's sessions that count."""
    return Subquery(patient_sessions.order_by(order).values("local_date")[:1])


def progress_for(patients: QuerySet[User], now: dt.datetime | None = None) -> list[Progress]:
    """Figures and open alerts for each patient, in seven queries whatever their number.

    Every window is made of whole days ending on the patient's own today, in
    their own time zone, as their sessions' days are.
    """
    now = now or timezone.now()
    theirs = Session.objects.counted().filter(patient=OuterRef("pk"))
    rows = list(
        patients.annotate(
            last_session=_counted_day(theirs, "-local_date"),
            first_session=_counted_day(theirs, "local_date"),
            target=Coalesce("programme__target_per_week", Value(TARGET_PER_WEEK_DEFAULT)),
            threshold=Coalesce("programme__inactivity_days", Value(INACTIVITY_DAYS_DEFAULT)),
            gentle=Coalesce("programme__gentle_start", Value(True)),
        ).order_by("last_name", "first_name", "username")
    )
    # Each patient's day per day totals, for the last four weeks of any time zone.
    horizon = now.date() - dt.timedelta(days=RECENT_DAYS + 2)
    daily: dict[int, list[tuple[dt.date, int, int]]] = defaultdict(list)
    for patient_id, day, sessions, pain_total in (
        Session.objects.counted()
        .filter(patient__in=patients.values("pk"), local_date__gte=horizon)
        .values_list("patient_id", "local_date")
        .annotate(Count("pk"), Sum("pain_before"))
        .order_by()
    ):
        daily[patient_id].append((day, sessions, pain_total))

    result = []
    for row in rows:
        today = timezone.localdate(now, row.tzinfo)
        joined = timezone.localdate(row.date_joined, row.tzinfo)
        this_week, previous_week, month = _Window(), _Window(), _Window()
        for day, sessions, pain_total in daily[row.pk]:
            days_ago = (today - day).days
            if 0 <= days_ago < 7:
                this_week.add(sessions, pain_total)
            elif 7 <= days_ago < 14:
                previous_week.add(sessions, pain_total)
            if 0 <= days_ago < RECENT_DAYS:
                month.add(sessions, pain_total)
        result.append(
            Progress(
                patient=row,
                today=today,
                since=min(joined, row.first_session or joined),
                last_session=row.last_session,
                sessions_7=this_week.sessions,
                sessions_28=month.sessions,
                target_per_week=row.target,
                inactivity_days=row.threshold,
                pain_7=this_week.pain,
                pain_previous_7=previous_week.pain,
                gentle_start=row.gentle,
            )
        )
    _add_alerts(result, patients)
    return result


def _add_alerts(result: list[Progress], patients: QuerySet[User]) -> None:
    patient_ids = patients.values("pk")
    acknowledged: dict[int, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for patient_id, kind, key in AlertAcknowledgement.objects.filter(
        patient__in=patient_ids
    ).values_list("patient_id", "kind", "key"):
        acknowledged[patient_id][kind].add(key)

    by_patient: dict[int, list[Session]] = defaultdict(list)
    # A session alert stays until a physio has seen it, however old it is.
    for session in (
        Session.objects.finished()
        .filter(patient__in=patient_ids)
        .filter(Q(flagged=True) | rose_too_much_q("pain_after", "pain_before"))
        .order_by("-started_at")
        .only("pk", "patient_id", "local_date", "pain_before", "pain_after", "flagged")
    ):
        by_patient[session.patient_id].append(session)

    # A warning sign stays until a physio has seen it, however old it is.
    red_flags: dict[int, list[Alert]] = defaultdict(list)
    for check in (
        SafetyCheck.objects.raised()
        .filter(patient__in=patient_ids)
        .order_by("-answered_at", "-pk")
        .only("pk", "patient_id", "local_date", "flags", "advice", "withdrawn_at")
    ):
        red_flags[check.patient_id].append(red_flag_alert(check))
    for alerts in red_flags.values():
        # Newest first, but a call for emergency care before any sign that was not one.
        alerts.sort(key=lambda alert: not alert.urgent)

    hurt: dict[int, list[Alert]] = defaultdict(list)
    for entry_id, session_id, patient_id, day, pain_before, pain, name in (
        SessionEntry.objects.filter(session__patient__in=patient_ids)
        .filter(rose_too_much_q("hurt", "session__pain_before"))
        .order_by("-session__started_at", "order")
        .values_list(
            "pk",
            "session_id",
            "session__patient_id",
            "session__local_date",
            "session__pain_before",
            "hurt",
            "exercise__name",
        )
    ):
        hurt[patient_id].append(
            Alert(
                AlertKind.HURT,
                str(entry_id),
                f"{name} hurt during the session on {_day(day)}: {pain} out of 10, "
                f"up from {pain_before} at the start",
                day,
                session_id,
            )
        )

    retired: dict[int, list[Alert]] = defaultdict(list)
    # A retired exercise stays in existing programmes until a physio decides.
    for patient_id, exercise_id, name, retired_at in (
        ProgrammeExercise.objects.filter(
            programme__patient__in=patient_ids, included=True, exercise__is_active=False
        )
        .order_by("order")
        .values_list(
            "programme__patient_id", "exercise_id", "exercise__name", "exercise__retired_at"
        )
    ):
        retired[patient_id].append(_retired_alert(exercise_id, name, retired_at))

    for progress in result:
        seen = acknowledged[progress.patient.pk]
        alerts = [
            *red_flags[progress.patient.pk],
            *session_alerts(by_patient[progress.patient.pk]),
            *hurt[progress.patient.pk],
            *_trend_alerts(progress),
        ]
        alerts.extend(_inactivity_alerts(progress))
        alerts.extend(retired[progress.patient.pk])
        progress.alerts = [
            alert
            for alert in alerts
            if not _is_acknowledged(alert, seen[alert.kind], progress.today)
        ]


def session_alerts(sessions: list[Session]) -> list[Alert]:
    alerts = []
    for session in sessions:
        if session.flagged:
            alerts.append(
                Alert(
                    AlertKind.FLAGGED,
                    str(session.pk),
                    f"Asked you to look at the session on {_day(session.local_date)}",
                    session.local_date,
                    session.pk,
                )
            )
        if session.pain_rose:
            alerts.append(
                Alert(
                    AlertKind.PAIN_ROSE,
                    str(session.pk),
                    f"Pain rose from {session.pain_before} to {session.pain_after} "
                    f"during the session on {_day(session.local_date)}",
                    session.local_date,
                    session.pk,
                )
            )
    return alerts


def red_flag_alert(check: SafetyCheck) -> Alert:
    signs = "; ".join(flag.summary for flag in check.red_flags)
    if check.advice == Advice.URGENT:
        said = "Urgent: reported {signs} on {day}, and was told to get emergency care now"
    else:
        said = (
            "Reported {signs} on {day}, and was told to contact you or a doctor "
            f"{check.contact_within} and not to exercise until then"
        )
    if check.withdrawn_at is not None:
        said += "; later that day they took it back, saying they ticked it by mistake"
    return Alert(
        AlertKind.RED_FLAG,
        str(check.pk),
        said.format(signs=signs, day=_day(check.local_date)),
        check.local_date,
        urgent=check.advice == Advice.URGENT,
    )


def _trend_alerts(progress: Progress) -> list[Alert]:
    if progress.trend != "worse":
        return []
    assert progress.pain_7 is not None
    assert progress.pain_previous_7 is not None
    return [
        Alert(
            AlertKind.PAIN_WORSE,
            progress.today.isoformat(),
            f"Pain before exercise averaged {format_pain(progress.pain_7)} this week, "
            f"up from {format_pain(progress.pain_previous_7)} the week before",
            progress.today,
        )
    ]


def _inactivity_alerts(progress: Progress) -> list[Alert]:
    if progress.last_session is None:
        if (progress.today - progress.since).days < progress.inactivity_days:
            return []
        return [Alert(AlertKind.INACTIVE, "never", "No session logged yet")]
    days = progress.days_since_last
    assert days is not None
    if days < progress.inactivity_days:
        return []
    return [
        Alert(
            AlertKind.INACTIVE,
            progress.last_session.isoformat(),
            f"No session for {days} days (last on {_day(progress.last_session)})",
            progress.last_session,
        )
    ]


def _retired_alert(exercise_id: int, name: str, retired_at: dt.datetime | None) -> Alert:
    # Keyed by when it was retired, so keeping it once does not hide a later retirement.
    stamp = int(retired_at.timestamp()) if retired_at else 0
    when = f" on {_day(timezone.localdate(retired_at))}" if retired_at else ""
    return Alert(
        AlertKind.RETIRED,
        f"{exercise_id}-{stamp}",
        f"{name} was retired from the library{when} and is still in this programme: "
        "keep it for this patient, or leave it out",
        exercise_id=exercise_id,
    )


def _is_acknowledged(alert: Alert, keys: set[str], today: dt.date) -> bool:
    if alert.kind != AlertKind.PAIN_WORSE:
        return alert.key in keys
    # A trend has no single occurrence: an acknowledgement quiets it for a week.
    quiet_from = today - dt.timedelta(days=TREND_ACK_DAYS - 1)
    return any(dt.date.fromisoformat(key) >= quiet_from for key in keys)


def _day(day: dt.date) -> str:
    return f"{day:%a} {day.day} {day:%b}"


def format_pain(value: Fraction | float) -> str:
    """An average pain score to one decimal place, without a trailing ".0"."""
    return f"{float(value):.1f}".removesuffix(".0")


def find_alert(progress: Progress, kind: str, key: str) -> Alert | None:
    """The open alert a physio is acknowledging.

    A trend has one open alert at most, keyed by the day it is seen: a page
    shown before midnight and acknowledged after it still finds it.
    """
    for alert in progress.alerts:
        if alert.kind == kind and (alert.key == key or kind == AlertKind.PAIN_WORSE):
            return alert
    return None
