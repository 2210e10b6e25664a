"""Starting, logging and finishing a session.

Every page works with plain forms (POST, then redirect). With htmx, marking
an exercise swaps just its row and the progress line, in place.
"""

from collections.abc import Callable

from django.contrib import messages
from django.http import HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect

from accounts.http import AuthedRequest
from exercises.doses import YOUR_DOSE
from exercises.views import version_context

from ..access import get_entry_for, get_session_for, patient_required
from ..forms import EntryForm, FinishSessionForm, HurtForm, StartSessionForm
from ..limits import limit_logging, limit_reports
from ..models import Comment, KeptForSafety, Session, SessionEntry, rose_too_much
from ..safety import PHYSIO_WILL_SEE
from .safety import check_in_needed

SESSION_TEMPLATE = "tracking/session.html"
KEPT_FOR_SAFETY = (
    "You told us an exercise hurt in this session, so it is kept for your physio "
    "and cannot be discarded. Finish it instead: it only asks how your pain is now."
)


@require_http_methods(["GET", "POST"])
@patient_required
@limit_logging
def start_session(request: AuthedRequest) -> HttpResponse:
    if (elsewhere := check_in_needed(request)) is not None:
        return elsewhere
    if request.method == "GET":
        open_session = Session.objects.for_patient(request.user).in_progress().first()
        if open_session is not None:
            messages.info(request, "You have a session in progress. Carry on where you left off.")
            return redirect(open_session)

    form = StartSessionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        session, created = Session.start(request.user, form.cleaned_data["pain_before"])
        if not created:
            messages.info(request, "You already have a session in progress, so here it is.")
        if form.cleaned_data["guided"]:
            return redirect("tracking:guided", session.pk)
        return redirect(session)
    return render(request, "tracking/start.html", {"form": form})


@require_http_methods(["GET"])
@patient_required
def session_detail(request: AuthedRequest, session_id: int) -> HttpResponse:
    session = get_session_for(request, session_id)
    if not session.is_finished and (elsewhere := check_in_needed(request, session)) is not None:
        return elsewhere
    comments = list(session.comments.select_related("author"))
    response = render(
        request, SESSION_TEMPLATE, {**_session_context(session), "comments": comments}
    )
    # Shown now, so no longer new (the page above still marks them as new).
    Comment.objects.filter(pk__in=[comment.pk for comment in comments]).mark_read()
    return response


def _entry_form(entry: SessionEntry, data: object = None) -> EntryForm:
    # Ten forms share the page: give each its own element ids.
    return EntryForm(data, instance=entry, auto_id=f"entry-{entry.pk}-%s")


def hurt_form_for(entry: SessionEntry, data: QueryDict | None = None) -> HurtForm:
    return HurtForm(
        data,
        initial={"hurt": entry.hurt},
        auto_id=f"entry-{entry.pk}-%s",
        exercise=entry.exercise.name,
    )


def _session_context(session: Session) -> dict[str, object]:
    entries = list(session.entries.select_related("exercise"))
    return {
        "session": session,
        "rows": [(entry, _entry_form(entry), hurt_form_for(entry)) for entry in entries],
        "done": sum(entry.status == SessionEntry.Status.DONE for entry in entries),
        "total": len(entries),
    }


def _progress(session: Session) -> dict[str, int]:
    return SessionEntry.objects.filter(session=session).progress()


def _entry_response(
    request: AuthedRequest,
    entry: SessionEntry,
    form: EntryForm | None = None,
    *,
    keep_open: bool = False,
    hurt_form: HurtForm | None = None,
) -> HttpResponse:
    """The entry's row, plus the progress line swapped out of band (htmx)."""
    context = {
        "session": entry.session,
        "entry": entry,
        "form": form or _entry_form(entry),
        "hurt_form": hurt_form or hurt_form_for(entry),
        "keep_open": keep_open,
        **_progress(entry.session),
    }
    row = render_to_string(f"{SESSION_TEMPLATE}#entry", context, request=request)
    progress = render_to_string(
        f"{SESSION_TEMPLATE}#progress", {**context, "oob": True}, request=request
    )
    return HttpResponse(row + progress)


def refuse_finished(request: AuthedRequest, session: Session) -> HttpResponse:
    messages.error(request, "This session is finished, so it can no longer be changed.")
    if request.htmx:
        return HttpResponseClientRedirect(session.get_absolute_url())
    return redirect(session)


def _back_to_row(entry: SessionEntry) -> HttpResponse:
    return redirect(f"{entry.session.get_absolute_url()}#entry-{entry.pk}")


@require_POST
@patient_required
@limit_logging
def entry_done(request: AuthedRequest, session_id: int, entry_id: int) -> HttpResponse:
    """One tap: done as prescribed. Pressing it twice changes nothing more."""
    return _change_entry(request, session_id, entry_id, SessionEntry.mark_done)


@require_POST
@patient_required
@limit_logging
def entry_skip(request: AuthedRequest, session_id: int, entry_id: int) -> HttpResponse:
    return _change_entry(request, session_id, entry_id, SessionEntry.mark_skipped)


