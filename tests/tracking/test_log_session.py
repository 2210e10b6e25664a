import pytest
from django.urls import reverse
from django.utils import timezone

from exercises.models import Exercise
from tests.conftest import same_queries, sql_of
from tracking.models import NOTES_MAX_LENGTH, Programme, Session, SessionEntry

pytestmark = pytest.mark.usefixtures("checked_in")  # logging needs the day's safety check-in


def entry_url(name: str, entry: SessionEntry) -> str:
    return reverse(f"tracking:{name}", args=[entry.session_id, entry.pk])


# Starting ---------------------------------------------------------------------


def test_the_start_page_asks_for_pain_on_a_0_to_10_scale(patient_client):
    response = patient_client.get(reverse("tracking:start"))

    assert response.status_code == 200
    html = response.content.decode()
    assert html.count('type="radio" name="pain_before"') == 11
    assert "No pain" in html
    assert "Worst pain imaginable" in html


def test_starting_makes_a_session_and_opens_it(patient_client, patient):
    response = patient_client.post(reverse("tracking:start"), {"pain_before": "6"})

    session = Session.objects.for_patient(patient).get()
    assert response.status_code == 302
    assert response.url == session.get_absolute_url()
    assert session.pain_before == 6
    assert session.entries.count() == 10


@pytest.mark.parametrize("pain", ["", "-1", "11", "abc", "5.5", "1e1"])
def test_bad_pain_before_gets_a_clear_message(patient_client, patient, pain):
    response = patient_client.post(reverse("tracking:start"), {"pain_before": pain})

    assert response.status_code == 200
    assert "Choose a number from 0 (no pain) to 10 (worst pain imaginable)." in (
        response.content.decode()
    )
    assert not Session.objects.for_patient(patient).exists()


def test_a_double_clicked_start_makes_one_session(patient_client, patient):
    first = patient_client.post(reverse("tracking:start"), {"pain_before": "4"})
    second = patient_client.post(reverse("tracking:start"), {"pain_before": "4"})

    assert Session.objects.for_patient(patient).count() == 1
    assert first.url == second.url


def test_the_start_page_sends_you_back_to_an_open_session(patient_client, session):
    response = patient_client.get(reverse("tracking:start"))

    assert response.status_code == 302
    assert response.url == session.get_absolute_url()


# The session page and its rows -----------------------------------------------------


def test_the_session_page_lists_the_exercises_in_order(patient_client, session):
    response = patient_client.get(session.get_absolute_url())

    html = response.content.decode()
    positions = [html.index(entry.exercise.name) for entry in session.entries.all()]
    assert positions == sorted(positions)
    assert "0 of 10 exercises done" in html


def test_the_session_page_query_count_does_not_grow_with_entries(patient_client, patient):
    def visit(session: Session):
        return lambda: patient_client.get(session.get_absolute_url())

    # Each one open while it is visited, as a patient logging it sees it.
    Exercise.objects.filter(order__gt=5).update(is_active=False)
    short, _ = Session.start(patient, pain_before=4)
    with_5 = sql_of(visit(short))
    Session.objects.filter(pk=short.pk).update(finished_at=timezone.now(), pain_after=2)
    Programme.objects.filter(patient=patient).delete()
    Exercise.objects.update(is_active=True)
    full, _ = Session.start(patient, pain_before=4)
    assert (short.entries.count(), full.entries.count()) == (5, 10)

    assert same_queries(with_5, sql_of(visit(full)))


def test_done_as_prescribed_redirects_back_to_the_row(patient_client, session):
    entry = session.entries.get(order=10)

    response = patient_client.post(entry_url("entry-done", entry))

    assert response.status_code == 302
    assert response.url == f"{session.get_absolute_url()}#entry-{entry.pk}"
    entry.refresh_from_db()
    assert (entry.status, entry.sets_done, entry.reps_done) == ("done", 3, 10)


def test_done_with_htmx_returns_the_row_and_the_progress(patient_client, session, htmx_headers):
    entry = session.entries.get(order=1)

    response = patient_client.post(entry_url("entry-done", entry), headers=htmx_headers)

    html = response.content.decode()
    assert response.status_code == 200
    assert f'<li id="entry-{entry.pk}" class="entry entry--done">' in html
    assert "<html" not in html
    assert 'id="progress"' in html
    assert 'data-hx-swap-oob="innerHTML"' in html
    assert "1 of 10 exercises done" in html


def test_pressing_done_twice_changes_nothing_more(patient_client, session, htmx_headers):
    entry = session.entries.get(order=1)
    patient_client.post(entry_url("entry-done", entry), headers=htmx_headers)
    entry.refresh_from_db()
    first = (entry.status, entry.sets_done, entry.reps_done)

    response = patient_client.post(entry_url("entry-done", entry), headers=htmx_headers)

    entry.refresh_from_db()
    assert (entry.status, entry.sets_done, entry.reps_done) == first
    assert SessionEntry.objects.filter(session=session).count() == 10
    assert "1 of 10 exercises done" in response.content.decode()


