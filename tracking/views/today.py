from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET

from accounts.http import AuthedRequest
from exercises.models import total_minutes

from ..access import patient_required
from ..models import Programme, Session


@require_GET
@login_required
def home(request: AuthedRequest) -> HttpResponse:
    """Send each person to the page they start from."""
    user = request.user
    if user.is_patient:
        return redirect("tracking:today")
    if user.is_staff:
        return redirect("admin:index")
    return redirect("exercises:routine")


@require_GET
@patient_required
def today(request: AuthedRequest) -> HttpResponse:
    patient = request.user
    day = timezone.localdate()
    sessions = Session.objects.for_patient(patient)
    items = list(Programme.for_patient(patient).items())
    return render(
        request,
        "tracking/today.html",
        {
            "day": day,
            "sessions_today": sessions.on(day).finished().with_counts(),
            "in_progress": sessions.in_progress().with_counts().first(),
            "items": items,
            "minutes": total_minutes(items),
        },
    )
