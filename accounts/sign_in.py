"""How long a sign-in lasts, and where people go when it has ended.

Everyone is signed out after SESSION_IDLE_TIMEOUT without activity and after
SESSION_ABSOLUTE_TIMEOUT in any case. A patient who ticks "Keep me signed in on
this device" stays signed in for SESSION_REMEMBER_FOR instead: their phone is
theirs, and a sign-in every morning would keep them from their exercises.
Staff never get that choice: they see many patients' data.

Requests that a page makes by itself in the background (views marked
`@background`) do not count as activity: a caseload left open on a screen must
still sign its physio out.
"""

import time
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast
from urllib.parse import urlparse

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.signals import user_logged_in
from django.contrib.auth.views import LoginView, redirect_to_login
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import resolve_url
from django.utils.http import url_has_allowed_host_and_scheme
from django_htmx.http import HttpResponseClientRedirect

from .forms import SignInForm

SIGNED_IN_AT = "signed_in_at"
ACTIVE_AT = "active_at"
REMEMBERED = "remembered"

# Activity is written to the session at most once a minute, not on every request.
ACTIVITY_GRANULARITY = 60

V = TypeVar("V", bound=Callable[..., HttpResponse])


def background(view: V) -> V:
    """Mark a view that pages poll on their own: calling it is not activity."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> HttpResponse:
        return view(*args, **kwargs)

    wrapper.background = True  # type: ignore[attr-defined]
    return cast(V, wrapper)


def may_remember(user: Any) -> bool:
    """Only patients, and not a patient who is also a physio or an admin."""
    return bool(user.is_patient and not (user.is_staff or user.is_physio))


def remember(request: HttpRequest) -> None:
    """Keep this patient signed in on this device for SESSION_REMEMBER_FOR."""
    request.session[REMEMBERED] = True
    request.session.set_expiry(int(settings.SESSION_REMEMBER_FOR.total_seconds()))


@receiver(user_logged_in, dispatch_uid="accounts_start_sign_in_clock")
def start_clock(sender: Any, request: HttpRequest | None, **kwargs: Any) -> None:
    if request is None:
        return
    now = int(time.time())
    request.session[SIGNED_IN_AT] = now
    request.session[ACTIVE_AT] = now
    request.session.pop(REMEMBERED, None)
    request.session.set_expiry(int(settings.SESSION_ABSOLUTE_TIMEOUT.total_seconds()))


class SignInView(LoginView):
    form_class = SignInForm
    redirect_authenticated_user = True

    def form_valid(self, form: SignInForm) -> HttpResponse:  # type: ignore[override]
        response = super().form_valid(form)
        if form.cleaned_data["remember"] and may_remember(form.get_user()):
            remember(self.request)
        return response


def ended(request: HttpRequest, now: int) -> str | None:
    """Why this request's sign-in has run out, or None while it lasts."""
    session = request.session
    signed_in_at = session.get(SIGNED_IN_AT)
    active_at = session.get(ACTIVE_AT)
    if not isinstance(signed_in_at, int) or not isinstance(active_at, int):
        return "You were signed out. Please sign in again."
    if session.get(REMEMBERED) and may_remember(request.user):
        if now - signed_in_at > settings.SESSION_REMEMBER_FOR.total_seconds():
            return "You were signed out because it has been 30 days. Please sign in again."
        return None
    if now - signed_in_at > settings.SESSION_ABSOLUTE_TIMEOUT.total_seconds():
        hours = int(settings.SESSION_ABSOLUTE_TIMEOUT.total_seconds() // 3600)
        return (
            f"You were signed out because you signed in over {hours} hours ago. "
            "Please sign in again."
        )
    if now - active_at > settings.SESSION_IDLE_TIMEOUT.total_seconds():
        minutes = int(settings.SESSION_IDLE_TIMEOUT.total_seconds() // 60)
        return (
            f"You were signed out after {minutes} minutes without activity, "
            "to keep your information private. Please sign in again."
        )
    return None


def way_back(request: HttpRequest) -> str:
    """The page to come back to after signing in (or verifying): "" for none.

    For htmx, the page the fragment is part of; for a form post, the page the
    form was on (its address only takes posts); otherwise this address.
    """
    if request.htmx:  # type: ignore[attr-defined]
        return request.htmx.current_url_abs_path or ""  # type: ignore[attr-defined]
    if request.method in ("GET", "HEAD"):
        return request.get_full_path()
    referer = request.headers.get("Referer", "")
    allowed = url_has_allowed_host_and_scheme(
        referer, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return urlparse(referer)._replace(scheme="", netloc="").geturl() if allowed else ""


def send_to(request: HttpRequest, url: str) -> HttpResponse:
    """Redirect to `url`, with the way back as `next`: for htmx, the whole page,
    not a sign-in form inside a fragment."""
    back = way_back(request)
    response = redirect_to_login(back, url) if back else HttpResponseRedirect(url)
    if request.htmx:  # type: ignore[attr-defined]
        return HttpResponseClientRedirect(response["Location"])
    return response


def to_sign_in(request: HttpRequest) -> HttpResponse:
    return send_to(request, resolve_url(settings.LOGIN_URL))


class SignInTimeoutMiddleware:
    """End sign-ins that have run out; note activity; send the signed-out to sign in."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            now = int(time.time())
            reason = ended(request, now)
            if reason is not None:
                logout(request)
                messages.info(request, reason)
                return to_sign_in(request)
            request.note_activity = now  # type: ignore[attr-defined]
        response = self.get_response(request)
        if request.htmx:  # type: ignore[attr-defined]
            if self._sends_to_sign_in(response, with_way_back=False):
                return to_sign_in(request)
        elif request.method not in ("GET", "HEAD") and self._sends_to_sign_in(response):
            return to_sign_in(request)
        return response

    def process_view(
        self, request: HttpRequest, view: Callable[..., Any], args: Any, kwargs: Any
    ) -> None:
        now = getattr(request, "note_activity", None)
        if now is None or getattr(view, "background", False):
            return
        if now - request.session.get(ACTIVE_AT, 0) >= ACTIVITY_GRANULARITY:
            request.session[ACTIVE_AT] = now

    @staticmethod
    def _sends_to_sign_in(response: HttpResponse, *, with_way_back: bool = True) -> bool:
        """A redirect to sign in; with a way back, @login_required's rather than sign-out's."""
        if response.status_code != 302:
            return False
        location = urlparse(response["Location"])
        if location.path != resolve_url(settings.LOGIN_URL):
            return False
        return "next=" in location.query or not with_way_back
