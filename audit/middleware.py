from collections.abc import Callable
from urllib.parse import urlparse

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render, resolve_url
from django_ratelimit.core import get_usage

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
            if not self._refused(request, response):
                return response
            if _signed_in(request):  # every refusal of a person who signed in
                trail.denied(request, status=response.status_code)
            elif _already_too_many(request):  # a flood: as little work as can be
                trail.counted_signed_out(request)
                response = _too_many_response(request)
            elif _too_many(request):
                trail.denied_signed_out(request, status=429, too_many=True)
                response = _too_many_response(request)
            else:
                trail.denied_signed_out(request, status=response.status_code)
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


def _already_too_many(request: HttpRequest) -> bool:
    """Whether this address went past SIGNED_OUT_RATE_LIMIT in this period: one read."""
    return bool(cache.get(_too_many_key(request)))


def _too_many(request: HttpRequest) -> bool:
    """Count this refusal against SIGNED_OUT_RATE_LIMIT; whether it goes past it."""
    usage = get_usage(
        request,
        group="audit.signed-out",
        key=lambda _group, request: trail.signed_out_network(request),
        rate=settings.SIGNED_OUT_RATE_LIMIT,
        increment=True,
    )
    if usage is None or not usage["should_limit"]:
        return False
    # Until the period ends, the address's refusals skip the count above.
    cache.set(_too_many_key(request), True, max(usage["time_left"], 1))
    return True


def _too_many_key(request: HttpRequest) -> str:
    return f"{trail.signed_out_key(request)}:over-limit"


def _too_many_response(request: HttpRequest) -> HttpResponse:
    response = render(request, "429.html", status=429)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def _sends_to_sign_in(response: HttpResponse) -> bool:
    location = response.get("HX-Redirect") or (
        response.get("Location") if response.status_code == 302 else None
    )
    return bool(location) and urlparse(location).path == resolve_url(settings.LOGIN_URL)
