"""A patient's progress: calendar, streaks, adherence, pain over time and each exercise.

Every figure is checked against an expectation worked out by hand, at the edges
the issue names: no sessions, one, several on a day, a two-week gap, a clock
change, time zones far from the server's (Europe/London). Then the page over
HTTP, for the patient and their physio, and its query count, pinned.
"""

import datetime as dt
import io
import itertools
import re
import zoneinfo
from fractions import Fraction

import pytest
import time_machine
from django.core.management import call_command
from django.urls import reverse

from accounts.models import User
from audit.models import Action, AuditEvent, Outcome
from exercises.models import Exercise, current_versions
from tests.conftest import same_queries, signed_in, sql_of
from tracking import charts
from tracking.models import Effort, EntryStatus, Programme, Session, SessionEntry
from tracking.progress import ExerciseRow, PainPoint, PatientProgress, progress_of, range_key
from tracking.review import Tally, progress_for

# Wednesday 18 November 2026, noon in London (GMT, so UTC too).
NOW = dt.datetime(2026, 11, 18, 12, 0, tzinfo=dt.UTC)
TODAY = dt.date(2026, 11, 18)
LONDON = zoneinfo.ZoneInfo("Europe/London")

# One letter a calendar day, so a whole range reads as one line.
LEVEL_LETTERS = {"met": "M", "some": "s", "missed": "x", "before": "-", "rest": "."}


# Helpers --------------------------------------------------------------------


def days_ago(days: int) -> dt.date:
    return TODAY - dt.timedelta(days=days)


def joined(patient: User, day: dt.date) -> None:
    """Say the patient made their account at 08:00, their time, on `day`."""
    User.objects.filter(pk=patient.pk).update(
        date_joined=dt.datetime.combine(day, dt.time(8), tzinfo=patient.tzinfo)
    )
    patient.refresh_from_db()


def living_in(patient: User, zone: str) -> None:
    User.objects.filter(pk=patient.pk).update(timezone=zone)
    patient.refresh_from_db()


def no_gentle_start(patient: User) -> None:
    """The target applies from the first day, as the physio can choose; the gentle
    start has tests of its own (test_gentle_start.py)."""
    Programme.objects.filter(pk=Programme.for_patient(patient).pk).update(gentle_start=False)


def target(patient: User, per_week: int) -> None:
    Programme.objects.filter(pk=Programme.for_patient(patient).pk).update(target_per_week=per_week)


def logged(
    patient: User,
    day: dt.date,
    before: int,
    after: int,
    *,
    at: dt.time = dt.time(9),
    outcomes: dict[str, str] | None = None,
) -> Session:
    """A finished session on the patient's `day`, written directly, with entries for the
    exercises `outcomes` names (by default the pelvic tilt done: enough to count)."""
    started = dt.datetime.combine(day, at, tzinfo=patient.tzinfo)
    session = Session.objects.create(
        patient=patient,
        started_at=started,
        finished_at=started + dt.timedelta(minutes=15),
        local_date=day,
        pain_before=before,
        pain_after=after,
    )
    entries(session, {"Pelvic tilt": "done"} if outcomes is None else outcomes)
    return session


def logged_through_the_app(
    patient: User, moment: dt.datetime, before: int = 5, after: int = 4
) -> Session:
    """A session started at `moment` as the app starts one, and finished 10 minutes later."""
    with time_machine.travel(moment, tick=False):
        session, _ = Session.start(patient, pain_before=before)
        entry = session.entries.order_by("order")[0]
        entry.mark_done()
        entry.save_if_session_open()
    with time_machine.travel(moment + dt.timedelta(minutes=10), tick=False):
        session.finish(pain_after=after, notes="", flagged=False)
    session.refresh_from_db()
    return session


def calendar_line(progress: PatientProgress) -> str:
    return "".join(LEVEL_LETTERS[day.level] for day in progress.days)


OUTCOMES: dict[str, dict[str, object]] = {
    "done": {"status": EntryStatus.DONE, "sets_done": 1, "reps_done": 5},
    "too hard": {
        "status": EntryStatus.DONE,
        "sets_done": 1,
        "reps_done": 5,
        "effort": Effort.TOO_HARD,
    },
    "skipped": {"status": EntryStatus.SKIPPED},
    "to do": {},
}


def entries(session: Session, outcomes: dict[str, str]) -> None:
    """One entry per exercise named, ended as `outcomes` says ("done", "too hard"...)."""
    exercises = Exercise.objects.filter(name__in=outcomes)
    versions = current_versions(exercise.pk for exercise in exercises)
    SessionEntry.objects.bulk_create(
        SessionEntry(
            session=session,
            exercise=exercise,
            exercise_version_id=versions[exercise.pk],
            order=exercise.order,
            **exercise.dose_values(),
            **OUTCOMES[outcomes[exercise.name]],
        )
        for exercise in exercises
    )


# Which sessions count ------------------------------------------------------------


def test_a_session_finished_with_nothing_done_counts_nowhere_in_the_figures(patient):
    joined(patient, days_ago(20))
    no_gentle_start(patient)
    logged(patient, days_ago(2), 4, 3)
    logged(patient, days_ago(1), 9, 9, outcomes={"Pelvic tilt": "skipped", "Dead bug": "to do"})
    logged(patient, TODAY, 9, 9, outcomes={})  # finished before any exercise was reached

    progress = progress_of(patient, "4w", now=NOW)

    assert (progress.sessions_7, progress.sessions_28, progress.sessions_this_week) == (1, 1, 1)
    assert progress.total_sessions == 1
    assert calendar_line(progress)[-3:] == "Mx."  # yesterday missed, today still to do
    assert (progress.current_streak, progress.longest_streak) == (0, 1)
    assert [point.day for point in progress.pain] == [days_ago(2)]
    assert progress.pain_recently == 3


def test_the_exercise_table_counts_every_finished_session_even_one_with_nothing_done(patient):
    """An all-skipped session is what a physio most needs to see in it."""
    joined(patient, days_ago(20))
    logged(patient, days_ago(2), 4, 3)
    logged(patient, days_ago(1), 9, 9, outcomes={"Pelvic tilt": "skipped", "Dead bug": "skipped"})
    logged(patient, TODAY, 9, 9, outcomes={"Pelvic tilt": "to do"})
    # Still open: not in the table until it is finished.
    entries(
        Session.objects.create(patient=patient, started_at=NOW, local_date=TODAY, pain_before=4),
        {"Dead bug": "skipped"},
    )

    progress = progress_of(patient, "4w", now=NOW)

    assert progress.total_sessions == 1
    assert progress.exercises == [
        ExerciseRow("Pelvic tilt", done=1, skipped=1, too_hard=0, logged=3),
        ExerciseRow("Dead bug", done=0, skipped=1, too_hard=0, logged=1),
    ]


