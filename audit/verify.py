"""Checking the audit trail's chain from the first record to the head."""

from __future__ import annotations

from dataclasses import dataclass

from .models import AuditEvent, ChainHead, pseudonym

BATCH = 2000


@dataclass(frozen=True)
class Report:
    checked: int
    head_seq: int
    problem: str | None = None


def verify() -> Report:
    """Walk the chain in order; stop at the first record that does not fit."""
    previous_hash = ""
    expected_seq = 1
    checked = 0
    records = AuditEvent.objects.order_by("seq").iterator(chunk_size=BATCH)
    for record in records:
        name = f"Audit record #{record.seq} (id {record.pk})"
        if record.seq != expected_seq:
            return Report(
                checked,
                expected_seq - 1,
                f"{name}: expected #{expected_seq} here, so records are missing before it.",
            )
        if record.previous_hash != previous_hash:
            return Report(
                checked,
                record.seq,
                f"{name} does not follow the record before it: "
                "a record before it was removed, replaced or inserted.",
            )
        if record.hash != record.expected_hash():
            return Report(checked, record.seq, f"{name} was changed after it was written.")
        if (record.actor_id is not None and pseudonym(record.actor_id) != record.actor_ref) or (
            record.patient_id is not None and pseudonym(record.patient_id) != record.patient_ref
        ):
            return Report(checked, record.seq, f"{name} was changed to name someone else.")
        previous_hash = record.hash
        expected_seq += 1
        checked += 1

    last_seq = expected_seq - 1
    head = ChainHead.objects.filter(pk=1).first()
    if head is None:
        if checked:
            return Report(checked, last_seq, "The audit chain's head is missing.")
        return Report(0, 0)
    if head.seal != head.expected_seal():
        return Report(checked, last_seq, "The audit chain's head was changed by hand.")
    if (head.seq, head.hash) != (last_seq, previous_hash):
        return Report(
            checked,
            last_seq,
            f"The chain ends at #{last_seq}, but its head says #{head.seq}: "
            f"records after #{last_seq} were removed, or the head was changed.",
        )
    return Report(checked, last_seq)