def _change_entry(
    request: AuthedRequest,
    session_id: int,
    entry_id: int,
    change: Callable[[SessionEntry], None],
) -> HttpResponse:
    entry = get_entry_for(request, session_id, entry_id)
    if (
        not entry.session.is_finished
        and (elsewhere := check_in_needed(request, entry.session)) is not None
    ):
        return elsewhere
    change(entry)
    if not entry.save_if_session_open():
        return refuse_finished(request, entry.session)
    if request.htmx:
        return _entry_response(request, entry)
    return _back_to_row(entry)


@require_http_methods(["GET", "POST"])
@patient_required
@limit_logging
def entry_edit(request: AuthedRequest, session_id: int, entry_id: int) -> HttpResponse:
    """Record what was actually done: sets, reps, how it felt, or a skip."""
    entry = get_entry_for(request, session_id, entry_id)
    if entry.session.is_finished:
        return refuse_finished(request, entry.session)
    if (elsewhere := check_in_needed(request, entry.session)) is not None:
        return elsewhere
    form = _entry_form(entry, request.POST or None)
    if request.method == "POST" and form.is_valid():
        entry = form.save(commit=False)
        if not entry.save_if_session_open():
            return refuse_finished(request, entry.session)
        if request.htmx:
            # Keep the form open, so keyboard focus stays on its Save button.
            return _entry_response(request, entry, keep_open=True)
        return _back_to_row(entry)
    if form.is_bound:
        # A failed ModelForm has already copied the bad input onto the entry:
        # show the saved state beside the form that keeps what was typed.
        entry.refresh_from_db()
        if request.htmx:
            return _entry_response(request, entry, form)
    return render(request, "tracking/entry.html", {"entry": entry, "form": form})


@require_http_methods(["GET", "POST"])
@patient_required
@limit_reports
def entry_hurt(request: AuthedRequest, session_id: int, entry_id: int) -> HttpResponse:
    """ "This hurt", with how much. Always open to a patient in a session: telling is
    never blocked, even when the day's check-in has stopped the exercising."""
    entry = get_entry_for(request, session_id, entry_id)
    if entry.session.is_finished:
        return refuse_finished(request, entry.session)
    form = hurt_form_for(entry, request.POST or None)
    if request.method == "POST" and form.is_valid():
        if not entry.report_hurt(form.cleaned_data["hurt"]):
            return refuse_finished(request, entry.session)
        if entry.hurt_too_much:
            messages.warning(
                request,
                f"Stop {entry.exercise.name} for today. {PHYSIO_WILL_SEE}",
            )
        if request.htmx:
            return _entry_response(request, entry)
        return _back_to_row(entry)
    if form.is_bound and request.htmx:
        return _entry_response(request, entry, hurt_form=form)
    return render(request, "tracking/hurt.html", {"entry": entry, "form": form})


@require_http_methods(["GET", "POST"])
@patient_required
@limit_logging
def finish_session(request: AuthedRequest, session_id: int) -> HttpResponse:
    session = get_session_for(request, session_id)
    if session.is_finished:
        messages.info(request, "This session is already finished and saved.")
        return redirect(session)

    form = FinishSessionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        finished = session.finish(
            pain_after=form.cleaned_data["pain_after"],
            notes=form.cleaned_data["notes"],
            flagged=form.cleaned_data["flagged"],
        )
        if finished and rose_too_much(form.cleaned_data["pain_after"], session.pain_before):
            # The advice itself is on the session's page, where it stays.
            messages.warning(request, "Session saved. Your pain went up: please read the advice.")
        elif finished:
            messages.success(request, "Session saved. Well done for showing up for yourself.")
        else:
            messages.info(request, "This session is already finished and saved.")
        return redirect(session)
    return render(
        request, "tracking/finish.html", {"session": session, "form": form, **_progress(session)}
    )


@require_http_methods(["GET", "POST"])
@patient_required
@limit_logging
def discard_session(request: AuthedRequest, session_id: int) -> HttpResponse:
    """Throw away a session that was started by mistake or never finished.

    Only an unfinished session can go, and only after the patient confirms.
    """
    session = get_session_for(request, session_id)
    if session.is_finished:
        messages.info(request, "This session is finished and saved, so it stays in your history.")
        return redirect(session)
    if request.method == "POST":
        try:
            discarded = session.discard()
        except KeptForSafety:
            messages.error(request, KEPT_FOR_SAFETY)
            return redirect("tracking:finish", session.pk)
        if not discarded:
            messages.info(request, "This session was finished meanwhile, so it stays.")
            return redirect(session)
        messages.success(request, "The unfinished session was discarded.")
        return redirect("tracking:today")
    if session.entries.filter(hurt__isnull=False).exists():
        messages.info(request, KEPT_FOR_SAFETY)
        return redirect("tracking:finish", session.pk)
    return render(request, "tracking/discard.html", {"session": session, **_progress(session)})


@require_GET
@patient_required
def entry_exercise(request: AuthedRequest, session_id: int, entry_id: int) -> HttpResponse:
    """An exercise of a session: the library's words as they were when it started, and
    the dose and note the session gave the patient."""
    entry = get_entry_for(request, session_id, entry_id)
    return render(
        request,
        "exercises/detail.html",
        version_context(
            entry.exercise_version,
            entry,
            dose_label=YOUR_DOSE,
            note=entry.note,
            back=(f"{entry.session.get_absolute_url()}#entry-{entry.pk}", "Back to your session"),
        ),
    )
