"""A patient's progress over time: adherence, streaks, pain and each exercise.

Worked out from a few aggregate queries whatever the length of the history:
the programme's target, one row per day with sessions (all time, for streaks
and the start), one row per session in the range (the pain chart), and one
row per exercise (how often done, skipped, too hard). The sessions figures
count only the sessions that count: finished, with at least one exercise done
(tracking.models.counts_toward_progress); each exercise's row counts every
finished session, so a session with all of it skipped shows there. Every
day is the patient's own local day, as each session's `local_date` is.
"""

from __future__ import annotations

import datetime as dt
from collections import deque
from dataclasses import dataclass, field
from fractions import Fraction

from django.db.models import Count, Q, Sum
from django.utils import timezone

from accounts.models import User

from .models import (
    MEANINGFUL_PAIN_CHANGE,
    TARGET_PER_WEEK_DEFAULT,
    Effort,
    EntryStatus,
    Programme,
    Session,
    SessionEntry,
)
from .review import Plan, RecentTallies, Tally, format_pain

# The ranges a patient can look at, by their key in the address.
RANGES = {"4w": ("4 weeks", 28), "12w": ("12 weeks", 84), "all": ("All time", None)}
DEFAULT_RANGE = "4w"
ROLLING_DAYS = 7


def range_key(value: str | None) -> str:
    return value if value in RANGES else DEFAULT_RANGE


@dataclass(frozen=True)
class Day:
    date: dt.date
    sessions: int
    level: str  # "met", "some", "missed", "before" (the programme had not started) or "rest"
    is_today: bool

    @property
    def label(self) -> str:
        count = f"{self.sessions} session{'s' if self.sessions != 1 else ''}"
        words = {
            "met": count,
            "some": f"{count}, fewer than planned",
            "missed": "missed",
            "before": "before the programme started",
            "rest": "no session",
        }[self.level]
        return f"{self.date:%a} {self.date.day} {self.date:%b}: {words}" + (
            " (today)" if self.is_today else ""
        )


@dataclass(frozen=True)
class Week:
    monday: dt.date
    days: list[Day | None]
    planned: int  # sessions the week asks for, from the programme's start

    @property
    def done(self) -> int:
        return sum(day.sessions for day in self.days if day is not None)

    @property
    def tally(self) -> Tally:
        return Tally(self.done, self.planned)

    @property
    def is_short(self) -> bool:
        """Fewer than planned, with the week over (today's week is still going)."""
        days = [day for day in self.days if day is not None]
        over = bool(days) and not any(day.is_today for day in days)
        return over and self.done < self.planned


@dataclass(frozen=True)
class PainPoint:
    day: dt.date
    before: int
    after: int
    # Over this session and those before it in the 7 days ending on its day.
    average_before: Fraction
    average_after: Fraction


@dataclass(frozen=True)
class ExerciseRow:
    name: str
    done: int
    skipped: int
    too_hard: int
    logged: int  # times it was in a finished session

    @property
    def is_a_problem(self) -> bool:
        """Skipped or too hard in at least a third of the sessions that had it."""
        return self.logged > 0 and 3 * (self.skipped + self.too_hard) >= self.logged


