"""The site's URLs plus two test views: one a page polls in the background, one not."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.urls import path

from accounts.sign_in import background
from config.urls import urlpatterns as site


@login_required
def poll(request: HttpRequest) -> HttpResponse:
    return HttpResponse("nothing new")


urlpatterns = [
    path("test/poll/", background(poll), name="test-poll"),
    path("test/look/", poll, name="test-look"),
    *site,
]
