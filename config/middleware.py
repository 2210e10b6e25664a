import logging
from collections.abc import Callable

from django.core.exceptions import BadRequest, SuspiciousOperation
from django.http import HttpRequest, HttpResponse, QueryDict, UnreadablePostError
from django.http.multipartparser import MultiPartParserError
from django.urls import get_resolver
from django.utils.cache import add_never_cache_headers
from django.utils.datastructures import MultiValueDict
from django.utils.log import log_response


class NoStoreMiddleware:
    """Nothing the app itself answers is kept by browsers or proxies.

    Almost every page shows someone's health data, and a shared computer's back
    button or disk cache must not show it to the next person. Static files are
    answered by WhiteNoise above this middleware and keep their long cache.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        add_never_cache_headers(response)
        return response


class UnreadableBodyMiddleware:
    """A post whose body cannot be read is answered 400 with the app's own page.

    Django reads a form post's body lazily, the first time anything asks for
    `request.POST`; the CSRF check does so for every post. A body Django will
    not read (a form in UTF-16, a malformed multipart upload, too many fields)
    then raises there, and Django's own error views run the CSRF check again,
    read the body again and raise once more: a bare 500 without our headers.
    Reading the body here, once, turns all of these into one clear 400, and
    leaves `request.POST` empty so nothing below can trip over it again. Each
    is logged as Django itself would have: a SuspiciousOperation (too many
    fields) to `django.security.<its name>`, the rest to `django.request`.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method == "POST":
            try:
                request.POST  # noqa: B018 - parses the body, or raises
            except (
                BadRequest,
                MultiPartParserError,
                SuspiciousOperation,
                UnreadablePostError,
            ) as exc:
                request._post = QueryDict()  # type: ignore[attr-defined]
                request._files = MultiValueDict()  # type: ignore[attr-defined]
                handler: Callable[..., HttpResponse] = get_resolver().resolve_error_handler(400)
                response = handler(request, exception=exc)
                _log(request, response, exc)
                return response
        return self.get_response(request)


def _log(request: HttpRequest, response: HttpResponse, exc: Exception) -> None:
    """As django.core.handlers.exception.response_for_exception logs the same errors."""
    if isinstance(exc, SuspiciousOperation):
        log_response(
            str(exc),
            exception=exc,
            request=request,
            response=response,
            level="error",
            logger=logging.getLogger(f"django.security.{exc.__class__.__name__}"),
        )
    elif isinstance(exc, BadRequest):
        log_response(
            "%s: %s", str(exc), request.path, response=response, request=request, exception=exc
        )
    else:
        reason = "read" if isinstance(exc, UnreadablePostError) else "parse"
        log_response(
            f"Bad request (Unable to {reason} request body): %s",
            request.path,
            response=response,
            request=request,
            exception=exc,
        )
