"""Who may see what. Every tracking view goes through these helpers.

Someone who may not see an object gets 404, exactly as if it did not exist.
"""

from collections.abc import Callable
from functools import wraps
from typing import Concatenate, ParamSpec, TypeVar

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404

from accounts.http import AuthedRequest
from accounts.models import Role, User

from .models import Session, SessionEntry

P = ParamSpec("P")
R = TypeVar("R", bound=HttpResponse)


def _role_required(
    role: Role, view: Callable[Concatenate[AuthedRequest, P], R]
) -> Callable[Concatenate[AuthedRequest, P], R]:
    """Sign-in required; then only active people with `role` get in (403 otherwise)."""

    @wraps(view)
    def wrapper(request: AuthedRequest, /, *args: P.args, **kwargs: P.kwargs) -> R:
        if not (request.user.is_active and request.user.has_role(role)):
            raise PermissionDenied(f"This page is for {role.label.lower()}s.")
        return view(request, *args, **kwargs)

    return login_required(wrapper)


def patient_required(
    view: Callable[Concatenate[AuthedRequest, P], R],
) -> Callable[Concatenate[AuthedRequest, P], R]:
    return _role_required(Role.PATIENT, view)


def physio_required(
    view: Callable[Concatenate[AuthedRequest, P], R],
) -> Callable[Concatenate[AuthedRequest, P], R]:
    return _role_required(Role.PHYSIO, view)


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
