"""Changing, removing or inserting audit records by hand is found by verify_audit_trail.

The tampering is raw SQL through the database connection, as someone editing
the database would do it: never the ORM's save(), which the app itself uses.
"""

# ruff: noqa: S608 - the SQL here is built from quoted table and column names only

import datetime as dt
import hashlib
import hmac
import itertools
import json
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from io import StringIO
from types import SimpleNamespace
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.urls import reverse
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from audit import trail
from audit.models import Action, AuditEvent, ChainHead, Outcome, Target
from tests.conftest import PASSWORD, signed_in
from tracking.models import Session

from .conftest import last_seq

TABLE = AuditEvent._meta.db_table
HEAD = ChainHead._meta.db_table
HASHED = [
    "at",
    "action",
    "outcome",
    "actor_ref",
    "patient_ref",
    "target_type",
    "target_id",
    "target_ref",
    "ip",
    "detail",
    "previous_hash",
    "hash",
]
LINKS = ["actor_id", "patient_id"]
COPIED = ["seq", *HASHED, *LINKS]  # every column but the row's own id
HEX = "0123456789abcdef"


# Tampering, by hand -----------------------------------------------------------------


def q(name: str) -> str:
    return connection.ops.quote_name(name)


def execute(statement: str, params: list[Any] | tuple[Any, ...] = ()) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


def _placeholder(column: str) -> str:
    if column == "detail" and connection.vendor == "postgresql":
        return "CAST(%s AS jsonb)"
    return "%s"


def _param(column: str, value: Any) -> Any:
    if column == "detail":
        return json.dumps(value)
    if column == "at":
        return connection.ops.adapt_datetimefield_value(value)
    return value


def update(seq: int, **columns: Any) -> None:
    """UPDATE one record's columns in place."""
    assignments = ", ".join(f"{q(column)} = {_placeholder(column)}" for column in columns)
    params = [_param(column, value) for column, value in columns.items()]
    execute(f"UPDATE {q(TABLE)} SET {assignments} WHERE {q('seq')} = %s", [*params, seq])


def insert(**columns: Any) -> None:
    names = ", ".join(q(column) for column in columns)
    marks = ", ".join(_placeholder(column) for column in columns)
    params = [_param(column, value) for column, value in columns.items()]
    execute(f"INSERT INTO {q(TABLE)} ({names}) VALUES ({marks})", params)


def delete(seq: int) -> None:
    execute(f"DELETE FROM {q(TABLE)} WHERE {q('seq')} = %s", [seq])


def make_room_at(seq: int) -> None:
    """Renumber record #`seq` and every later one up by one (in two steps, as the
    numbers are unique at every moment)."""
    execute(
        f"UPDATE {q(TABLE)} SET {q('seq')} = {q('seq')} + 1000000 WHERE {q('seq')} >= %s", [seq]
    )
    execute(
        f"UPDATE {q(TABLE)} SET {q('seq')} = {q('seq')} - 999999 WHERE {q('seq')} >= %s",
        [seq + 1000000],
    )


def columns_of(seq: int) -> dict[str, Any]:
    return AuditEvent.objects.values(*COPIED).get(seq=seq)


def forged(seq: int, previous_hash: str, *, like: int, hash_: str | None = None) -> dict[str, Any]:
    """A record for position #`seq`, copied from record #`like` and made to look
    chained: right number, previous hash and pseudonyms, and a hash made the way
    the app makes it, but with a guessed key (or the `hash_` given)."""
    columns = {**columns_of(like), "seq": seq, "previous_hash": previous_hash}
    columns["detail"] = {**columns["detail"], "forged": True}
    if hash_ is None:
        event = AuditEvent(**{k: v for k, v in columns.items() if k not in LINKS})
        content = f"{previous_hash}|{event.content()}"
        hash_ = hmac.new(b"guessed-key", content.encode(), hashlib.sha256).hexdigest()
    return {**columns, "hash": hash_}


