import datetime as dt

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.db.models import Subquery
from django.db.models.functions import Coalesce
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET

from accounts.http import AuthedRequest
from exercises.doses import YOUR_DOSE
from exercises.models import total_minutes
from exercises.views import exercise_context

from ..access import patient_required
from ..models import Comment, Programme, ProgrammeExercise, SafetyCheck, Session, SessionQuerySet
from ..review import Plan, plan_for

RECENT_COMMENTS = dt.timedelta(days=14)
RECENT_READ_COMMENTS_SHOWN = 5


@require_GET
@login_required
def home(request: AuthedRequest) -> HttpResponse:
    """Send each person to the page they start from."""
    user = request.user
    if user.is_patient:
        return redirect("tracking:today")
    if user.is_physio:
        return redirect("tracking:caseload")
    if user.is_staff:
        return redirect("admin:index")
    return redirect("exercises:routine")


@require_GET
@patient_required
def today(request: AuthedRequest) -> HttpResponse:
    patient = request.user
    day = timezone.localdate()
    sessions = Session.objects.for_patient(patient)
    programme = Programme.for_patient(patient)
    items = list(programme.included_items())
    plan = plan_for(patient, programme.target_per_week, programme.gentle_start)
    # Changes the patient has not had a session with yet.
    last_version = sessions.exclude(programme_version=None).values_list(
        "programme_version", flat=True
    )[:1]
    # Every unread comment, then the recent ones already read.
    mine = Comment.objects.filter(patient=patient).select_related("author", "session")
    comments = list(mine.unread())
    comments += mine.filter(
        read_at__isnull=False, created_at__gte=timezone.now() - RECENT_COMMENTS
    )[: max(0, RECENT_READ_COMMENTS_SHOWN - len(comments))]
    finished_today = list(sessions.on(day).finished().with_counts())
    # `counts` is annotated by with_counts().
    counted_today = [s for s in finished_today if s.counts]  # type: ignore[attr-defined]
    response = render(
        request,
        "tracking/today.html",
        {
            "day": day,
            "sessions_today": counted_today,
            # Finished, but with nothing done: not a session done, yet not "nothing".
            "finished_today": finished_today,
            "in_progress": sessions.in_progress().with_counts().first(),
            "items": items,
            "minutes": total_minutes(items),
            "comments": comments,
            "check": SafetyCheck.today_for(patient),
            "emergency_number": settings.EMERGENCY_NUMBER,
            "gentle": _gentle_start(plan, day, sessions) if plan.is_starting_gently(day) else None,
            "versions": programme.versions.filter(number__gt=Coalesce(Subquery(last_version), 1))
            .select_related("created_by")
            .order_by("-number"),
        },
    )
    # Shown now, so no longer new (the page above still marks them as new).
    Comment.objects.filter(pk__in=[comment.pk for comment in comments]).mark_read()
    return response


def _gentle_start(plan: Plan, day: dt.date, sessions: SessionQuerySet) -> dict[str, object]:
    """This week of the gentle start: its aim, what is done, and what comes next."""
    number, first, last = plan.starting_week(day)
    return {
        "week": number,
        "aim": plan.per_week_on(day),
        "until": last,
        "done": sessions.counted().filter(local_date__range=(first, day)).count(),
        "next_aim": plan.per_week_on(last + dt.timedelta(days=1)),
        # With a low target, the second week may already ask for all of it.
        "next_is_full": not plan.is_starting_gently(last + dt.timedelta(days=1)),
        "full_from": plan.full_from,
        "target": plan.target_per_week,
    }


@require_GET
@patient_required
def programme(request: AuthedRequest) -> HttpResponse:
    """The patient's own programme, and every change their physio made to it."""
    programme = Programme.for_patient(request.user)
    items = list(programme.included_items())
    return render(
        request,
        "tracking/programme.html",
        {
            "programme": programme,
            "items": items,
            "minutes": total_minutes(items),
            "versions": programme.versions.select_related("created_by"),
        },
    )


@require_GET
@patient_required
def programme_exercise(request: AuthedRequest, slug: str) -> HttpResponse:
    """An exercise of the patient's programme, at the dose their physio gave them."""
    item = (
        ProgrammeExercise.objects.select_related("exercise")
        .filter(programme__patient=request.user, exercise__slug=slug, included=True)
        .first()
    )
    if item is None:
        # Not in their programme (or left out of it): the library's page, with its usual dose.
        return redirect("exercises:detail", slug)
    return render(
        request,
        "exercises/detail.html",
        exercise_context(
            item.exercise,
            item,
            dose_label=YOUR_DOSE,
            note=item.note,
            back=(reverse("tracking:programme"), "Your programme"),
        ),
    )
