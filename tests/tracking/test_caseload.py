"""The physio's caseload: figures, alerts at their thresholds, sorting, and query count."""

import datetime as dt

import pytest
import time_machine
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone

from accounts.models import Assignment, Role, User
from exercises.models import Exercise
from tests.conftest import (
    finished_session,
    one_exercise_done,
    same_queries,
    signed_in,
    sql_of,
)
from tracking.models import (
    AlertAcknowledgement,
    AlertKind,
    Programme,
    ProgrammeExercise,
    Session,
)
from tracking.review import progress_for


def progress_of(patient: User, physio: User):
    [progress] = progress_for(User.objects.patients_of(physio).filter(pk=patient.pk))
    return progress


def kinds(progress) -> list[str]:
    return [alert.kind for alert in progress.alerts]


# Figures --------------------------------------------------------------------


def full_target_from_the_start(patient: User) -> None:
    """The physio turned the gentle start off: the target applies from the first day."""
    Programme.objects.filter(pk=Programme.for_patient(patient).pk).update(gentle_start=False)


def test_figures_count_finished_sessions_in_the_last_7_and_28_days(patient, physio, assigned):
    full_target_from_the_start(patient)
    for days_ago in (0, 1, 6, 7, 27, 28):
        finished_session(patient, days_ago, pain_before=4, pain_after=3)
    Session.start(patient, pain_before=4)  # in progress: not counted

    progress = progress_of(patient, physio)

    assert progress.last_session == timezone.localdate()
    assert progress.days_since_last == 0
    assert progress.sessions_7 == 3  # today, yesterday, 6 days ago
    assert progress.sessions_28 == 5  # all but 28 days ago
    assert progress.tally_7.percent == 43  # 3 of 7, to the nearest
    assert progress.tally_28.percent == 18  # 5 of 28 is 17.9


def joined(patient: User, days_ago: int) -> None:
    User.objects.filter(pk=patient.pk).update(
        date_joined=timezone.now() - dt.timedelta(days=days_ago)
    )


def test_adherence_uses_the_programmes_target_and_stops_at_100(patient, physio, assigned):
    joined(patient, 60)
    Programme.objects.filter(pk=Programme.for_patient(patient).pk).update(target_per_week=2)
    for days_ago in (0, 0, 1):
        finished_session(patient, days_ago, pain_before=4, pain_after=3)

    progress = progress_of(patient, physio)

    assert progress.target_per_week == 2
    assert progress.tally_7.percent == 100  # 3 of 2
    assert progress.tally_28.percent == 38  # 3 of 8 is 37.5, rounded half up


@pytest.mark.parametrize(
    ("joined_days_ago", "target_7", "target_28"),
    [(0, 1, 1), (2, 3, 3), (6, 7, 7), (7, 7, 8), (27, 7, 28), (40, 7, 28)],
)
def test_a_new_patient_is_measured_against_the_days_since_they_started(
    patient, physio, assigned, joined_days_ago, target_7, target_28
):
    full_target_from_the_start(patient)
    joined(patient, joined_days_ago)
    finished_session(patient, 0, pain_before=4, pain_after=3)

    progress = progress_of(patient, physio)

    assert (progress.target_7, progress.target_28) == (target_7, target_28)
    assert progress.tally_7.percent == 100 // target_7


@pytest.mark.parametrize(
    ("joined_days_ago", "target_7", "target_28"),
    [
        (0, 1, 1),  # 2 a week: 2/7 of a session today, rounded up
        (2, 1, 1),  # 3 days at 2 a week: 6/7
        (6, 2, 2),  # the whole first week
        (7, 3, 3),  # 6 days at 2 a week and 1 at 4 a week: 16/7; 7 + 1 days: 18/7
        (27, 7, 20),  # the last 7 days are daily; since joining: 2 + 4 + 14
        (40, 7, 28),  # long past the gentle start
    ],
)
def test_a_new_patients_gentle_start_asks_for_fewer_sessions_in_the_first_two_weeks(
    patient, physio, assigned, joined_days_ago, target_7, target_28
):
    joined(patient, joined_days_ago)
    finished_session(patient, 0, pain_before=4, pain_after=3)

    progress = progress_of(patient, physio)

    assert (progress.target_7, progress.target_28) == (target_7, target_28)


def test_a_patient_with_no_sessions_has_empty_figures(patient, physio, assigned):
    progress = progress_of(patient, physio)

    assert progress.last_session is None
    assert (progress.sessions_7, progress.sessions_28, progress.tally_7.percent) == (0, 0, 0)
    assert progress.pain_7 is None
    assert progress.trend == ""