def changed_value(column: str, record: AuditEvent, people: list[int]) -> Any:
    """A plausible new value for `column`, different from the record's."""
    current = getattr(record, column)
    return {
        "at": lambda: current + dt.timedelta(microseconds=1),
        "action": lambda: Action.CHANGE if current != Action.CHANGE else Action.CREATE,
        "outcome": lambda: Outcome.DENIED if current != Outcome.DENIED else Outcome.SUCCESS,
        "actor_ref": lambda: "0" * 24 if current != "0" * 24 else "1" * 24,
        "patient_ref": lambda: "0" * 24 if current != "0" * 24 else "1" * 24,
        "target_ref": lambda: "0" * 24 if current != "0" * 24 else "1" * 24,
        "target_type": lambda: Target.COMMENT if current != Target.COMMENT else Target.SESSION,
        "target_id": lambda: (current or 0) + 1,
        "ip": lambda: "203.0.113.66" if current != "203.0.113.66" else "",
        "detail": lambda: {**current, "forged": 1},
        "previous_hash": lambda: "0" * 64 if current != "0" * 64 else "1" * 64,
        "hash": lambda: "f" * 64 if current != "f" * 64 else "e" * 64,
        "actor_id": lambda: next(pk for pk in people if pk != current),
        "patient_id": lambda: next(pk for pk in people if pk != current),
    }[column]()


# Checking ---------------------------------------------------------------------------


def verify() -> str:
    out = StringIO()
    call_command("verify_audit_trail", stdout=out)
    return out.getvalue()


def broken() -> str:
    """The command's complaint; fails the test if it has none."""
    with pytest.raises(CommandError) as refused:
        verify()
    return str(refused.value)


def names(message: str, seq: int) -> bool:
    return re.search(rf"#{seq}\b", message) is not None


@contextmanager
def rolled_back() -> Iterator[None]:
    """Tamper inside a savepoint that is always undone, to try again on the same chain."""
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


# The chain --------------------------------------------------------------------------


@pytest.fixture
def chain(patient, physio, other_patient, assigned, physio_client, client) -> int:
    """About a dozen real records of many kinds; returns how many there are."""
    client.post(reverse("login"), {"username": "nobody-at-all", "password": PASSWORD})
    physio_client.get(reverse("tracking:patient", args=[patient.pk]))
    physio_client.get(reverse("tracking:caseload"))
    physio_client.get(reverse("tracking:patient", args=[other_patient.pk]))  # refused
    physio_client.post(reverse("tracking:comment", args=[patient.pk]), {"body": "Well done."})
    count = AuditEvent.objects.count()
    assert count >= 10
    assert last_seq() == count
    assert "intact" in verify()
    return count


@pytest.fixture
def people(patient, physio, other_patient) -> list[int]:
    return [patient.pk, physio.pk, other_patient.pk]


def position(name: str, count: int) -> int:
    return {"first": 1, "middle": count // 2, "last": count}[name]


# An intact chain --------------------------------------------------------------------


def test_an_untouched_chain_verifies_and_says_how_many_records(chain):
    newest = AuditEvent.objects.get(seq=chain)

    first, advice, anchor = verify().strip().splitlines()

    assert first == f"The audit trail is intact: {chain} records, the newest #{chain}."
    assert "--expect" in advice
    assert anchor == f"{chain}:{newest.hash}"


def test_an_empty_trail_verifies(db):
    assert not AuditEvent.objects.exists()

    assert verify().strip() == "The audit trail is intact: 0 records, the newest #0."


def test_a_chain_checked_with_another_key_fails_at_the_first_record(chain, settings):
    settings.AUDIT_KEY = "another-key-of-at-least-thirty-two-characters"

    assert names(broken(), 1)


def test_many_records_appended_in_one_request_keep_the_chain_whole(checked_in, chain, patient):
    patient_client = signed_in(patient)
    before = last_seq()

    patient_client.post(reverse("tracking:start"), {"pain_before": "3"})

    added = list(AuditEvent.objects.filter(seq__gt=before).order_by("seq"))
    assert len(added) == 1 + Session.objects.get(patient=patient).entries.count()
    assert [record.seq for record in added] == list(range(before + 1, before + 1 + len(added)))
    assert "intact" in verify()


def test_a_record_undone_with_its_transaction_leaves_the_chain_whole(chain):
    with rolled_back():
        trail.record(Action.VIEW_CASELOAD, actor=None, detail={"patients": 3})
    trail.record(Action.VIEW_CASELOAD, actor=None, detail={"patients": 4})

    assert f"{chain + 1} records" in verify()


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="SQLite's test database is one connection"
)
@pytest.mark.django_db(transaction=True)
def test_appends_from_many_workers_at_once_keep_the_chain_whole():
    workers, each = 6, 15
    start = threading.Barrier(workers)
    failures: list[BaseException] = []

    def work(number: int) -> None:
        try:
            start.wait()
            for step in range(each):
                trail.record(Action.VIEW_CASELOAD, actor=None, detail={"w": number, "n": step})
        except BaseException as exc:  # reported below, on the test's own thread
            failures.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=[n]) for n in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert failures == []
    total = workers * each
    assert list(AuditEvent.objects.order_by("seq").values_list("seq", flat=True)) == list(
        range(1, total + 1)
    )
    assert verify().startswith(f"The audit trail is intact: {total} records, the newest #{total}.")