def test_a_session_counts_from_its_first_exercise_done(patient):
    joined(patient, days_ago(20))
    logged(patient, TODAY, 5, 4, outcomes={"Pelvic tilt": "skipped", "Dead bug": "too hard"})

    progress = progress_of(patient, "4w", now=NOW)

    assert progress.sessions_7 == 1
    assert progress.days[-1].level == "met"


def test_the_progress_page_says_which_sessions_count(patient):
    page = get_at_now(patient, reverse("tracking:progress"))

    assert (
        "A session counts in the sessions and streaks above, the calendar and the pain "
        "figures when at least one of its exercises was done." in page
    )
    assert "The table of each exercise counts every finished session." in page


# No sessions, one, several on a day -------------------------------------------


def test_a_patient_with_no_sessions_has_empty_figures_and_an_explanation(patient):
    joined(patient, TODAY)

    progress = progress_of(patient, "4w", now=NOW)

    assert (progress.current_streak, progress.longest_streak) == (0, 0)
    assert (progress.sessions_7, progress.sessions_28, progress.sessions_this_week) == (0, 0, 0)
    assert (progress.tally_7.percent, progress.tally_28.percent) == (0, 0)
    assert progress.pain == []
    assert (progress.pain_at_start, progress.pain_recently, progress.pain_change) == (
        None,
        None,
        None,
    )
    assert not progress.pain_change_is_meaningful
    assert progress.exercises == []
    assert progress.summary() == [
        "No sessions yet. After your first one, your progress shows here."
    ]
    assert progress.summary("Pat") == ["No sessions yet. After the first one, progress shows here."]
    # 28 days, 22 October to today; all but today come before the account was made.
    assert (progress.days[0].date, progress.days[-1].date) == (dt.date(2026, 10, 22), TODAY)
    assert calendar_line(progress)[:27] == "-" * 27
    assert [day.date for day in progress.days if day.is_today] == [TODAY]


def test_a_patient_who_never_exercised_sees_the_days_since_joining_as_missed(
    patient, physio, assigned
):
    """The programme starts when the patient joins, sessions or not (as on the caseload).

    Joined 9 days ago, never a session: 10 days of the programme, today included,
    so 7 sessions were expected in the last 7 days and 10 in the last 28.
    """
    no_gentle_start(patient)
    joined(patient, days_ago(9))

    progress = progress_of(patient, "4w", now=NOW)

    assert progress.since == days_ago(9)
    assert (progress.target_7, progress.target_28) == (7, 10)
    # 18 days before joining, 9 missed since, and today still to do.
    assert calendar_line(progress) == "-" * 18 + "x" * 9 + "."
    # The physio's page shows the caseload's figures beside these: the same targets.
    [caseload] = progress_for(User.objects.patients_of(physio).filter(pk=patient.pk), now=NOW)
    assert (caseload.target_7, caseload.target_28) == (7, 10)


def test_one_session_today_starts_a_streak_and_is_measured_against_one_day(patient):
    no_gentle_start(patient)
    joined(patient, TODAY)
    logged(patient, TODAY, before=6, after=4)

    progress = progress_of(patient, "4w", now=NOW)

    assert (progress.current_streak, progress.longest_streak) == (1, 1)
    # Joined today: one day of a 7-a-week programme, so 1 session expected.
    assert (progress.sessions_7, progress.target_7, progress.tally_7.percent) == (1, 1, 100)
    assert (progress.sessions_28, progress.target_28, progress.tally_28.percent) == (1, 1, 100)
    assert progress.pain == [PainPoint(TODAY, 6, 4, Fraction(6), Fraction(4))]
    assert progress.summary() == [
        # Wednesday to Sunday: joined on Wednesday
        "This week, from Monday: 1 of 5 planned sessions.",
        "Your pain after exercising averaged 4.",  # nothing to compare with yet
    ]
    assert calendar_line(progress) == "-" * 27 + "M"
    assert progress.days[-1].label == "Wed 18 Nov: 1 session (today)"


def test_several_sessions_on_one_day_are_one_day_of_a_streak_and_each_a_point(patient):
    no_gentle_start(patient)
    joined(patient, days_ago(9))
    logged(patient, days_ago(1), before=5, after=4)
    logged(patient, TODAY, before=6, after=3, at=dt.time(8))
    logged(patient, TODAY, before=4, after=2, at=dt.time(19))

    progress = progress_of(patient, "4w", now=NOW)

    assert (progress.current_streak, progress.longest_streak) == (2, 2)  # days, not sessions
    assert (progress.sessions_7, progress.target_7, progress.tally_7.percent) == (
        3,
        7,
        43,
    )  # 3/7, to the nearest
    assert progress.sessions_this_week == 3  # Monday 16 November to today
    today = progress.days[-1]
    assert (today.date, today.sessions, today.level, today.is_today) == (TODAY, 2, "met", True)
    assert today.label == "Wed 18 Nov: 2 sessions (today)"
    assert progress.pain == [
        PainPoint(days_ago(1), 5, 4, Fraction(5), Fraction(4)),
        PainPoint(TODAY, 6, 3, Fraction(11, 2), Fraction(7, 2)),  # (5+6)/2, (4+3)/2
        PainPoint(TODAY, 4, 2, Fraction(5), Fraction(3)),  # (5+6+4)/3, (4+3+2)/3
    ]
    assert progress.summary() == [
        "This week, from Monday: 3 of 7 planned sessions.",
        "Your pain after exercising averaged 3.",  # (4+3+2)/3, all within the first week
    ]


def test_twice_a_day_asks_for_two_sessions_to_fill_a_day(patient):
    no_gentle_start(patient)
    joined(patient, days_ago(9))
    target(patient, 14)
    logged(patient, days_ago(2), 4, 3)
    logged(patient, days_ago(1), 4, 3, at=dt.time(8))
    logged(patient, days_ago(1), 4, 3, at=dt.time(18))

    progress = progress_of(patient, "4w", now=NOW)

    assert calendar_line(progress)[-4:] == "xsM."
    assert progress.days[-3].label == "Mon 16 Nov: 1 session, fewer than planned"
    # 10 days of a 14-a-week programme: 20 sessions expected in the last 28 days.
    assert (progress.sessions_7, progress.target_7, progress.tally_7.percent) == (3, 14, 21)
    assert (progress.target_28, progress.tally_28.percent) == (20, 15)


# A two-week gap ----------------------------------------------------------------


@pytest.fixture
def gap(patient) -> None:
    """Daily from 30 to 17 days ago (14 days), nothing for 14 days, then the last two days."""
    joined(patient, days_ago(40))
    for days in [*range(30, 16, -1), 2, 1]:
        logged(patient, days_ago(days), before=5, after=4)