# Alerts at their thresholds -------------------------------------------------


@pytest.mark.parametrize(("days_ago", "alerted"), [(2, False), (3, True), (4, True)])
def test_no_session_for_3_days_raises_an_alert(patient, physio, assigned, days_ago, alerted):
    finished_session(patient, days_ago, pain_before=3, pain_after=3)

    progress = progress_of(patient, physio)

    assert (AlertKind.INACTIVE in kinds(progress)) is alerted
    if alerted:
        assert progress.alerts[0].summary.startswith(f"No session for {days_ago} days")


@pytest.mark.parametrize(("days_ago", "alerted"), [(4, False), (5, True), (6, True)])
def test_the_inactivity_threshold_is_a_programme_setting(
    patient, physio, assigned, days_ago, alerted
):
    Programme.objects.filter(pk=Programme.for_patient(patient).pk).update(inactivity_days=5)
    finished_session(patient, days_ago, pain_before=3, pain_after=3)

    assert (AlertKind.INACTIVE in kinds(progress_of(patient, physio))) is alerted


@pytest.mark.parametrize(("joined_days_ago", "alerted"), [(2, False), (3, True), (4, True)])
def test_a_patient_who_never_started_is_alerted_after_the_threshold(
    patient, physio, assigned, joined_days_ago, alerted
):
    joined(patient, joined_days_ago)

    progress = progress_of(patient, physio)

    assert (AlertKind.INACTIVE in kinds(progress)) is alerted


@pytest.mark.parametrize(("rise", "alerted"), [(1, False), (2, True), (3, True)])
def test_pain_rising_by_2_in_a_session_raises_an_alert(patient, physio, assigned, rise, alerted):
    session = finished_session(patient, 1, pain_before=4, pain_after=4 + rise)

    progress = progress_of(patient, physio)

    assert (AlertKind.PAIN_ROSE in kinds(progress)) is alerted
    if alerted:
        [alert] = progress.alerts
        assert alert.session_id == session.pk
        assert alert.summary.startswith(f"Pain rose from 4 to {4 + rise} during the session")


def test_a_session_alert_stays_until_seen_however_old(patient, physio, assigned):
    old = finished_session(patient, 90, pain_before=2, pain_after=6, flagged=True)
    finished_session(patient, 0, pain_before=2, pain_after=2)

    alerts = progress_of(patient, physio).alerts

    assert [(alert.kind, alert.session_id) for alert in alerts] == [
        (AlertKind.FLAGGED, old.pk),
        (AlertKind.PAIN_ROSE, old.pk),
    ]


def _weeks(patient, previous: list[int], this: list[int]) -> None:
    for offset, pain in enumerate(previous):
        finished_session(patient, 7 + offset, pain_before=pain, pain_after=pain)
    for offset, pain in enumerate(this):
        finished_session(patient, offset, pain_before=pain, pain_after=pain)


@pytest.mark.parametrize(
    ("this_week", "trend", "alerted"),
    [
        ([4, 5, 5], "steady", False),  # 4.67 against 3: up 1.67
        ([5, 5, 4], "steady", False),
        ([5, 5, 5], "worse", True),  # up exactly 2
        ([6, 6, 6], "worse", True),  # up 3
        ([1, 1, 1], "better", False),  # down 2: better, no alert
    ],
)
def test_pain_trending_worse_by_2_raises_an_alert(
    patient, physio, assigned, this_week, trend, alerted
):
    _weeks(patient, previous=[3, 3, 3], this=this_week)

    progress = progress_of(patient, physio)

    assert progress.trend == trend
    assert (AlertKind.PAIN_WORSE in kinds(progress)) is alerted


def test_the_trend_compares_this_week_with_the_7_days_before(patient, physio, assigned):
    _weeks(patient, previous=[2, 4], this=[5, 6])
    finished_session(patient, 14, pain_before=10, pain_after=10)  # older: not in either week

    progress = progress_of(patient, physio)

    assert progress.pain_7 == 5.5
    assert progress.pain_previous_7 == 3
    assert progress.pain_change == 2.5


def test_a_session_the_patient_flagged_raises_an_alert(patient, physio, assigned):
    finished_session(patient, 2, pain_before=3, pain_after=3, flagged=True)

    [alert] = progress_of(patient, physio).alerts

    assert alert.kind == AlertKind.FLAGGED
    assert "Asked you to look" in alert.summary


# Acknowledging --------------------------------------------------------------


