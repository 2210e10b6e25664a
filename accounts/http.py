import math

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django_htmx.middleware import HtmxDetails

from .models import User


class AuthedRequest(HttpRequest):
    """The request type of views behind sign-in, with django-htmx's details.

    For type checking only: the middleware stack provides both attributes.
    """

    user: User
    htmx: HtmxDetails


def client_ip(request: HttpRequest) -> str | None:
    """The client's address, for sign-in throttling.

    REMOTE_ADDR, unless PROXY_COUNT proxies of our own stand in front: each
    appends the address it saw to X-Forwarded-For, so the client's is that many
    places from the end, and anything a client wrote before it is ignored.
    """
    count = settings.PROXY_COUNT
    if count:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
        addresses = [address.strip() for address in forwarded if address.strip()]
        if len(addresses) >= count:
            return addresses[-count]
    return request.META.get("REMOTE_ADDR")


def locked_out(
    request: HttpRequest, original_response: HttpResponse | None, credentials: dict | None
) -> HttpResponse:
    """django-axes' answer to a locked-out sign-in: 429, a plain message, Retry-After."""
    cool_off = settings.AXES_COOLOFF_TIME.total_seconds()
    response = render(
        request,
        "registration/locked_out.html",
        {"failure_limit": settings.AXES_FAILURE_LIMIT, "minutes": math.ceil(cool_off / 60)},
        status=settings.AXES_HTTP_RESPONSE_CODE,
    )
    response["Retry-After"] = str(int(cool_off))
    return response