def test_a_two_week_gap_ends_the_longest_streak_and_shows_as_missed_days(patient, gap):
    progress = progress_of(patient, "4w", now=NOW)

    assert progress.longest_streak == 14
    assert progress.current_streak == 2  # yesterday and the day before; today still to do
    assert (progress.sessions_7, progress.target_7, progress.tally_7.percent) == (
        2,
        7,
        29,
    )  # 2/7, to the nearest
    # 27 to 17 days ago (11) and the last two: 13 of 28.
    assert (progress.sessions_28, progress.target_28, progress.tally_28.percent) == (13, 28, 46)
    assert calendar_line(progress) == "M" * 11 + "x" * 14 + "MM."
    assert progress.days[11].label == "Mon 2 Nov: missed"


def test_with_three_sessions_a_week_a_week_short_of_it_shows_its_empty_days_missed(patient, gap):
    target(patient, 3)

    progress = progress_of(patient, "4w", now=NOW)

    # The weeks of 2 and 9 November had none of their 3: all 14 days missed. This
    # week (Monday 16 to Sunday 22) has 2 done and 5 days left: it can still make 3.
    assert calendar_line(progress) == "M" * 11 + "x" * 14 + "MM."
    assert progress.days[11].label == "Mon 2 Nov: missed"
    assert (progress.sessions_7, progress.target_7, progress.tally_7.percent) == (
        2,
        3,
        67,
    )  # 2/3, to the nearest
    # 13 sessions against 12 (3 a week for 4 weeks): more than planned is still 100%.
    assert (progress.sessions_28, progress.target_28, progress.tally_28.percent) == (13, 12, 100)
    assert progress.summary()[0] == "This week, from Monday: 2 of 3 planned sessions."


def test_with_three_sessions_a_week_a_week_that_made_it_has_rest_days(patient):
    no_gentle_start(patient)
    # The week of 2 November: Monday, Wednesday, Friday. 3 of 3, so the rest are rest days.
    target(patient, 3)
    joined(patient, dt.date(2026, 11, 2))
    for day in (2, 4, 6):
        logged(patient, dt.date(2026, 11, day), before=5, after=4)

    progress = progress_of(patient, "all", now=NOW)

    # 2 to 8 Nov: M.M.M..; 9 to 15 Nov: no session at all, 0 of 3: missed;
    # 16 and 17 Nov: this week can still make its 3 (5 days left): rest; today 18 Nov.
    assert calendar_line(progress) == "M.M.M.." + "x" * 7 + "..."
    assert [(week.done, week.planned) for week in progress.weeks] == [(3, 3), (0, 3), (0, 3)]


def test_with_three_sessions_a_week_this_week_is_missed_once_it_cannot_make_it(patient):
    no_gentle_start(patient)
    # Saturday 21 November, nothing since Monday 16: two days left cannot make 3.
    target(patient, 3)
    joined(patient, dt.date(2026, 11, 16))
    saturday = dt.datetime(2026, 11, 21, 12, 0, tzinfo=dt.UTC)

    progress = progress_of(patient, "all", now=saturday)

    assert calendar_line(progress) == "xxxxx."


@pytest.mark.parametrize(
    ("session_days_ago", "current"),
    [
        ([0], 1),
        ([1], 1),  # today still to do does not break it
        ([2], 0),  # yesterday missed does
        ([0, 1, 2], 3),
        ([1, 2, 3], 3),
        ([0, 2, 3], 1),
    ],
)
def test_the_current_streak_runs_up_to_today_or_yesterday(patient, session_days_ago, current):
    joined(patient, days_ago(30))
    for days in session_days_ago:
        logged(patient, days_ago(days), before=5, after=4)

    assert progress_of(patient, "4w", now=NOW).current_streak == current


# Clocks and time zones -----------------------------------------------------------


def test_sessions_around_the_autumn_clock_change_count_on_the_patients_own_days(patient):
    # In London the clocks go back from 02:00 BST to 01:00 GMT on Sunday 25 October 2026.
    joined(patient, dt.date(2026, 10, 1))
    moments = [
        dt.datetime(2026, 10, 24, 23, 30, tzinfo=LONDON),  # BST: 22:30 UTC
        dt.datetime(2026, 10, 25, 0, 30, tzinfo=LONDON),  # BST: 23:30 UTC on the 24th
        dt.datetime(2026, 10, 25, 23, 30, tzinfo=LONDON),  # GMT: 23:30 UTC
        dt.datetime(2026, 10, 26, 0, 30, tzinfo=LONDON),  # GMT: 00:30 UTC
    ]
    sessions = [logged_through_the_app(patient, moment) for moment in moments]

    progress = progress_of(patient, "4w", now=dt.datetime(2026, 10, 27, 12, tzinfo=dt.UTC))

    assert [session.local_date.day for session in sessions] == [24, 25, 25, 26]
    assert [point.day.day for point in progress.pain] == [24, 25, 25, 26]
    assert (progress.current_streak, progress.longest_streak) == (3, 3)
    # Exactly one cell a day from 30 September to Tuesday 27 October: none twice, none lost.
    dates = [day.date for day in progress.days]
    assert len(dates) == 28
    assert (dates[0], dates[-1]) == (dt.date(2026, 9, 30), dt.date(2026, 10, 27))
    assert all((later - earlier).days == 1 for earlier, later in itertools.pairwise(dates))
    # Joined 1 October; missed until the 24th; 2 sessions on the 25th; today to do.
    assert calendar_line(progress) == "-" + "x" * 23 + "MMM."
    assert [day.sessions for day in progress.days[-4:]] == [1, 2, 1, 0]
    week_of_the_change = progress.weeks[3]
    assert week_of_the_change.monday == dt.date(2026, 10, 19)
    assert [day.date.day for day in week_of_the_change.days if day] == list(range(19, 26))
    assert [week.monday.day for week in progress.weeks] == [28, 5, 12, 19, 26]
    # The charts as drawn: 28 squares, and the pain marks a whole day apart.
    assert len({cell.day.date for cell in charts.calendar(progress.weeks).cells}) == 28
    chart = charts.pain(progress.pain, progress.start, progress.today)
    # x = 28 + 282 * (days from 30 September) / 27; y = 10 + 180 * (10 - 4) / 10.
    assert [(mark.x, mark.y) for mark in chart.after] == [
        (278.7, 118.0),  # 28 + 282 * 24 / 27
        (289.1, 118.0),
        (289.1, 118.0),
        (299.6, 118.0),  # 28 + 282 * 26 / 27
    ]