def test_acknowledging_an_alert_takes_it_off_the_list_and_keeps_it_in_the_record(
    physio_client, physio, patient, assigned
):
    first = finished_session(patient, 2, pain_before=2, pain_after=5)
    second = finished_session(patient, 1, pain_before=2, pain_after=5)

    response = physio_client.post(
        reverse("tracking:acknowledge", args=[patient.pk]),
        {"kind": "pain_rose", "key": str(first.pk), "note": "Phoned: overdid the gardening"},
        follow=True,
    )

    assert [alert.session_id for alert in progress_of(patient, physio).alerts] == [second.pk]
    ack = AlertAcknowledgement.objects.get()
    assert (ack.acknowledged_by, ack.note) == (physio, "Phoned: overdid the gardening")
    assert ack.summary.startswith("Pain rose from 2 to 5")
    page = response.content.decode()
    assert "Marked as seen" in page
    assert "Phoned: overdid the gardening" in page  # in the record of alerts already seen


def test_acknowledging_twice_records_it_once(physio_client, patient, assigned):
    session = finished_session(patient, 1, pain_before=2, pain_after=5)
    data = {"kind": "pain_rose", "key": str(session.pk)}
    url = reverse("tracking:acknowledge", args=[patient.pk])

    physio_client.post(url, data)
    response = physio_client.post(url, data, follow=True)

    assert AlertAcknowledgement.objects.count() == 1
    assert "already dealt with" in response.content.decode()


def test_an_alert_that_does_not_exist_cannot_be_acknowledged(physio_client, patient, assigned):
    quiet = finished_session(patient, 1, pain_before=4, pain_after=4)

    response = physio_client.post(
        reverse("tracking:acknowledge", args=[patient.pk]),
        {"kind": "pain_rose", "key": str(quiet.pk)},
        follow=True,
    )

    assert not AlertAcknowledgement.objects.exists()
    assert "already dealt with" in response.content.decode()


def test_a_note_too_long_is_refused_and_kept(physio_client, patient, assigned):
    session = finished_session(patient, 1, pain_before=2, pain_after=5)
    note = "x" * 501

    response = physio_client.post(
        reverse("tracking:acknowledge", args=[patient.pk]),
        {"kind": "pain_rose", "key": str(session.pk), "note": note},
    )

    assert response.status_code == 200
    assert not AlertAcknowledgement.objects.exists()
    page = response.content.decode()
    assert "500 characters or fewer" in page
    assert note in page


def test_an_acknowledged_inactivity_alert_returns_after_the_next_gap(
    physio_client, physio, patient, assigned
):
    finished_session(patient, 5, pain_before=3, pain_after=3)
    [alert] = progress_of(patient, physio).alerts
    physio_client.post(
        reverse("tracking:acknowledge", args=[patient.pk]),
        {"kind": alert.kind, "key": alert.key},
    )
    assert progress_of(patient, physio).alerts == []

    finished_session(patient, 4, pain_before=3, pain_after=3)

    assert kinds(progress_of(patient, physio)) == [AlertKind.INACTIVE]


def test_an_acknowledged_trend_stays_quiet_for_a_week(physio_client, physio, patient, assigned):
    _weeks(patient, previous=[2, 2], this=[6, 6])
    [alert] = progress_of(patient, physio).alerts
    physio_client.post(
        reverse("tracking:acknowledge", args=[patient.pk]),
        {"kind": alert.kind, "key": alert.key},
    )
    now = timezone.now()

    with time_machine.travel(now + dt.timedelta(days=6), tick=False):
        finished_session(patient, 0, pain_before=6, pain_after=6)
        finished_session(patient, 7, pain_before=2, pain_after=2)
        assert progress_of(patient, physio).trend == "worse"
        assert progress_of(patient, physio).alerts == []
    with time_machine.travel(now + dt.timedelta(days=7), tick=False):
        finished_session(patient, 0, pain_before=6, pain_after=6)
        finished_session(patient, 8, pain_before=2, pain_after=2)
        assert kinds(progress_of(patient, physio)) == [AlertKind.PAIN_WORSE]


# The dashboard --------------------------------------------------------------


