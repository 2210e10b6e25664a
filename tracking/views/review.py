"""The physio's side: the caseload, each patient's record, comments, alerts, programme.

Every view takes the patient through get_patient_for, so a patient who is not
in the physio's care answers 404, exactly as if they did not exist.
"""

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.db import IntegrityError, transaction
from django.db.models import Prefetch
from django.http import HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.text import Truncator
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from accounts.http import AuthedRequest
from accounts.models import Assignment, Role, User
from audit import trail
from audit.models import Action

from ..access import get_patient_for, get_patient_session_for, physio_required
from ..forms import (
    AcknowledgeForm,
    CommentForm,
    ProgrammeExerciseForm,
    ProgrammeForm,
    ShareCareForm,
)
from ..models import (
    AlertAcknowledgement,
    Comment,
    Programme,
    ProgrammeChangedMeanwhile,
    ProgrammeExercise,
    SafetyCheck,
    Session,
    SessionEntry,
)
from ..review import GENTLE_START, Progress, find_alert, progress_for
from ..safety import Advice
from .progress import progress_context

SESSIONS_PER_PAGE = 10


def _by_name(row: Progress) -> tuple[str, str, str]:
    patient = row.patient
    return (patient.last_name.lower(), patient.first_name.lower(), patient.username)


SORTS: dict[str, tuple[str, Callable[[Progress], Any]]] = {
    "attention": ("Needs attention first", lambda row: (row.attention_rank, _by_name(row))),
    "name": ("Name", _by_name),
    "adherence": (
        "Lowest adherence first",
        lambda row: (row.tally_28.percent, row.tally_7.percent, _by_name(row)),
    ),
}
FILTERS = {"all": "All patients", "attention": "Needing attention"}


@require_GET
@physio_required
@vary_on_headers("HX-Request")
def caseload(request: AuthedRequest) -> HttpResponse:
    """The physio's home: every patient in their care, most in need first."""
    sort = request.GET.get("sort", "")
    sort = sort if sort in SORTS else "attention"
    show = request.GET.get("show", "")
    show = show if show in FILTERS else "all"

    rows = progress_for(User.objects.patients_of(request.user))
    needing_attention = sum(row.needs_attention for row in rows)
    red_flags = sorted(
        ((row, alert) for row in rows for alert in row.red_flags),
        key=lambda pair: (not pair[1].urgent, -(pair[1].day.toordinal() if pair[1].day else 0)),
    )
    if show == "attention":
        rows = [row for row in rows if row.needs_attention]
    rows.sort(key=SORTS[sort][1])
    trail.record(Action.VIEW_CASELOAD, detail={"patients": len(rows)})

    template = "tracking/caseload.html"
    if request.htmx and not request.htmx.history_restore_request:
        template += "#caseload"
    return render(
        request,
        template,
        {
            "rows": rows,
            "red_flags": red_flags,
            "needing_attention": needing_attention,
            "sort": sort,
            "sort_label": SORTS[sort][0],
            "show": show,
            "sorts": {key: label for key, (label, _) in SORTS.items()},
            "filters": FILTERS,
        },
    )


def _progress_of(request: AuthedRequest, patient: User) -> Progress:
    [progress] = progress_for(User.objects.patients_of(request.user).filter(pk=patient.pk))
    return progress


def _patient_context(
    request: AuthedRequest,
    patient: User,
    *,
    comment_form: CommentForm | None = None,
    acknowledge_form: AcknowledgeForm | None = None,
    with_progress: bool = True,
) -> dict[str, object]:
    progress = _progress_of(request, patient)
    programme = Programme.for_patient(patient)
    sessions = (
        Session.objects.for_patient(patient)
        .with_counts()
        .prefetch_related(
            Prefetch("entries", queryset=SessionEntry.objects.select_related("exercise")),
            Prefetch("comments", queryset=Comment.objects.select_related("author")),
        )
    )
    page = Paginator(sessions, SESSIONS_PER_PAGE).get_page(request.GET.get("page"))

    def form_for(kind: str, key: str) -> AcknowledgeForm:
        posted = acknowledge_form.data if acknowledge_form is not None else {}
        if acknowledge_form is not None and (posted.get("kind"), posted.get("key")) == (kind, key):
            return acknowledge_form
        return AcknowledgeForm(initial={"kind": kind, "key": key}, auto_id=f"ack-{kind}-{key}-%s")

    return {
        "patient": patient,
        "progress": progress,
        "alerts": [(alert, form_for(alert.kind, alert.key)) for alert in progress.alerts],
        "programme": programme,
        "items": list(programme.items()),
        "versions": programme.versions.select_related("created_by")[:5],
        "page": page,
        "programme_comments": patient.comments_received.filter(session=None).select_related(
            "author"
        )[:20],
        "acknowledgements": AlertAcknowledgement.objects.filter(patient=patient).select_related(
            "acknowledged_by"
        )[:20],
        "check_ins": SafetyCheck.objects.raised().filter(patient=patient)[:20],
        "gentle_start": GENTLE_START,
        "last_clear": SafetyCheck.objects.filter(patient=patient, advice=Advice.CLEAR).first(),
        "comment_form": comment_form or CommentForm(),
        "care_team": patient.physios.filter(
            is_active=True, groups__name=Role.PHYSIO.value
        ).order_by("last_name", "first_name"),
        "share_form": ShareCareForm(patient=patient),
        **(
            progress_context(request, patient, for_physio=True, programme=programme)
            if with_progress
            else {}
        ),
    }


