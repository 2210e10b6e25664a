"""A patient downloads everything BackTrack holds about them; their physio can too.

The JSON file has everything, the CSV has one row per exercise logged. Counts
match the database, nothing of anyone else is in them, and every download is
recorded in the audit trail.
"""

import csv
import datetime as dt
import io
import json
from dataclasses import dataclass

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import Assignment, User
from audit.models import Action, AuditEvent, Target, pseudonym
from tests.conftest import programme_post, same_queries, signed_in, sql_of
from tracking.models import (
    AlertAcknowledgement,
    Comment,
    Programme,
    ProgrammeExercise,
    ProgrammeVersion,
    Session,
    SessionEntry,
)

BRIDGE = "Glute bridge"
BACK_CURL = "Back curl"
OTHER_NAMES = ["OTHER-PATIENT-NOTE", "OTHER-COMMENT", "OTHER-PROGRAMME-NOTE"]
CSV_HEADER = [
    "session_id",
    "day",
    "started_at",
    "finished_at",
    "pain_before",
    "pain_after",
    "asked_physio_to_look",
    "session_notes",
    "order",
    "exercise",
    "status",
    "sets_prescribed",
    "reps_prescribed",
    "hold_seconds",
    "each_side",
    "rest_seconds",
    "sets_done",
    "reps_done",
    "how_it_felt",
    "pain_during_it",
    "physio_note",
]


# Helpers ------------------------------------------------------------------


def log_session(
    patient: User,
    *,
    days_ago: int,
    pain_before: int,
    pain_after: int | None = None,
    notes: str = "",
    done: int = 0,
    skipped: int = 0,
    flagged: bool = False,
) -> Session:
    """A session with the patient's programme as it is now, `days_ago` days back.

    The first `done` exercises are done (the first of them felt too hard), the
    next `skipped` skipped, the rest left to do. Finished unless `pain_after` is None.
    """
    session, _ = Session.start(patient, pain_before=pain_before)
    entries = list(session.entries.order_by("order"))
    for number, entry in enumerate(entries[:done]):
        entry.mark_done()
        entry.effort = SessionEntry.Effort.TOO_HARD if number == 0 else ""
        entry.save()
    for entry in entries[done : done + skipped]:
        entry.mark_skipped()
        entry.save()
    if pain_after is not None:
        session.finish(pain_after=pain_after, notes=notes, flagged=flagged)
    started = timezone.now() - dt.timedelta(days=days_ago)
    Session.objects.filter(pk=session.pk).update(
        started_at=started,
        finished_at=started + dt.timedelta(minutes=20) if pain_after is not None else None,
        local_date=timezone.localdate(started, patient.tzinfo),
    )
    session.refresh_from_db()
    return session


def download(client: Client, name: str, *args) -> bytes:
    response = client.get(reverse(name, args=args))
    assert response.status_code == 200, response.content[:500]
    return response.content


def export_json(client: Client, *args) -> dict:
    name = "tracking:patient-export-json" if args else "tracking:export-json"
    return json.loads(download(client, name, *args))


def csv_text(content: bytes) -> str:
    # utf-8-sig: a byte-order mark, which spreadsheets use to recognise UTF-8, is welcome.
    return content.decode("utf-8-sig")


def csv_rows(content: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(csv_text(content))))


def change_programme(client: Client, patient: User, changes: dict) -> None:
    programme = Programme.objects.get(patient=patient)
    response = client.post(
        reverse("tracking:programme-edit", args=[patient.pk]), programme_post(programme, changes)
    )
    assert response.status_code == 302


def exports_since(seq: int) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(seq__gt=seq, action=Action.EXPORT).order_by("seq"))


def last_seq() -> int:
    return AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first() or 0


@dataclass
class History:
    sessions: list[Session]
    flagged: Session
    unfinished: Session


