"""Follow along: one exercise per screen, with timers, logged exactly as the list logs."""

import html
import itertools
import json
import re

import pytest
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from audit.models import Action, AuditEvent, Target
from exercises.models import (
    MAX_HOLD_SECONDS,
    MAX_REPS,
    MAX_REST_SECONDS,
    MAX_SETS,
    SECONDS_PER_MOVEMENT,
    SECONDS_TO_GET_READY,
    SHORT_BREAK_SECONDS,
    Exercise,
)
from tests.conftest import check_in, same_queries, signed_in, sql_of
from tracking.guided import Kind, Step, next_to_do, steps_for
from tracking.models import Programme, SafetyCheck, Session, SessionEntry

pytestmark = pytest.mark.usefixtures("checked_in")  # logging needs the day's safety check-in

TILT, KNEE, PRONE = "Pelvic tilt", "Single knee to chest", "Prone opposite arm and leg raise"


def step_url(entry: SessionEntry) -> str:
    return reverse("tracking:guided-step", args=[entry.session_id, entry.pk])


def resume_url(session: Session) -> str:
    return reverse("tracking:guided", args=[session.pk])


def hurt_url(entry: SessionEntry) -> str:
    return reverse("tracking:guided-hurt", args=[entry.session_id, entry.pk])


def entry_named(session: Session, name: str) -> SessionEntry:
    return session.entries.get(exercise__name=name)


def logged(session: Session) -> list[tuple]:
    """What a session holds, exercise by exercise, in programme order."""
    return list(
        session.entries.order_by("order").values_list(
            "exercise__name", "status", "sets_done", "reps_done", "effort", "hurt"
        )
    )


def timer_in(page: str) -> list[dict]:
    found = re.search(r'data-timer="([^"]*)"', page)
    assert found, "the page has no timer"
    return json.loads(html.unescape(found.group(1)))


# The timed steps of a dose ----------------------------------------------------------


def dose(**fields) -> Exercise:
    values = {"sets": 1, "reps": 1, "hold_seconds": 0, "per_side": False, "rest_seconds": 0}
    return Exercise(**{**values, **fields})


def test_a_held_exercise_gets_ready_then_holds_with_a_rest_between_each():
    steps = steps_for(dose(reps=3, hold_seconds=5))

    ready = f"Get into position: {SECONDS_TO_GET_READY} seconds."
    relax = f"Relax {SECONDS_PER_MOVEMENT} seconds. Next: Rep"
    assert steps == [
        Step(Kind.READY, SECONDS_TO_GET_READY, "Get into position", "Next: Rep 1 of 3", ready),
        Step(Kind.HOLD, 5, "Hold", "Rep 1 of 3", "Hold 5 seconds. Rep 1 of 3."),
        Step(Kind.RELAX, SECONDS_PER_MOVEMENT, "Relax", "Next: Rep 2 of 3", f"{relax} 2 of 3."),
        Step(Kind.HOLD, 5, "Hold", "Rep 2 of 3", "Hold 5 seconds. Rep 2 of 3."),
        Step(Kind.RELAX, SECONDS_PER_MOVEMENT, "Relax", "Next: Rep 3 of 3", f"{relax} 3 of 3."),
        Step(Kind.HOLD, 5, "Hold", "Rep 3 of 3", "Hold 5 seconds. Rep 3 of 3."),
    ]


def test_between_30_second_holds_there_is_a_rest_of_about_10_seconds_and_the_cue_says_so():
    steps = steps_for(dose(reps=3, hold_seconds=30))

    relaxes = [step for step in steps if step.kind is Kind.RELAX]
    assert [step.seconds for step in relaxes] == [10, 10]
    assert relaxes[0].spoken == "Relax 10 seconds. Next: Rep 2 of 3."