# Changed records ---------------------------------------------------------------------


@pytest.mark.parametrize("column", HASHED)
@pytest.mark.parametrize("where", ["first", "middle", "last"])
def test_changing_any_hashed_column_is_found_and_named(chain, people, where, column):
    seq = position(where, chain)
    record = AuditEvent.objects.get(seq=seq)

    update(seq, **{column: changed_value(column, record, people)})

    assert names(broken(), seq)


@pytest.mark.parametrize("link", LINKS)
@pytest.mark.parametrize("where", ["first", "middle", "last"])
def test_linking_a_record_to_someone_else_is_found_and_named(chain, people, where, link):
    seq = position(where, chain)
    record = AuditEvent.objects.get(seq=seq)

    update(seq, **{link: changed_value(link, record, people)})

    assert names(broken(), seq)


def test_every_column_of_every_record_changed_alone_is_found_and_named(chain, people):
    missed = []
    for seq, column in itertools.product(range(1, chain + 1), [*HASHED, *LINKS]):
        record = AuditEvent.objects.get(seq=seq)
        with rolled_back():
            update(seq, **{column: changed_value(column, record, people)})
            try:
                message = broken()
            except pytest.fail.Exception:
                message = ""
            if not names(message, seq):
                missed.append((seq, column, message))

    assert missed == []


@st.composite
def tampering(draw: st.DrawFn, count: int, people: list[int]) -> tuple[int, str, Any]:
    seq = draw(st.integers(1, count), label="record")
    column = draw(st.sampled_from([*HASHED, *LINKS]), label="column")
    record = AuditEvent.objects.get(seq=seq)
    current = getattr(record, column)
    values = {
        "at": st.integers(-(10**12), 10**12)
        .filter(bool)
        .map(lambda shift: current + dt.timedelta(microseconds=shift)),
        "action": st.sampled_from(Action.values),
        "outcome": st.sampled_from(Outcome.values),
        "actor_ref": st.text(HEX, max_size=24),
        "patient_ref": st.text(HEX, max_size=24),
        "target_ref": st.text(HEX, max_size=24),
        "target_type": st.sampled_from(["", *Target.values]),
        "target_id": st.none() | st.integers(0, 2**53),
        "ip": st.just("") | st.ip_addresses().map(str),
        "detail": st.dictionaries(
            st.text("abcdefghijklmnopqrstuvwxyz_", min_size=1, max_size=10),
            st.integers(-1000, 1000) | st.booleans() | st.none(),
            max_size=3,
        ),
        "previous_hash": st.text(HEX, min_size=64, max_size=64),
        "hash": st.text(HEX, min_size=64, max_size=64),
        # Clearing a link is what erasing an account does, and is allowed: see the report.
        "actor_id": st.sampled_from(people),
        "patient_id": st.sampled_from(people),
    }[column]
    value = draw(values.filter(lambda value: value != current), label="value")
    return seq, column, value


