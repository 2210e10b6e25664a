"""Writing to the audit trail from views, models and signal handlers.

    trail.record(Action.CHANGE, target=entry, patient=session.patient)

Who did it and from which address come from the request being served (set
by AuditMiddleware); outside a request, such as in a management command,
the record names nobody. `detail` takes names and numbers only: the trail
never holds free text, so it never holds what a patient wrote.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from contextvars import ContextVar
from typing import Any

from django.core.cache import cache
from django.db import models
from django.http import HttpRequest

from accounts.http import client_ip

from .models import Action, AuditEvent, Outcome, Target, append, pseudonym

_request: ContextVar[HttpRequest | None] = ContextVar("audit_request", default=None)
_quiet: ContextVar[bool] = ContextVar("audit_quiet", default=False)

TARGETS = {
    "tracking.session": Target.SESSION,
    "tracking.sessionentry": Target.ENTRY,
    "tracking.programme": Target.PROGRAMME,
    "tracking.comment": Target.COMMENT,
    "tracking.alertacknowledgement": Target.ALERT,
    "tracking.safetycheck": Target.SAFETY_CHECK,
    "exercises.exercise": Target.EXERCISE,
    "accounts.user": Target.USER,
    "accounts.assignment": Target.ASSIGNMENT,
}

# A name, a number or a view name: never sentences, never what someone typed.
_SAFE_TEXT = re.compile(r"[A-Za-z0-9_.:-]{0,64}\Z")

# Signed-out visitors refused a protected page: at most two records per address
# in this many seconds, the first refusal and the first answered 429, each with
# the count of refusals it stands for. Anyone on the internet can send these, so
# they must not grow the trail (and the chain's queue) at will. An IPv6 address
# counts as its /64 network: one subscriber is commonly given a whole /64.
SIGNED_OUT_WINDOW = 5 * 60
# How long refusals not yet written wait for the address's next record.
SIGNED_OUT_CARRY = 24 * 3600

# Marks on the request, so one request never records its refusal twice.
DENIAL_RECORDED = "_audit_denial_recorded"
SIGN_IN_EVENT_RECORDED = "_audit_sign_in_event_recorded"


@contextmanager
def serving(request: HttpRequest) -> Iterator[None]:
    """Attribute what is recorded inside the block to this request."""
    token = _request.set(request)
    try:
        yield
    finally:
        _request.reset(token)


@contextmanager
def unrecorded() -> Iterator[None]:
    """Inside the block, nothing is recorded.

    For work that is one record in itself (an erasure), or nobody's change at
    all (writing down an exercise's missing first version).
    """
    token = _quiet.set(True)
    try:
        yield
    finally:
        _quiet.reset(token)


def current_request() -> HttpRequest | None:
    return _request.get()


class _FromRequest:
    """The default for `actor`: whoever is signed in on the current request."""


FROM_REQUEST: Any = _FromRequest()


def event(
    action: Action,
    *,
    patient: Any = None,
    target: models.Model | None = None,
    target_type: Target | str = "",
    target_id: int | None = None,
    outcome: Outcome = Outcome.SUCCESS,
    detail: dict[str, Any] | None = None,
    actor: Any = FROM_REQUEST,
    request: HttpRequest | None = None,
) -> AuditEvent:
    """An unsaved audit record; record() or record_all() adds it to the chain.

    `patient` is the person whose health data it is about, or their id.
    """
    request = request or current_request()
    if actor is FROM_REQUEST:
        user = getattr(request, "user", None)
        actor = user if user is not None and user.is_authenticated else None
    target_ref = ""
    if target is not None:
        target_type = TARGETS[target._meta.label_lower]
        target_id = target.pk
    if target_type == Target.USER:  # a person: by pseudonym, which erasure leaves meaningless
        target_ref, target_id = pseudonym(target_id), None
    detail = detail or {}
    _check_detail(detail)
    patient_id = patient if isinstance(patient, int) or patient is None else patient.pk
    return AuditEvent(
        action=action,
        outcome=outcome,
        actor=actor,
        actor_ref=pseudonym(actor.pk if actor is not None else None),
        patient_id=patient_id,
        patient_ref=pseudonym(patient_id),
        target_type=target_type,
        target_id=target_id,
        target_ref=target_ref,
        ip=_address(request),
        detail=detail,
    )


def record(action: Action, **kwargs: Any) -> AuditEvent:
    """Add one record to the trail, now."""
    return record_all([event(action, **kwargs)])[0]


def record_all(events: Sequence[AuditEvent]) -> list[AuditEvent]:
    if _quiet.get():
        return list(events)
    return append(events)


def denied(
    request: HttpRequest,
    *,
    patient: Any = None,
    target_type: Target | str = "",
    target_id: int | None = None,
    status: int = 404,
) -> None:
    """Record a refused access once; views answer 404 or 403 as usual afterwards."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        denied_signed_out(request, status=status)
        return
    if getattr(request, DENIAL_RECORDED, False):
        return
    setattr(request, DENIAL_RECORDED, True)
    denial = event(
        Action.ACCESS_DENIED,
        patient=patient,
        target_type=target_type,
        target_id=target_id,
        outcome=Outcome.DENIED,
        detail=_where(request, status),
        request=request,
    )
    record_all([denial])


def denied_signed_out(request: HttpRequest, *, status: int, too_many: bool = False) -> None:
    """Record a signed-out visitor's refusal, at most twice per address per window.

    The first refusal of a window is recorded, and so is the first one answered
    429 (`too_many`), so a flood's size shows in the trail while it happens. Each
    record's `count` is itself and the address's refusals since its previous
    record; the others are counted, and written with the address's next record:
    a record, once in the chain, never changes.
    """
    if getattr(request, DENIAL_RECORDED, False):
        return
    setattr(request, DENIAL_RECORDED, True)
    key = signed_out_key(request)
    first_of_window = f"{key}:{'first-429' if too_many else 'first-refusal'}"
    if not cache.add(first_of_window, True, SIGNED_OUT_WINDOW):
        _add_one(f"{key}:unrecorded")
        return
    count = 1 + _take(f"{key}:unrecorded")
    denial = event(
        Action.ACCESS_DENIED,
        outcome=Outcome.DENIED,
        actor=None,
        detail={**_where(request, status), "count": count},
        request=request,
    )
    record_all([denial])


def counted_signed_out(request: HttpRequest) -> None:
    """Count a refusal toward the address's next record, and write nothing now.

    For an address already past the rate limit: its 429 costs a counter, no more.
    """
    if getattr(request, DENIAL_RECORDED, False):
        return
    setattr(request, DENIAL_RECORDED, True)
    _add_one(f"{signed_out_key(request)}:unrecorded")


def signed_out_key(request: HttpRequest) -> str:
    """The cache key signed-out refusals are counted by: an IPv4 address, an IPv6 /64."""
    return f"audit:signed-out:{signed_out_network(request)}"


def signed_out_network(request: HttpRequest) -> str:
    address = _address(request)
    if not address:
        return "unknown"
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return ip.ipv4_mapped.compressed
        return ipaddress.ip_network(f"{ip}/64", strict=False).compressed
    return address


def _add_one(key: str) -> None:
    """Add one to a count, losing none to requests at the same moment (on Redis)."""
    try:
        cache.incr(key)
    except ValueError:  # not counting yet: start at 0, unless another request just did
        cache.add(key, 0, SIGNED_OUT_CARRY)
        cache.incr(key)
    # The database cache's incr() writes the key again with the default timeout.
    cache.touch(key, SIGNED_OUT_CARRY)


def _take(key: str) -> int:
    """The count so far, leaving what other requests add meanwhile for next time."""
    count = cache.get(key) or 0
    if count:
        with suppress(ValueError):  # gone meanwhile: nothing left to keep
            cache.decr(key, count)
    return count


def _where(request: HttpRequest, status: int) -> dict[str, Any]:
    match = request.resolver_match
    return {
        "view": match.view_name[:64] if match and _SAFE_TEXT.match(match.view_name) else "",
        "method": request.method if request.method and _SAFE_TEXT.match(request.method) else "",
        "status": status,
    }


def _address(request: HttpRequest | None) -> str:
    if request is None:
        return ""
    try:
        return ipaddress.ip_address(client_ip(request) or "").compressed
    except ValueError:
        return ""


def _check_detail(detail: dict[str, Any]) -> None:
    for key, value in detail.items():
        values = value if isinstance(value, list) else [value]
        for item in [key, *values]:
            if isinstance(item, str) and not _SAFE_TEXT.match(item):
                raise ValueError(f"Audit details hold names and numbers only, not {item!r}.")
            if not isinstance(item, str | int | bool | type(None)):
                raise ValueError(f"Audit details hold names and numbers only, not {item!r}.")
