"""The audit trail: who touched whose health data, when, from where, with what outcome.

Records are only ever added. Each carries a keyed hash (HMAC-SHA256) of its own
content and of the hash of the record before it, so changing, removing or
inserting a record by hand breaks the chain; `manage.py verify_audit_trail`
names the first record where it breaks.

People are kept twice: as a link to their account, for reading the trail, and
as a pseudonym (a keyed hash of their id), which the chain covers. Erasing an
account clears the link and leaves the pseudonym, so the chain still verifies
and nothing in the trail names the person any more. A record about a person
(a role change, a look at their record) names them by pseudonym only, never
by account number, for the same reason.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
from collections.abc import Sequence

from django.conf import settings
from django.db import IntegrityError, models, transaction
from django.utils import timezone


class Action(models.TextChoices):
    SIGN_IN = "sign_in", "Signed in"
    SIGN_IN_FAILED = "sign_in_failed", "Failed to sign in"
    SIGN_OUT = "sign_out", "Signed out"
    VIEW_CASELOAD = "view_caseload", "Viewed the caseload"
    VIEW_PATIENT = "view_patient", "Viewed a patient's data"
    CREATE = "create", "Created"
    CHANGE = "change", "Changed"
    DELETE = "delete", "Deleted"
    EXPORT = "export", "Exported a patient's data"
    ERASE = "erase", "Erased an account"
    ROLE_CHANGE = "role_change", "Changed a role"
    ASSIGNMENT_CHANGE = "assignment_change", "Changed who looks after a patient"
    ACCESS_DENIED = "access_denied", "Was refused access"


class Outcome(models.TextChoices):
    SUCCESS = "success", "Success"
    FAILURE = "failure", "Failure"
    DENIED = "denied", "Denied"


class Target(models.TextChoices):
    """The kind of thing an event is about."""

    SESSION = "session", "Session"
    ENTRY = "entry", "Session entry"
    PROGRAMME = "programme", "Programme"
    COMMENT = "comment", "Comment"
    ALERT = "alert", "Alert"
    SAFETY_CHECK = "safety_check", "Safety check-in"
    EXERCISE = "exercise", "Exercise"
    USER = "user", "Person"
    ASSIGNMENT = "assignment", "Care assignment"


def pseudonym(user_id: int | None) -> str:
    """A stable name for a person that only the audit key can link back to them."""
    if user_id is None:
        return ""
    return _mac(f"person:{user_id}")[:24]


def _mac(message: str) -> str:
    key = settings.AUDIT_KEY.encode()
    return hmac.new(key, message.encode(), hashlib.sha256).hexdigest()


class AuditEventQuerySet(models.QuerySet["AuditEvent"]):
    def views_by_others(self, patient_id: int) -> AuditEventQuerySet:
        """When someone other than the patient looked at or exported their data."""
        return self.filter(
            patient_id=patient_id,
            action__in=[Action.VIEW_PATIENT, Action.EXPORT],
            outcome=Outcome.SUCCESS,
        ).exclude(actor_id=patient_id)


class AuditEvent(models.Model):
    seq = models.PositiveBigIntegerField(
        "number", unique=True, editable=False, help_text="Position in the chain, from 1."
    )
    at = models.DateTimeField("when", default=timezone.now, db_index=True)
    action = models.CharField(max_length=20, choices=Action.choices)
    outcome = models.CharField(max_length=10, choices=Outcome.choices, default=Outcome.SUCCESS)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="who",
    )
    actor_ref = models.CharField("who (pseudonym)", max_length=24, blank=True, db_index=True)
    patient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="patient",
    )
    patient_ref = models.CharField("patient (pseudonym)", max_length=24, blank=True, db_index=True)
    target_type = models.CharField("about", max_length=12, choices=Target.choices, blank=True)
    target_id = models.PositiveBigIntegerField("about number", null=True, blank=True)
    target_ref = models.CharField(
        "about person (pseudonym)",
        max_length=24,
        blank=True,
        help_text="When the record is about a person: never their account number.",
    )
    ip = models.CharField("address", max_length=45, blank=True)
    detail = models.JSONField(
        default=dict, blank=True, help_text="Names and numbers only, never free text."
    )
    previous_hash = models.CharField(max_length=64, editable=False)
    hash = models.CharField(max_length=64, editable=False)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-seq"]
        verbose_name = "audit record"
        indexes = [models.Index(fields=["patient", "-seq"], name="audit_event_patient_recent")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(action__in=Action.values), name="audit_event_action_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(outcome__in=Outcome.values), name="audit_event_outcome_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.seq} {self.get_action_display()} ({self.get_outcome_display()})"

    def content(self) -> str:
        """Everything the hash covers except the previous hash, as canonical JSON."""
        return json.dumps(
            {
                "seq": self.seq,
                "at": self.at.astimezone(dt.UTC).isoformat(timespec="microseconds"),
                "action": self.action,
                "outcome": self.outcome,
                "actor": self.actor_ref,
                "patient": self.patient_ref,
                "target_type": self.target_type,
                "target_id": self.target_id,
                "target_ref": self.target_ref,
                "ip": self.ip,
                "detail": self.detail,
            },
            sort_keys=True,
            separators=(",", ":"),
            ensure_ascii=True,
        )

    def expected_hash(self) -> str:
        return _mac(f"{self.previous_hash}|{self.content()}")


class ChainHead(models.Model):
    """The newest record's number and hash, sealed with the key.

    Appending locks this one row, so records join the chain one at a time even
    from many workers. It also catches records cut from the end of the chain,
    which the chain alone could not show.
    """

    seq = models.PositiveBigIntegerField(default=0)
    hash = models.CharField(max_length=64, default="")
    seal = models.CharField(max_length=64, default="")

    class Meta:
        verbose_name = "audit chain head"

    def __str__(self) -> str:
        return f"Audit chain at #{self.seq}"

    def expected_seal(self) -> str:
        return _mac(f"head|{self.seq}|{self.hash}")

    @classmethod
    def locked(cls) -> ChainHead:
        """The head row, locked until the current transaction ends; made on first use."""
        try:
            return cls.objects.select_for_update().get(pk=1)
        except cls.DoesNotExist:
            pass
        try:
            with transaction.atomic():
                head = cls(pk=1, seq=0, hash="")
                head.seal = head.expected_seal()
                head.save(force_insert=True)
        except IntegrityError:
            pass  # another worker made it first
        return cls.objects.select_for_update().get(pk=1)


@transaction.atomic
def append(events: Sequence[AuditEvent]) -> list[AuditEvent]:
    """Add `events` to the end of the chain, in order, and return them saved."""
    if not events:
        return []
    head = ChainHead.locked()
    previous = head.hash
    now = timezone.now()  # taken under the lock, so times never run backwards along the chain
    for number, event in enumerate(events, start=head.seq + 1):
        event.seq = number
        event.at = now
        event.previous_hash = previous
        event.hash = event.expected_hash()
        previous = event.hash
    saved = AuditEvent.objects.bulk_create(events)
    head.seq = events[-1].seq
    head.hash = previous
    head.seal = head.expected_seal()
    head.save(update_fields=["seq", "hash", "seal"])
    return saved
