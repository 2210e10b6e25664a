"""A patient's own data: who has seen it, a copy to download, and deleting it all.

A physio can download the same copy for a patient in their care.
"""

import json

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.models import AnonymousUser
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods
from django_ratelimit.core import get_usage

from accounts.http import AuthedRequest
from accounts.models import User
from audit import trail
from audit.models import AuditEvent

from .. import privacy
from ..access import get_patient_for, patient_required, physio_required
from ..forms import EraseAccountForm

VIEWS_PER_PAGE = 20
# Wrong passwords on the delete page, before it stops checking for a while.
ERASE_TRIES = "5/15m"


@require_GET
@patient_required
def my_data(request: AuthedRequest) -> HttpResponse:
    seen = (
        AuditEvent.objects.views_by_others(request.user.pk).select_related("actor").order_by("-seq")
    )
    page = Paginator(seen, VIEWS_PER_PAGE).get_page(request.GET.get("page"))
    rows = [(event, privacy.seen_as(event)) for event in page]
    return render(request, "tracking/my_data.html", {"page": page, "rows": rows})


@require_GET
@patient_required
def export_mine(request: AuthedRequest, file_format: str) -> HttpResponse:
    return _export(request.user, file_format, name="backtrack-my-data")


@require_GET
@physio_required
def export_patient(request: AuthedRequest, patient_id: int, file_format: str) -> HttpResponse:
    patient = get_patient_for(request, patient_id)
    return _export(patient, file_format, name=f"backtrack-patient-{patient.pk}")


def _export(patient: User, file_format: str, *, name: str) -> HttpResponse:
    if file_format == "csv":
        body = privacy.export_csv(patient)
        content_type = "text/csv; charset=utf-8"
    else:
        body = json.dumps(privacy.export_data(patient), indent=2, ensure_ascii=False)
        content_type = "application/json; charset=utf-8"
    privacy.record_export(patient, file_format)
    day = timezone.localdate().isoformat()
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}-{day}.{file_format}"'
    return response


@require_http_methods(["GET", "POST"])
@patient_required
def erase_account(request: AuthedRequest) -> HttpResponse:
    """Delete the patient's account and all their data, after their password and a tick."""
    if not privacy.may_be_erased(request.user):
        messages.error(
            request,
            "Your account is also a physiotherapist's or an admin's, so an admin has to "
            "delete it. Your exercise records stay until then.",
        )
        return redirect("tracking:my-data")
    form = EraseAccountForm(request.user, request.POST or None)
    if request.method == "POST":
        tries = get_usage(
            request, group="tracking.erase", key="user", rate=ERASE_TRIES, increment=False
        )
        if tries is not None and tries["count"] >= tries["limit"]:
            form.add_error(None, "Too many wrong passwords. Wait 15 minutes, then try again.")
            return render(request, "tracking/erase.html", {"form": form}, status=429)
        if form.is_valid():
            privacy.erase(request.user, by=None)
            # The erase record stands for this sign-out, and the redirect to sign in
            # that follows is not a refusal.
            setattr(request, trail.SIGN_IN_EVENT_RECORDED, True)
            # The account and its sign-ins are gone; end this one without a
            # sign-out record, which would name the account just deleted.
            request.session.flush()
            request.user = AnonymousUser()  # type: ignore[assignment]
            messages.success(
                request, "Your account and all your exercise records have been deleted."
            )
            return redirect(settings.LOGIN_URL)
        if "password" in form.errors:
            get_usage(request, group="tracking.erase", key="user", rate=ERASE_TRIES, increment=True)
    return render(request, "tracking/erase.html", {"form": form})