def test_a_per_side_hold_names_the_side_and_alternates():
    steps = steps_for(dose(reps=2, hold_seconds=30, per_side=True))

    holds = [step.detail for step in steps if step.kind is Kind.HOLD]
    assert holds == [
        "Rep 1 of 2, left side",
        "Rep 1 of 2, right side",
        "Rep 2 of 2, left side",
        "Rep 2 of 2, right side",
    ]
    assert all(step.seconds == 30 for step in steps if step.kind is Kind.HOLD)
    assert steps[1].spoken == "Hold 30 seconds. Rep 1 of 2, left side."


def test_a_paced_per_side_rep_says_the_side_in_a_word():
    steps = steps_for(dose(reps=2, per_side=True))

    assert [step.spoken for step in steps[1:]] == [
        "Rep 1, left",
        "Rep 1, right",
        "Rep 2, left",
        "Rep 2, right",
    ]


def test_sets_are_separated_by_the_prescribed_rest():
    steps = steps_for(dose(sets=3, reps=2, rest_seconds=30))

    assert [(step.kind, step.seconds, step.detail) for step in steps[1:]] == [
        (Kind.MOVE, SECONDS_PER_MOVEMENT, "Rep 1 of 2, set 1 of 3"),
        (Kind.MOVE, SECONDS_PER_MOVEMENT, "Rep 2 of 2, set 1 of 3"),
        (Kind.REST, 30, "Next: set 2 of 3"),
        (Kind.MOVE, SECONDS_PER_MOVEMENT, "Rep 1 of 2, set 2 of 3"),
        (Kind.MOVE, SECONDS_PER_MOVEMENT, "Rep 2 of 2, set 2 of 3"),
        (Kind.REST, 30, "Next: set 3 of 3"),
        (Kind.MOVE, SECONDS_PER_MOVEMENT, "Rep 1 of 2, set 3 of 3"),
        (Kind.MOVE, SECONDS_PER_MOVEMENT, "Rep 2 of 2, set 3 of 3"),
    ]
    # Spoken briefly: a paced rep comes every few seconds.
    assert [step.spoken for step in steps[1:4]] == [
        "Rep 1",
        "Rep 2",
        "Rest 30 seconds. Next: set 2 of 3.",
    ]


def test_sets_without_a_prescribed_rest_still_get_a_short_break():
    steps = steps_for(dose(sets=2, reps=1, hold_seconds=10))

    assert [step.kind for step in steps] == [Kind.READY, Kind.HOLD, Kind.REST, Kind.HOLD]
    assert steps[2].seconds == SHORT_BREAK_SECONDS == 5


def test_a_single_hold_is_ready_then_hold():
    steps = steps_for(dose(reps=1, hold_seconds=30))

    assert [(step.kind, step.seconds) for step in steps] == [
        (Kind.READY, SECONDS_TO_GET_READY),
        (Kind.HOLD, 30),
    ]
    assert steps[1].detail == "Rep 1 of 1"


@given(
    sets=st.integers(1, MAX_SETS),
    reps=st.integers(1, MAX_REPS),
    hold=st.integers(0, MAX_HOLD_SECONDS),
    per_side=st.booleans(),
    rest=st.integers(0, MAX_REST_SECONDS),
)
def test_every_dose_times_each_rep_on_each_side_in_each_set(sets, reps, hold, per_side, rest):
    prescribed = dose(sets=sets, reps=reps, hold_seconds=hold, per_side=per_side, rest_seconds=rest)
    steps = steps_for(prescribed)

    kinds = [step.kind for step in steps]
    work = [step for step in steps if step.kind in (Kind.HOLD, Kind.MOVE)]
    assert kinds[0] is Kind.READY
    assert kinds[-1] in (Kind.HOLD, Kind.MOVE)
    assert len(work) == sets * reps * (2 if per_side else 1)
    assert len({step.detail for step in work}) == len(work)  # each says which rep, side, set
    assert {step.seconds for step in work} == {hold or SECONDS_PER_MOVEMENT}
    assert kinds.count(Kind.REST) == sets - 1
    assert all(step.seconds >= 1 for step in steps)
    # No two holds run into each other, and a rest or relax always leads to work.
    pairs = list(itertools.pairwise(kinds))
    assert (Kind.HOLD, Kind.HOLD) not in pairs
    assert all(b in (Kind.HOLD, Kind.MOVE) for a, b in pairs if a in (Kind.RELAX, Kind.REST))
    # The time the library and Today announce is the time the timers take.
    assert sum(step.seconds for step in steps) == prescribed.estimated_seconds