def test_the_calendar_has_one_cell_a_day_across_the_spring_clock_change(patient):
    # Clocks go forward from 01:00 GMT to 02:00 BST on Sunday 29 March 2026.
    joined(patient, dt.date(2026, 3, 1))
    logged_through_the_app(patient, dt.datetime(2026, 3, 29, 0, 30, tzinfo=LONDON))
    logged_through_the_app(patient, dt.datetime(2026, 3, 29, 23, 30, tzinfo=LONDON))

    progress = progress_of(patient, "4w", now=dt.datetime(2026, 4, 5, 12, tzinfo=dt.UTC))

    dates = [day.date for day in progress.days]
    assert (len(dates), len(set(dates))) == (28, 28)
    assert (dates[0], dates[-1]) == (dt.date(2026, 3, 9), dt.date(2026, 4, 5))
    sunday = progress.days[20]
    assert (sunday.date, sunday.sessions, sunday.level) == (dt.date(2026, 3, 29), 2, "met")


# Noon in London on Saturday 21 November is 02:00 on Sunday 22 in Kiritimati (UTC+14)
# and 02:00 on Saturday 21 in Honolulu (UTC-10).
FAR_NOW = dt.datetime(2026, 11, 21, 12, 0, tzinfo=dt.UTC)


def test_far_east_of_the_server_today_and_streaks_are_the_patients_own_days(patient):
    living_in(patient, "Pacific/Kiritimati")
    joined(patient, dt.date(2026, 11, 1))
    kiritimati = patient.tzinfo
    for moment in [
        dt.datetime(2026, 11, 20, 9, 0, tzinfo=kiritimati),  # 19:00 UTC on Thursday 19th
        dt.datetime(2026, 11, 21, 9, 0, tzinfo=kiritimati),  # 19:00 UTC on Friday 20th
        dt.datetime(2026, 11, 22, 0, 30, tzinfo=kiritimati),  # 10:30 UTC on Saturday 21st
    ]:
        logged_through_the_app(patient, moment)

    progress = progress_of(patient, "4w", now=FAR_NOW)

    assert progress.today == dt.date(2026, 11, 22)
    assert progress.days[-1].label == "Sun 22 Nov: 1 session (today)"
    assert calendar_line(progress)[-4:] == "xMMM"
    assert (progress.current_streak, progress.longest_streak) == (3, 3)
    assert progress.sessions_this_week == 3  # Monday 16 to Sunday 22, their week
    assert progress.start == dt.date(2026, 10, 26)


def test_far_west_of_the_server_today_and_streaks_are_the_patients_own_days(patient):
    living_in(patient, "Pacific/Honolulu")
    joined(patient, dt.date(2026, 11, 1))
    honolulu = patient.tzinfo
    for moment in [
        dt.datetime(2026, 11, 19, 0, 30, tzinfo=honolulu),  # 10:30 UTC on Thursday 19th
        dt.datetime(2026, 11, 20, 23, 30, tzinfo=honolulu),  # 09:30 UTC on Saturday 21st
    ]:
        logged_through_the_app(patient, moment)

    progress = progress_of(patient, "4w", now=FAR_NOW)

    assert progress.today == dt.date(2026, 11, 21)
    assert [point.day for point in progress.pain] == [dt.date(2026, 11, 19), dt.date(2026, 11, 20)]
    assert calendar_line(progress)[-4:] == "xMM."  # Saturday, their today, still to do
    assert progress.current_streak == 2
    assert progress.days[-2].label == "Fri 20 Nov: 1 session"


def test_the_page_shows_a_far_east_patient_their_own_today(patient):
    living_in(patient, "Pacific/Kiritimati")
    joined(patient, dt.date(2026, 11, 1))
    logged_through_the_app(patient, dt.datetime(2026, 11, 22, 0, 30, tzinfo=patient.tzinfo))

    with time_machine.travel(FAR_NOW, tick=False):
        page = signed_in(patient).get(reverse("tracking:progress")).content.decode()

    assert "Calendar of sessions, 26 October 2026 to 22 November 2026" in page
    assert "<title>Sun 22 Nov: 1 session (today)</title>" in page
    assert "This week, from Monday: 1 of 7 planned sessions." in page


# Pain over time -----------------------------------------------------------------


def test_each_point_carries_the_average_of_the_7_days_ending_on_its_day(patient):
    joined(patient, days_ago(20))
    for days, before, after in [(10, 8, 6), (8, 6, 4), (5, 7, 5), (3, 4, 2), (0, 3, 1)]:
        logged(patient, days_ago(days), before, after)

    progress = progress_of(patient, "4w", now=NOW)

    assert progress.pain == [
        PainPoint(days_ago(10), 8, 6, Fraction(8), Fraction(6)),
        PainPoint(days_ago(8), 6, 4, Fraction(7), Fraction(5)),  # with 10 days ago
        PainPoint(days_ago(5), 7, 5, Fraction(7), Fraction(5)),  # 10, 8, 5: 21/3, 15/3
        # 10 days ago is exactly 7 days before 3 days ago: out of its week.
        PainPoint(days_ago(3), 4, 2, Fraction(17, 3), Fraction(11, 3)),  # 8, 5, 3
        PainPoint(TODAY, 3, 1, Fraction(14, 3), Fraction(8, 3)),  # 5, 3, today
    ]


def test_the_first_points_of_a_range_average_the_days_just_before_it(patient):
    """A point's 7-day average is the same whichever range shows it."""
    joined(patient, days_ago(60))
    # Outside 4 weeks, but inside the week ending on their first day.
    logged(patient, days_ago(30), before=9, after=9)
    logged(patient, days_ago(27), before=3, after=1)  # the first day of 4 weeks

    four_weeks = progress_of(patient, "4w", now=NOW)
    twelve_weeks = progress_of(patient, "12w", now=NOW)

    expected = PainPoint(days_ago(27), 3, 1, Fraction(6), Fraction(5))  # (9+3)/2, (9+1)/2
    assert twelve_weeks.pain[-1] == expected
    assert four_weeks.pain == [expected]


def pain_history(patient: User, at_start: list[int], recently: list[int]) -> None:
    """Pain after exercising in the first days (from 20 days ago) and in the last five."""
    joined(patient, days_ago(20))
    for offset, after in enumerate(at_start):
        logged(patient, days_ago(20 - offset), before=after, after=after)
    for number, after in enumerate(recently):
        logged(patient, days_ago(number % 5), before=after, after=after, at=dt.time(7 + number))


