"""The physio's view of how each patient is doing: progress figures and alerts.

Everything is worked out in a fixed number of queries, however many patients
a caseload holds: the patients with their programme settings, day by day
totals for the last four weeks, the sessions that raise alerts, the retired
exercises still in programmes, and the alerts already acknowledged.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from dataclasses import dataclass, field
from fractions import Fraction

from django.db.models import Count, F, Max, Min, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.models import User

from .models import (
    INACTIVITY_DAYS_DEFAULT,
    TARGET_PER_WEEK_DEFAULT,
    AlertAcknowledgement,
    AlertKind,
    ProgrammeExercise,
    Session,
)

# A change of 2 points on the 0-10 scale is the usual threshold that matters to patients.
MEANINGFUL_PAIN_CHANGE = 2
# The longer of the two windows the figures cover.
RECENT_DAYS = 28
# An acknowledged "pain trending worse" stays quiet this long, then is raised again if still true.
TREND_ACK_DAYS = 7


@dataclass(frozen=True)
class Alert:
    kind: AlertKind
    key: str  # which occurrence, so acknowledging one does not hide the next
    summary: str
    day: dt.date | None = None
    session_id: int | None = None
    exercise_id: int | None = None

    @property
    def severity(self) -> int:
        return 1 if self.kind in {AlertKind.INACTIVE, AlertKind.RETIRED} else 2


@dataclass
class Progress:
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
    alerts: list[Alert] = field(default_factory=list)

    @property
    def target_7(self) -> int:
        return sessions_planned(self.target_per_week, 7, self.today, self.since)

    @property
    def target_28(self) -> int:
        return sessions_planned(self.target_per_week, 28, self.today, self.since)

    @property
    def adherence_7(self) -> int:
        return percent(self.sessions_7, self.target_7)

    @property
    def adherence_28(self) -> int:
        return percent(self.sessions_28, self.target_28)

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


def sessions_planned(target_per_week: int, days: int, today: dt.date, since: dt.date) -> int:
    """Sessions the `days` ending today ask for; someone who started this week is
    measured against this week's days only."""
    days = max(1, min(days, (today - since).days + 1))
    return math.ceil(target_per_week * days / 7)


def percent(done: int, target: int) -> int:
    # Rounded down and capped at 100: doing more than the target is not more than all of it.
    return min(100, math.floor(100 * done / target)) if target else 0


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


_FINISHED = Q(exercise_sessions__finished_at__isnull=False)


def progress_for(patients: QuerySet[User], now: dt.datetime | None = None) -> list[Progress]:
    """Figures and open alerts for each patient, in four queries whatever their number.

    Every window is made of whole days ending on the patient's own today, in
    their own time zone, as their sessions' days are.
    """
    now = now or timezone.now()
    rows = list(
        patients.annotate(
            last_session=Max("exercise_sessions__local_date", filter=_FINISHED),
            first_session=Min("exercise_sessions__local_date", filter=_FINISHED),
            target=Coalesce("programme__target_per_week", Value(TARGET_PER_WEEK_DEFAULT)),
            threshold=Coalesce("programme__inactivity_days", Value(INACTIVITY_DAYS_DEFAULT)),
        ).order_by("last_name", "first_name", "username")
    )
    # Each patient's day per day totals, for the last four weeks of any time zone.
    horizon = now.date() - dt.timedelta(days=RECENT_DAYS + 2)
    daily: dict[int, list[tuple[dt.date, int, int]]] = defaultdict(list)
    for patient_id, day, sessions, pain_total in (
        Session.objects.finished()
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
        .filter(Q(flagged=True) | Q(pain_after__gte=F("pain_before") + MEANINGFUL_PAIN_CHANGE))
        .order_by("-started_at")
        .only("pk", "patient_id", "local_date", "pain_before", "pain_after", "flagged")
    ):
        by_patient[session.patient_id].append(session)

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
        alerts = [*session_alerts(by_patient[progress.patient.pk]), *_trend_alerts(progress)]
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
        if (session.pain_change or 0) >= MEANINGFUL_PAIN_CHANGE:
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
