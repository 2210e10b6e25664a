"""Sign-ins, roles, care assignments and the exercise library: recorded wherever they change.

These change from many places (the admin, invitations, the care team pages,
the routine loader), so they are recorded from Django's signals rather than
from each view. Sessions, entries, programmes and comments are recorded by the
code that changes them, as one record per thing changed.
"""

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models import QuerySet
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_save
from django.dispatch import receiver
from django.http import HttpRequest
from django_otp import user_has_device

from accounts.models import Assignment, Role, User
from exercises.models import Exercise

from . import trail
from .models import Action, AuditEvent, Outcome, Target, pseudonym

ROLE_FLAGS = ("is_active", "is_staff", "is_superuser")
FLAGS_BEFORE = "_audit_role_flags_before"
ASSIGNED_BEFORE = "_audit_assigned_before"


def _mark(request: HttpRequest | None) -> None:
    if request is not None:
        setattr(request, trail.SIGN_IN_EVENT_RECORDED, True)


@receiver(user_logged_in, dispatch_uid="audit_sign_in")
def signed_in(sender: Any, request: HttpRequest | None, user: User, **kwargs: Any) -> None:
    """The password step; with two-step verification on, the sign-in is recorded once
    the code is given (accounts.two_step.verify), or fails there."""
    _mark(request)
    if user_has_device(user, confirmed=True):
        return
    trail.record(Action.SIGN_IN, actor=user, request=request)


@receiver(user_logged_out, dispatch_uid="audit_sign_out")
def signed_out(sender: Any, request: HttpRequest | None, user: User | None, **kwargs: Any) -> None:
    if user is None:
        return  # nobody was signed in: nothing ended
    _mark(request)
    trail.record(Action.SIGN_OUT, actor=user, request=request)


