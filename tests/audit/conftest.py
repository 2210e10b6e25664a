"""What the audit trail's tests share: where the trail ends now, and what was added since."""

from audit.models import AuditEvent


def last_seq() -> int:
    """The newest record's number, 0 for an empty trail."""
    return AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first() or 0


def added_since(seq: int) -> list[AuditEvent]:
    """The records added after record #`seq`, oldest first."""
    return list(AuditEvent.objects.filter(seq__gt=seq).order_by("seq"))
