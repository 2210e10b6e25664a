"""The gentle start: at most 2 sessions in a programme's first week, 4 in its second,
then the target; on the patient's Today page and in the physio's figures."""

import datetime as dt
import zoneinfo

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from accounts.models import Assignment, Role, User
from tests.conftest import finished_session, programme_post, signed_in
from tracking.models import Programme
from tracking.review import Plan, progress_for

START = dt.date(2026, 3, 2)  # a Monday
JOINED = dt.datetime(2026, 3, 2, 9, 0, tzinfo=zoneinfo.ZoneInfo("Europe/London"))


def day(offset: int) -> dt.date:
    return START + dt.timedelta(days=offset)


# The plan, day by day -----------------------------------------------------------


@pytest.mark.parametrize(
    ("target", "gentle", "first_16_days"),
    [
        (7, True, [2] * 7 + [4] * 7 + [7] * 2),
        (3, True, [2] * 7 + [3] * 9),  # never more than the target itself
        (7, False, [7] * 16),
    ],
)
def test_the_weekly_aim_builds_up_over_two_weeks(target, gentle, first_16_days):
    plan = Plan(target, START, gentle)

    assert [plan.per_week_on(day(n)) for n in range(16)] == first_16_days


@pytest.mark.parametrize(
    ("target", "gentle", "first", "last", "planned"),
    [
        (7, True, 0, 6, 2),  # the first week
        (7, True, 7, 13, 4),  # the second week
        (7, True, 0, 27, 20),  # 2 + 4 + 7 + 7
        (7, True, 0, 3, 2),  # 4 days of 2/7: 8/7, rounded up
        (7, True, 5, 8, 2),  # 2 days of 2/7 and 2 of 4/7: 12/7
        (7, True, -10, 6, 2),  # days before the start ask for nothing
        (3, True, 0, 13, 5),  # 2, then 3
        (7, False, 0, 2, 3),
    ],
)
def test_sessions_planned_between_two_days(target, gentle, first, last, planned):
    assert Plan(target, START, gentle).planned(day(first), day(last)) == planned


@pytest.mark.parametrize(
    ("days", "today", "planned"),
    [
        (7, 0, 1),  # one day in: 2/7, rounded up
        (7, 9, 3),  # days 3-6 at 2/7 and 7-9 at 4/7: 20/7
        (7, 20, 7),
        (28, 13, 6),  # only the two weeks since the start
        (28, 40, 28),  # day 13 at 4/7 and 27 whole days
    ],
)
def test_sessions_planned_in_the_days_up_to_today(days, today, planned):
    assert Plan(7, START, gentle_start=True).planned_recently(days, day(today)) == planned


def test_the_whole_target_applies_from_the_third_week():
    plan = Plan(7, START, gentle_start=True)

    assert plan.full_from == day(14)
    assert plan.starting_week(day(8)) == (2, day(7), day(13))
    assert [plan.is_starting_gently(day(n)) for n in (0, 13, 14)] == [True, True, False]


# The patient's Today page --------------------------------------------------------


@pytest.fixture
def newcomer(make_user) -> User:
    """A patient who joined on Monday 2 March."""
    with time_machine.travel(JOINED, tick=False):
        return make_user("gina", Role.PATIENT, first_name="Gina", last_name="Hall")


def today_page(patient: User, days_in: int) -> str:
    with time_machine.travel(JOINED + dt.timedelta(days=days_in), tick=False):
        return signed_in(patient).get(reverse("tracking:today")).content.decode()


@pytest.mark.parametrize(
    ("days_in", "says"),
    [
        (
            0,
            [
                "This is week 1 of your programme: aim for 2 sessions by Sunday 8 March.",
                "Then 4 the week after, and from Monday 16 March, every day.",
            ],
        ),
        (7, ["This is week 2 of your programme: aim for 4 sessions by Sunday 15 March."]),
        (13, ["This is week 2 of your programme: aim for 4 sessions by Sunday 15 March."]),
        (14, None),
    ],
)
def test_today_shows_the_gentle_start_in_the_first_two_weeks_only(newcomer, days_in, says):
    html = today_page(newcomer, days_in)

    assert ("Starting gently" in html) is (says is not None)
    for words in says or []:
        assert words in html


def test_today_counts_this_weeks_sessions_towards_its_aim(newcomer):
    with time_machine.travel(JOINED + dt.timedelta(days=8), tick=False):
        for days_ago in (7, 6, 1):  # two in the first week, one in the second
            finished_session(newcomer, days_ago, pain_before=3, pain_after=2)
        finished_session(newcomer, 0, pain_before=3, pain_after=3, nothing_done=True)
        html = signed_in(newcomer).get(reverse("tracking:today")).content.decode()

    assert "aim for 4 sessions by Sunday 15 March. So far: 1." in html


def test_a_physio_can_switch_the_gentle_start_off(newcomer, physio):
    Assignment.objects.create(patient=newcomer, physio=physio)
    with time_machine.travel(JOINED + dt.timedelta(hours=1), tick=False):
        programme = Programme.for_patient(newcomer)
        signed_in(physio).post(
            reverse("tracking:programme-edit", args=[newcomer.pk]),
            programme_post(programme, gentle_start=False),  # the box left unticked
        )
    programme.refresh_from_db()

    assert not programme.gentle_start
    assert programme.versions.get(number=2).changes == [
        "Gentle start for the first two weeks: off, the target applies from now"
    ]
    assert "Starting gently" not in today_page(newcomer, 0)


# The physio's figures ---------------------------------------------------------------


def progress_of(patient: User, physio: User):
    [progress] = progress_for(User.objects.patients_of(physio).filter(pk=patient.pk))
    return progress


def joined(patient: User, days_ago: int) -> None:
    User.objects.filter(pk=patient.pk).update(
        date_joined=timezone.now() - dt.timedelta(days=days_ago)
    )


@time_machine.travel(dt.datetime(2026, 6, 10, 12, 0, tzinfo=dt.UTC), tick=False)
@pytest.mark.parametrize(
    ("joined_days_ago", "target_7", "target_28"),
    [(0, 1, 1), (6, 2, 2), (10, 4, 5), (20, 7, 13), (40, 7, 28)],
)
def test_a_new_patients_adherence_is_measured_against_the_gentle_start(
    patient, physio, assigned, joined_days_ago, target_7, target_28
):
    joined(patient, joined_days_ago)

    progress = progress_of(patient, physio)

    assert (progress.target_7, progress.target_28) == (target_7, target_28)


@time_machine.travel(dt.datetime(2026, 6, 10, 12, 0, tzinfo=dt.UTC), tick=False)
@pytest.mark.parametrize(("gentle", "adherence_7"), [(True, 50), (False, 14)])
def test_one_session_in_the_first_week_is_half_the_gentle_aim(
    patient, physio, assigned, gentle, adherence_7
):
    joined(patient, 6)
    Programme.objects.filter(pk=Programme.for_patient(patient).pk).update(gentle_start=gentle)
    finished_session(patient, 1, pain_before=3, pain_after=3)

    assert progress_of(patient, physio).tally_7.percent == adherence_7