@receiver(user_login_failed, dispatch_uid="audit_sign_in_failed")
def sign_in_failed(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    """A failed sign-in names the account tried, if there is one; never what was typed."""
    if request is not None and getattr(request, trail.SIGN_IN_EVENT_RECORDED, False):
        return  # one attempt, one record, however many backends said no
    _mark(request)
    username = credentials.get("username")
    account = (
        get_user_model().objects.filter(username=username).first()
        if isinstance(username, str)
        else None
    )
    locked = bool(request is not None and getattr(request, "axes_locked_out", False))
    trail.record(
        Action.SIGN_IN_FAILED,
        actor=account,
        outcome=Outcome.DENIED if locked else Outcome.FAILURE,
        detail={"known_account": account is not None, "locked_out": locked},
        request=request,
    )


@receiver(m2m_changed, sender=User.groups.through, dispatch_uid="audit_roles")
def roles_changed(
    sender: Any,
    instance: Any,
    action: str,
    reverse: bool,
    pk_set: set[int] | None,
    **kwargs: Any,
) -> None:
    if action not in {"post_add", "post_remove", "pre_clear"}:
        return
    if reverse:  # people added to or taken out of a group, from the group's side
        group_names = [instance.name]
        everyone = instance.user_set.all()  # pre_clear: the group is about to be emptied
        people = list(everyone if pk_set is None else User.objects.filter(pk__in=pk_set))
    else:
        group_ids = pk_set if pk_set is not None else instance.groups.values_list("pk", flat=True)
        group_names = list(Group.objects.filter(pk__in=group_ids).values_list("name", flat=True))
        people = [instance]
    change = {"post_add": "added", "post_remove": "removed", "pre_clear": "removed"}[action]
    if not group_names:
        return
    trail.record_all(
        [
            trail.event(
                Action.ROLE_CHANGE,
                target=person,
                patient=person if _is_patient(person, group_names) else None,
                detail={change: sorted(group_names)},
            )
            for person in people
        ]
    )


def _is_patient(person: User, group_names: list[str]) -> bool:
    return Role.PATIENT.value in group_names or person.groups.filter(name=Role.PATIENT).exists()


@receiver(pre_save, sender=User, dispatch_uid="audit_role_flags_before")
def note_role_flags(
    sender: Any, instance: User, update_fields: frozenset[str] | None = None, **kwargs: Any
) -> None:
    if update_fields is not None and not update_fields & set(ROLE_FLAGS):
        before = {}  # e.g. last_login: nothing to compare
    elif instance.pk is None:
        before = None
    else:
        before = User.objects.filter(pk=instance.pk).values(*ROLE_FLAGS).first()
    setattr(instance, FLAGS_BEFORE, before)


@receiver(post_save, sender=User, dispatch_uid="audit_role_flags")
def role_flags_changed(sender: Any, instance: User, created: bool, **kwargs: Any) -> None:
    """Made an admin, a superuser, deactivated or reactivated."""
    before = getattr(instance, FLAGS_BEFORE, None)
    if created:
        trail.record(Action.CREATE, target=instance)
    if not before:
        return
    changed = {
        flag: getattr(instance, flag)
        for flag in ROLE_FLAGS
        if before[flag] != getattr(instance, flag)
    }
    if changed:
        patient = instance if instance.has_role(Role.PATIENT) else None
        trail.record(Action.ROLE_CHANGE, target=instance, patient=patient, detail=changed)


@receiver(pre_save, sender=Assignment, dispatch_uid="audit_assignment_before")
def note_assignment(sender: Any, instance: Assignment, **kwargs: Any) -> None:
    before = None
    if instance.pk is not None:  # an edit in the admin can move a patient to another physio
        before = (
            Assignment.objects.filter(pk=instance.pk).values_list("patient_id", "physio_id").first()
        )
    setattr(instance, ASSIGNED_BEFORE, before)


@receiver(post_save, sender=Assignment, dispatch_uid="audit_assignment_made")
def assignment_saved(
    sender: Any, instance: Assignment, created: bool, raw: bool, **kwargs: Any
) -> None:
    if raw:
        return
    before = getattr(instance, ASSIGNED_BEFORE, None)
    now = (instance.patient_id, instance.physio_id)
    if not created and before == now:
        return
    changes = []
    if before is not None and before != now:
        changes.append(_assignment_event(instance.pk, before, "removed"))
    changes.append(_assignment_event(instance.pk, now, "added"))
    trail.record_all(changes)


@receiver(post_delete, sender=Assignment, dispatch_uid="audit_assignment_ended")
def assignment_ended(sender: Any, instance: Assignment, origin: Any = None, **kwargs: Any) -> None:
    removal = _assignment_event(
        instance.pk, (instance.patient_id, instance.physio_id), "removed", linked=False
    )
    if _deleting_people(origin):
        # Part of deleting an account, maybe the one doing it: a link to an account
        # about to go would stop the deletion, so the pseudonym stands alone.
        removal.actor = None
    trail.record_all([removal])


def _assignment_event(
    pk: int | None, pair: tuple[int, int], change: str, *, linked: bool = True
) -> AuditEvent:
    """Who looks after whom, by pseudonyms: never an account number in the details."""
    patient_id, physio_id = pair
    event = trail.event(
        Action.ASSIGNMENT_CHANGE,
        target_type=Target.ASSIGNMENT,
        target_id=pk,
        patient=patient_id if linked else None,
        detail={"physio": pseudonym(physio_id), "change": change},
    )
    event.patient_ref = pseudonym(patient_id)
    return event


def _deleting_people(origin: Any) -> bool:
    if isinstance(origin, User):
        return True
    return isinstance(origin, QuerySet) and origin.model is User


@receiver(post_save, sender=Exercise, dispatch_uid="audit_exercise_saved")
def exercise_saved(
    sender: Any, instance: Exercise, created: bool, raw: bool, **kwargs: Any
) -> None:
    if raw:
        return  # loaded from a fixture or a backup: not a change anyone made
    trail.record(Action.CREATE if created else Action.CHANGE, target=instance)


@receiver(post_delete, sender=Exercise, dispatch_uid="audit_exercise_deleted")
def exercise_deleted(sender: Any, instance: Exercise, **kwargs: Any) -> None:
    trail.record(Action.DELETE, target=instance)