@pytest.fixture
def history(patient, physio, physio_client, assigned) -> History:
    """Months of use in a few rows: three programme versions, finished sessions with
    exercises done, skipped and left, one session still open, comments on a session
    and on the programme, and an alert the physio has seen."""
    patient.email = "pat@example.com"
    patient.timezone = "Europe/Paris"
    patient.save()
    first = log_session(patient, days_ago=10, pain_before=6, pain_after=5, notes="Stiff", done=10)
    change_programme(physio_client, patient, {BRIDGE: {"reps": 12, "note": "Keep it low"}})
    flagged = log_session(
        patient,
        days_ago=5,
        pain_before=5,
        pain_after=3,
        notes="Bridges hurt a bit",
        done=7,
        skipped=3,
        flagged=True,
    )
    Programme.objects.get(patient=patient).leave_out(
        physio, ProgrammeExercise.objects.get(exercise__name=BACK_CURL).exercise
    )
    skipped = log_session(patient, days_ago=2, pain_before=4, pain_after=4, skipped=9)
    unfinished = log_session(patient, days_ago=0, pain_before=3, done=2)
    physio_client.post(reverse("tracking:comment", args=[patient.pk]), {"body": "Great week!"})
    physio_client.post(
        reverse("tracking:session-comment", args=[patient.pk, flagged.pk]),
        {"body": "Lower the bridge next time."},
    )
    Comment.objects.filter(patient=patient, session=None).update(read_at=timezone.now())
    response = physio_client.post(
        reverse("tracking:acknowledge", args=[patient.pk]),
        {"kind": "flagged", "key": str(flagged.pk), "note": "Phoned them"},
    )
    assert response.status_code == 302
    assert AlertAcknowledgement.objects.filter(patient=patient).count() == 1
    return History([first, flagged, skipped, unfinished], flagged, unfinished)


@pytest.fixture
def others_history(other_patient, physio, physio_client) -> Session:
    """Another patient of the same physio, with notes, comments and a programme note
    of their own, and sessions logged between the patient's."""
    other_patient.username = "ollyvandersnoot"
    other_patient.first_name = "Ottoline"
    other_patient.last_name = "Vandersnoot"
    other_patient.email = "ottoline.vandersnoot@example.net"
    other_patient.save()
    Assignment.objects.create(patient=other_patient, physio=physio)
    log_session(
        other_patient, days_ago=7, pain_before=7, pain_after=6, notes="OTHER-PATIENT-NOTE", done=3
    )
    change_programme(physio_client, other_patient, {BRIDGE: {"note": "OTHER-PROGRAMME-NOTE"}})
    theirs = log_session(
        other_patient, days_ago=3, pain_before=6, pain_after=2, notes="OTHER-PATIENT-NOTE 2"
    )
    physio_client.post(
        reverse("tracking:session-comment", args=[other_patient.pk, theirs.pk]),
        {"body": "OTHER-COMMENT"},
    )
    physio_client.get(reverse("tracking:patient", args=[other_patient.pk]))
    return theirs


# The JSON file --------------------------------------------------------------


def test_the_json_download_is_an_attachment_that_parses(patient_client, history):
    response = patient_client.get(reverse("tracking:export-json"))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json; charset=utf-8"
    disposition = response["Content-Disposition"]
    assert disposition.startswith('attachment; filename="backtrack-my-data-')
    assert disposition.endswith('.json"')
    assert "no-store" in response["Cache-Control"]
    data = json.loads(response.content)
    assert data["format"] == "backtrack-patient-export"


def test_the_json_counts_match_the_database_exactly(patient_client, patient, history):
    data = export_json(patient_client)

    sessions = Session.objects.filter(patient=patient)
    entries = SessionEntry.objects.filter(session__patient=patient)
    assert len(data["sessions"]) == sessions.count() == 4
    assert {s["id"]: len(s["entries"]) for s in data["sessions"]} == {
        session.pk: session.entries.count() for session in sessions
    }
    assert sum(len(s["entries"]) for s in data["sessions"]) == entries.count() == 38
    exported_entries = [entry for s in data["sessions"] for entry in s["entries"]]
    for status in SessionEntry.Status.values:
        assert sum(e["status"] == status for e in exported_entries) == (
            entries.filter(status=status).count()
        ), status
    programme = data["programme"]
    versions = ProgrammeVersion.objects.filter(programme__patient=patient)
    assert (
        [v["number"] for v in programme["versions"]]
        == [1, 2, 3]
        == sorted(versions.values_list("number", flat=True))
    )
    assert programme["version"] == 3
    assert len(programme["exercises"]) == (
        ProgrammeExercise.objects.filter(programme__patient=patient).count()
    )
    comments = Comment.objects.filter(patient=patient)
    assert sorted(c["id"] for c in data["comments"]) == sorted(
        comments.values_list("pk", flat=True)
    )
    assert len(data["comments"]) == 2
    assert len(data["alerts_seen_by_physio"]) == (
        AlertAcknowledgement.objects.filter(patient=patient).count()
    )


