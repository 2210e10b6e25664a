"""Whose dose an exercise's pages show: the library's usual one, or a person's own.

The library knows only the usual dose. An app that knows a person's own doses (a
patient's programme) registers a lookup here from its AppConfig.ready(), so this
app never imports it and the dependency between the two still runs one way.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import NamedTuple

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser

from .models import Dose

USUAL_DOSE = "Usual dose"
YOUR_DOSE = "Your dose"


class OwnDose(NamedTuple):
    """A person's own dose of an exercise, and the page that shows the exercise at it."""

    dose: Dose
    url: str


# From a person to their own dose of each exercise they have one for, by exercise id.
OwnDoses = Callable[[AbstractBaseUser | AnonymousUser], Mapping[int, OwnDose]]

_lookups: list[OwnDoses] = []


def register(lookup: OwnDoses) -> None:
    if lookup not in _lookups:
        _lookups.append(lookup)


def own_doses(user: AbstractBaseUser | AnonymousUser) -> dict[int, OwnDose]:
    """The person's own doses, by exercise id; none for someone with no programme."""
    doses: dict[int, OwnDose] = {}
    for lookup in _lookups:
        doses.update(lookup(user))
    return doses