@pytest.fixture
def caseload(make_user, physio):
    """Four patients: steady, stopped, flaring and flagged, with names out of order."""
    patients = {}
    for username, last_name in [
        ("steady", "Adams"),
        ("stopped", "Baker"),
        ("flaring", "Young"),
        ("flagged", "Zane"),
    ]:
        patients[username] = make_user(username, Role.PATIENT, last_name=last_name)
        joined(patients[username], 60)
        Assignment.objects.create(patient=patients[username], physio=physio)
    for days_ago in range(7):
        finished_session(patients["steady"], days_ago, pain_before=3, pain_after=2)
    finished_session(patients["stopped"], 10, pain_before=3, pain_after=3)
    _weeks(patients["flaring"], previous=[2, 2, 2], this=[6, 6])
    finished_session(patients["flaring"], 0, pain_before=5, pain_after=8, hour=18)
    for days_ago in range(3):
        finished_session(patients["flagged"], days_ago, 3, 3, flagged=days_ago == 1)
    return patients


def usernames(response) -> list[str]:
    return [row.patient.username for row in response.context["rows"]]


def test_the_dashboard_puts_who_needs_attention_first(physio_client, caseload):
    response = physio_client.get(reverse("tracking:caseload"))

    assert response.status_code == 200
    # Flaring: two alerts; flagged: one; stopped: inactivity only; steady: none.
    assert usernames(response) == ["flaring", "flagged", "stopped", "steady"]
    page = response.content.decode()
    assert "Pain rose from 5 to 8" in page
    assert "No session for 10 days" in page
    assert "3 needing attention" in page


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("?sort=name", ["steady", "stopped", "flaring", "flagged"]),
        ("?sort=adherence", ["stopped", "flagged", "flaring", "steady"]),  # 3, 10, 21, 25%
        ("?show=attention&sort=name", ["stopped", "flaring", "flagged"]),
        ("?sort=nonsense&show=nonsense", ["flaring", "flagged", "stopped", "steady"]),
    ],
)
def test_the_dashboard_sorts_and_filters(physio_client, caseload, query, expected):
    response = physio_client.get(reverse("tracking:caseload") + query)

    assert response.status_code == 200
    assert usernames(response) == expected


def test_sorting_with_htmx_returns_only_the_caseload(physio_client, caseload, htmx_headers):
    url = reverse("tracking:caseload") + "?sort=name"

    full = physio_client.get(url).content.decode()
    fragment = physio_client.get(url, headers=htmx_headers).content.decode()

    assert "<html" in full
    assert '<div id="caseload">' in full
    assert "<html" not in fragment
    assert fragment.strip().startswith('<div id="caseload">')
    assert "autofocus" in fragment  # focus lands on the result line after a swap
    assert fragment.index("Adams") < fragment.index("Young")


def test_every_sort_and_filter_is_a_real_link(physio_client, caseload):
    page = physio_client.get(reverse("tracking:caseload")).content.decode()

    for query in ("?show=all&amp;sort=name", "?show=all&amp;sort=adherence", "?show=attention"):
        assert f'href="{query}' in page


def test_a_physio_with_nobody_assigned_sees_an_explanation(physio_client):
    response = physio_client.get(reverse("tracking:caseload"))

    assert "No patients are assigned to you yet" in response.content.decode()


def _big_caseload(physio: User, size: int) -> None:
    """`size` patients, each with a programme holding a retired exercise, two weeks of
    sessions every other day, three open alerts and one acknowledged, made in bulk."""
    group = Group.objects.get(name=Role.PATIENT.value)
    users = User.objects.bulk_create(User(username=f"p{n}", last_name=f"P{n}") for n in range(size))
    User.groups.through.objects.bulk_create(
        User.groups.through(user_id=user.pk, group_id=group.pk) for user in users
    )
    Assignment.objects.bulk_create(Assignment(patient=user, physio=physio) for user in users)
    programmes = Programme.objects.bulk_create(
        Programme(patient=user, target_per_week=5) for user in users
    )
    retired = Exercise.objects.get(slug="bird-dog")
    retired.is_active = False
    retired.save()
    ProgrammeExercise.objects.bulk_create(
        ProgrammeExercise(programme=programme, exercise=exercise, order=exercise.order)
        for programme in programmes
        for exercise in Exercise.objects.filter(slug__in=["bird-dog", "dead-bug"])
    )
    today = timezone.localdate()
    sessions = []
    for user in users:
        for days_ago in range(0, 14, 2):
            day = today - dt.timedelta(days=days_ago)
            started = timezone.make_aware(dt.datetime.combine(day, dt.time(9)))
            sessions.append(
                Session(
                    patient=user,
                    local_date=day,
                    started_at=started,
                    finished_at=started + dt.timedelta(minutes=15),
                    pain_before=3,
                    pain_after=5 if days_ago in (2, 6) else 3,
                    flagged=days_ago == 4,
                )
            )
    one_exercise_done(Session.objects.bulk_create(sessions))
    AlertAcknowledgement.objects.bulk_create(
        AlertAcknowledgement(
            patient_id=session.patient_id,
            kind=AlertKind.PAIN_ROSE,
            key=str(session.pk),
            summary="Seen",
            acknowledged_by=physio,
        )
        for session in sessions
        if session.local_date == today - dt.timedelta(days=6)
    )