def test_the_json_pain_scores_notes_and_doses_match_each_session(patient_client, history):
    data = export_json(patient_client)

    exported = {s["id"]: s for s in data["sessions"]}
    for session in history.sessions:
        row = exported[session.pk]
        assert (row["pain_before"], row["pain_after"]) == (
            session.pain_before,
            session.pain_after,
        )
        assert row["notes"] == session.notes
        assert row["day"] == session.local_date.isoformat()
        assert row["asked_physio_to_look"] == session.flagged
        assert row["programme_version"] == session.programme_version
    assert exported[history.unfinished.pk]["finished_at"] is None
    assert exported[history.unfinished.pk]["pain_after"] is None
    flagged = exported[history.flagged.pk]
    bridge = next(e for e in flagged["entries"] if e["exercise"] == BRIDGE)
    assert (bridge["reps"], bridge["physio_note"]) == (12, "Keep it low")
    first = flagged["entries"][0]
    assert (first["status"], first["how_it_felt"]) == ("done", "too_hard")
    assert (first["sets_done"], first["reps_done"]) == (first["sets"], first["reps"])


def test_the_json_holds_the_profile_programme_comments_and_seen_alerts(
    patient_client, patient, physio, history
):
    data = export_json(patient_client)

    patient.refresh_from_db()
    assert data["profile"] == {
        "username": "pat",
        "first_name": "Pat",
        "last_name": "Lee",
        "email": "pat@example.com",
        "time_zone": "Europe/Paris",
        "joined": patient.date_joined.astimezone(dt.UTC).isoformat(),
        "last_signed_in": patient.last_login.astimezone(dt.UTC).isoformat(),
        "physiotherapists": ["Phil Io"],
    }
    versions = data["programme"]["versions"]
    assert versions[1]["saved_by"] == "Phil Io"
    assert any("Back curl" in change for change in versions[2]["changes"])
    back_curl = next(e for e in data["programme"]["exercises"] if e["exercise"] == BACK_CURL)
    assert back_curl["included"] is False
    comments = {c["text"]: c for c in data["comments"]}
    assert comments["Great week!"]["about_session"] is None
    assert comments["Great week!"]["read_at"] is not None
    assert comments["Lower the bridge next time."]["about_session"] == history.flagged.pk
    assert comments["Lower the bridge next time."]["by"] == "Phil Io"
    [seen] = data["alerts_seen_by_physio"]
    assert (seen["seen_by"], seen["note"]) == ("Phil Io", "Phoned them")


# Nothing of anyone else -------------------------------------------------------


def test_nothing_of_another_patient_is_in_either_file(
    patient_client, history, other_patient, others_history
):
    raw_json = download(patient_client, "tracking:export-json")
    raw_csv = download(patient_client, "tracking:export-csv")

    theirs = [
        *OTHER_NAMES,
        other_patient.username,
        other_patient.first_name,
        other_patient.last_name,
        other_patient.email,
    ]
    for blob in (raw_json, raw_csv):
        for text in theirs:
            assert text.encode() not in blob, text
    their_sessions = set(Session.objects.filter(patient=other_patient).values_list("pk", flat=True))
    data = json.loads(raw_json)
    assert not {s["id"] for s in data["sessions"]} & their_sessions
    assert not {c["about_session"] for c in data["comments"]} & their_sessions
    assert not {int(row["session_id"]) for row in csv_rows(raw_csv)} & their_sessions
    assert len(data["who_saw_your_data"]) == 0  # the physio looked at the other patient only


# The CSV file -----------------------------------------------------------------


def test_the_csv_has_a_header_and_one_row_per_exercise_logged(patient_client, patient, history):
    response = patient_client.get(reverse("tracking:export-csv"))

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="backtrack-my-data-')
    assert response["Content-Disposition"].endswith('.csv"')
    lines = list(csv.reader(io.StringIO(csv_text(response.content))))
    assert lines[0] == CSV_HEADER
    entries = SessionEntry.objects.filter(session__patient=patient)
    assert len(lines) - 1 == entries.count() == 38
    rows = csv_rows(response.content)
    assert {(int(r["session_id"]), int(r["order"])) for r in rows} == set(
        entries.values_list("session_id", "order")
    )


