from collections.abc import Callable
from urllib.parse import urlparse

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render, resolve_url
from django_ratelimit.core import is_ratelimited

from accounts.http import client_ip

from . import trail

# Statuses that mean "you may not": 403 forbidden, 429 too many tries. A 404
# counts only when an access check said so (trail.denied), since most 404s
# are just mistyped addresses.
REFUSALS = {403, 429}
# Pages that send the signed-out to sign in as their normal job.
FRONT_DOORS = {"home", "login", "logout", "admin:logout"}
RETRY_AFTER_SECONDS = 60


class AuditMiddleware:
    """Attribute records to the request's person and address; record every refusal."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with trail.serving(request):
            response = self.get_response(request)
            if self._refused(request, response):
                # Every refusal of a person who signed in; signed-out visitors' by window.
                trail.denied(request, status=response.status_code)
                if not _signed_in(request) and _too_many(request):
                    response = _too_many_response(request)
        return response

    @staticmethod
    def _refused(request: HttpRequest, response: HttpResponse) -> bool:
        if getattr(request, trail.DENIAL_RECORDED, False):
            return False
        if getattr(request, trail.SIGN_IN_EVENT_RECORDED, False):
            return False  # a failed or locked sign-in, a sign-out: recorded as such
        if response.status_code in REFUSALS:
            return True
        user = getattr(request, "user", None)
        if user is None or user.is_authenticated:
            return False
        match = request.resolver_match
        if match is not None and match.view_name in FRONT_DOORS:
            return False
        return _sends_to_sign_in(response)


def _signed_in(request: HttpRequest) -> bool:
    user = getattr(request, "user", None)
    return user is not None and user.is_authenticated


def _too_many(request: HttpRequest) -> bool:
    """Whether this address has been refused more than SIGNED_OUT_RATE_LIMIT allows."""
    return is_ratelimited(
        request,
        group="audit.signed-out",
        key=lambda _group, request: client_ip(request) or "unknown",
        rate=settings.SIGNED_OUT_RATE_LIMIT,
        increment=True,
    )


def _too_many_response(request: HttpRequest) -> HttpResponse:
    response = render(request, "429.html", status=429)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def _sends_to_sign_in(response: HttpResponse) -> bool:
    location = response.get("HX-Redirect") or (
        response.get("Location") if response.status_code == 302 else None
    )
    return bool(location) and urlparse(location).path == resolve_url(settings.LOGIN_URL)
