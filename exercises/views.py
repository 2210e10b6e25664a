from dataclasses import dataclass
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from .doses import USUAL_DOSE, YOUR_DOSE, OwnDose, own_doses
from .models import Dose, Exercise, total_minutes


@dataclass(frozen=True)
class LibraryRow:
    """An exercise on the library's list: at the reader's own dose if they have one."""

    exercise: Exercise
    own: OwnDose | None

    @property
    def url(self) -> str:
        return self.own.url if self.own else self.exercise.get_absolute_url()

    @property
    def dose(self) -> Dose:
        return self.own.dose if self.own else self.exercise

    @property
    def dose_label(self) -> str:
        return YOUR_DOSE if self.own else USUAL_DOSE


@require_GET
@login_required
def routine(request: HttpRequest) -> HttpResponse:
    exercises = list(Exercise.objects.active())
    own = own_doses(request.user)
    return render(
        request,
        "exercises/routine.html",
        {
            "rows": [LibraryRow(exercise, own.get(exercise.pk)) for exercise in exercises],
            "has_own_doses": bool(own),
            "minutes": total_minutes(exercises),
        },
    )


@require_GET
@login_required
def detail(request: HttpRequest, slug: str) -> HttpResponse:
    exercise = get_object_or_404(Exercise, slug=slug)
    context = exercise_context(exercise)
    context["own"] = own_doses(request.user).get(exercise.pk)
    return render(request, "exercises/detail.html", context)


@require_GET
@login_required
def version(request: HttpRequest, version_id: int) -> HttpResponse:
    """An exercise as the library described it at one time: what a logged session followed."""
    record = get_object_or_404(Exercise.history, history_id=version_id)
    return render(request, "exercises/detail.html", version_context(record))


def exercise_context(
    exercise: Exercise,
    dose: Dose | None = None,
    *,
    dose_label: str = USUAL_DOSE,
    note: str = "",
    back: tuple[str, str] | None = None,
) -> dict[str, Any]:
    """What the exercise page shows: the library's words, with a dose.

    Without `dose`, the library's default, labelled as such; a patient's own
    pages pass theirs, their physio's `note`, and a `back` link (url, words).
    """
    return {
        "exercise": exercise,
        "dose": exercise if dose is None else dose,
        "dose_label": dose_label,
        "note": note,
        "back": back,
    }


def version_context(record: Any, dose: Dose | None = None, **kwargs: Any) -> dict[str, Any]:
    """exercise_context() for one recorded version, saying when it has been updated since."""
    latest = Exercise.history.filter(id=record.id).latest()
    current = Exercise.objects.filter(pk=record.id).first()
    return {
        **exercise_context(record.instance, dose, **kwargs),
        "version": record,
        "superseded_by": current if latest.history_id != record.history_id else None,
    }
