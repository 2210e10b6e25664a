from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils.cache import add_never_cache_headers


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
