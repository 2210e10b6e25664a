from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from .models import Exercise, total_minutes


@require_GET
@login_required
def routine(request: HttpRequest) -> HttpResponse:
    exercises = list(Exercise.objects.active())
    return render(
        request,
        "exercises/routine.html",
        {"exercises": exercises, "minutes": total_minutes(exercises)},
    )


@require_GET
@login_required
def detail(request: HttpRequest, slug: str) -> HttpResponse:
    exercise = get_object_or_404(Exercise, slug=slug)
    return render(request, "exercises/detail.html", {"exercise": exercise})


@require_GET
@login_required
def version(request: HttpRequest, version_id: int) -> HttpResponse:
    """An exercise as the library described it at one time: what a logged session followed."""
    record = get_object_or_404(Exercise.history, history_id=version_id)
    latest = Exercise.history.filter(id=record.id).latest()
    current = Exercise.objects.filter(pk=record.id).first()
    return render(
        request,
        "exercises/detail.html",
        {
            "exercise": record.instance,
            "version": record,
            "superseded_by": current if latest.history_id != record.history_id else None,
        },
    )