# Which exercise comes next -----------------------------------------------------------


def test_next_is_the_first_still_to_do_after_this_one_then_any_left_before(session):
    entries = list(session.entries.order_by("order"))
    for index in (0, 1, 4):
        entries[index].status = SessionEntry.Status.DONE
    entries[5].status = SessionEntry.Status.SKIPPED

    assert next_to_do(entries) is entries[2]
    assert next_to_do(entries, after=entries[3]) is entries[6]
    assert next_to_do(entries, after=entries[9]) is entries[2]  # back to the gap
    for entry in entries:
        entry.status = SessionEntry.Status.DONE
    assert next_to_do(entries) is None


# Starting and picking up -------------------------------------------------------------


def test_starting_with_timers_opens_the_first_exercise(patient_client, patient):
    response = patient_client.post(reverse("tracking:start"), {"pain_before": "4", "guided": "on"})

    session = Session.objects.for_patient(patient).get()
    assert response["Location"] == resume_url(session)
    first = patient_client.get(resume_url(session))
    assert first["Location"] == step_url(session.entries.get(order=1))


def test_starting_without_timers_still_opens_the_list(patient_client, patient):
    response = patient_client.post(reverse("tracking:start"), {"pain_before": "4"})

    assert response["Location"] == Session.objects.for_patient(patient).get().get_absolute_url()


def test_the_ways_in_are_offered_on_the_start_page_today_and_the_list(patient_client, session):
    start = patient_client.get(reverse("tracking:start")).content.decode()
    today = patient_client.get(reverse("tracking:today")).content.decode()
    listed = patient_client.get(session.get_absolute_url()).content.decode()

    assert 'name="guided" value="on"' not in start  # an open session is carried on instead
    assert f'href="{resume_url(session)}"' in today
    assert f'href="{resume_url(session)}"' in listed


def test_a_new_start_page_offers_timers(patient_client):
    page = patient_client.get(reverse("tracking:start")).content.decode()

    assert 'name="guided" value="on"' in page
    assert "Start with timers, one at a time" in page


def test_coming_back_resumes_at_the_first_exercise_still_to_do(patient_client, session):
    for order in (1, 2, 3):
        patient_client.post(step_url(session.entries.get(order=order)), {"outcome": "done"})
    # Away for a while: a new visit picks up at the fourth.
    response = signed_in(session.patient).get(resume_url(session))

    assert response["Location"] == step_url(session.entries.get(order=4))
    assert [row[1] for row in logged(session)] == ["done"] * 3 + ["todo"] * 7


def test_work_done_in_the_list_is_skipped_when_following_along(patient_client, session):
    for order in (1, 2):
        entry = session.entries.get(order=order)
        patient_client.post(reverse("tracking:entry-done", args=[session.pk, entry.pk]))

    response = patient_client.get(resume_url(session))

    assert response["Location"] == step_url(session.entries.get(order=3))


def test_with_everything_done_or_skipped_coming_back_goes_to_the_pain_question(
    patient_client, session
):
    session.entries.update(status=SessionEntry.Status.SKIPPED)

    response = patient_client.get(resume_url(session), follow=True)

    assert response.redirect_chain[-1][0] == reverse("tracking:finish", args=[session.pk])
    assert "Every exercise is done or skipped" in response.content.decode()


def test_a_finished_session_cannot_be_followed_along_again(patient_client, session):
    session.finish(pain_after=3, notes="", flagged=False)
    entry = session.entries.get(order=1)

    resumed = patient_client.get(resume_url(session))
    shown = patient_client.get(step_url(entry), follow=True)
    posted = patient_client.post(step_url(entry), {"outcome": "done"}, follow=True)

    assert resumed["Location"] == session.get_absolute_url()
    assert shown.redirect_chain[-1][0] == session.get_absolute_url()
    assert "This session is already finished and saved." in shown.content.decode()
    assert "This session is finished, so it can no longer be changed." in posted.content.decode()
    assert {row[1] for row in logged(session)} == {"todo"}


