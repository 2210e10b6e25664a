"""Who may see what. Every tracking view goes through these helpers.

Someone who may not see an object gets 404, exactly as if it did not exist.
"""

from django.http import HttpRequest
from django.shortcuts import get_object_or_404

from accounts.access import patient_required, physio_required
from accounts.http import AuthedRequest
from accounts.models import User

from .models import Session, SessionEntry

__all__ = [
    "get_entry_for",
    "get_patient_for",
    "get_patient_session_for",
    "get_session_for",
    "patient_required",
    "physio_required",
]


def get_patient_for(request: AuthedRequest, patient_id: int) -> User:
    """A patient in the signed-in physio's care; checked afresh on every request."""
    return get_object_or_404(User.objects.patients_of(request.user), pk=patient_id)


def get_patient_session_for(request: AuthedRequest, patient: User, session_id: int) -> Session:
    """One of the patient's sessions, for their physio (after get_patient_for)."""
    return get_object_or_404(Session, pk=session_id, patient=patient)


def get_session_for(request: HttpRequest, session_id: int) -> Session:
    return get_object_or_404(Session, pk=session_id, patient_id=request.user.pk)


def get_entry_for(request: HttpRequest, session_id: int, entry_id: int) -> SessionEntry:
    return get_object_or_404(
        SessionEntry.objects.select_related("session", "exercise"),
        pk=entry_id,
        session_id=session_id,
        session__patient_id=request.user.pk,
    )
