"""Who may see what. Every tracking view goes through these helpers.

Someone who may not see an object gets 404, exactly as if it did not exist,
and the audit trail records the refusal, naming the patient when there is one.
"""

from typing import NoReturn

from django.http import Http404, HttpRequest

from accounts.access import patient_required, physio_required
from accounts.http import AuthedRequest
from accounts.models import Role, User
from audit import trail
from audit.models import Target

from .models import SafetyCheck, Session, SessionEntry

__all__ = [
    "get_check_for",
    "get_entry_for",
    "get_patient_for",
    "get_patient_session_for",
    "get_session_for",
    "patient_required",
    "physio_required",
    "refuse",
]


def get_patient_for(request: AuthedRequest, patient_id: int) -> User:
    """A patient in the signed-in physio's care; checked afresh on every request."""
    try:
        return User.objects.patients_of(request.user).get(pk=patient_id)
    except User.DoesNotExist:
        patient = User.objects.filter(pk=patient_id, groups__name=Role.PATIENT).first()
        refuse(request, patient, Target.USER, patient_id)


def get_patient_session_for(request: AuthedRequest, patient: User, session_id: int) -> Session:
    """One of the patient's sessions, for their physio (after get_patient_for)."""
    try:
        return Session.objects.get(pk=session_id, patient=patient)
    except Session.DoesNotExist:
        refuse(request, _owner_of_session(session_id), Target.SESSION, session_id)


def get_session_for(request: HttpRequest, session_id: int) -> Session:
    try:
        return Session.objects.get(pk=session_id, patient_id=request.user.pk)
    except Session.DoesNotExist:
        refuse(request, _owner_of_session(session_id), Target.SESSION, session_id)


def get_entry_for(request: HttpRequest, session_id: int, entry_id: int) -> SessionEntry:
    try:
        return SessionEntry.objects.select_related("session", "exercise").get(
            pk=entry_id, session_id=session_id, session__patient_id=request.user.pk
        )
    except SessionEntry.DoesNotExist:
        refuse(request, _owner_of_session(session_id), Target.ENTRY, entry_id)


def get_check_for(request: HttpRequest, check_id: int) -> SafetyCheck:
    try:
        return SafetyCheck.objects.get(pk=check_id, patient_id=request.user.pk)
    except SafetyCheck.DoesNotExist:
        owner = User.objects.filter(safety_checks=check_id).first()
        refuse(request, owner, Target.SAFETY_CHECK, check_id)


def refuse(
    request: HttpRequest, patient: User | None, target_type: Target, target_id: int
) -> NoReturn:
    """Record the refusal, then answer 404 as if nothing were there."""
    trail.denied(request, patient=patient, target_type=target_type, target_id=target_id)
    raise Http404("Nothing here.")


def _owner_of_session(session_id: int) -> User | None:
    return User.objects.filter(exercise_sessions=session_id).first()
