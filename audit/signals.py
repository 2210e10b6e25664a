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
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_save
from django.dispatch import receiver
from django.http import HttpRequest

from accounts.models import Assignment, Role, User
from exercises.models import Exercise

from . import trail
from .models import Action, Outcome, pseudonym

ROLE_FLAGS = ("is_active", "is_staff", "is_superuser")
FLAGS_BEFORE = "_audit_role_flags_before"


def _mark(request: HttpRequest | None) -> None:
    if request is not None:
        setattr(request, trail.SIGN_IN_EVENT_RECORDED, True)


@receiver(user_logged_in, dispatch_uid="audit_sign_in")
def signed_in(sender: Any, request: HttpRequest | None, user: User, **kwargs: Any) -> None:
    _mark(request)
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
        people = list(User.objects.filter(pk__in=pk_set or ()))
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


@receiver(post_save, sender=Assignment, dispatch_uid="audit_assignment_made")
def assignment_made(sender: Any, instance: Assignment, created: bool, **kwargs: Any) -> None:
    if created:
        trail.record(
            Action.ASSIGNMENT_CHANGE,
            target=instance,
            patient=instance.patient,
            detail={"physio": instance.physio_id, "change": "added"},
        )


@receiver(post_delete, sender=Assignment, dispatch_uid="audit_assignment_ended")
def assignment_ended(sender: Any, instance: Assignment, **kwargs: Any) -> None:
    # Named by pseudonym only: this may be part of deleting the patient's account,
    # and a link to an account about to go would stop the deletion.
    removal = trail.event(
        Action.ASSIGNMENT_CHANGE,
        target=instance,
        detail={"physio": instance.physio_id, "change": "removed"},
    )
    removal.patient_id, removal.patient_ref = None, pseudonym(instance.patient_id)
    trail.record_all([removal])


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