# One exercise per screen -------------------------------------------------------------


def test_a_step_shows_the_name_cues_dose_and_place_in_the_routine(patient_client, session):
    entry = entry_named(session, KNEE)

    response = patient_client.get(step_url(entry))

    page = response.content.decode()
    exercise = Exercise.objects.get(name=KNEE)
    assert response.status_code == 200
    assert '<h1 id="guided-title" tabindex="-1">Single knee to chest</h1>' in page
    assert "Exercise 4 of 10 · 0 done" in page
    assert html.escape(entry.dose_summary) in page
    assert html.escape(exercise.start_position) in page
    for line in exercise.steps:
        assert f"<li>{html.escape(line)}</li>" in page
    assert html.escape(exercise.feel) in page
    assert f'href="{entry.get_exercise_url()}"' in page


def test_a_step_shows_the_physios_note(patient, patient_client):
    item = Programme.for_patient(patient).items().get(exercise__name=TILT)
    item.note = "Breathe out as you tilt."
    item.save()
    session, _ = Session.start(patient, pain_before=4)

    page = patient_client.get(step_url(entry_named(session, TILT))).content.decode()

    assert "Your physio says: Breathe out as you tilt." in page


def test_the_cues_are_the_words_the_session_follows_even_after_a_library_edit(
    patient_client, session
):
    exercise = Exercise.objects.get(name=TILT)
    before = exercise.start_position
    exercise.start_position = "A new way to lie down."
    exercise.save()

    page = patient_client.get(step_url(entry_named(session, TILT))).content.decode()

    assert html.escape(before) in page
    assert "A new way to lie down." not in page


def test_a_step_carries_its_timer_for_the_script(patient_client, session, settings):
    settings.GUIDED_SECOND_MS = 40
    entry = entry_named(session, PRONE)

    page = patient_client.get(step_url(entry)).content.decode()

    assert timer_in(page) == [step.as_json() for step in steps_for(entry)]
    assert 'data-second-ms="40"' in page
    assert '<script src="/static/js/guided.js" defer></script>' in page


def test_without_javascript_the_step_says_how_to_go_on(patient_client, session):
    page = patient_client.get(step_url(entry_named(session, TILT))).content.decode()

    # The timer waits for the script; the words do not.
    assert re.search(r'<section class="guided-timer"[^>]* hidden>', page)
    assert "Go at your own pace, counting each hold slowly in your head." in page
    assert f'action="{step_url(entry_named(session, TILT))}"' in page


def test_a_step_shown_asks_nothing_of_the_patient_yet(patient_client, session):
    page = patient_client.get(step_url(session.entries.get(order=1))).content.decode()

    assert "Press Done or Skip." not in page
    assert 'role="alert"' not in page


def test_a_step_links_back_to_the_exercise_before_it(patient_client, session):
    first, second, third = session.entries.order_by("order")[:3]

    page = patient_client.get(step_url(third)).content.decode()
    opening = patient_client.get(step_url(first)).content.decode()

    assert f'<a href="{step_url(second)}" data-hx-get="{step_url(second)}"' in page
    assert ">Back to Glute bridge</a>" in page
    assert "Back to" not in opening


def test_a_skip_is_not_counted_as_done(patient_client, session):
    entry = session.entries.get(order=1)

    response = patient_client.post(step_url(entry), {"outcome": "skipped"}, follow=True)

    assert "Exercise 2 of 10 · 0 done" in response.content.decode()


def test_a_done_exercise_shows_what_was_recorded_and_offers_to_carry_on(patient_client, session):
    entry = session.entries.get(order=4)
    entry.mark_done(sets_done=1, reps_done=2)
    entry.save_if_session_open()

    page = patient_client.get(step_url(entry)).content.decode()

    # Nothing on the page can overwrite the 1 set of 2: no Done, no Skip.
    assert "1 set of 2 each side. You can do it again if you like, or carry on." in page
    assert 'name="outcome"' not in page
    assert f'<a class="button guided-big" href="{resume_url(session)}">Carry on</a>' in page