@require_GET
@physio_required
@vary_on_headers("HX-Request")
def patient_detail(request: AuthedRequest, patient_id: int) -> HttpResponse:
    patient = get_patient_for(request, patient_id)
    trail.record(Action.VIEW_PATIENT, target=patient, patient=patient)
    template = "tracking/patient.html"
    whole_page = not request.htmx or request.htmx.history_restore_request
    if not whole_page:
        template += "#timeline"  # a page of the timeline: no charts to work out
    return render(request, template, _patient_context(request, patient, with_progress=whole_page))


def _session_context(
    patient: User, session: Session, comment_form: CommentForm | None = None
) -> dict[str, object]:
    return {
        "patient": patient,
        "session": session,
        "entries": session.entries.select_related("exercise"),
        "comments": session.comments.select_related("author"),
        "comment_form": comment_form or CommentForm(),
    }


@require_GET
@physio_required
def patient_session(request: AuthedRequest, patient_id: int, session_id: int) -> HttpResponse:
    patient = get_patient_for(request, patient_id)
    session = get_patient_session_for(request, patient, session_id)
    trail.record(Action.VIEW_PATIENT, target=session, patient=patient)
    return render(request, "tracking/patient_session.html", _session_context(patient, session))


@require_POST
@physio_required
def add_comment(
    request: AuthedRequest, patient_id: int, session_id: int | None = None
) -> HttpResponse:
    """A comment on one session, or (without a session) on the programme as a whole."""
    patient = get_patient_for(request, patient_id)
    session = (
        get_patient_session_for(request, patient, session_id) if session_id is not None else None
    )
    form = CommentForm(request.POST)
    if not form.is_valid():  # the page again, with the mistake: a view of the patient's data
        if session is not None:
            trail.record(Action.VIEW_PATIENT, target=session, patient=patient)
            context = _session_context(patient, session, form)
            return render(request, "tracking/patient_session.html", context)
        trail.record(Action.VIEW_PATIENT, target=patient, patient=patient)
        context = _patient_context(request, patient, comment_form=form)
        return render(request, "tracking/patient.html", context)

    _, created = Comment.post(
        patient=patient, author=request.user, session=session, body=form.cleaned_data["body"]
    )
    name = patient.first_name or patient
    if created:
        messages.success(request, f"Comment sent. {name} will see it on their Today page.")
    else:
        messages.info(request, f"That comment was already sent: {name} gets it once.")
    if session is not None:
        return redirect("tracking:patient-session", patient.pk, session.pk)
    return redirect(reverse("tracking:patient", args=[patient.pk]) + "#comments")


@require_POST
@physio_required
def acknowledge_alert(request: AuthedRequest, patient_id: int) -> HttpResponse:
    """Mark an alert as seen: it leaves the list and stays in the patient's record."""
    patient = get_patient_for(request, patient_id)
    form = AcknowledgeForm(request.POST)
    if not form.is_valid():
        if "kind" in form.errors or "key" in form.errors:
            messages.error(request, "That alert could not be found. Here is the latest.")
            return redirect("tracking:patient", patient.pk)
        trail.record(Action.VIEW_PATIENT, target=patient, patient=patient)
        context = _patient_context(request, patient, acknowledge_form=form)
        return render(request, "tracking/patient.html", context)

    alert = find_alert(
        _progress_of(request, patient), form.cleaned_data["kind"], form.cleaned_data["key"]
    )
    if alert is None:
        messages.info(request, "That alert no longer needs attention: it was already dealt with.")
        return redirect("tracking:patient", patient.pk)
    try:
        with transaction.atomic():
            seen = AlertAcknowledgement.objects.create(
                patient=patient,
                kind=alert.kind,
                key=alert.key,
                summary=Truncator(alert.summary).chars(200),
                acknowledged_by=request.user,
                note=form.cleaned_data["note"],
            )
            trail.record(Action.CREATE, target=seen, patient=patient)
    except IntegrityError:
        messages.info(request, "That alert was already marked as seen.")
    else:
        messages.success(request, "Marked as seen. It stays in the patient's record below.")
    return redirect("tracking:patient", patient.pk)


