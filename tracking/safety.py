"""The signs that exercise is not the answer, and what each one calls for.

One list, used everywhere a red flag is shown: the daily check-in, the advice
after it, the physio's alert, the public "when to get help" page and the
data export. Changing a flag's words here changes them on every page; its
code is what is stored, so past answers keep their meaning.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db import models


class Advice(models.TextChoices):
    """What a check-in's answer calls for, from least to most urgent."""

    CLEAR = "clear", "None of the warning signs"
    CONTACT = "contact", "Contact the physio or a doctor before exercising again"
    URGENT = "urgent", "Get emergency care now"


@dataclass(frozen=True)
class RedFlag:
    code: str
    question: str  # as the patient ticks it
    summary: str  # as the physio's alert says it
    urgent: bool  # the ones that need emergency care now

    @property
    def advice(self) -> Advice:
        return Advice.URGENT if self.urgent else Advice.CONTACT


RED_FLAGS: tuple[RedFlag, ...] = (
    RedFlag(
        "bladder_bowel",
        "Changes in your bladder or bowels: you cannot hold on, cannot go, "
        "or do not feel when you need to",
        "bladder or bowel changes",
        urgent=True,
    ),
    RedFlag(
        "saddle_numbness",
        "Numbness or pins and needles around your bottom, genitals or inner thighs "
        "(where you would sit on a bicycle saddle)",
        "numbness in the saddle area",
        urgent=True,
    ),
    RedFlag(
        "weakness_fast",
        "Weakness in your legs or feet that is getting worse quickly, from one day to the next "
        "or faster",
        "leg weakness getting worse quickly",
        urgent=True,
    ),
    RedFlag(
        "weakness",
        "New weakness in a leg or foot, or weakness that is slowly getting worse: "
        "for example, your foot drags or slaps down, or your leg gives way",
        "new or worsening weakness in a leg or foot",
        urgent=False,
    ),
    RedFlag(
        "fever",
        "A fever or chills, or you are losing weight without trying",
        "fever, chills or unexplained weight loss",
        urgent=False,
    ),
    RedFlag(
        "injury",
        "A fall, an accident or another injury since you last exercised",
        "pain after a fall or injury",
        urgent=False,
    ),
    RedFlag(
        "severe_pain",
        "Pain that is severe and does not let up, is worst at night, or keeps getting worse",
        "severe, constant or night pain, or pain that keeps getting worse",
        urgent=False,
    ),
    RedFlag(
        "spreading",
        "Numbness, tingling or pain that is spreading, for example further down your leg",
        "numbness, tingling or pain spreading down the leg",
        urgent=False,
    ),
    RedFlag(
        "not_improving",
        "Your pain has not got any better after a few weeks of exercising at home, "
        "and your physio does not know yet",
        "no improvement after a few weeks of home exercise",
        urgent=False,
    ),
)

BY_CODE = {flag.code: flag for flag in RED_FLAGS}


def flags_for(codes: Iterable[str]) -> list[RedFlag]:
    """The flags named by `codes`, in the list's own order; unknown codes are kept out."""
    wanted = set(codes)
    return [flag for flag in RED_FLAGS if flag.code in wanted]


def advice_for(codes: Iterable[str]) -> Advice:
    """The most urgent advice any of the answers calls for."""
    flags = flags_for(codes)
    if any(flag.urgent for flag in flags):
        return Advice.URGENT
    return Advice.CONTACT if flags else Advice.CLEAR