def test_the_csv_values_match_the_database(patient_client, history):
    rows = csv_rows(download(patient_client, "tracking:export-csv"))

    session = history.flagged
    entry = session.entries.order_by("order").first()
    [row] = [r for r in rows if r["session_id"] == str(session.pk) and r["order"] == "1"]
    assert row == {
        "session_id": str(session.pk),
        "day": session.local_date.isoformat(),
        "started_at": session.started_at.astimezone(dt.UTC).isoformat(),
        "finished_at": session.finished_at.astimezone(dt.UTC).isoformat(),
        "pain_before": "5",
        "pain_after": "3",
        "asked_physio_to_look": "yes",
        "session_notes": "Bridges hurt a bit",
        "order": "1",
        "exercise": entry.exercise.name,
        "status": "done",
        "sets_prescribed": str(entry.sets),
        "reps_prescribed": str(entry.reps),
        "hold_seconds": str(entry.hold_seconds),
        "each_side": "yes" if entry.per_side else "no",
        "rest_seconds": str(entry.rest_seconds),
        "sets_done": str(entry.sets),
        "reps_done": str(entry.reps),
        "how_it_felt": "too_hard",
        "pain_during_it": "",
        "physio_note": entry.note,
    }
    open_rows = [r for r in rows if r["session_id"] == str(history.unfinished.pk)]
    assert {(r["finished_at"], r["pain_after"]) for r in open_rows} == {("", "")}
    skipped = [r for r in rows if r["status"] == "skipped"]
    assert {(r["sets_done"], r["reps_done"], r["how_it_felt"]) for r in skipped} == {("", "", "")}


def test_a_session_without_exercises_still_has_its_row(patient_client, patient):
    started = timezone.now() - dt.timedelta(days=1)
    Session.objects.create(
        patient=patient,
        started_at=started,
        finished_at=started,
        local_date=started.date(),
        pain_before=2,
        pain_after=1,
    )

    [row] = csv_rows(download(patient_client, "tracking:export-csv"))

    assert (row["pain_before"], row["pain_after"], row["exercise"], row["status"]) == (
        "2",
        "1",
        "",
        "",
    )


@pytest.mark.parametrize(
    "note",
    ['=HYPERLINK("http://evil.example/","Click")', "+1+2", "-2+3", "@SUM(A1:A2)", "\t=1+1"],
)
def test_text_that_a_spreadsheet_would_run_as_a_formula_comes_out_as_text(
    patient_client, patient, physio_client, assigned, note
):
    Programme.for_patient(patient)
    change_programme(physio_client, patient, {BRIDGE: {"note": "=1+1 is not a sum here"}})
    log_session(patient, days_ago=1, pain_before=4, pain_after=3, notes=note, done=1)

    rows = csv_rows(download(patient_client, "tracking:export-csv"))

    assert {row["session_notes"] for row in rows} == {"'" + note}
    [bridge] = [row for row in rows if row["exercise"] == BRIDGE]
    assert bridge["physio_note"] == "'=1+1 is not a sum here"
    # The JSON file is not for spreadsheets: it keeps the text exactly as written.
    [session] = export_json(patient_client)["sessions"]
    assert session["notes"] == note


def test_unicode_survives_in_both_files(patient_client, patient, physio_client, assigned):
    notes = "Hüfte besser — 腰痛が少し 😊"
    patient.first_name = "Zoë"
    patient.save()
    log_session(patient, days_ago=1, pain_before=4, pain_after=3, notes=notes, done=1)
    physio_client.post(reverse("tracking:comment", args=[patient.pk]), {"body": "Très bien ✓"})

    rows = csv_rows(download(patient_client, "tracking:export-csv"))
    data = export_json(patient_client)

    assert {row["session_notes"] for row in rows} == {notes}
    assert data["sessions"][0]["notes"] == notes
    assert data["profile"]["first_name"] == "Zoë"
    assert data["comments"][0]["text"] == "Très bien ✓"


@pytest.mark.parametrize("name", ["tracking:export-json", "tracking:export-csv"])
def test_an_export_takes_the_same_queries_however_long_the_history(
    patient, physio_client, assigned, name
):
    client = signed_in(patient)
    url = reverse(name)
    log_session(patient, days_ago=9, pain_before=5, pain_after=4, done=2)
    physio_client.post(reverse("tracking:comment", args=[patient.pk]), {"body": "One"})
    few = sql_of(lambda: client.get(url))

    for days_ago in (1, 2, 3):
        log_session(patient, days_ago=days_ago, pain_before=5, pain_after=4, done=3, skipped=1)
    change_programme(physio_client, patient, {BRIDGE: {"reps": 12}})
    physio_client.post(reverse("tracking:comment", args=[patient.pk]), {"body": "Two"})
    physio_client.get(reverse("tracking:patient", args=[patient.pk]))
    many = sql_of(lambda: client.get(url))

    assert same_queries(few, many)


# The physio's copy ------------------------------------------------------------


