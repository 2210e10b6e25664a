"""A patient's data rights: a copy of everything (export) and deletion (erasure).

Both are recorded in the audit trail. An erasure deletes the person and
everything about them in one transaction; the trail keeps only their
pseudonym, so it still verifies and no longer names them.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from typing import Any

from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import Prefetch, Q
from django.utils import timezone

from accounts.models import Assignment, Invitation, Role, User
from audit import trail
from audit.models import Action, AuditEvent, Target, append, pseudonym

from .models import (
    AlertAcknowledgement,
    Comment,
    Programme,
    SafetyCheck,
    Session,
    SessionEntry,
)

# How a look at the patient's data reads to the patient.
SEEN_AS: dict[tuple[str, str], str] = {
    (Action.VIEW_PATIENT, Target.USER): "looked at your record",
    (Action.VIEW_PATIENT, Target.SESSION): "looked at one of your sessions",
    (Action.VIEW_PATIENT, Target.PROGRAMME): "opened your programme to review it",
    (Action.EXPORT, Target.USER): "downloaded a copy of your data",
}

ERASED = "an erased patient's record"
EXPORT_FORMAT = "backtrack-patient-export"
EXPORT_VERSION = 2  # 2: safety check-ins, and pain during an exercise

CSV_COLUMNS = [
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


def _when(value: dt.datetime | None) -> str | None:
    return value.astimezone(dt.UTC).isoformat() if value is not None else None


def _sessions(patient: User) -> list[Session]:
    entries = SessionEntry.objects.select_related("exercise").order_by("order", "pk")
    return list(
        Session.objects.for_patient(patient)
        .order_by("started_at", "pk")
        .prefetch_related(Prefetch("entries", queryset=entries))
    )


def export_data(patient: User) -> dict[str, Any]:
    """Everything BackTrack holds about the patient, as plain data."""
    programme = Programme.objects.filter(patient=patient).first()
    comments = Comment.objects.filter(patient=patient).select_related("author")
    acknowledgements = AlertAcknowledgement.objects.filter(patient=patient).select_related(
        "acknowledged_by"
    )
    return {
        "format": EXPORT_FORMAT,
        "format_version": EXPORT_VERSION,
        "exported_at": _when(timezone.now()),
        "times": "UTC, ISO 8601; 'day' is the day in your own time zone",
        "profile": {
            "username": patient.username,
            "first_name": patient.first_name,
            "last_name": patient.last_name,
            "email": patient.email,
            "time_zone": patient.timezone,
            "joined": _when(patient.date_joined),
            "last_signed_in": _when(patient.last_login),
            "physiotherapists": [
                str(physio) for physio in patient.physios.order_by("last_name", "first_name")
            ],
        },
        "programme": _programme(programme),
        "sessions": [_session(session) for session in _sessions(patient)],
        "safety_check_ins": [
            {
                "answered_at": _when(check.answered_at),
                "day": check.local_date.isoformat(),
                "warning_signs": [flag.question for flag in check.red_flags],
                "advice": check.get_advice_display(),
                "taken_back_at": _when(check.withdrawn_at),
            }
            for check in SafetyCheck.objects.filter(patient=patient).order_by("answered_at", "pk")
        ],
        "comments": [
            {
                "id": comment.pk,
                "written_at": _when(comment.created_at),
                "by": str(comment.author) if comment.author else "a former physiotherapist",
                "about_session": comment.session_id,
                "text": comment.body,
                "read_at": _when(comment.read_at),
            }
            for comment in comments.order_by("created_at", "pk")
        ],
        "alerts_seen_by_physio": [
            {
                "kind": ack.get_kind_display(),
                "alert": ack.summary,
                "seen_at": _when(ack.acknowledged_at),
                "seen_by": str(ack.acknowledged_by) if ack.acknowledged_by else None,
                "note": ack.note,
            }
            for ack in acknowledgements.order_by("acknowledged_at", "pk")
        ],
        "who_saw_your_data": [
            {"when": _when(event.at), "who": _name(event.actor), "what": seen_as(event)}
            for event in AuditEvent.objects.views_by_others(patient.pk)
            .select_related("actor")
            .order_by("seq")
        ],
    }


def seen_as(event: AuditEvent) -> str:
    return SEEN_AS.get((event.action, event.target_type), "looked at your data")


def _name(user: User | None) -> str:
    return str(user) if user is not None else "a removed account"


def _programme(programme: Programme | None) -> dict[str, Any] | None:
    if programme is None:
        return None
    return {
        "target_sessions_a_week": programme.target_per_week,
        "days_without_a_session_before_an_alert": programme.inactivity_days,
        "version": programme.version,
        "exercises": [
            {
                "order": item.order,
                "exercise": item.exercise.name,
                "included": item.included,
                "note": item.note,
                **item.dose_values(),
            }
            for item in programme.items()
        ],
        "versions": [
            {
                "number": version.number,
                "saved_at": _when(version.created_at),
                "saved_by": str(version.created_by) if version.created_by else None,
                "changes": version.changes,
                "programme": version.snapshot,
            }
            for version in programme.versions.select_related("created_by").order_by("number")
        ],
    }


def _session(session: Session) -> dict[str, Any]:
    return {
        "id": session.pk,
        "day": session.local_date.isoformat(),
        "started_at": _when(session.started_at),
        "finished_at": _when(session.finished_at),
        "pain_before": session.pain_before,
        "pain_after": session.pain_after,
        "asked_physio_to_look": session.flagged,
        "notes": session.notes,
        "programme_version": session.programme_version,
        "entries": [
            {
                "order": entry.order,
                "exercise": entry.exercise.name,
                "status": entry.status,
                **entry.dose_values(),
                "sets_done": entry.sets_done,
                "reps_done": entry.reps_done,
                "how_it_felt": entry.effort,
                "pain_during_it": entry.hurt,
                "physio_note": entry.note,
            }
            for entry in session.entries.all()
        ],
    }


def export_csv(patient: User) -> str:
    """Sessions and their exercises, one row per exercise, for spreadsheets."""
    out = io.StringIO()
    out.write("\ufeff")  # so spreadsheets read it as UTF-8, accents and all
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for session in _sessions(patient):
        start = [
            session.pk,
            session.local_date.isoformat(),
            _when(session.started_at),
            _when(session.finished_at) or "",
            session.pain_before,
            "" if session.pain_after is None else session.pain_after,
            "yes" if session.flagged else "no",
            _cell(session.notes),
        ]
        entries = list(session.entries.all())
        for entry in entries:
            writer.writerow(
                [
                    *start,
                    entry.order,
                    _cell(entry.exercise.name),
                    entry.status,
                    entry.sets,
                    entry.reps,
                    entry.hold_seconds,
                    "yes" if entry.per_side else "no",
                    entry.rest_seconds,
                    "" if entry.sets_done is None else entry.sets_done,
                    "" if entry.reps_done is None else entry.reps_done,
                    entry.effort,
                    "" if entry.hurt is None else entry.hurt,
                    _cell(entry.note),
                ]
            )
        if not entries:
            writer.writerow(start + [""] * (len(CSV_COLUMNS) - len(start)))
    return out.getvalue()


def _cell(text: str) -> str:
    """Text a spreadsheet will show as text, never run as a formula."""
    if text[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + text
    return text


def record_export(patient: User, file_format: str) -> None:
    trail.record(Action.EXPORT, target=patient, patient=patient, detail={"format": file_format})


def may_be_erased(person: User) -> bool:
    """A patient's own account, or a former patient's who still has health data.

    Never an account that is also a physio's or an admin's: erasing it would
    take other patients' care, or the clinic's administration, with it.
    """
    if person.is_staff or person.has_role(Role.PHYSIO):
        return False
    return person.has_role(Role.PATIENT) or has_health_data(person)


def has_health_data(person: User) -> bool:
    return (
        Session.objects.filter(patient=person).exists()
        or Programme.objects.filter(patient=person).exists()
        or Comment.objects.filter(patient=person).exists()
        or SafetyCheck.objects.filter(patient=person).exists()
    )


@transaction.atomic
def erase(patient: User, *, by: User | None, request_received: dt.date | None = None) -> None:
    """Delete the patient and everything about them; the trail keeps a pseudonym.

    `by` is the admin acting on a written request received on `request_received`,
    or None when patients delete their own account.
    """
    # Locked: no other request can link a new record to the account meanwhile.
    patient = User.objects.select_for_update().get(pk=patient.pk)
    patient_id = patient.pk
    counts = {
        "sessions": Session.objects.filter(patient=patient).count(),
        "entries": SessionEntry.objects.filter(session__patient=patient).count(),
        "comments": Comment.objects.filter(patient=patient).count(),
    }
    invited = Q(accepted_by=patient)
    if patient.email:  # invitations sent to them hold their name and address
        invited |= Q(email__iexact=patient.email)
    invitations = list(Invitation.objects.filter(invited))
    with trail.unrecorded():
        _forget_in_admin_history(
            patient, list(Assignment.objects.filter(patient=patient)), invitations
        )
        Invitation.objects.filter(pk__in=[invitation.pk for invitation in invitations]).delete()
        _forget_sign_in_attempts(patient.username)
        patient.delete()

    detail: dict[str, Any] = {**counts, "by": "admin" if by is not None else "patient"}
    if request_received is not None:
        detail["request_received"] = request_received.isoformat()
    erasure = trail.event(Action.ERASE, actor=by, detail=detail)
    erasure.patient_ref = pseudonym(patient_id)
    if by is None:
        erasure.actor_ref = pseudonym(patient_id)
    append([erasure])


def _forget_in_admin_history(
    patient: User, assignments: list[Assignment], invitations: list[Invitation]
) -> None:
    """The admin's history of the patient, their care and invitations goes with them;
    entries about other records (a physio's page listing them) lose their name."""
    types = ContentType.objects.get_for_models(User, Assignment, Invitation)
    LogEntry.objects.filter(
        Q(content_type=types[User], object_id=str(patient.pk))
        | Q(content_type=types[Assignment], object_id__in=[str(a.pk) for a in assignments])
        | Q(content_type=types[Invitation], object_id__in=[str(i.pk) for i in invitations])
    ).delete()
    names = {str(item) for item in [*assignments, *invitations]}
    if not names:
        return
    naming = Q()
    for name in names:
        naming |= Q(change_message__contains=json.dumps(name)[1:-1])
    for entry in LogEntry.objects.filter(naming):
        try:
            changes = json.loads(entry.change_message)
        except ValueError:
            continue  # not one of the admin's own structured messages
        for change in changes if isinstance(changes, list) else []:
            for part in change.values() if isinstance(change, dict) else []:
                if isinstance(part, dict) and part.get("object") in names:
                    part["object"] = ERASED
        entry.change_message = json.dumps(changes)
        entry.save(update_fields=["change_message"])


def _forget_sign_in_attempts(username: str) -> None:
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog

    for model in (AccessAttempt, AccessLog, AccessFailureLog):
        model.objects.filter(username=username).delete()
