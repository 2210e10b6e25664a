from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers

from accounts.http import AuthedRequest

from ..access import patient_required
from ..models import Session

SESSIONS_PER_PAGE = 20


@require_GET
@patient_required
@vary_on_headers("HX-Request")
def history(request: AuthedRequest) -> HttpResponse:
    sessions = Session.objects.for_patient(request.user).with_counts()
    page = Paginator(sessions, SESSIONS_PER_PAGE).get_page(request.GET.get("page"))
    template = "tracking/history.html"
    # A history restore (the Back button, with htmx's cache missed) needs the whole page.
    if request.htmx and not request.htmx.history_restore_request:
        template += "#session-list"
    return render(request, template, {"page": page})