@hypothesis_settings(
    max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_any_change_of_any_record_is_found_every_time(chain, people, data):
    seq, column, value = data.draw(tampering(chain, people))

    with rolled_back():
        update(seq, **{column: value})
        message = broken()

    assert names(message, seq), message


# Removed records ---------------------------------------------------------------------


@pytest.mark.parametrize("where", ["first", "middle", "last"])
def test_removing_a_record_is_found_and_named(chain, where):
    seq = position(where, chain)

    delete(seq)

    # The first record out of place is the one after the gap; past the end, the head
    # still names the record that was removed.
    assert names(broken(), seq + 1 if seq < chain else seq)


def test_removing_any_record_is_found_every_time(chain):
    missed = []
    for seq in range(1, chain + 1):
        with rolled_back():
            delete(seq)
            try:
                message = broken()
            except pytest.fail.Exception:
                message = ""
            if not names(message, seq + 1 if seq < chain else seq):
                missed.append((seq, message))

    assert missed == []


def test_removing_the_newest_records_and_rewinding_the_head_is_found(chain):
    kept = chain - 3
    for seq in range(kept + 1, chain + 1):
        delete(seq)
    newest = AuditEvent.objects.get(seq=kept)

    execute(f"UPDATE {q(HEAD)} SET {q('seq')} = %s, {q('hash')} = %s", [kept, newest.hash])

    assert "head" in broken()


def test_removing_the_whole_trail_and_its_head_is_found(chain):
    """The head row is made by a migration, so a trail without one was emptied."""
    execute(f"DELETE FROM {q(TABLE)}")
    execute(f"DELETE FROM {q(HEAD)}")

    broken()


# Inserted records ---------------------------------------------------------------------


@pytest.mark.parametrize("hash_", ["made without the key", "copied from the last record"])
def test_a_record_added_at_the_end_is_found_and_named(chain, hash_):
    last = AuditEvent.objects.get(seq=chain)
    copied = last.hash if hash_.startswith("copied") else None

    insert(**forged(chain + 1, last.hash, like=chain - 1, hash_=copied))

    assert names(broken(), chain + 1)


def test_a_record_added_at_the_end_with_the_head_moved_to_it_is_found(chain):
    last = AuditEvent.objects.get(seq=chain)
    record = forged(chain + 1, last.hash, like=chain - 1)
    insert(**record)

    execute(f"UPDATE {q(HEAD)} SET {q('seq')} = %s, {q('hash')} = %s", [chain + 1, record["hash"]])

    assert names(broken(), chain + 1)


def test_a_record_slipped_in_the_middle_is_found_and_named(chain):
    seq = position("middle", chain)
    previous = AuditEvent.objects.get(seq=seq - 1)

    record = forged(seq, previous.hash, like=seq)

    make_room_at(seq)
    insert(**record)

    assert names(broken(), seq)


def test_a_record_copied_in_the_middle_is_found_at_the_one_after_it(chain):
    seq = position("middle", chain)
    original = columns_of(seq)

    make_room_at(seq)
    insert(**original)

    assert names(broken(), seq + 1)


def test_a_record_put_in_a_removed_records_place_is_found_and_named(chain):
    seq = position("middle", chain)
    previous = AuditEvent.objects.get(seq=seq - 1)

    delete(seq)
    insert(**forged(seq, previous.hash, like=seq + 1))

    assert names(broken(), seq)


def test_a_record_slipped_in_anywhere_is_found_every_time(chain):
    missed = []
    for seq in range(1, chain + 2):
        previous_hash = AuditEvent.objects.get(seq=seq - 1).hash if seq > 1 else ""
        record = forged(seq, previous_hash, like=max(seq - 1, 1))
        with rolled_back():
            make_room_at(seq)
            insert(**record)
            try:
                message = broken()
            except pytest.fail.Exception:
                message = ""
            if not names(message, seq):
                missed.append((seq, message))

    assert missed == []


# Reordered records --------------------------------------------------------------------


def swap(first: int, second: int) -> None:
    """Swap two records' contents, leaving each its number."""
    a, b = columns_of(first), columns_of(second)
    update(first, **{k: v for k, v in b.items() if k != "seq"})
    update(second, **{k: v for k, v in a.items() if k != "seq"})


def test_two_records_swapped_are_found_at_the_first_of_them(chain):
    swap(2, chain - 1)

    assert names(broken(), 2)


def test_any_two_records_swapped_are_found_every_time(chain):
    missed = []
    for first, second in itertools.combinations(range(1, chain + 1), 2):
        with rolled_back():
            swap(first, second)
            try:
                message = broken()
            except pytest.fail.Exception:
                message = ""
            if not names(message, first):
                missed.append((first, second, message))

    assert missed == []


# The head -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "change",
    [
        f"UPDATE {q(HEAD)} SET {q('seq')} = {q('seq')} + 1",
        f"UPDATE {q(HEAD)} SET {q('hash')} = '{'0' * 64}'",
        f"UPDATE {q(HEAD)} SET {q('seal')} = '{'0' * 64}'",
        f"DELETE FROM {q(HEAD)}",
    ],
    ids=["number", "hash", "seal", "removed"],
)
def test_changing_the_head_by_hand_is_found(chain, change):
    execute(change)

    assert "head" in broken()