def test_a_skipped_exercise_can_still_be_done_or_passed_by(patient_client, session):
    entry = session.entries.get(order=4)
    entry.mark_skipped()
    entry.save_if_session_open()

    page = patient_client.get(step_url(entry)).content.decode()

    assert "You skipped this one. You can still do it now, or carry on." in page
    assert 'name="outcome" value="done"' in page
    assert 'name="outcome" value="skipped"' not in page
    assert f'href="{resume_url(session)}">Carry on</a>' in page


def test_an_exercise_to_do_offers_done_and_skip_but_no_carry_on(patient_client, session):
    page = patient_client.get(step_url(session.entries.get(order=4))).content.decode()

    assert 'name="outcome" value="done"' in page
    assert 'name="outcome" value="skipped"' in page
    assert ">Carry on</a>" not in page


def test_a_programme_with_an_exercise_left_out_has_fewer_steps(patient, patient_client):
    programme = Programme.for_patient(patient)
    programme.items().filter(exercise__name=TILT).update(included=False)
    session, _ = Session.start(patient, pain_before=4)

    response = patient_client.get(resume_url(session), follow=True)

    assert "Exercise 1 of 9" in response.content.decode()
    assert '<h1 id="guided-title" tabindex="-1">Glute bridge</h1>' in response.content.decode()


def test_the_step_page_runs_the_same_queries_whatever_the_place(patient_client, session):
    first, last = session.entries.get(order=1), session.entries.get(order=10)
    patient_client.get(step_url(first))  # the exercise versions are recorded once

    assert same_queries(
        sql_of(lambda: patient_client.get(step_url(first))),
        sql_of(lambda: patient_client.get(step_url(last))),
    )
    # The day's check-in is one query, whatever was answered.
    assert len(sql_of(lambda: patient_client.get(step_url(last)))) == 7


def test_a_step_of_another_session_in_the_address_is_not_found(patient_client, patient, session):
    session.finish(pain_after=3, notes="", flagged=False)
    second, _ = Session.start(patient, pain_before=4)
    entry = second.entries.get(order=1)

    response = patient_client.get(reverse("tracking:guided-step", args=[session.pk, entry.pk]))

    assert response.status_code == 404


def test_another_patients_step_is_not_found_and_not_changed(patient_client, other_session):
    entry = other_session.entries.get(order=1)

    for url in (step_url(entry), resume_url(other_session)):
        assert patient_client.get(url).status_code == 404
    assert patient_client.post(step_url(entry), {"outcome": "done"}).status_code == 404
    assert patient_client.post(hurt_url(entry), {"hurt": "9"}).status_code == 404
    assert {row[1] for row in logged(other_session)} == {"todo"}
    assert {row[5] for row in logged(other_session)} == {None}


# Done and Skip, as the list does them --------------------------------------------------


def test_done_records_the_prescribed_dose_and_moves_on(patient_client, session):
    entry = session.entries.get(order=1)

    response = patient_client.post(step_url(entry), {"outcome": "done"})

    entry.refresh_from_db()
    assert (entry.status, entry.sets_done, entry.reps_done) == ("done", entry.sets, entry.reps)
    assert response["Location"] == step_url(session.entries.get(order=2))


def test_skip_records_a_skip_and_moves_on(patient_client, session):
    entry = session.entries.get(order=1)

    response = patient_client.post(step_url(entry), {"outcome": "skipped"})

    entry.refresh_from_db()
    assert (entry.status, entry.sets_done, entry.reps_done) == ("skipped", None, None)
    assert response["Location"] == step_url(session.entries.get(order=2))