@pytest.mark.parametrize(
    ("at_start", "recently", "change", "meaningful", "lines"),
    [
        (
            [5],
            [3],
            Fraction(-2),
            True,
            [
                "Your pain after exercising averaged 3, down from 5 when you started.",
                "That is a drop of 2 points or more: a change that really counts.",
            ],
        ),
        (
            [5],
            [3] * 9 + [4],  # 31/10
            Fraction(-19, 10),
            False,
            ["Your pain after exercising averaged 3.1, down from 5 when you started."],
        ),
        (
            [6, 4],
            [3, 4],
            Fraction(-3, 2),
            False,
            ["Your pain after exercising averaged 3.5, down from 5 when you started."],
        ),
        (
            [3],
            [5],
            Fraction(2),
            True,
            [
                "Your pain after exercising averaged 5, up from 3 when you started.",
                "That is a rise of 2 points or more: tell your physio.",
            ],
        ),
        (
            [3],
            [5] * 9 + [4],  # 49/10
            Fraction(19, 10),
            False,
            ["Your pain after exercising averaged 4.9, up from 3 when you started."],
        ),
        (
            [4],
            [4],
            Fraction(0),
            False,
            ["Your pain after exercising averaged 4, the same as when you started."],
        ),
    ],
)
def test_the_change_since_the_start_counts_from_2_points_either_way(
    patient, at_start, recently, change, meaningful, lines
):
    pain_history(patient, at_start, recently)

    progress = progress_of(patient, "4w", now=NOW)

    assert progress.pain_change == change
    assert progress.pain_change_is_meaningful is meaningful
    assert progress.summary()[1:] == lines


def test_the_physio_reads_the_change_about_their_patient(patient):
    pain_history(patient, at_start=[3], recently=[5])

    assert progress_of(patient, "4w", now=NOW).summary("Pat") == [
        "This week, from Monday: 1 of 7 planned sessions.",
        "Pat's pain after exercising averaged 5, up from 3 when they started.",
        "That is a rise of 2 points or more: worth a word with them.",
    ]


def test_the_first_week_counts_from_the_first_session_and_the_latest_from_the_last(patient):
    joined(patient, days_ago(40))
    # First week: 30 to 24 days ago. 23 days ago is past it.
    for days, after in [(30, 6), (28, 7), (24, 8), (23, 1)]:
        logged(patient, days_ago(days), before=5, after=after)
    # Latest week: 8 to 2 days ago, ending on the last session; 9 days ago is before it.
    for days, after in [(9, 9), (8, 2), (5, 3), (2, 4)]:
        logged(patient, days_ago(days), before=5, after=after)

    progress = progress_of(patient, "4w", now=NOW)

    assert progress.pain_at_start == 7  # (6+7+8)/3
    assert progress.pain_recently == 3  # (2+3+4)/3
    assert progress.summary()[1:] == [
        "Your pain after exercising averaged 3, down from 7 when you started.",
        "That is a drop of 2 points or more: a change that really counts.",
    ]


# Each exercise -------------------------------------------------------------------


def test_each_exercise_counts_done_skipped_and_too_hard_in_the_range(patient):
    joined(patient, days_ago(60))
    outcomes = [
        {"Pelvic tilt": "done", "Glute bridge": "too hard", "Dead bug": "skipped"},
        {"Pelvic tilt": "done", "Glute bridge": "done", "Dead bug": "skipped"},
        {"Pelvic tilt": "done", "Glute bridge": "done", "Dead bug": "done"},
        {"Pelvic tilt": "to do", "Glute bridge": "done", "Dead bug": "done"},
    ]
    for days, outcome in zip([10, 6, 3, 1], outcomes, strict=True):
        logged(patient, days_ago(days), 4, 3, outcomes=outcome)
    # Neither counts: a session before the 4 weeks, and one still open.
    logged(patient, days_ago(40), 4, 3, outcomes={"Pelvic tilt": "skipped", "Back curl": "done"})
    entries(
        Session.objects.create(patient=patient, started_at=NOW, local_date=TODAY, pain_before=4),
        {"Dead bug": "skipped"},
    )

    progress = progress_of(patient, "4w", now=NOW)

    assert progress.exercises == [
        ExerciseRow("Pelvic tilt", done=3, skipped=0, too_hard=0, logged=4),
        ExerciseRow("Glute bridge", done=4, skipped=0, too_hard=1, logged=4),
        ExerciseRow("Dead bug", done=2, skipped=2, too_hard=0, logged=4),
    ]
    assert [row.is_a_problem for row in progress.exercises] == [False, False, True]
    everything = progress_of(patient, "all", now=NOW).exercises
    assert everything[0] == ExerciseRow("Pelvic tilt", 3, 1, 0, 5)


@pytest.mark.parametrize(
    ("skipped", "too_hard", "logged_", "problem"),
    [
        (1, 0, 3, True),  # a third
        (0, 1, 3, True),
        (1, 0, 4, False),  # a quarter
        (1, 1, 6, True),
        (1, 1, 7, False),
        (0, 0, 0, False),
    ],
)
def test_an_exercise_is_a_problem_when_a_third_of_its_goes_are_skipped_or_too_hard(
    skipped, too_hard, logged_, problem
):
    row = ExerciseRow("Dead bug", logged_ - skipped, skipped, too_hard, logged_)

    assert row.is_a_problem is problem


# Ranges ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "first_day", "cells"),
    [
        ("4w", dt.date(2026, 10, 22), 28),
        ("12w", dt.date(2026, 8, 27), 84),
        ("all", dt.date(2026, 5, 12), 191),  # joined 190 days ago
    ],
)
def test_each_range_ends_today_and_all_time_starts_with_the_programme(
    patient, key, first_day, cells
):
    joined(patient, days_ago(190))
    logged(patient, days_ago(100), 5, 4)
    logged(patient, days_ago(50), 5, 4)
    logged(patient, days_ago(20), 5, 4)

    progress = progress_of(patient, key, now=NOW)

    assert (progress.start, progress.days[0].date) == (first_day, first_day)
    assert (len(progress.days), progress.days[-1].date) == (cells, TODAY)
    assert len(progress.pain) == {"4w": 1, "12w": 2, "all": 3}[key]


def test_all_time_starts_with_a_first_session_older_than_the_account(patient):
    joined(patient, days_ago(10))
    logged(patient, days_ago(20), 5, 4)  # e.g. logged on paper, typed in later

    progress = progress_of(patient, "all", now=NOW)

    assert (progress.since, progress.start, len(progress.days)) == (days_ago(20), days_ago(20), 21)
    assert calendar_line(progress) == "M" + "x" * 19 + "."


@pytest.mark.parametrize(
    ("value", "key"), [("4w", "4w"), ("12w", "12w"), ("all", "all"), ("1y", "4w"), (None, "4w")]
)
def test_an_unknown_range_falls_back_to_4_weeks(value, key):
    assert range_key(value) == key


# Sessions against the plan, in words --------------------------------------------


@pytest.mark.parametrize(
    ("done", "planned", "words", "percent"),
    [
        (6, 7, "6 of 7 planned (86%)", 86),  # 85.7: to the nearest, not down
        (1, 8, "1 of 8 planned (13%)", 13),  # 12.5: half up
        (3, 8, "3 of 8 planned (38%)", 38),  # 37.5
        (0, 7, "0 of 7 planned (0%)", 0),
        (7, 7, "7 of 7 planned (100%)", 100),
        (8, 7, "8 sessions, 7 planned (100%)", 100),  # beyond the plan, said as such
        (29, 28, "29 sessions, 28 planned (100%)", 100),
        (2, 0, "2 sessions, none planned yet", 0),
    ],
)
def test_sessions_against_the_plan_read_plainly_and_round_to_the_nearest(
    done, planned, words, percent
):
    tally = Tally(done, planned)

    assert str(tally) == words
    assert tally.percent == percent


