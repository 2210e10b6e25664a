"""The pain rules: an exercise that hurts 2 or more above the session's starting pain
is stopped and told to the physio; so is a session that ends 2 or more points up."""

import pytest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.html import escape

from accounts.models import User
from audit.models import AuditEvent
from tracking.models import AlertKind, SafetyCheck, Session, SessionEntry
from tracking.review import progress_for
from tracking.safety import PHYSIO_WILL_SEE, RED_FLAGS


@pytest.fixture(autouse=True)
def _checked_in(patient) -> None:
    """Logging needs the day's check-in, answered "none of these"."""
    SafetyCheck.answer(patient, [])


def progress_of(patient: User, physio: User):
    [progress] = progress_for(User.objects.patients_of(physio).filter(pk=patient.pk))
    return progress


def kinds(patient: User, physio: User) -> list[str]:
    return [alert.kind for alert in progress_of(patient, physio).alerts]


def report_hurt(client, entry: SessionEntry, hurt: object, **kwargs):
    url = reverse("tracking:entry-hurt", args=[entry.session_id, entry.pk])
    return client.post(url, {"hurt": hurt}, **kwargs)


# (pain at the start, how much the exercise hurt, advised to stop)
HURT_THRESHOLDS = [
    (5, 6, False),  # 1 above: go gently
    (5, 7, True),  # 2 above: stop
    (0, 0, False),
    (0, 1, False),
    (0, 2, True),
    (9, 10, True),  # no room for 2 more: a rise to the top of the scale counts
    (8, 10, True),
    (10, 10, False),  # at the top of the scale pain cannot rise any further
]


# An exercise that hurt -----------------------------------------------------------


@pytest.mark.parametrize(("before", "hurt", "stop"), HURT_THRESHOLDS)
def test_an_exercise_that_hurt_2_above_the_start_is_stopped_and_told_to_the_physio(
    patient_client, patient, physio, assigned, before, hurt, stop
):
    session, _ = Session.start(patient, pain_before=before)
    entry = session.entries.get(order=3)

    response = report_hurt(patient_client, entry, hurt, follow=True)

    entry.refresh_from_db()
    html = response.content.decode()
    assert entry.hurt == hurt
    assert f"It hurt: {hurt} out of 10" in html
    assert ("Stop this exercise for today" in html) is stop
    assert (f"Stop {entry.exercise.name} for today." in html) is stop
    alerts = [a for a in progress_of(patient, physio).alerts if a.kind == AlertKind.HURT]
    assert [(alert.key, alert.session_id) for alert in alerts] == (
        [(str(entry.pk), session.pk)] if stop else []
    )
    if stop:
        assert alerts[0].summary.startswith(f"{entry.exercise.name} hurt during the session")
        assert alerts[0].summary.endswith(f"{hurt} out of 10, up from {before} at the start")


def test_the_row_returned_to_htmx_says_to_stop(patient_client, patient, htmx_headers):
    session, _ = Session.start(patient, pain_before=3)
    entry = session.entries.get(order=1)

    response = report_hurt(patient_client, entry, 5, headers=htmx_headers)

    html = response.content.decode()
    assert f'<li id="entry-{entry.pk}"' in html
    assert "<html" not in html
    assert "Stop this exercise for today" in html


def test_the_message_after_an_exercise_that_hurt_says_what_really_happens(patient_client, patient):
    session, _ = Session.start(patient, pain_before=3)
    entry = session.entries.get(order=2)

    response = report_hurt(patient_client, entry, 6, follow=True)

    html = response.content.decode()
    assert escape(f"Stop {entry.exercise.name} for today. {PHYSIO_WILL_SEE}") in html
    assert "has been told" not in html


def test_what_the_physio_sees_is_said_in_one_place():
    assert PHYSIO_WILL_SEE == (
        "Your physio will see this the next time they open BackTrack. "
        "Do not wait for them to reply."
    )
    assert render_to_string("tracking/_physio_will_see.html").strip() == PHYSIO_WILL_SEE


@pytest.mark.parametrize(("hurt", "advised"), [(6, False), (7, True)])
def test_the_physios_session_table_shows_the_advice_to_stop(
    physio_client, patient, assigned, hurt, advised
):
    session, _ = Session.start(patient, pain_before=5)
    entry = session.entries.get(order=4)
    SessionEntry.objects.filter(pk=entry.pk).update(hurt=hurt)

    response = physio_client.get(reverse("tracking:patient-session", args=[patient.pk, session.pk]))

    html = response.content.decode()
    assert f"{hurt} out of 10" in html
    assert ("up from 5 at the start: advised to stop it" in html) is advised


@pytest.mark.parametrize("hurt", ["11", ""])
def test_a_pain_score_off_the_scale_is_refused(patient_client, patient, hurt):
    session, _ = Session.start(patient, pain_before=3)
    entry = session.entries.get(order=1)

    response = report_hurt(patient_client, entry, hurt)

    entry.refresh_from_db()
    assert response.status_code == 200
    assert "Choose a number from 0 (no pain) to 10" in response.content.decode()
    assert entry.hurt is None


# A session that ended with more pain ------------------------------------------------