@pytest.mark.parametrize("as_htmx", [False, True])
def test_skipping_marks_the_entry_skipped(patient_client, session, htmx_headers, as_htmx):
    entry = session.entries.get(order=2)

    response = patient_client.post(
        entry_url("entry-skip", entry), headers=htmx_headers if as_htmx else {}
    )

    entry.refresh_from_db()
    assert entry.status == "skipped"
    assert response.status_code == (200 if as_htmx else 302)


def test_the_entry_form_page_offers_the_prescribed_dose(patient_client, session):
    entry = session.entries.get(order=10)

    response = patient_client.get(entry_url("entry", entry))

    form = response.context["form"]
    assert response.status_code == 200
    assert form.initial["sets_done"] == 3
    assert form.initial["reps_done"] == 10


@pytest.mark.parametrize("as_htmx", [False, True])
def test_recording_what_was_actually_done(patient_client, session, htmx_headers, as_htmx):
    entry = session.entries.get(order=10)

    response = patient_client.post(
        entry_url("entry", entry),
        {"status": "done", "sets_done": "2", "reps_done": "8", "effort": "too_hard"},
        headers=htmx_headers if as_htmx else {},
    )

    entry.refresh_from_db()
    assert (entry.status, entry.sets_done, entry.reps_done, entry.effort) == (
        "done",
        2,
        8,
        "too_hard",
    )
    if as_htmx:
        assert "2 sets of 8" in response.content.decode()
    else:
        assert response.status_code == 302