@require_POST
@physio_required
def leave_out(request: AuthedRequest, patient_id: int) -> HttpResponse:
    """Take one exercise out of the programme: the decision on a retired one."""
    patient = get_patient_for(request, patient_id)
    programme = Programme.for_patient(patient)
    exercise_id = _int_or_none(request.POST.get("exercise"))
    item = (
        None if exercise_id is None else programme.items().filter(exercise_id=exercise_id).first()
    )
    if item is None:
        messages.error(request, "That exercise is not in the programme. Here is the latest.")
        return redirect("tracking:patient", patient.pk)
    try:
        version = programme.leave_out(request.user, item.exercise)
    except ValueError:
        messages.error(
            request,
            f"{item.exercise} is the only exercise left in the programme, so it stays for now. "
            "Add another from the library first, then leave this one out.",
        )
        return redirect("tracking:programme-edit", patient.pk)
    if version is None:
        messages.info(request, f"{item.exercise} was already left out.")
    else:
        messages.success(
            request,
            f"{item.exercise} left out: saved as version {version.number}. "
            "It stays in the sessions already logged.",
        )
    return redirect("tracking:patient", patient.pk)


def _int_or_none(value: str | None) -> int | None:
    """A posted id, or None for anything that cannot be one (including past 64 bits)."""
    try:
        number = int(value or "")
    except ValueError:
        return None
    return number if 0 < number < 2**63 else None


def _programme_forms(
    programme: Programme, data: QueryDict | None
) -> tuple[list[ProgrammeExercise], ProgrammeForm, list[ProgrammeExerciseForm]]:
    items = list(programme.items())
    form = ProgrammeForm(data, instance=programme, initial={"version": programme.version})
    item_forms = [
        ProgrammeExerciseForm(data, instance=item, prefix=f"exercise-{item.pk}") for item in items
    ]
    return items, form, item_forms


def _merge_with_latest(
    programme: Programme,
    posted: QueryDict,
    form: ProgrammeForm,
    item_forms: list[ProgrammeExerciseForm],
    current_version: int,
) -> QueryDict:
    """This physio's edit on top of a colleague's, saved while they were editing.

    A value this physio left as it was takes the colleague's; a value they
    changed keeps theirs. Saving the result again applies it.
    """
    merged = posted.copy()
    merged["version"] = str(current_version)
    base = programme.versions.filter(number=form.cleaned_data["version"]).first()
    if base is None:
        return merged
    current = Programme.objects.get(pk=programme.pk)
    for name in ("target_per_week", "inactivity_days"):
        if form.cleaned_data[name] == base.snapshot[name]:
            merged[name] = str(getattr(current, name))
    # Versions saved before the gentle start existed had it on, as every programme did.
    if form.cleaned_data["gentle_start"] == base.snapshot.get("gentle_start", True):
        if current.gentle_start:
            merged["gentle_start"] = "on"
        else:
            merged.pop("gentle_start", None)
    before = {entry["exercise"]: entry for entry in base.snapshot["exercises"]}
    latest = {item.pk: item for item in current.exercises.all()}
    for item_form in item_forms:
        item = latest[item_form.instance.pk]
        old = before.get(item.exercise_id, {})
        for name in ProgrammeExerciseForm.Meta.fields:
            if name not in old or item_form.cleaned_data[name] != old[name]:
                continue
            key = item_form.add_prefix(name)
            value = getattr(item, name)
            if value is True:
                merged[key] = "on"
            elif value is False:
                merged.pop(key, None)
            else:
                merged[key] = str(value)
    return merged