def test_the_dashboard_makes_the_same_queries_for_5_patients_as_for_500(
    physio_client, physio, other_physio
):
    url = reverse("tracking:caseload")
    _big_caseload(physio, 5)
    few = sql_of(lambda: physio_client.get(url))

    User.objects.filter(username__startswith="p").exclude(pk=physio.pk).delete()
    _big_caseload(physio, 500)
    response = physio_client.get(url)
    many = sql_of(lambda: physio_client.get(url))

    assert len(response.context["rows"]) == 500
    assert all(len(row.alerts) == 3 for row in response.context["rows"])
    assert same_queries(few, many)
    # Sign-in (3), then patients, day totals, acknowledgements, alerting sessions,
    # warning signs reported, exercises that hurt, retired exercises still in
    # programmes; then the audit record of the view (a savepoint, the chain's
    # head locked, the record, the head moved on, release).
    assert len(many) == 15


@time_machine.travel(dt.datetime(2026, 11, 21, 12, 0, tzinfo=dt.UTC), tick=False)
def test_each_patients_figures_use_their_own_day_not_the_physios(physio, patient, assigned):
    # Noon in London is 02:00 on Saturday in Honolulu and 02:00 on Sunday in Kiritimati.
    User.objects.filter(pk=physio.pk).update(timezone="Pacific/Honolulu")
    User.objects.filter(pk=patient.pk).update(timezone="Pacific/Kiritimati")
    joined(patient, 30)
    patient.refresh_from_db()
    session, _ = Session.start(patient, pain_before=5)  # on the patient's Sunday
    session.entries.filter(order=1).update(status="done", sets_done=1, reps_done=10)
    Session.objects.filter(pk=session.pk).update(finished_at=timezone.now(), pain_after=4)
    finished_session(patient, 7, pain_before=2, pain_after=2)  # the Sunday before

    [row] = signed_in(physio).get(reverse("tracking:caseload")).context["rows"]

    assert session.local_date == dt.date(2026, 11, 22)
    assert row.today == dt.date(2026, 11, 22)
    assert row.days_since_last == 0
    assert (row.sessions_7, row.pain_7, row.pain_previous_7) == (1, 5, 2)
    assert row.trend == "worse"


def test_a_trend_shown_before_midnight_can_be_acknowledged_after_it(physio, patient, assigned):
    _weeks(patient, previous=[2, 2], this=[6, 6])
    [shown] = progress_of(patient, physio).alerts
    tomorrow = timezone.now() + dt.timedelta(days=1)

    with time_machine.travel(tomorrow, tick=False):
        signed_in(physio).post(  # signed in again: a day later, the first sign-in has ended
            reverse("tracking:acknowledge", args=[patient.pk]),
            {"kind": shown.kind, "key": shown.key, "note": "Called her"},
        )

    ack = AlertAcknowledgement.objects.get()
    assert (ack.kind, ack.note) == (AlertKind.PAIN_WORSE, "Called her")
    assert ack.key == timezone.localdate(tomorrow).isoformat()


def test_a_refused_form_keeps_the_timeline_links_on_the_patient_page(
    physio_client, patient, assigned
):
    for days_ago in range(12):
        finished_session(patient, days_ago, pain_before=3, pain_after=3)

    response = physio_client.post(reverse("tracking:comment", args=[patient.pk]), {"body": ""})

    older = reverse("tracking:patient", args=[patient.pk]) + "?page=2"
    assert f'href="{older}#timeline"' in response.content.decode()
    assert physio_client.get(older).status_code == 200


def test_a_session_with_nothing_done_counts_for_no_figure_on_the_caseload(
    physio, patient, assigned
):
    joined(patient, 30)
    finished_session(patient, 5, pain_before=3, pain_after=3)
    finished_session(patient, 1, pain_before=9, pain_after=9, nothing_done=True)

    [row] = signed_in(physio).get(reverse("tracking:caseload")).context["rows"]

    assert (row.sessions_7, row.sessions_28) == (1, 1)
    assert row.last_session == timezone.localdate() - dt.timedelta(days=5)
    assert row.pain_7 == 3
    assert "No session for 5 days" in " ".join(alert.summary for alert in row.alerts)