@pytest.mark.parametrize(
    ("sets", "reps", "message"),
    [
        ("-1", "10", "Enter at least 1, or choose Skipped."),
        ("0", "10", "Enter at least 1, or choose Skipped."),
        ("3", "5000", "That is more than 50. Please check the number."),
        ("99", "10", "That is more than 10. Please check the number."),
        ("three", "10", "Enter a whole number."),
        ("", "10", "Enter how many you did, or choose Skipped."),
    ],
)
@pytest.mark.parametrize("as_htmx", [False, True])
def test_bad_counts_get_a_clear_message_and_keep_the_input(
    patient_client, session, htmx_headers, sets, reps, message, as_htmx
):
    entry = session.entries.get(order=10)

    response = patient_client.post(
        entry_url("entry", entry),
        {"status": "done", "sets_done": sets, "reps_done": reps, "effort": "about_right"},
        headers=htmx_headers if as_htmx else {},
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert message in html
    assert f'value="{reps}"' in html  # what was typed is still there
    assert "<html" not in html if as_htmx else "<html" in html
    entry.refresh_from_db()
    assert entry.status == "todo"
    assert entry.sets_done is None


@pytest.mark.parametrize("status", ["skipped", "todo"])
def test_a_skip_in_the_form_sets_aside_leftover_counts_and_effort(patient_client, session, status):
    entry = session.entries.get(order=3)

    patient_client.post(
        entry_url("entry", entry),
        {"status": status, "sets_done": "abc", "reps_done": "-4", "effort": "too_hard"},
    )

    entry.refresh_from_db()
    assert (entry.status, entry.sets_done, entry.reps_done, entry.effort) == (
        status,
        None,
        None,
        "",
    )


@pytest.mark.parametrize("as_htmx", [False, True])
def test_a_session_finished_meanwhile_is_not_changed(
    patient_client, session, htmx_headers, as_htmx, monkeypatch
):
    """Finish lands between loading the entry and saving it (another tab, say)."""
    entry = session.entries.get(order=1)
    real = SessionEntry.save_if_session_open

    def finish_first(self):
        Session.objects.filter(pk=session.pk).update(finished_at=timezone.now(), pain_after=1)
        return real(self)

    monkeypatch.setattr(SessionEntry, "save_if_session_open", finish_first)

    response = patient_client.post(
        entry_url("entry-done", entry), headers=htmx_headers if as_htmx else {}
    )

    entry.refresh_from_db()
    assert entry.status == "todo"
    if as_htmx:
        assert response.headers["HX-Redirect"] == session.get_absolute_url()
    else:
        assert response.url == session.get_absolute_url()


def test_an_unknown_status_is_refused(patient_client, session):
    entry = session.entries.get(order=3)

    response = patient_client.post(entry_url("entry", entry), {"status": "finished"})

    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    entry.refresh_from_db()
    assert entry.status == "todo"


# Finishing -------------------------------------------------------------------


def test_finishing_saves_pain_after_and_notes(patient_client, session):
    response = patient_client.post(
        reverse("tracking:finish", args=[session.pk]),
        {"pain_after": "2", "notes": "Hips felt looser."},
    )

    session.refresh_from_db()
    assert response.status_code == 302
    assert response.url == session.get_absolute_url()
    assert session.is_finished
    assert (session.pain_after, session.notes) == (2, "Hips felt looser.")


@pytest.mark.parametrize("pain", ["", "12", "-3", "seven"])
def test_bad_pain_after_keeps_the_notes(patient_client, session, pain):
    response = patient_client.post(
        reverse("tracking:finish", args=[session.pk]),
        {"pain_after": pain, "notes": "Left knee clicked during the bridge."},
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert "Choose a number from 0 (no pain) to 10" in html
    assert "Left knee clicked during the bridge." in html
    session.refresh_from_db()
    assert not session.is_finished


def test_notes_that_are_too_long_are_refused_and_kept(patient_client, session):
    notes = "x" * (NOTES_MAX_LENGTH + 1)

    response = patient_client.post(
        reverse("tracking:finish", args=[session.pk]), {"pain_after": "3", "notes": notes}
    )

    html = response.content.decode()
    assert f"Please keep notes to {NOTES_MAX_LENGTH} characters or fewer" in html
    assert notes in html
    session.refresh_from_db()
    assert not session.is_finished


def test_line_breaks_count_once_against_the_notes_limit(patient_client, session):
    # The browser counts each line break as one character but sends two (CR LF).
    notes = "\r\n".join(["a" * 99] * 20)  # 1,999 characters as the browser counts them

    response = patient_client.post(
        reverse("tracking:finish", args=[session.pk]), {"pain_after": "3", "notes": notes}
    )

    assert response.status_code == 302
    session.refresh_from_db()
    assert session.notes == notes.replace("\r\n", "\n")


def test_finishing_twice_keeps_the_first_answer(patient_client, session):
    url = reverse("tracking:finish", args=[session.pk])
    patient_client.post(url, {"pain_after": "2"})
    session.refresh_from_db()
    finished_at = session.finished_at

    response = patient_client.post(url, {"pain_after": "9", "notes": "changed"}, follow=True)

    session.refresh_from_db()
    assert (session.pain_after, session.notes, session.finished_at) == (2, "", finished_at)
    assert "already finished" in response.content.decode()


@pytest.mark.parametrize("action", ["entry-done", "entry-skip", "entry"])
@pytest.mark.parametrize("as_htmx", [False, True])
def test_a_finished_session_cannot_be_changed(
    patient_client, session, htmx_headers, action, as_htmx
):
    patient_client.post(reverse("tracking:finish", args=[session.pk]), {"pain_after": "2"})
    entry = session.entries.get(order=1)

    response = patient_client.post(
        entry_url(action, entry), {"status": "done"}, headers=htmx_headers if as_htmx else {}
    )

    entry.refresh_from_db()
    assert entry.status == "todo"
    if as_htmx:
        assert response.headers["HX-Redirect"] == session.get_absolute_url()
    else:
        assert response.status_code == 302


def test_a_finished_session_shows_a_summary(patient_client, session):
    entry = session.entries.get(order=1)
    patient_client.post(entry_url("entry-done", entry))
    patient_client.post(
        reverse("tracking:finish", args=[session.pk]), {"pain_after": "3", "notes": "Easy"}
    )

    html = patient_client.get(session.get_absolute_url()).content.decode()

    assert "Pain before" in html
    assert "5 out of 10" in html
    assert "3 out of 10" in html
    assert "1 of 10" in html
    assert "Easy" in html
    assert "Not done" in html
    assert reverse("tracking:entry-done", args=[session.pk, entry.pk]) not in html
    assert reverse("tracking:discard", args=[session.pk]) not in html


def test_an_open_session_has_its_buttons(patient_client, session):
    entry = session.entries.get(order=1)

    html = patient_client.get(session.get_absolute_url()).content.decode()

    assert reverse("tracking:entry-done", args=[session.pk, entry.pk]) in html
    assert reverse("tracking:discard", args=[session.pk]) in html


# Discarding ------------------------------------------------------------------


def test_discarding_asks_first(patient_client, session):
    response = patient_client.get(reverse("tracking:discard", args=[session.pk]))

    assert response.status_code == 200
    assert "This cannot be undone." in response.content.decode()
    assert Session.objects.filter(pk=session.pk).exists()


def test_discarding_removes_an_unfinished_session_and_frees_today(patient_client, patient, session):
    response = patient_client.post(reverse("tracking:discard", args=[session.pk]))

    assert response.url == reverse("tracking:today")
    assert not Session.objects.filter(pk=session.pk).exists()
    assert not SessionEntry.objects.filter(session_id=session.pk).exists()
    assert patient_client.get(reverse("tracking:start")).status_code == 200


def test_a_finished_session_cannot_be_discarded(patient_client, session):
    patient_client.post(reverse("tracking:finish", args=[session.pk]), {"pain_after": "2"})

    response = patient_client.post(reverse("tracking:discard", args=[session.pk]), follow=True)

    assert Session.objects.filter(pk=session.pk).exists()
    assert "stays in your history" in response.content.decode()