@pytest.mark.parametrize(
    ("done", "planned", "mark"), [(0, 3, "0/3"), (5, 7, "5/7"), (7, 7, "7/7"), (9, 7, "7/7 +2")]
)
def test_a_chart_marks_a_week_against_its_plan_never_over_its_own_total(done, planned, mark):
    assert Tally(done, planned).mark == mark


def test_a_week_beyond_its_plan_says_so_and_names_its_window(patient):
    no_gentle_start(patient)
    joined(patient, days_ago(20))
    for day in (days_ago(2), days_ago(1), TODAY):  # Monday to today, Wednesday
        for hour in (8, 13, 19):
            logged(patient, day, before=4, after=3, at=dt.time(hour))

    page = get_at_now(patient, reverse("tracking:progress"))

    assert "<p>This week, from Monday: 9 sessions, 7 planned.</p>" in page
    assert "<dt>Last 7 days, today included</dt><dd>9 sessions, 7 planned (100%)</dd>" in page
    assert "<td>9 (7 planned)</td>" in page  # this calendar week, in the table of days
    assert ">7/7 +2</text>" in page  # and at the end of its row in the chart
    assert "9 of 7" not in page
    assert "9/7" not in page


def test_the_physio_sees_sessions_beyond_the_plan_as_such(patient, physio, assigned):
    no_gentle_start(patient)
    joined(patient, days_ago(40))
    for n in range(28):
        logged(patient, days_ago(n), before=4, after=3)
    logged(patient, TODAY, before=4, after=3, at=dt.time(19))

    with time_machine.travel(NOW, tick=False):
        client = signed_in(physio, verified=True)
        caseload = client.get(reverse("tracking:caseload")).content.decode()
        page = client.get(reverse("tracking:patient", args=[patient.pk])).content.decode()

    for html in (caseload, page):
        assert "<dt>Last 7 days, today included</dt><dd>8 sessions, 7 planned (100%)</dd>" in html
        assert (
            "<dt>Last 28 days, today included</dt><dd>29 sessions, 28 planned (100%)</dd>" in html
        )
        assert "29 of 28" not in html


# The page ---------------------------------------------------------------------------


@pytest.fixture
def history(patient) -> None:
    """Joined 20 days ago: pain after 5 in the first days, 3 lately, today included."""
    no_gentle_start(patient)
    joined(patient, days_ago(20))
    logged(patient, days_ago(20), before=6, after=5)
    logged(patient, days_ago(19), before=6, after=5)
    logged(patient, days_ago(1), before=4, after=3)
    logged(patient, TODAY, before=6, after=3, at=dt.time(8))
    logged(patient, TODAY, before=4, after=3, at=dt.time(19))


def get_at_now(user: User, url: str, **kwargs) -> str:
    with time_machine.travel(NOW, tick=False):  # signed in inside: sign-ins time out
        response = signed_in(user).get(url, **kwargs)
    assert response.status_code == 200
    return response.content.decode()


def test_the_patients_progress_page_is_in_the_navigation_and_marked_current(patient, history):
    page = get_at_now(patient, reverse("tracking:progress"))

    assert '<a href="/progress/" aria-current="page">Progress</a>' in page
    assert "<h1>Your progress</h1>" in page
    assert "<p>This week, from Monday: 3 of 7 planned sessions.</p>" in page
    assert (
        "<p>Your pain after exercising averaged 3, down from 5 when you started.</p>"
        "<p>That is a drop of 2 points or more: a change that really counts.</p>"
    ) in page
    assert "<dt>Streak now</dt><dd>2 days</dd>" in page
    assert "<dt>Longest streak</dt><dd>2 days</dd>" in page
    # 3 of 7 in the last week; 5 of 21 since joining 20 days ago.
    assert "<dt>Last 7 days, today included</dt><dd>3 of 7 planned (43%)</dd>" in page
    assert "<dt>Last 28 days, today included</dt><dd>5 of 21 planned (24%)</dd>" in page


def test_each_range_is_a_plain_link_that_htmx_turns_into_a_swap(patient, history):
    page = get_at_now(patient, reverse("tracking:progress") + "?range=12w")

    for key, label in [("4w", "4 weeks"), ("12w", "12 weeks"), ("all", "All time")]:
        current = ' aria-current="true"' if key == "12w" else ""
        assert (
            f'<a href="/progress/?range={key}#progress" data-hx-get="/progress/?range={key}"'
            f' data-hx-target="#progress" data-hx-swap="outerHTML"'
            f' data-hx-push-url="/progress/?range={key}#progress"{current}>{label}</a>'
        ) in page
    assert "Sessions, day by day: 12 weeks" in page
    assert page.count('width="34" height="34"') == 84


def test_an_unknown_range_in_the_address_shows_4_weeks(patient, history):
    page = get_at_now(patient, reverse("tracking:progress") + "?range=forever")

    assert "Sessions, day by day: 4 weeks" in page
    assert page.count('width="34" height="34"') == 28


def test_with_htmx_the_range_switch_returns_only_the_progress_section(
    patient, history, htmx_headers
):
    with time_machine.travel(NOW, tick=False):
        client = signed_in(patient)
        url = reverse("tracking:progress") + "?range=all"
        full = client.get(url)
        fragment = client.get(url, headers=htmx_headers)

    html = fragment.content.decode()
    assert "<html" in full.content.decode()
    assert "<html" not in html
    assert html.strip().startswith('<div id="progress" class="progress-report">')
    assert "autofocus" in html  # focus lands on the summary after a swap
    assert "Sessions, day by day: all time" in html
    assert html.count('width="34" height="34"') == 21  # joined 20 days ago
    assert fragment.headers["Vary"] == "HX-Request, Cookie"


