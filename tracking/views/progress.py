"""Progress over time, for the patient and, inside their page, for their physio.

The range switch is a plain link; with htmx it swaps just the charts.
"""

from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers

from accounts.http import AuthedRequest
from accounts.models import User
from audit import trail
from audit.models import Action

from .. import charts
from ..access import get_patient_for, patient_required, physio_required
from ..models import Programme
from ..progress import RANGES, progress_of, range_key

FRAGMENT = "tracking/_progress.html"


def progress_context(
    request: AuthedRequest, patient: User, *, for_physio: bool, programme: Programme | None = None
) -> dict[str, object]:
    """What the progress fragment shows, with its range links pointing the right way."""
    chosen = range_key(request.GET.get("range"))
    progress = progress_of(patient, chosen, programme=programme)
    if for_physio:
        page = reverse("tracking:patient", args=[patient.pk])
        fragment = reverse("tracking:patient-progress", args=[patient.pk])
    else:
        page = fragment = reverse("tracking:progress")
    return {
        "over_time": progress,
        "summary": progress.summary(patient.first_name or str(patient) if for_physio else None),
        "calendar": charts.calendar(progress.weeks),
        "pain_chart": charts.pain(progress.pain, progress.start, progress.today),
        "ranges": [
            (key, label, f"{page}?range={key}#progress", f"{fragment}?range={key}")
            for key, (label, _) in RANGES.items()
        ],
        "for_physio": for_physio,
        # Under the page's h1 for the patient; under the "Progress" h2 of the physio's page.
        "heading": "h3" if for_physio else "h2",
    }


@require_GET
@patient_required
@vary_on_headers("HX-Request")
def progress(request: AuthedRequest) -> HttpResponse:
    context = progress_context(request, request.user, for_physio=False)
    template = "tracking/progress.html"
    if request.htmx and not request.htmx.history_restore_request:
        template = FRAGMENT
    return render(request, template, context)


@require_GET
@physio_required
@vary_on_headers("HX-Request")
def patient_progress(request: AuthedRequest, patient_id: int) -> HttpResponse:
    """The fragment alone, for the range switch on the patient's page (htmx).

    Opened as a page (a bookmark, a reload, a new tab), it leads to the patient's
    page at the same range rather than showing a bare fragment.
    """
    patient = get_patient_for(request, patient_id)
    if not request.htmx or request.htmx.history_restore_request:
        page = reverse("tracking:patient", args=[patient.pk])
        return redirect(f"{page}?range={range_key(request.GET.get('range'))}#progress")
    trail.record(Action.VIEW_PATIENT, target=patient, patient=patient)
    return render(request, FRAGMENT, progress_context(request, patient, for_physio=True))