@pytest.mark.parametrize(
    ("before", "after", "rose"),
    [
        (4, 5, False),
        (4, 6, True),
        (0, 1, False),
        (0, 2, True),
        (9, 10, True),  # no room for 2 more: a rise to the top of the scale counts
        (8, 10, True),
        (10, 10, False),
    ],
)
def test_a_session_that_ends_2_up_gives_advice_and_alerts_the_physio(
    patient_client, patient, physio, assigned, before, after, rose
):
    session, _ = Session.start(patient, pain_before=before)

    response = patient_client.post(
        reverse("tracking:finish", args=[session.pk]), {"pain_after": after}, follow=True
    )

    html = response.content.decode()
    assert (f"Your pain went up from {before} to {after}" in html) is rose
    assert ("Your pain went up: please read the advice." in html) is rose
    assert (AlertKind.PAIN_ROSE in kinds(patient, physio)) is rose


def test_the_advice_stays_on_the_finished_sessions_page(patient_client, patient):
    session, _ = Session.start(patient, pain_before=2)
    session.finish(pain_after=7, notes="", flagged=False)

    html = patient_client.get(session.get_absolute_url()).content.decode()

    assert "Your pain went up from 2 to 7" in html


def test_the_advice_names_the_urgent_warning_signs_from_the_list_and_what_really_happens(
    patient_client, patient, settings
):
    settings.EMERGENCY_NUMBER = "999"
    session, _ = Session.start(patient, pain_before=2)
    session.finish(pain_after=7, notes="", flagged=False)

    html = patient_client.get(session.get_absolute_url()).content.decode()

    advice = html[html.index('id="pain-rose-title"') : html.index("</section>")]
    for flag in RED_FLAGS:
        assert (f"<li>{escape(flag.question)}.</li>" in advice) is flag.urgent, flag.code
    assert 'href="tel:999"' in advice
    assert "Your physio will see this the next time they open BackTrack" in advice
    assert "We have let your physio know" not in advice


def test_pain_going_down_gives_no_advice(patient_client, patient, physio, assigned):
    session, _ = Session.start(patient, pain_before=8)

    response = patient_client.post(
        reverse("tracking:finish", args=[session.pk]), {"pain_after": 2}, follow=True
    )

    assert "Your pain went up" not in response.content.decode()
    assert kinds(patient, physio) == []


# Keeping a session in which something hurt -------------------------------------------


@pytest.mark.parametrize("hurt", [0, 6])
def test_a_session_with_any_hurt_report_cannot_be_discarded(patient_client, patient, hurt):
    session, _ = Session.start(patient, pain_before=5)
    entry = session.entries.get(order=2)
    report_hurt(patient_client, entry, hurt)
    url = reverse("tracking:discard", args=[session.pk])

    asked = patient_client.get(url)
    response = patient_client.post(url)

    finish = reverse("tracking:finish", args=[session.pk])
    assert (asked.url, response.url) == (finish, finish)
    assert Session.objects.filter(pk=session.pk, finished_at=None).exists()
    entry.refresh_from_db()
    assert entry.hurt == hurt


def test_a_session_without_a_hurt_report_can_still_be_discarded(patient_client, patient):
    session, _ = Session.start(patient, pain_before=5)
    patient_client.post(
        reverse("tracking:entry-done", args=[session.pk, session.entries.get(order=1).pk])
    )

    response = patient_client.post(reverse("tracking:discard", args=[session.pk]))

    assert response.url == reverse("tracking:today")
    assert not Session.objects.filter(pk=session.pk).exists()


# A report of pain is kept whole ----------------------------------------------------


@pytest.mark.parametrize("order", ["hurt first", "done first"])
def test_this_hurt_and_done_on_the_same_exercise_keep_each_other(patient_client, patient, order):
    session, _ = Session.start(patient, pain_before=3)
    entry = session.entries.order_by("order").first()
    assert entry is not None
    done_url = reverse("tracking:entry-done", args=[session.pk, entry.pk])
    stale = SessionEntry.objects.get(pk=entry.pk)  # read before either tap lands

    if order == "hurt first":
        report_hurt(patient_client, entry, 6)
        stale.mark_done()
        assert stale.save_if_session_open()  # a Done that read the entry before the report
    else:
        patient_client.post(done_url)
        assert stale.report_hurt(6)

    entry.refresh_from_db()
    assert (entry.status, entry.hurt) == (SessionEntry.Status.DONE, 6)


def test_the_audit_trail_says_pain_was_reported_but_never_how_much(patient_client, patient):
    session, _ = Session.start(patient, pain_before=3)
    entry = session.entries.order_by("order").first()
    assert entry is not None
    report_hurt(patient_client, entry, 7)
    patient_client.post(
        reverse("tracking:finish", args=[session.pk]), {"pain_after": "9", "notes": ""}
    )
    patient_client.post(reverse("tracking:check-in"), {"flags": ["fever"], "answer": "some"})

    details = [event.detail for event in AuditEvent.objects.filter(patient_ref__gt="")]
    assert {"hurt_reported": True} in details
    values = [value for detail in details for value in detail.values()]
    assert 7 not in values
    assert 9 not in values
    assert not any(key in detail for detail in details for key in ("advice", "flags", "pain"))