def test_the_charts_are_titled_described_and_repeated_as_tables(patient, history):
    page = get_at_now(patient, reverse("tracking:progress"))

    assert page.count('role="img"') == 2
    assert (
        '<title id="calendar-svg-title">Calendar of sessions, 22 October 2026 to'
        " 18 November 2026</title>"
    ) in page
    assert '<desc id="calendar-svg-desc">One square a day' in page
    assert (
        '<title id="pain-svg-title">Pain from 0 to 10, before and after each session,'
        " 22 October 2026 to 18 November 2026</title>"
    ) in page
    assert '<desc id="pain-svg-desc">Circles: pain before.' in page
    # The calendar's table: this week, Monday 16 to today, Thursday onwards blank.
    assert re.search(
        r'<th scope="row">16 Nov</th>\s*<td>missed</td><td>1</td><td>2 \(today\)</td>'
        r"<td></td><td></td><td></td><td></td>\s*<td>3 of 7</td>\s*</tr>",
        page,
    )
    # The pain table has each session, with its 7-day averages.
    rows = re.findall(
        r'<tr><th scope="row">(\w+ \d+ \w+ \d+)</th>((?:<td>[\d.]*</td>)+)</tr>', page
    )
    assert [(day, re.findall(r"<td>([\d.]*)</td>", cells)) for day, cells in rows] == [
        ("Thu 29 Oct 2026", ["6", "5", "6", "5"]),
        ("Fri 30 Oct 2026", ["6", "5", "6", "5"]),
        ("Tue 17 Nov 2026", ["4", "3", "4", "3"]),
        ("Wed 18 Nov 2026", ["6", "3", "5", "3"]),
        ("Wed 18 Nov 2026", ["4", "3", "4.7", "3"]),  # (4+6+4)/3
    ]
    # Each mark of the chart names its score too.
    assert "<title>18 Nov: pain before 6</title>" in page
    assert "<title>18 Nov: pain after 3</title>" in page
    assert page.count('r="3.5" class="mark mark--before"') == 5
    # Two sessions today: the day's square says so.
    assert 'class="cal-count">2</text>' in page


def test_with_one_session_the_page_makes_no_comparison_with_a_first_week(patient):
    joined(patient, TODAY)
    logged(patient, TODAY, before=6, after=4)

    page = get_at_now(patient, reverse("tracking:progress"))

    assert "<p>Your pain after exercising averaged 4.</p>" in page
    assert "in the first week" not in page  # one session is no "first week" against a "latest"


def test_the_exercise_table_marks_the_exercises_often_skipped(patient):
    joined(patient, days_ago(10))
    logged(patient, days_ago(1), 5, 4, outcomes={"Dead bug": "skipped", "Pelvic tilt": "done"})
    logged(patient, TODAY, 5, 4, outcomes={"Dead bug": "too hard", "Pelvic tilt": "done"})

    page = get_at_now(patient, reverse("tracking:progress"))

    assert ('<tr><th scope="row">Pelvic tilt</th><td>2 of 2</td><td>0</td><td>0</td></tr>') in page
    assert (
        '<tr class="row--problem"><th scope="row">Dead bug <span class="trend trend--worse">'
        "Often skipped or too hard</span></th><td>1 of 2</td><td>1</td><td>1</td></tr>"
    ) in page


def test_a_patient_with_no_sessions_sees_what_to_expect(patient):
    page = get_at_now(patient, reverse("tracking:progress"))

    assert "No sessions yet. After your first one, your progress shows here." in page
    assert "No finished sessions in this time yet." in page
    assert "Nothing logged in this time yet." in page
    assert page.count('role="img"') == 1  # the calendar; no empty pain chart


# The physio's side ------------------------------------------------------------------


def test_the_physio_sees_the_same_section_on_the_patients_page(physio, patient, assigned, history):
    page = get_at_now(physio, reverse("tracking:patient", args=[patient.pk]))

    assert '<div id="progress" class="progress-report">' in page
    assert (
        "<p>Pat&#x27;s pain after exercising averaged 3, down from 5 when they started.</p>"
    ) in page
    # The 7- and 28-day figures appear once, in the facts every patient page shows.
    assert page.count("<dt>Last 7 days, today included</dt>") == 1
    assert "<dt>Streak now</dt>" in page
    patient_page = f"/patients/{patient.pk}/"
    assert (
        f'<a href="{patient_page}?range=12w#progress"'
        f' data-hx-get="{patient_page}progress/?range=12w"'
    ) in page


def test_a_range_on_the_patients_page_without_javascript_shows_that_range(
    physio, patient, assigned, history
):
    page = get_at_now(physio, reverse("tracking:patient", args=[patient.pk]) + "?range=all")

    assert "Sessions, day by day: all time" in page
    assert page.count('width="34" height="34"') == 21


@pytest.mark.parametrize(
    ("who", "status"),
    [("physio", 200), ("other_physio", 404), ("patient", 403), (None, 200)],
)
def test_only_the_patients_own_physio_gets_their_progress_fragment(
    request, patient, physio, other_physio, assigned, history, who, status, htmx_headers
):
    user = request.getfixturevalue(who) if who else None
    url = reverse("tracking:patient-progress", args=[patient.pk]) + "?range=12w"

    with time_machine.travel(NOW, tick=False):
        response = signed_in(user).get(url, headers=htmx_headers)

    assert response.status_code == status
    if user is None:  # htmx is sent to sign in, and shown nothing
        assert response.headers["HX-Redirect"].startswith(reverse("login"))
        assert response.content == b""
        return
    html = response.content.decode()
    assert ("Sessions, day by day: 12 weeks" in html) is (status == 200)
    if status == 200:
        assert "<html" not in html
        assert html.strip().startswith('<div id="progress" class="progress-report">')


def test_opened_as_a_page_the_physios_fragment_leads_to_the_patients_page_at_that_range(
    physio, patient, assigned, history
):
    url = reverse("tracking:patient-progress", args=[patient.pk]) + "?range=12w"

    with time_machine.travel(NOW, tick=False):
        response = signed_in(physio).get(url, follow=True)

    page = reverse("tracking:patient", args=[patient.pk])
    assert response.redirect_chain == [(f"{page}?range=12w#progress", 302)]
    html = response.content.decode()
    assert "<html" in html
    assert "Sessions, day by day: 12 weeks" in html


def test_the_physios_fragment_is_recorded_once_as_viewing_the_patient(
    physio, patient, assigned, history, htmx_headers
):
    with time_machine.travel(NOW, tick=False):
        client = signed_in(physio)
        before = AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first() or 0
        response = client.get(
            reverse("tracking:patient-progress", args=[patient.pk]), headers=htmx_headers
        )

    assert response.status_code == 200

    recorded = AuditEvent.objects.filter(seq__gt=before)
    assert [(e.action, e.outcome, e.actor, e.patient) for e in recorded] == [
        (Action.VIEW_PATIENT, Outcome.SUCCESS, physio, patient)
    ]


# Queries -----------------------------------------------------------------------------


