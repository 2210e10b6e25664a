"""What changed between two versions of a programme, in words a patient reads.

Works on the plain snapshots kept with each version, so it needs no database.
"""

from typing import Any

Snapshot = dict[str, Any]


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def _dose_changes(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    parts = []
    if old["sets"] != new["sets"]:
        parts.append(f"{old['sets']} → {_plural(new['sets'], 'set')}")
    if old["reps"] != new["reps"]:
        parts.append(f"{old['reps']} → {new['reps']} reps")
    if old["hold_seconds"] != new["hold_seconds"]:
        parts.append(f"hold {old['hold_seconds']} → {_plural(new['hold_seconds'], 'second')}")
    if old["per_side"] != new["per_side"]:
        parts.append("now on each side" if new["per_side"] else "no longer on each side")
    if old["rest_seconds"] != new["rest_seconds"]:
        parts.append(f"rest {old['rest_seconds']} → {_plural(new['rest_seconds'], 'second')}")
    if old["note"] != new["note"]:
        if not new["note"]:
            parts.append("note removed")
        else:
            parts.append(f"{'new' if not old['note'] else 'changed'} note: “{new['note']}”")
    return parts


def describe_changes(before: Snapshot, after: Snapshot) -> list[str]:
    """One line per change, e.g. "Glute bridge: 10 → 12 reps"."""
    changes = []
    if before["target_per_week"] != after["target_per_week"]:
        changes.append(
            f"Target: {before['target_per_week']} → "
            f"{_plural(after['target_per_week'], 'session')} a week"
        )
    # Versions saved before the gentle start existed had it on, as every programme did.
    if before.get("gentle_start", True) != after.get("gentle_start", True):
        changes.append(
            "Gentle start for the first two weeks: "
            + ("on" if after.get("gentle_start", True) else "off, the target applies from now")
        )
    old_items = {item["exercise"]: item for item in before["exercises"]}
    for item in after["exercises"]:
        old = old_items.get(item["exercise"])
        if old is None:
            changes.append(f"{item['name']}: added")
            continue
        if old["included"] != item["included"]:
            changes.append(
                f"{item['name']}: {'back in' if item['included'] else 'left out for now'}"
            )
        parts = _dose_changes(old, item)
        if parts:
            changes.append(f"{item['name']}: {', '.join(parts)}")
    old_order = [item["exercise"] for item in before["exercises"]]
    new_order = [item["exercise"] for item in after["exercises"]]
    kept = [exercise for exercise in new_order if exercise in old_items]
    if kept != [exercise for exercise in old_order if exercise in new_order]:
        changes.append("New order of the exercises")
    if before["inactivity_days"] != after["inactivity_days"]:
        changes.append(
            f"Check-in after {before['inactivity_days']} → "
            f"{_plural(after['inactivity_days'], 'day')} without a session"
        )
    return changes