@require_http_methods(["GET", "POST"])
@physio_required
def edit_programme(request: AuthedRequest, patient_id: int) -> HttpResponse:
    """Switch exercises on or off, reorder them, change doses and notes, set targets.

    Each save that changes something is a new version, used from the patient's
    next session on; sessions already logged keep the dose they were given.
    """
    patient = get_patient_for(request, patient_id)
    programme = Programme.for_patient(patient)
    data = request.POST if request.method == "POST" else None
    items, form, item_forms = _programme_forms(programme, data)
    latest_changes: list[str] = []
    # Every form is checked, so every mistake is shown at once.
    if data is not None and all([form.is_valid(), *[f.is_valid() for f in item_forms]]):
        if not any(item_form.cleaned_data["included"] for item_form in item_forms):
            form.add_error(
                None,
                "Keep at least one exercise in the programme: a session needs something to do.",
            )
            return _render_programme_edit(request, patient, programme, form, items, item_forms)
        try:
            version = programme.change(
                request.user,
                expected_version=form.cleaned_data["version"],
                target_per_week=form.cleaned_data["target_per_week"],
                inactivity_days=form.cleaned_data["inactivity_days"],
                gentle_start=form.cleaned_data["gentle_start"],
                items=[item_form.instance for item_form in item_forms],
                add=form.cleaned_data["add"],
            )
        except ProgrammeChangedMeanwhile as exc:
            merged = _merge_with_latest(programme, data, form, item_forms, exc.current_version)
            programme.refresh_from_db()
            items, form, item_forms = _programme_forms(programme, merged)
            for each in [form, *item_forms]:
                each.is_valid()
            latest = programme.versions.select_related("created_by").first()
            latest_changes = latest.changes if latest else []
            who = latest.created_by if latest and latest.created_by else "Someone"
            form.add_error(
                None,
                f"{who} saved a change to this programme while you were editing it. "
                "Nothing of yours is saved yet. Below, their change is combined with yours; "
                "where you both changed the same value, yours is shown. "
                "Check it, then save again.",
            )
            return _render_programme_edit(
                request, patient, programme, form, items, item_forms, latest_changes
            )
        name = patient.first_name or str(patient)
        if version is None:
            messages.info(request, "Nothing was changed, so the programme stays as it was.")
        else:
            messages.success(
                request,
                f"Saved as version {version.number}. {name} gets it from their next session.",
            )
        return redirect("tracking:patient", patient.pk)
    return _render_programme_edit(request, patient, programme, form, items, item_forms)


def _render_programme_edit(
    request: AuthedRequest,
    patient: User,
    programme: Programme,
    form: ProgrammeForm,
    items: list[ProgrammeExercise],
    item_forms: list[ProgrammeExerciseForm],
    latest_changes: list[str] | None = None,
) -> HttpResponse:
    """The programme editor, empty or with mistakes to correct: a view of the patient's data."""
    trail.record(Action.VIEW_PATIENT, target=programme, patient=patient)
    return render(
        request,
        "tracking/programme_edit.html",
        {
            "patient": patient,
            "programme": programme,
            "form": form,
            "rows": list(zip(items, item_forms, strict=True)),
            "error_count": sum(len(f.errors) for f in [form, *item_forms]),
            "latest_changes": latest_changes or [],
        },
    )


@require_POST
@physio_required
def share_care(request: AuthedRequest, patient_id: int) -> HttpResponse:
    """Bring a colleague into the patient's care: they see everything this physio sees."""
    patient = get_patient_for(request, patient_id)
    form = ShareCareForm(request.POST, patient=patient)
    if form.is_valid():
        colleague = form.cleaned_data["physio"]
        Assignment.objects.get_or_create(patient=patient, physio=colleague)
        messages.success(request, f"{colleague} now also looks after {patient}.")
    else:
        messages.error(request, " ".join(str(error) for error in form.errors["physio"]))
    return redirect(reverse("tracking:patient", args=[patient.pk]) + "#care")


@require_POST
@physio_required
def leave_care(request: AuthedRequest, patient_id: int) -> HttpResponse:
    """Stop looking after a patient, as long as a colleague still does."""
    patient = get_patient_for(request, patient_id)
    with transaction.atomic():
        # Locked, so two physios leaving at once cannot each count the other and
        # both go: the second waits, then finds nobody left but themselves.
        User.objects.select_for_update().only("pk").get(pk=patient.pk)
        others = patient.physio_assignments.exclude(physio=request.user).filter(
            physio__is_active=True, physio__groups__name=Role.PHYSIO.value
        )
        if others.exists():
            Assignment.objects.filter(patient=patient, physio=request.user).delete()
            left = True
        else:
            left = False
    if not left:
        messages.error(
            request,
            f"You are the only physiotherapist looking after {patient}, so they stay in your "
            "care. Share their care with a colleague first, or ask an admin to hand them over.",
        )
        return redirect(reverse("tracking:patient", args=[patient.pk]) + "#care")
    messages.success(request, f"{patient} is no longer in your patient list.")
    return redirect("tracking:caseload")