def test_a_physio_downloads_the_same_copy_as_their_patient(
    patient_client, physio_client, patient, history
):
    mine = export_json(patient_client)
    physios = export_json(physio_client, patient.pk)
    mine_csv = download(patient_client, "tracking:export-csv")
    physios_csv = download(physio_client, "tracking:patient-export-csv", patient.pk)

    del mine["exported_at"], physios["exported_at"]
    assert physios == mine
    assert physios_csv == mine_csv
    response = physio_client.get(reverse("tracking:patient-export-json", args=[patient.pk]))
    assert response["Content-Disposition"].startswith(
        f'attachment; filename="backtrack-patient-{patient.pk}-'
    )


@pytest.mark.parametrize("file_format", ["json", "csv"])
@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("physio", 200),
        ("other_physio", 404),
        ("patient", 403),
        ("other_patient", 403),
        ("staff_admin", 403),
        (None, 302),
    ],
)
def test_only_the_patients_own_physios_may_download_their_data(
    request,
    patient,
    physio,
    other_physio,
    other_patient,
    staff_admin,
    assigned,
    who,
    status,
    file_format,
):
    log_session(patient, days_ago=1, pain_before=4, pain_after=3, notes="Mine only", done=1)
    client = signed_in(request.getfixturevalue(who) if who else None)
    before = last_seq()

    response = client.get(reverse(f"tracking:patient-export-{file_format}", args=[patient.pk]))

    assert response.status_code == status
    assert (b"Mine only" in response.content) == (status == 200)
    assert len(exports_since(before)) == (1 if status == 200 else 0)
    if status == 302:
        assert response["Location"].startswith(reverse("login"))


def test_a_physio_cannot_download_a_patient_no_longer_in_their_care(
    physio_client, patient, assigned
):
    assigned.delete()

    response = physio_client.get(reverse("tracking:patient-export-json", args=[patient.pk]))

    assert response.status_code == 404


# The audit trail --------------------------------------------------------------


@pytest.mark.parametrize("file_format", ["json", "csv"])
def test_each_download_by_the_patient_is_one_audit_record(
    patient_client, patient, history, file_format
):
    before = last_seq()

    patient_client.get(reverse(f"tracking:export-{file_format}"))

    [event] = exports_since(before)
    assert (event.actor, event.patient, event.outcome) == (patient, patient, "success")
    assert event.target_type == Target.USER
    assert event.target_id is None  # a person, by pseudonym only
    assert event.target_ref == pseudonym(patient.pk)
    assert event.detail == {"format": file_format}


@pytest.mark.parametrize("file_format", ["json", "csv"])
def test_each_download_by_the_physio_is_one_audit_record(
    physio_client, patient, physio, history, file_format
):
    before = last_seq()

    physio_client.get(reverse(f"tracking:patient-export-{file_format}", args=[patient.pk]))
    physio_client.get(reverse(f"tracking:patient-export-{file_format}", args=[patient.pk]))

    events = exports_since(before)
    assert [(e.actor, e.patient, e.detail) for e in events] == [
        (physio, patient, {"format": file_format})
    ] * 2


def test_the_physios_download_shows_on_the_patients_page_and_their_own_does_not(
    patient_client, physio_client, patient, assigned
):
    my_data = reverse("tracking:my-data")
    patient_client.get(reverse("tracking:export-json"))
    patient_client.get(reverse("tracking:export-csv"))

    before = patient_client.get(my_data).content.decode()
    physio_client.get(reverse("tracking:patient-export-csv", args=[patient.pk]))
    after = patient_client.get(my_data).content.decode()

    assert "downloaded a copy of your data" not in before
    assert "Nobody else has looked at your records yet." in before
    assert after.count("downloaded a copy of your data") == 1
    assert "<strong>Phil Io</strong> downloaded a copy of your data" in after


# The pages that link to the downloads ---------------------------------------


def test_the_your_data_page_links_to_both_downloads(patient_client):
    page = patient_client.get(reverse("tracking:my-data")).content.decode()

    assert f'href="{reverse("tracking:export-json")}" download' in page
    assert f'href="{reverse("tracking:export-csv")}" download' in page


def test_the_patient_page_links_the_physio_to_both_downloads(physio_client, patient, assigned):
    page = physio_client.get(reverse("tracking:patient", args=[patient.pk])).content.decode()

    assert f'href="{reverse("tracking:patient-export-json", args=[patient.pk])}" download' in page
    assert f'href="{reverse("tracking:patient-export-csv", args=[patient.pk])}" download' in page
