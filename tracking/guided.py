"""Follow along: a session done one exercise at a time, with timers.

The server decides the order of the exercises and what each timer does: the
page's script only walks the list of steps below, so the rules live here,
where they are tested, and the script stays small.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from enum import StrEnum

from exercises.models import SECONDS_PER_MOVEMENT, SECONDS_TO_GET_READY, Dose

from .models import SessionEntry


class Kind(StrEnum):
    READY = "ready"  # getting into position
    HOLD = "hold"  # holding a position
    MOVE = "move"  # one repetition, paced
    RELAX = "relax"  # between two holds
    REST = "rest"  # between two sets


@dataclass(frozen=True)
class Step:
    """One timed step: what to do, for how long, and where it is in the dose."""

    kind: Kind
    seconds: int
    title: str
    detail: str
    # What a screen reader says as the step begins: short, as steps can come
    # every few seconds.
    spoken: str

    def as_json(self) -> dict[str, object]:
        return asdict(self)


def steps_for(dose: Dose) -> list[Step]:
    """Every timed step of a dose, in order: ready, then each rep, side and set.

    Per-side exercises alternate sides within each repetition (left, then
    right), as the routine's moves do. A repetition without a hold is paced at
    the few seconds the time estimate allows for one movement.
    """
    sides = ("left side", "right side") if dose.per_side else ("",)
    work: list[Step] = []
    for set_number in range(1, dose.sets + 1):
        if set_number > 1:
            rest = dose.seconds_between_sets
            then = f"Next: set {set_number} of {dose.sets}"
            work.append(Step(Kind.REST, rest, "Rest", then, f"Rest {rest} seconds. {then}."))
        for rep in range(1, dose.reps + 1):
            for side in sides:
                where = _where(rep, dose.reps, side, set_number, dose.sets)
                if not dose.hold_seconds:
                    short = f"Rep {rep}" + (f", {side.split()[0]}" if side else "")
                    work.append(Step(Kind.MOVE, SECONDS_PER_MOVEMENT, "Move", where, short))
                    continue
                if work and work[-1].kind is Kind.HOLD:
                    relax = dose.seconds_between_holds
                    spoken = f"Relax {relax} seconds. Next: {where}."
                    work.append(Step(Kind.RELAX, relax, "Relax", f"Next: {where}", spoken))
                hold = dose.hold_seconds
                work.append(Step(Kind.HOLD, hold, "Hold", where, f"Hold {hold} seconds. {where}."))
    ready = Step(
        Kind.READY,
        SECONDS_TO_GET_READY,
        "Get into position",
        f"Next: {work[0].detail}",
        f"Get into position: {SECONDS_TO_GET_READY} seconds.",
    )
    return [ready, *work]


def _where(rep: int, reps: int, side: str, set_number: int, sets: int) -> str:
    parts = [f"rep {rep} of {reps}"]
    if side:
        parts.append(side)
    if sets > 1:
        parts.append(f"set {set_number} of {sets}")
    text = ", ".join(parts)
    return text[0].upper() + text[1:]


def next_to_do(
    entries: Sequence[SessionEntry], after: SessionEntry | None = None
) -> SessionEntry | None:
    """Where to go next: the first exercise still to do after `after`, in
    programme order; failing that, the first one still to do anywhere; None
    when every exercise is done or skipped."""
    to_do = [entry for entry in entries if entry.status == SessionEntry.Status.TO_DO]
    if after is not None:
        later = [entry for entry in to_do if entry.order > after.order]
        if later:
            return later[0]
    return to_do[0] if to_do else None