def daily_sessions(patient: User, days: range) -> None:
    """A session a day, `days` being how many days ago, with three exercises each, in bulk."""
    exercises = list(Exercise.objects.filter(name__in=["Pelvic tilt", "Glute bridge", "Dead bug"]))
    versions = current_versions(exercise.pk for exercise in exercises)
    sessions = Session.objects.bulk_create(
        Session(
            patient=patient,
            started_at=dt.datetime.combine(days_ago(n), dt.time(9), tzinfo=patient.tzinfo),
            finished_at=dt.datetime.combine(days_ago(n), dt.time(9, 20), tzinfo=patient.tzinfo),
            local_date=days_ago(n),
            pain_before=5,
            pain_after=4 if n % 3 else 6,
        )
        for n in days
    )
    SessionEntry.objects.bulk_create(
        SessionEntry(
            session=session,
            exercise=exercise,
            exercise_version_id=versions[exercise.pk],
            order=exercise.order,
            **exercise.dose_values(),
            # Some days most exercises skipped; always one done, so every session counts.
            **OUTCOMES[
                "skipped" if session.local_date.day % 4 == 0 and exercise.order > 1 else "done"
            ],
        )
        for session in sessions
        for exercise in exercises
    )


def test_the_page_makes_the_same_queries_for_a_week_of_history_as_for_two_years(patient):
    joined(patient, days_ago(730))
    Programme.for_patient(patient)
    with time_machine.travel(NOW, tick=False):
        client = signed_in(patient)
        daily_sessions(patient, range(7))
        visits = {
            key: (lambda key=key: client.get(reverse("tracking:progress") + f"?range={key}"))
            for key in ("all", "4w")
        }
        few = {key: sql_of(visit) for key, visit in visits.items()}
        daily_sessions(patient, range(7, 730))
        many = {key: sql_of(visit) for key, visit in visits.items()}
        response = visits["all"]()

    assert response.context["over_time"].total_sessions == 730
    assert len(response.context["over_time"].days) == 731
    for key in ("all", "4w"):
        assert same_queries(few[key], many[key])
        # The sign-in (the session, the user, the user's groups for the role check),
        # then the programme's target, the finished sessions day by day (all time:
        # streaks and the start), the finished sessions in the range (the pain
        # chart), and each exercise's done, skipped and too-hard counts.
        assert len(many[key]) == 7, key


# Demo data ---------------------------------------------------------------------------


def test_the_demo_patient_alice_has_a_calendar_a_streak_a_pain_chart_and_a_summary(db, settings):
    settings.DEBUG = True
    call_command("demo_data", stdout=io.StringIO())
    alice = User.objects.get(username="alice")

    response = signed_in(alice).get(reverse("tracking:progress"))

    assert response.status_code == 200
    progress = response.context["over_time"]
    page = response.content.decode()
    assert page.count('width="34" height="34"') == 28
    assert progress.longest_streak >= 1
    assert f"<dt>Longest streak</dt><dd>{progress.longest_streak} day" in page
    assert 'id="pain-svg-title"' in page
    in_range = Session.objects.filter(
        patient=alice, finished_at__isnull=False, local_date__gte=progress.start
    ).count()
    assert page.count('r="3.5" class="mark mark--before"') == in_range > 0
    # Alice improved from about 6.5 to about 2 over six weeks.
    assert progress.summary()[0].startswith("This week, from Monday: ")
    assert "down from" in progress.summary()[1]
    assert "a change that really counts" in page


@pytest.mark.parametrize(("span", "compared"), [(12, False), (13, True)])
def test_the_first_week_and_the_latest_are_compared_only_once_they_share_no_day(
    patient, span, compared
):
    # First week: day 0 only (after 6); latest: the 7 days ending on day `span` (after 2).
    # 12 days apart, the latest week (days 6 to 12) still holds day 6 of the first.
    joined(patient, days_ago(span))
    logged(patient, days_ago(span), before=7, after=6)
    logged(patient, TODAY, before=3, after=2)

    progress = progress_of(patient, "all", now=NOW)

    assert (progress.pain_change == -4) is compared
    assert (progress.pain_change is None) is not compared
    assert any("down from 6" in line for line in progress.summary()) is compared


# Found in review ---------------------------------------------------------------------


def test_the_average_lines_break_across_a_week_without_sessions(patient, gap):
    progress = progress_of(patient, "4w", now=NOW)

    chart = charts.pain(progress.pain, progress.start, progress.today)

    # 22 October to 1 November, then 16 and 17 November: 16 days apart, two lines each.
    assert len(chart.average_before) == 2
    assert len(chart.average_after) == 2
    assert chart.average_after[1].count(",") == 2  # the two points of 16 and 17 November


def test_a_one_day_range_draws_its_one_point_and_date_in_the_middle(patient):
    joined(patient, TODAY)
    logged(patient, TODAY, before=6, after=4)
    progress = progress_of(patient, "all", now=NOW)

    chart = charts.pain(progress.pain, progress.start, progress.today)

    middle = 28 + (320 - 28 - 10) / 2  # the plot's left edge plus half its width
    assert chart.ticks == [(middle, "18 Nov", "middle")]
    assert [mark.x for mark in chart.after] == [middle]


def test_the_rolling_window_follows_the_days_not_the_clock_after_a_move_west(patient):
    # Logged in Kiritimati on the 10th at 09:00 local (the 9th, 19:00 UTC), then in
    # Honolulu on the 9th at 22:00 local (the 10th, 08:00 UTC): a later start, an earlier day.
    joined(patient, dt.date(2026, 11, 1))
    first = logged(patient, dt.date(2026, 11, 10), before=2, after=2)
    later = logged(patient, dt.date(2026, 11, 9), before=8, after=8)
    Session.objects.filter(pk=first.pk).update(
        started_at=dt.datetime(2026, 11, 9, 19, tzinfo=dt.UTC),
        finished_at=dt.datetime(2026, 11, 9, 19, 20, tzinfo=dt.UTC),
    )
    Session.objects.filter(pk=later.pk).update(
        started_at=dt.datetime(2026, 11, 10, 8, tzinfo=dt.UTC),
        finished_at=dt.datetime(2026, 11, 10, 8, 20, tzinfo=dt.UTC),
    )

    progress = progress_of(patient, "4w", now=NOW)

    assert [point.day.day for point in progress.pain] == [9, 10]
    assert [point.average_after for point in progress.pain] == [8, 5]  # 8, then (8 + 2) / 2


def test_going_back_to_a_range_does_not_steal_the_focus(patient, history, htmx_headers):
    with time_machine.travel(NOW, tick=False):
        client = signed_in(patient)
        swapped = client.get(reverse("tracking:progress") + "?range=12w", headers=htmx_headers)
        restored = client.get(
            reverse("tracking:progress") + "?range=12w",
            headers={**htmx_headers, "HX-History-Restore-Request": "true"},
        )

    assert 'class="summary" tabindex="-1" autofocus' in swapped.content.decode()
    assert "autofocus" not in restored.content.decode()


def test_the_legend_draws_its_keys_as_the_charts_do_so_they_print(patient, history):
    page = get_at_now(patient, reverse("tracking:progress"))

    legend = page[page.index('<ul class="legend">') :]
    assert '<g class="cal cal--missed"><rect' in legend
    assert 'class="mark mark--before"' in legend
    assert "swatch--met" not in page  # no colour left to a CSS background
