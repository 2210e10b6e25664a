"""The red-flag check-in before exercising, and the advice that follows it.

A patient answers it once a day when all is well. Every view that logs
exercise asks `check_in_needed` first, so no address skips it: without a
clear answer today, the patient is sent to the check-in, or, after reporting
a warning sign, back to the advice for it.
"""

import datetime as dt

from django.conf import settings
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect

from accounts.http import AuthedRequest

from ..access import get_check_for, patient_required
from ..forms import SafetyCheckForm
from ..limits import limit_reports
from ..models import SafetyCheck, Session
from ..safety import Advice

# A warning sign reported this recently is recalled when the patient checks in again.
RECALL_DAYS = 14


def check_in_needed(request: AuthedRequest, session: Session | None = None) -> HttpResponse | None:
    """Where to send a patient who may not exercise now, or None if they may.

    A `session` started after a clear answer may carry on past midnight, unless a
    warning sign has been reported since.
    """
    check = SafetyCheck.today_for(request.user)
    if check is not None and check.is_clear:
        return None
    if check is None and session is not None and SafetyCheck.covers(session):
        return None
    target = check.get_absolute_url() if check is not None else reverse("tracking:check-in")
    if request.htmx:
        return HttpResponseClientRedirect(target)
    return redirect(target)


@require_http_methods(["GET", "POST"])
@patient_required
@limit_reports
def check_in(request: AuthedRequest) -> HttpResponse:
    patient = request.user
    form = SafetyCheckForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        check = SafetyCheck.answer(patient, form.cleaned_data["flags"])
        if not check.is_clear:
            return redirect(check)
        standing = SafetyCheck.today_for(patient)
        if standing is not None and not standing.is_clear:
            # "None of these" does not undo a warning sign: only taking it back does, and
            # a call for emergency care cannot be taken back at all.
            if standing.can_be_withdrawn:
                messages.warning(
                    request,
                    "Your earlier answer today still stands, so please do not exercise today. "
                    "If you ticked something by mistake, you can say so below.",
                )
            else:
                messages.warning(
                    request,
                    "Your earlier answer today calls for emergency care, so the exercises "
                    "stay closed until tomorrow. If you ticked something by mistake, "
                    "please tell your physio.",
                )
            return redirect(standing)
        open_session = Session.objects.for_patient(patient).in_progress().first()
        return redirect(open_session or "tracking:start")

    recent = (
        SafetyCheck.objects.raised()
        .filter(
            withdrawn_at=None,
            patient=patient,
            local_date__gte=timezone.localdate(timezone.now(), patient.tzinfo)
            - dt.timedelta(days=RECALL_DAYS),
        )
        .first()
    )
    return render(
        request,
        "tracking/check_in.html",
        {"form": form, "today": SafetyCheck.today_for(patient), "recent": recent},
    )


@require_GET
@patient_required
def check_in_result(request: AuthedRequest, check_id: int) -> HttpResponse:
    """The advice for one answer: emergency care, or the physio or a doctor first."""
    check = get_check_for(request, check_id)
    latest = SafetyCheck.today_for(request.user)
    is_current = latest is not None and latest.pk == check.pk
    today = timezone.localdate(timezone.now(), request.user.tzinfo)
    return render(
        request,
        "tracking/check_in_result.html",
        {
            "check": check,
            "is_current": is_current,
            "in_progress": Session.objects.for_patient(request.user).in_progress().first()
            if is_current
            else None,
            # For an answer taken back: whether it was today, and what stands today instead.
            "taken_back_today": check.withdrawn_at is not None and check.local_date == today,
            "standing": latest if latest is not None and not latest.is_clear else None,
            "emergency_number": settings.EMERGENCY_NUMBER,
            "Advice": Advice,
        },
    )


@require_POST
@patient_required
@limit_reports
def withdraw(request: AuthedRequest, check_id: int) -> HttpResponse:
    """ "I ticked this by mistake": the answer and the physio's alert stay, marked as
    taken back, and the day goes on as after "none of these"."""
    check = get_check_for(request, check_id)
    latest = SafetyCheck.today_for(request.user)
    if check.withdrawn_at is None:
        if latest is None or latest.pk != check.pk or not check.can_be_withdrawn:
            messages.error(
                request,
                "This answer can no longer be taken back here. If it was a mistake, "
                "please tell your physio.",
            )
            return redirect(check)
        check.withdraw()
        messages.success(
            request,
            "Thank you: your answer is marked as ticked by mistake. Your physio will see that "
            "the next time they open BackTrack.",
        )
    standing = SafetyCheck.today_for(request.user)
    if standing is not None and not standing.is_clear:  # another sign reported since
        return redirect(standing)
    open_session = Session.objects.for_patient(request.user).in_progress().first()
    return redirect(open_session or "tracking:start")
