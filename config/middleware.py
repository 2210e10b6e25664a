from collections.abc import Callable

from django.core.exceptions import BadRequest, SuspiciousOperation
from django.http import HttpRequest, HttpResponse, QueryDict, UnreadablePostError
from django.urls import get_resolver
from django.utils.cache import add_never_cache_headers
from django.utils.datastructures import MultiValueDict


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
    leaves `request.POST` empty so nothing below can trip over it again.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method == "POST":
            try:
                request.POST  # noqa: B018 - parses the body, or raises
            except (BadRequest, SuspiciousOperation, UnreadablePostError) as exc:
                request._post = QueryDict()  # type: ignore[attr-defined]
                request._files = MultiValueDict()  # type: ignore[attr-defined]
                handler: Callable[..., HttpResponse] = get_resolver().resolve_error_handler(400)
                return handler(request, exception=exc)
        return self.get_response(request)
