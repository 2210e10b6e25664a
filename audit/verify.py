"""Checking the audit trail's chain from the first record to the head."""

from __future__ import annotations

from dataclasses import dataclass

from .models import AuditEvent, ChainHead, pseudonym

BATCH = 2000


@dataclass(frozen=True)
class Anchor:
    """A record's number and hash written down outside the database by an earlier check."""

    seq: int
    hash: str


@dataclass(frozen=True)
class Report:
    checked: int
    head_seq: int
    head_hash: str = ""
    problem: str | None = None


def verify(anchor: Anchor | None = None) -> Report:
    """Walk the chain in order; stop at the first record that does not fit.

    With an `anchor`, the record it names must still be there, unchanged: that
    catches even a head row put back from an old copy, which nothing inside the
    database could show.
    """
    # The head first: records added while the check runs come after it and are
    # checked like the rest, and a head read last could be ahead of the records.
    head = ChainHead.objects.filter(pk=1).first()
    head_seen = False
    previous_hash = ""
    expected_seq = 1
    checked = 0
    records = AuditEvent.objects.order_by("seq").iterator(chunk_size=BATCH)
    for record in records:
        name = f"Audit record #{record.seq} (id {record.pk})"
        try:
            problem = _problem(record, name, expected_seq, previous_hash, anchor)
        except (TypeError, ValueError, AttributeError):
            problem = f"Audit record id {record.pk} cannot be read: it was changed by hand."
        if problem is not None:
            return Report(checked, expected_seq - 1, previous_hash, problem)
        if head is not None and record.seq == head.seq:
            head_seen = True
            if record.hash != head.hash:
                return Report(
                    checked,
                    record.seq,
                    previous_hash,
                    f"{name} is not the newest record the chain's head was sealed with.",
                )
        previous_hash = record.hash
        expected_seq += 1
        checked += 1

    last_seq = expected_seq - 1
    if head is None:
        return Report(checked, last_seq, previous_hash, "The audit chain's head is missing.")
    if head.seal != head.expected_seal():
        return Report(
            checked, last_seq, previous_hash, "The audit chain's head was changed by hand."
        )
    if head.seq > last_seq or (head.seq and not head_seen):
        return Report(
            checked,
            last_seq,
            previous_hash,
            f"The chain ends at #{last_seq}, but its head says #{head.seq}: "
            f"records after #{last_seq} were removed, or the head was changed.",
        )
    if anchor is not None and anchor.seq > last_seq:
        return Report(
            checked,
            last_seq,
            previous_hash,
            f"The chain ends at #{last_seq}, but an earlier check saw #{anchor.seq}: "
            f"records after #{last_seq} were removed.",
        )
    return Report(checked, last_seq, previous_hash)


def _problem(
    record: AuditEvent, name: str, expected_seq: int, previous_hash: str, anchor: Anchor | None
) -> str | None:
    """What is wrong with one record, in its place in the chain, if anything."""
    if record.seq != expected_seq:
        return f"{name}: expected #{expected_seq} here, so records are missing before it."
    if record.previous_hash != previous_hash:
        return (
            f"{name} does not follow the record before it: "
            "a record before it was removed, replaced or inserted."
        )
    if record.hash != record.expected_hash():
        return f"{name} was changed after it was written."
    if (record.actor_id is not None and pseudonym(record.actor_id) != record.actor_ref) or (
        record.patient_id is not None and pseudonym(record.patient_id) != record.patient_ref
    ):
        return f"{name} was changed to name someone else."
    if anchor is not None and record.seq == anchor.seq and record.hash != anchor.hash:
        return (
            f"{name} is not the record an earlier check saw there: "
            "the chain was rewritten from there on."
        )
    return None