def test_with_htmx_the_next_exercise_is_swapped_in_and_its_address_kept(
    patient_client, session, htmx_headers
):
    entry = session.entries.get(order=1)

    response = patient_client.post(step_url(entry), {"outcome": "done"}, headers=htmx_headers)

    page = response.content.decode()
    following = session.entries.get(order=2)
    assert response.status_code == 200
    assert response["HX-Push-Url"] == step_url(following)
    assert page.lstrip().startswith('<article id="guided-step"')
    assert "<html" not in page
    assert "Glute bridge" in page
    assert "Exercise 2 of 10 · 1 done" in page


def test_the_last_exercise_leads_to_the_pain_question(patient_client, session, htmx_headers):
    session.entries.exclude(order=10).update(status=SessionEntry.Status.SKIPPED)
    last = session.entries.get(order=10)
    finish = reverse("tracking:finish", args=[session.pk])

    plain = patient_client.post(step_url(last), {"outcome": "done"}, follow=True)
    with_htmx = patient_client.post(step_url(last), {"outcome": "done"}, headers=htmx_headers)

    assert plain.redirect_chain == [(finish, 302)]
    assert "That was the last exercise. Well done! Now, how is your pain?" in (
        plain.content.decode()
    )
    assert with_htmx["HX-Redirect"] == finish


def test_done_pressed_twice_records_once(patient_client, session):
    entry = session.entries.get(order=3)
    before = AuditEvent.objects.count()

    first = patient_client.post(step_url(entry), {"outcome": "done"})
    second = patient_client.post(step_url(entry), {"outcome": "done"})

    assert first["Location"] == second["Location"] == step_url(session.entries.get(order=4))
    assert AuditEvent.objects.count() == before + 1
    assert [row[1] for row in logged(session)].count("done") == 1


@pytest.mark.parametrize("outcome", ["", "finished", "todo", "DONE"])
def test_an_unknown_outcome_gets_a_clear_message_and_changes_nothing(
    patient_client, session, outcome
):
    entry = session.entries.get(order=1)

    response = patient_client.post(step_url(entry), {"outcome": outcome})

    assert response.status_code == 200
    assert "Press Done or Skip." in response.content.decode()
    assert {row[1] for row in logged(session)} == {"todo"}


def test_following_along_logs_exactly_what_the_list_logs(patient, other_patient):
    """The same taps, one way and the other: the same entries and the same audit trail."""
    check_in(other_patient)
    taps = {1: "done", 2: "skipped", 3: "done", 4: "done", 6: "skipped", 10: "done"}
    hurts = {3: 4, 6: 9}
    guided_session, _ = Session.start(patient, pain_before=5)
    listed_session, _ = Session.start(other_patient, pain_before=5)
    guided, listed = signed_in(patient), signed_in(other_patient)

    for order, outcome in taps.items():
        entry = guided_session.entries.get(order=order)
        guided.post(step_url(entry), {"outcome": outcome})
        row = listed_session.entries.get(order=order)
        name = "entry-done" if outcome == "done" else "entry-skip"
        listed.post(reverse(f"tracking:{name}", args=[listed_session.pk, row.pk]))
    for order, hurt in hurts.items():
        guided.post(hurt_url(guided_session.entries.get(order=order)), {"hurt": hurt})
        row = listed_session.entries.get(order=order)
        url = reverse("tracking:entry-hurt", args=[listed_session.pk, row.pk])
        listed.post(url, {"hurt": hurt})

    assert logged(guided_session) == logged(listed_session)
    assert [row[1] for row in logged(guided_session)].count("todo") == 4

    def trail(session: Session) -> list[tuple]:
        events = AuditEvent.objects.filter(
            patient=session.patient, target_type=Target.ENTRY, action=Action.CHANGE
        )
        return list(events.order_by("pk").values_list("outcome", "detail"))

    assert len(trail(guided_session)) == len(taps) + len(hurts)
    assert trail(guided_session) == trail(listed_session)


# "This hurt" -------------------------------------------------------------------------


def test_this_hurt_is_kept_and_the_step_says_to_stop(patient_client, session):
    entry = session.entries.get(order=2)

    response = patient_client.post(hurt_url(entry), {"hurt": "8"}, follow=True)

    entry.refresh_from_db()
    page = response.content.decode()
    assert entry.hurt == 8
    assert response.redirect_chain == [(step_url(entry), 302)]
    assert "Stop this exercise for today." in page
    assert "It hurt: 8 out of 10" in page


