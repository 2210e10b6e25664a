"""Role checks for views: sign-in first, then the role, or 403."""

from collections.abc import Callable
from functools import wraps
from typing import Concatenate, ParamSpec, TypeVar

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse

from .http import AuthedRequest
from .models import Role

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
