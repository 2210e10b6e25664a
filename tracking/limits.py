"""How fast one person may log: a stuck button or a script must not flood the database."""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.http import HttpResponse
from django.shortcuts import render
from django_ratelimit.core import is_ratelimited

from accounts.http import AuthedRequest

RETRY_AFTER_SECONDS = 60


def limit_logging(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Count this view's posts against the person's LOG_RATE_LIMIT; past it, 429."""
    return _limited("tracking.log", view)


def limit_reports(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """The same limit, counted apart: logging fast never stops a report of pain
    or a warning sign."""
    return _limited("tracking.report", view)


def _limited(group: str, view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @wraps(view)
    def wrapper(request: AuthedRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.method == "POST" and is_ratelimited(
            request,
            group=group,
            key="user",
            rate=settings.LOG_RATE_LIMIT,
            method="POST",
            increment=True,
        ):
            response = render(
                request,
                "tracking/too_fast.html#message" if request.htmx else "tracking/too_fast.html",
                status=429,
            )
            response["Retry-After"] = str(RETRY_AFTER_SECONDS)
            if request.htmx:  # shown in the page's notice area; nothing else changes
                response["HX-Retarget"] = "#notices"
                response["HX-Reswap"] = "innerHTML"
            return response
        return view(request, *args, **kwargs)

    return wrapper