def test_rewinding_the_head_to_an_earlier_record_is_found(chain):
    earlier = AuditEvent.objects.get(seq=position("middle", chain))

    execute(f"UPDATE {q(HEAD)} SET {q('seq')} = %s, {q('hash')} = %s", [earlier.seq, earlier.hash])

    assert "head" in broken()


def anchor_of(seq: int) -> str:
    return f"{seq}:{AuditEvent.objects.get(seq=seq).hash}"


def test_the_newest_record_written_down_earlier_still_verifies(chain):
    anchor = anchor_of(chain)
    signed_in(None).get(reverse("tracking:today"))  # one more record: a refusal

    out = StringIO()
    call_command("verify_audit_trail", "--expect", anchor, stdout=out)

    assert f"the newest #{chain + 1}." in out.getvalue()


def test_an_old_copy_of_the_head_put_back_is_found_against_what_was_written_down(chain):
    """Cutting the newest records and restoring the head row as it was before them
    fits together inside the database; the line kept outside it does not."""
    kept = chain - 3
    old_head = {"seq": kept, "hash": AuditEvent.objects.get(seq=kept).hash}
    old_seal = hmac.new(
        settings_key(), f"head|{kept}|{old_head['hash']}".encode(), hashlib.sha256
    ).hexdigest()
    anchor = anchor_of(chain)
    for seq in range(kept + 1, chain + 1):
        delete(seq)
    execute(
        f"UPDATE {q(HEAD)} SET {q('seq')} = %s, {q('hash')} = %s, {q('seal')} = %s",
        [kept, old_head["hash"], old_seal],
    )
    assert "intact" in verify()  # nothing inside the database shows it

    with pytest.raises(CommandError) as refused:
        call_command("verify_audit_trail", "--expect", anchor, stdout=StringIO())

    assert f"ends at #{kept}, but an earlier check saw #{chain}" in str(refused.value)


def test_a_chain_rewritten_past_what_was_written_down_is_found(chain):
    anchor = anchor_of(position("middle", chain))
    seq = position("middle", chain)
    execute(f"UPDATE {q(TABLE)} SET {q('hash')} = %s WHERE {q('seq')} = %s", ["0" * 64, seq])

    with pytest.raises(CommandError) as refused:
        call_command("verify_audit_trail", "--expect", anchor, stdout=StringIO())

    assert names(str(refused.value), seq)


@pytest.mark.parametrize("bad", ["12", "x:" + "0" * 64, "3:abc"])
def test_a_mistyped_expect_line_is_refused_with_a_message(chain, bad):
    with pytest.raises(CommandError) as refused:
        call_command("verify_audit_trail", "--expect", bad, stdout=StringIO())

    assert "--expect" in str(refused.value)


def settings_key() -> bytes:
    from django.conf import settings

    return settings.AUDIT_KEY.encode()


def test_clearing_a_link_to_a_person_as_erasure_does_leaves_the_chain_valid(chain, patient):
    """Erasing an account clears the links to it and keeps the pseudonyms, which are
    what the chain covers: so a link cleared by hand is not found either (see report)."""
    execute(
        f"UPDATE {q(TABLE)} SET {q('patient_id')} = NULL WHERE {q('patient_id')} = %s",
        [patient.pk],
    )

    assert not AuditEvent.objects.filter(patient=patient).exists()
    assert "intact" in verify()


def test_records_added_while_the_check_runs_are_no_false_alarm(chain, monkeypatch):
    """The head is read first; a record that joins the chain after that, before the
    records are read, must not look like records cut from the end."""
    read_head = ChainHead.objects.filter

    def head_then_one_more(*args: Any, **kwargs: Any) -> Any:
        head = read_head(*args, **kwargs).first()
        trail.record(Action.VIEW_CASELOAD, actor=None, detail={"patients": 0})
        return SimpleNamespace(first=lambda: head)

    monkeypatch.setattr(ChainHead.objects, "filter", head_then_one_more)

    assert verify().startswith(f"The audit trail is intact: {chain + 1} records")


@pytest.mark.skipif(
    connection.vendor != "sqlite", reason="PostgreSQL refuses a time that is not a time"
)
def test_a_record_that_cannot_be_read_is_named_not_a_crash(chain):
    seq = position("middle", chain)
    record = AuditEvent.objects.get(seq=seq)
    execute(f"UPDATE {q(TABLE)} SET {q('at')} = 'yesterday' WHERE {q('seq')} = %s", [seq])

    assert f"Audit record id {record.pk} cannot be read" in broken()