def test_this_hurt_with_htmx_swaps_its_own_part_and_the_record_not_the_timer(
    patient_client, session, htmx_headers
):
    entry = session.entries.get(order=2)

    response = patient_client.post(hurt_url(entry), {"hurt": "6"}, headers=htmx_headers)

    page = response.content.decode()
    assert page.lstrip().startswith('<details id="guided-hurt"')
    record = '<div id="guided-record" class="guided-record" tabindex="-1" data-hx-swap-oob="true">'
    assert record in page
    assert "It hurt: 6 out of 10. Go gently" in page
    assert 'id="guided-outcome" class="guided-outcome" data-hx-swap-oob="true"' in page
    assert "data-timer" not in page
    assert "HX-Push-Url" not in response


def test_when_it_hurt_too_much_skip_becomes_the_main_button(patient_client, session):
    entry = session.entries.get(order=2)  # pain before is 5: 7 is 2 more

    page = patient_client.post(hurt_url(entry), {"hurt": "7"}, follow=True).content.decode()

    done = re.search(r'<button type="submit" name="outcome" value="done" class="([^"]*)"', page)
    skip = re.search(r'<button type="submit" name="outcome" value="skipped" class="([^"]*)"', page)
    assert done
    assert skip
    assert (done.group(1), skip.group(1)) == ("guided-big secondary", "guided-big")


@pytest.mark.parametrize("hurt", ["", "11", "-1", "x"])
def test_a_bad_hurt_rating_gets_a_message_and_keeps_the_form_open(patient_client, session, hurt):
    entry = session.entries.get(order=2)

    response = patient_client.post(hurt_url(entry), {"hurt": hurt})

    page = response.content.decode()
    assert response.status_code == 200
    assert "Choose a number from 0 (no pain) to 10 (worst pain imaginable)." in page
    assert '<details id="guided-hurt" class="entry-more guided-hurt" data-hurt open>' in page
    entry.refresh_from_db()
    assert entry.hurt is None


def test_a_bad_hurt_rating_on_a_finished_session_is_refused_not_shown(patient_client, session):
    session.finish(pain_after=3, notes="", flagged=False)
    entry = session.entries.get(order=2)

    response = patient_client.post(hurt_url(entry), {"hurt": "eleven"}, follow=True)

    assert response.redirect_chain[-1][0] == session.get_absolute_url()
    assert "This session is finished, so it can no longer be changed." in (
        response.content.decode()
    )


def test_this_hurt_is_only_posted(patient_client, session):
    response = patient_client.get(hurt_url(session.entries.get(order=2)))

    assert response.status_code == 405


def test_this_hurt_stays_open_after_a_warning_sign(patient_client, patient, session):
    SafetyCheck.answer(patient, ["weakness"])
    entry = session.entries.get(order=2)

    patient_client.post(hurt_url(entry), {"hurt": 8})

    entry.refresh_from_db()
    assert entry.hurt == 8


# The whole routine -------------------------------------------------------------------


def test_the_whole_routine_goes_in_programme_order_then_asks_about_pain(patient, patient_client):
    programme = Programme.for_patient(patient)
    expected = [item.exercise.name for item in programme.items() if item.included]
    patient_client.post(reverse("tracking:start"), {"pain_before": "5", "guided": "on"})
    session = Session.objects.for_patient(patient).get()

    seen = []
    url = patient_client.get(resume_url(session))["Location"]
    while "/follow-along/" in url:
        page = patient_client.get(url).content.decode()
        title = re.search(r'tabindex="-1">([^<]+)</h1>', page)
        assert title, page
        seen.append(html.unescape(title.group(1)))
        url = patient_client.post(url, {"outcome": "done"})["Location"]

    assert seen == expected
    assert url == reverse("tracking:finish", args=[session.pk])
    assert all(entry.as_prescribed for entry in session.entries.all())
