"""Follow along: one exercise per screen, with timers, logged as the list logs.

Each step is a plain page whose Done and Skip buttons post and redirect to
the next exercise still to do, so it works without JavaScript. With htmx the
next step is swapped in place and its address pushed; static/js/guided.js
runs the timers. Done and Skip are the list's own: the same methods, the same
rules, the same audit records, and pressing twice changes nothing more.
"""

import json

from django.conf import settings
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect, push_url

from accounts.http import AuthedRequest

from ..access import get_entry_for, get_session_for, patient_required
from ..forms import GuidedStepForm, HurtForm
from ..guided import next_to_do, steps_for
from ..limits import limit_logging, limit_reports
from ..models import Session, SessionEntry
from .safety import check_in_needed
from .sessions import hurt_form_for, refuse_finished

TEMPLATE = "tracking/guided.html"
ALL_DONE = "That was the last exercise. Well done! Now, how is your pain?"


def step_url(entry: SessionEntry) -> str:
    return reverse("tracking:guided-step", args=[entry.session_id, entry.pk])


@require_GET
@patient_required
def resume(request: AuthedRequest, session_id: int) -> HttpResponse:
    """Start or pick up where the patient left off: the first exercise still to do."""
    session = get_session_for(request, session_id)
    if session.is_finished:
        messages.info(request, "This session is already finished and saved.")
        return redirect(session)
    if (elsewhere := check_in_needed(request, session)) is not None:
        return elsewhere
    entry = next_to_do(list(session.entries.all()))
    if entry is None:
        messages.info(request, "Every exercise is done or skipped. How is your pain now?")
        return redirect("tracking:finish", session.pk)
    return redirect(step_url(entry))


@require_http_methods(["GET", "POST"])
@patient_required
@limit_logging
def step(request: AuthedRequest, session_id: int, entry_id: int) -> HttpResponse:
    """One exercise: its cues, dose and timer; Done or Skip moves on."""
    entry = get_entry_for(request, session_id, entry_id)
    if entry.session.is_finished and request.method == "GET":  # back to a finished session
        messages.info(request, "This session is already finished and saved.")
        return redirect(entry.session)
    if entry.session.is_finished:
        return refuse_finished(request, entry.session)
    if (elsewhere := check_in_needed(request, entry.session)) is not None:
        return elsewhere
    form = GuidedStepForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if form.cleaned_data["outcome"] == SessionEntry.Status.DONE:
            entry.mark_done()
        else:
            entry.mark_skipped()
        if not entry.save_if_session_open():
            return refuse_finished(request, entry.session)
        return _move_on(request, entry)
    return _render_step(request, entry, form=form)


@require_POST
@patient_required
@limit_reports
def hurt(request: AuthedRequest, session_id: int, entry_id: int) -> HttpResponse:
    """ "This hurt", from the step: the list's report, then the same step again,
    with its advice. Never blocked by the check-in, like the list's."""
    entry = get_entry_for(request, session_id, entry_id)
    if entry.session.is_finished:
        return refuse_finished(request, entry.session)
    hurt_form = hurt_form_for(entry, request.POST)
    if hurt_form.is_valid():
        if not entry.report_hurt(hurt_form.cleaned_data["hurt"]):
            return refuse_finished(request, entry.session)
        if not request.htmx:  # the step shows what to do now: stop this one, or go gently
            return redirect(step_url(entry))
        hurt_form = hurt_form_for(entry)
    if request.htmx:
        return _hurt_response(request, entry, hurt_form)
    return _render_step(request, entry, hurt_form=hurt_form)


def _hurt_response(
    request: AuthedRequest, entry: SessionEntry, hurt_form: HurtForm
) -> HttpResponse:
    """ "This hurt" again, with the record and the buttons under it out of band: the
    rest of the step, its running timer included, stays as it is."""
    context = {"session": entry.session, "entry": entry, "hurt_form": hurt_form}
    parts = [
        render_to_string(f"{TEMPLATE}#hurt", context, request=request),
        render_to_string(f"{TEMPLATE}#record", {**context, "oob": True}, request=request),
        render_to_string(f"{TEMPLATE}#outcome", {**context, "oob": True}, request=request),
    ]
    return HttpResponse("".join(parts))


def _move_on(request: AuthedRequest, entry: SessionEntry) -> HttpResponse:
    following = next_to_do(list(entry.session.entries.all()), after=entry)
    if following is None:
        messages.success(request, ALL_DONE)
        finish = reverse("tracking:finish", args=[entry.session_id])
        return HttpResponseClientRedirect(finish) if request.htmx else redirect(finish)
    if request.htmx:
        return push_url(_render_step(request, following), step_url(following))
    return redirect(step_url(following))


def _render_step(
    request: AuthedRequest,
    entry: SessionEntry,
    *,
    form: GuidedStepForm | None = None,
    hurt_form: HurtForm | None = None,
) -> HttpResponse:
    session: Session = entry.session
    entries = list(session.entries.select_related("exercise"))
    position = next(index for index, each in enumerate(entries, 1) if each.pk == entry.pk)
    context = {
        "session": session,
        "entry": entry,
        # The wording the session follows, even if the library has changed since.
        "exercise": entry.exercise_version.instance,
        "position": position,
        "total": len(entries),
        "done": sum(each.status == SessionEntry.Status.DONE for each in entries),
        "previous": entries[position - 2] if position > 1 else None,
        "form": form or GuidedStepForm(),
        "hurt_form": hurt_form or hurt_form_for(entry),
        "timer": json.dumps([step.as_json() for step in steps_for(entry)]),
        "second_ms": settings.GUIDED_SECOND_MS,
    }
    template = f"{TEMPLATE}#step" if request.htmx else TEMPLATE
    return render(request, template, context)