@dataclass
class PatientProgress(RecentTallies):
    patient: User
    today: dt.date
    range: str
    start: dt.date  # the first day shown
    since: dt.date  # the programme's first day: joining, or the first session if earlier
    plan: Plan
    days: list[Day]
    current_streak: int
    longest_streak: int
    sessions_7: int
    target_7: int
    sessions_28: int
    target_28: int
    sessions_this_week: int
    pain: list[PainPoint]
    pain_at_start: Fraction | None  # pain after exercising, average of the first 7 days
    pain_recently: Fraction | None  # the same, over the last 7 days with sessions
    first_day: dt.date | None = None  # of any finished session
    last_day: dt.date | None = None
    exercises: list[ExerciseRow] = field(default_factory=list)
    total_sessions: int = 0

    @property
    def range_label(self) -> str:
        return RANGES[self.range][0]

    @property
    def pain_change(self) -> Fraction | None:
        """Pain after exercising, recently minus at the start: negative is better.

        None until the first week and the latest are different days.
        """
        if self.pain_at_start is None or self.pain_recently is None:
            return None
        if self.first_day is None or self.last_day is None:
            return None
        if (self.last_day - self.first_day).days < 2 * ROLLING_DAYS - 1:
            return None
        return self.pain_recently - self.pain_at_start

    @property
    def pain_change_is_meaningful(self) -> bool:
        """2 points or more, between the averages as shown (to one decimal)."""
        if self.pain_change is None or self.pain_at_start is None or self.pain_recently is None:
            return False
        shown = float(format_pain(self.pain_recently)) - float(format_pain(self.pain_at_start))
        return abs(shown) >= MEANINGFUL_PAIN_CHANGE

    def summary(self, name: str | None = None) -> list[str]:
        """A few plain sentences: to the patient, or about them (`name`) for their physio."""
        if not self.total_sessions:
            return [
                "No sessions yet. After the first one, progress shows here."
                if name
                else "No sessions yet. After your first one, your progress shows here."
            ]
        monday = self.today - dt.timedelta(days=self.today.weekday())
        planned = self.plan.planned(monday, monday + dt.timedelta(days=6))
        this_week = Tally(self.sessions_this_week, planned)
        # A calendar week, named as such beside the figures for the last 7 days.
        lines = [f"This week, from Monday: {this_week.sessions}."]
        whose = f"{name}'s pain" if name else "Your pain"
        they = "they" if name else "you"
        if self.pain_recently is None or self.last_day is None:
            return lines
        recently = format_pain(self.pain_recently)
        if (self.today - self.last_day).days >= ROLLING_DAYS:  # no session lately: say when
            recently += f" in the week to {self.last_day.day} {self.last_day:%b}"
        change = self.pain_change
        if change is None or self.pain_at_start is None:
            # Too soon to compare: the first week and the latest share days.
            lines.append(f"{whose} after exercising averaged {recently}.")
            return lines
        at_start = format_pain(self.pain_at_start)
        # Up or down as the numbers shown read, so "3, down from 3" never happens.
        direction = float(format_pain(self.pain_recently)) - float(at_start)
        if direction < 0:
            compared = f"down from {at_start} when {they} started"
        elif direction > 0:
            compared = f"up from {at_start} when {they} started"
        else:
            compared = f"the same as when {they} started"
        lines.append(f"{whose} after exercising averaged {recently}, {compared}.")
        if self.pain_change_is_meaningful and direction < 0:
            lines.append("That is a drop of 2 points or more: a change that really counts.")
        elif self.pain_change_is_meaningful:
            lines.append(
                "That is a rise of 2 points or more: "
                + ("worth a word with them." if name else "tell your physio.")
            )
        return lines

    @property
    def weeks(self) -> list[Week]:
        """The days as calendar weeks, Monday first; None pads the first and last week."""
        if not self.days:
            return []
        first = self.days[0].date
        padded: list[Day | None] = [None] * first.weekday()
        padded.extend(self.days)
        padded.extend([None] * (-len(padded) % 7))
        monday = first - dt.timedelta(days=first.weekday())
        weeks = []
        for number in range(len(padded) // 7):
            start = monday + dt.timedelta(weeks=number)
            # Counted from the first day shown, as the sessions are.
            planned = self.plan.planned(max(start, self.start), start + dt.timedelta(days=6))
            weeks.append(Week(start, padded[7 * number : 7 * number + 7], planned))
        return weeks


def progress_of(
    patient: User,
    range_: str = DEFAULT_RANGE,
    now: dt.datetime | None = None,
    *,
    programme: Programme | None = None,
) -> PatientProgress:
    """The patient's progress, as of their own today, over `range_` (a key of RANGES).

    `programme` saves a query when the caller has it already.
    """
    now = now or timezone.now()
    today = timezone.localdate(now, patient.tzinfo)
    if programme is None:
        target_per_week, gentle_start = Programme.objects.filter(patient=patient).values_list(
            "target_per_week", "gentle_start"
        ).first() or (TARGET_PER_WEEK_DEFAULT, True)
    else:
        target_per_week, gentle_start = programme.target_per_week, programme.gentle_start
    counted = Session.objects.counted().filter(patient=patient)

    # Day by day, all time: streaks and the start need every day.
    pain_after_by_day: dict[dt.date, tuple[int, int]] = {}
    for day, count, pain_after in (
        counted.values_list("local_date")
        .annotate(Count("pk"), Sum("pain_after"))
        .order_by("local_date")
    ):
        pain_after_by_day[day] = (count, pain_after)
    per_day = {day: count for day, (count, _) in pain_after_by_day.items()}
    joined = timezone.localdate(patient.date_joined, patient.tzinfo)
    first_day = min(per_day, default=None)
    since = min(joined, first_day) if first_day else joined
    plan = Plan(target_per_week, since, gentle_start)

    days_shown = RANGES[range_][1]
    # All time starts with the programme; a range of weeks ends today.
    start = since if days_shown is None else today - dt.timedelta(days=days_shown - 1)

    # From a week before the range, so its first days' averages have their week too.
    sessions = list(
        counted.filter(
            local_date__gte=start - dt.timedelta(days=ROLLING_DAYS - 1), local_date__lte=today
        )
        .order_by("local_date", "started_at", "pk")  # by day: the window moves forward
        .values_list("local_date", "pain_before", "pain_after")
    )
    exercises = _exercises(patient, start, today)
    at_start, recently = _pain_at_start_and_recently(pain_after_by_day)

    def sessions_in(days: int) -> int:
        first = today - dt.timedelta(days=days - 1)
        return sum(count for day, count in per_day.items() if first <= day <= today)

    monday = today - dt.timedelta(days=today.weekday())
    return PatientProgress(
        patient=patient,
        today=today,
        range=range_,
        start=start,
        since=since,
        plan=plan,
        days=_calendar(start, today, per_day, plan),
        current_streak=_current_streak(per_day, today),
        longest_streak=_longest_streak(per_day),
        sessions_7=sessions_in(7),
        target_7=plan.planned_recently(7, today),
        sessions_28=sessions_in(28),
        target_28=plan.planned_recently(28, today),
        sessions_this_week=sum(c for d, c in per_day.items() if monday <= d <= today),
        pain=[point for point in _pain_points(sessions) if point.day >= start],
        pain_at_start=at_start,
        pain_recently=recently,
        first_day=first_day,
        last_day=max(per_day, default=None),
        exercises=exercises,
        total_sessions=sum(per_day.values()),
    )


def daily_share(target_per_week: int) -> int:
    """Sessions that fill a day: two for a twice-a-day programme, else one."""
    return 2 if target_per_week >= 14 else 1


def _calendar(start: dt.date, today: dt.date, per_day: dict[dt.date, int], plan: Plan) -> list[Day]:
    """One cell a day. On a daily programme every empty day is 'missed'. With
    fewer a week, empty days are rest days by design, unless their week fell
    short of the target or can no longer reach it: then they are 'missed'."""
    since = plan.since
    short: dict[dt.date, bool] = {}

    def falls_short(day: dt.date) -> bool:
        monday = day - dt.timedelta(days=day.weekday())
        if monday not in short:
            sunday = monday + dt.timedelta(days=6)
            done = sum(per_day.get(monday + dt.timedelta(days=n), 0) for n in range(7))
            days_left = max(0, (sunday - today).days + 1)  # today included, if this week
            reachable = done + days_left * daily_share(plan.per_week_on(today))
            short[monday] = reachable < plan.planned(monday, sunday)
        return short[monday]

    days = []
    for offset in range((today - start).days + 1):
        day = start + dt.timedelta(days=offset)
        target_per_week = plan.per_week_on(day)
        daily = daily_share(target_per_week)
        count = per_day.get(day, 0)
        if count >= daily:
            level = "met"
        elif count:
            level = "some"
        elif day < since:
            level = "before"
        elif day < today and (target_per_week >= 7 or falls_short(day)):
            level = "missed"
        else:
            level = "rest"
        days.append(Day(day, count, level, day == today))
    return days


def _current_streak(per_day: dict[dt.date, int], today: dt.date) -> int:
    """Days in a row with a session, up to today; today still to do does not break it."""
    day = today if today in per_day else today - dt.timedelta(days=1)
    streak = 0
    while day in per_day:
        streak += 1
        day -= dt.timedelta(days=1)
    return streak


def _longest_streak(per_day: dict[dt.date, int]) -> int:
    longest = run = 0
    previous = None
    for day in sorted(per_day):
        run = run + 1 if previous is not None and (day - previous).days == 1 else 1
        longest = max(longest, run)
        previous = day
    return longest


def _pain_points(sessions: list[tuple[dt.date, int, int]]) -> list[PainPoint]:
    """Each session's pain, with the average of the sessions in the 7 days ending that day."""
    window: deque[tuple[dt.date, int, int]] = deque()
    points = []
    for day, before, after in sessions:
        window.append((day, before, after))
        while (day - window[0][0]).days >= ROLLING_DAYS:
            window.popleft()
        points.append(
            PainPoint(
                day,
                before,
                after,
                Fraction(sum(b for _, b, _ in window), len(window)),
                Fraction(sum(a for _, _, a in window), len(window)),
            )
        )
    return points


def _pain_at_start_and_recently(
    by_day: dict[dt.date, tuple[int, int]],
) -> tuple[Fraction | None, Fraction | None]:
    """Average pain after exercising over the first 7 days from the first session,
    and over the 7 days ending on the last session (today, for someone keeping up)."""
    if not by_day:
        return None, None
    first, last = min(by_day), max(by_day)

    def average(days: list[dt.date]) -> Fraction:
        count = sum(by_day[day][0] for day in days)
        return Fraction(sum(by_day[day][1] for day in days), count)

    week = dt.timedelta(days=ROLLING_DAYS - 1)
    return (
        average([day for day in by_day if day <= first + week]),
        average([day for day in by_day if day >= last - week]),
    )


def _exercises(patient: User, start: dt.date, today: dt.date) -> list[ExerciseRow]:
    rows = (
        SessionEntry.objects.filter(
            # Every finished session, counted or not: one with every exercise skipped
            # is what a physio most needs to see here.
            session__in=Session.objects.finished().filter(
                patient=patient, local_date__gte=start, local_date__lte=today
            )
        )
        .values("exercise_id", "exercise__name", "exercise__order")
        .annotate(
            done=Count("pk", filter=Q(status=EntryStatus.DONE)),
            skipped=Count("pk", filter=Q(status=EntryStatus.SKIPPED)),
            too_hard=Count("pk", filter=Q(effort=Effort.TOO_HARD)),
            logged=Count("pk"),
        )
        .order_by("exercise__order", "exercise_id")
    )
    return [
        ExerciseRow(
            row["exercise__name"], row["done"], row["skipped"], row["too_hard"], row["logged"]
        )
        for row in rows
    ]
