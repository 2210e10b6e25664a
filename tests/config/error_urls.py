"""The site's URLs plus a view that fails, to see what an error looks like."""

from django.http import HttpRequest, HttpResponse
from django.urls import path

from config.urls import urlpatterns as site


def broken(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("SELECT secret FROM settings WHERE SECRET_KEY")


urlpatterns = [path("test/broken/", broken), *site]
