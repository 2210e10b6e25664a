"""The physio's view of how each patient is doing: progress figures and alerts.

Everything is worked out in a fixed number of queries, however many patients
a caseload holds: one aggregate over sessions for the figures, one for the
sessions that raise alerts, one for the alerts already acknowledged.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from dataclasses import dataclass, field
from fractions import Fraction

from django.db.models import Count, F, Max, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.models import User

from .models import (
    INACTIVITY_DAYS_DEFAULT,
    TARGET_PER_WEEK_DEFAULT,
    AlertAcknowledgement,
    AlertKind,
    Session,
)

# A change of 2 points on the 0-10 scale is the usual threshold that matters to patients.
MEANINGFUL_PAIN_CHANGE = 2
# Sessions this recent raise alerts (pain rising, "please look") until acknowledged.
ALERT_WINDOW_DAYS = 28
# An acknowledged "pain trending worse" stays quiet this long, then is raised again if still true.
TREND_ACK_DAYS = 7


@dataclass(frozen=True)
class Alert:
    kind: AlertKind
    key: str  # which occurrence, so acknowledging one does not hide the next
    summary: str
    day: dt.date | None = None
    session_id: int | None = None

    @property
    def severity(self) -> int:
        return 1 if self.kind == AlertKind.INACTIVE else 2


@dataclass
class Progress:
    """One patient's figures as of `today` (the reader's day)."""

    patient: User
    today: dt.date
    last_session: dt.date | None
    sessions_7: int
    sessions_28: int
    target_per_week: int
    inactivity_days: int
    pain_7: Fraction | None
    pain_previous_7: Fraction | None
    alerts: list[Alert] = field(default_factory=list)

    @property
    def adherence_7(self) -> int:
        return _percent(self.sessions_7, self.target_per_week)

    @property
    def adherence_28(self) -> int:
        return _percent(self.sessions_28, self.target_per_week * 4)

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


def _percent(done: int, target: int) -> int:
    # Rounded down, capped at 100: two sessions on a good day do not make up for a missed one.
    return min(100, math.floor(100 * done / target)) if target else 0


def _average(total: int | None, count: int) -> Fraction | None:
    return Fraction(total, count) if total is not None and count else None


def progress_for(patients: QuerySet[User], today: dt.date) -> list[Progress]:
    """Figures and open alerts for each patient, in three queries whatever their number.

    `today` is the reader's day; windows are whole local days ending today.
    """
    week_start = today - dt.timedelta(days=6)
    previous_week_start = today - dt.timedelta(days=13)
    month_start = today - dt.timedelta(days=27)
    finished = Q(exercise_sessions__finished_at__isnull=False)

    def on_or_after(day: dt.date) -> Q:
        return finished & Q(exercise_sessions__local_date__gte=day)

    this_week = on_or_after(week_start)
    previous_week = finished & Q(
        exercise_sessions__local_date__gte=previous_week_start,
        exercise_sessions__local_date__lt=week_start,
    )
    rows = patients.annotate(
        last_session=Max("exercise_sessions__local_date", filter=finished),
        sessions_7=Count("exercise_sessions", filter=this_week),
        sessions_28=Count("exercise_sessions", filter=on_or_after(month_start)),
        pain_sum_7=Sum("exercise_sessions__pain_before", filter=this_week),
        pain_sum_previous_7=Sum("exercise_sessions__pain_before", filter=previous_week),
        sessions_previous_7=Count("exercise_sessions", filter=previous_week),
        target=Coalesce("programme__target_per_week", Value(TARGET_PER_WEEK_DEFAULT)),
        threshold=Coalesce("programme__inactivity_days", Value(INACTIVITY_DAYS_DEFAULT)),
    ).order_by("last_name", "first_name", "username")

    result = [
        Progress(
            patient=row,
            today=today,
            last_session=row.last_session,
            sessions_7=row.sessions_7,
            sessions_28=row.sessions_28,
            target_per_week=row.target,
            inactivity_days=row.threshold,
            pain_7=_average(row.pain_sum_7, row.sessions_7),
            pain_previous_7=_average(row.pain_sum_previous_7, row.sessions_previous_7),
        )
        for row in rows
    ]
    _add_alerts(result, patients, today)
    return result


def _add_alerts(result: list[Progress], patients: QuerySet[User], today: dt.date) -> None:
    patient_ids = patients.values("pk")
    acknowledged: dict[int, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for patient_id, kind, key in AlertAcknowledgement.objects.filter(
        patient__in=patient_ids
    ).values_list("patient_id", "kind", "key"):
        acknowledged[patient_id][kind].add(key)

    by_patient: dict[int, list[Session]] = defaultdict(list)
    for session in (
        Session.objects.finished()
        .filter(
            patient__in=patient_ids,
            local_date__gt=today - dt.timedelta(days=ALERT_WINDOW_DAYS),
        )
        .filter(Q(flagged=True) | Q(pain_after__gte=F("pain_before") + MEANINGFUL_PAIN_CHANGE))
        .order_by("-started_at")
        .only("pk", "patient_id", "local_date", "pain_before", "pain_after", "flagged")
    ):
        by_patient[session.patient_id].append(session)

    for progress in result:
        seen = acknowledged[progress.patient.pk]
        alerts = [*session_alerts(by_patient[progress.patient.pk]), *_trend_alerts(progress)]
        alerts.extend(_inactivity_alerts(progress))
        progress.alerts = [
            alert for alert in alerts if not _is_acknowledged(alert, seen[alert.kind], today)
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
        since = timezone.localdate(progress.patient.date_joined, progress.patient.tzinfo)
        if (progress.today - since).days < progress.inactivity_days:
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
    for alert in progress.alerts:
        if alert.kind == kind and alert.key == key:
            return alert
    return None
