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


# What the app does with a warning sign, an exercise that hurt or a rise in pain: the
# physio sees it on their next visit, no sooner. Said in these words wherever it is said.
PHYSIO_WILL_SEE = (
    "Your physio will see this the next time they open BackTrack. Do not wait for them to reply."
)

# How soon a sign that is not an emergency needs the physio or a doctor, soonest first.
TODAY_OR_TOMORROW = "today or tomorrow"
WITHIN_A_FEW_DAYS = "within a few days"
CONTACT_TIMES = (TODAY_OR_TOMORROW, WITHIN_A_FEW_DAYS)


@dataclass(frozen=True)
class RedFlag:
    code: str
    question: str  # as the patient ticks it
    summary: str  # as the physio's alert says it
    urgent: bool  # the ones that need medical help now
    within: str = ""  # for the others: how soon to contact the physio or a doctor

    def __post_init__(self) -> None:
        if self.urgent == bool(self.within):
            raise ValueError(f"{self.code}: an urgent sign has no time frame, the others one.")
        if self.within and self.within not in CONTACT_TIMES:
            raise ValueError(f"{self.code}: {self.within!r} is not one of {CONTACT_TIMES}.")

    @property
    def advice(self) -> Advice:
        return Advice.URGENT if self.urgent else Advice.CONTACT


# Any worsening or spreading nerve symptom is urgent, however fast it changes: it needs
# medical help now, like the signs of pressure on the nerves at the bottom of the spine.
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
        "weakness",
        "New weakness in a leg or foot, or weakness that is getting worse, however slowly: "
        "for example, your foot drags or slaps down, or your leg gives way",
        "new or worsening weakness in a leg or foot",
        urgent=True,
    ),
    RedFlag(
        "spreading",
        "Numbness, tingling or pain that is spreading, for example further down your leg",
        "numbness, tingling or pain spreading down the leg",
        urgent=True,
    ),
    RedFlag(
        "fever",
        "A fever or chills, or you are losing weight without trying",
        "fever, chills or unexplained weight loss",
        urgent=False,
        within=TODAY_OR_TOMORROW,
    ),
    RedFlag(
        "injury",
        "A fall, an accident or another injury since you last exercised",
        "pain after a fall or injury",
        urgent=False,
        within=TODAY_OR_TOMORROW,
    ),
    RedFlag(
        "severe_pain",
        "Pain that is severe and does not let up, is worst at night, or keeps getting worse",
        "severe, constant or night pain, or pain that keeps getting worse",
        urgent=False,
        within=TODAY_OR_TOMORROW,
    ),
    RedFlag(
        "daily_activities",
        "Pain that stops you doing your daily activities, like getting dressed, "
        "washing, shopping or working",
        "pain stopping daily activities",
        urgent=False,
        within=WITHIN_A_FEW_DAYS,
    ),
    RedFlag(
        "not_improving",
        "Your pain has not got any better after a few weeks of exercising at home, "
        "and your physio does not know yet",
        "no improvement after a few weeks of home exercise",
        urgent=False,
        within=WITHIN_A_FEW_DAYS,
    ),
)

# No longer asked, but past answers hold them: kept so those answers keep their meaning.
FORMER_FLAGS: tuple[RedFlag, ...] = (
    RedFlag(
        "weakness_fast",
        "Weakness in your legs or feet that is getting worse quickly, from one day to the next "
        "or faster",
        "leg weakness getting worse quickly",
        urgent=True,
    ),
)

BY_CODE = {flag.code: flag for flag in (*RED_FLAGS, *FORMER_FLAGS)}


@dataclass(frozen=True)
class UrgentReason:
    """Why some of the urgent signs cannot wait: said after them wherever they are shown."""

    codes: frozenset[str]
    says: str


# Every urgent sign, asked or former, is in exactly one of these.
URGENT_REASONS: tuple[UrgentReason, ...] = (
    # Cauda equina: an emergency, above all with symptoms in both legs.
    UrgentReason(
        frozenset({"bladder_bowel", "saddle_numbness"}),
        "Changes in your bladder or bowels, or numbness around your bottom, genitals or "
        "inner thighs, can mean the nerves at the bottom of your spine are being pressed on, "
        "especially if you also have symptoms in both legs. That is an emergency.",
    ),
    # Any progression of nerve symptoms needs help now; "today" is only the outer limit.
    UrgentReason(
        frozenset({"weakness", "spreading", "weakness_fast"}),
        "Weakness in a leg that is new or getting worse, or numbness, tingling or pain that "
        "is spreading, can mean a nerve in your back is being pressed on more and more, "
        "however slowly it changes. "
        "Do not wait to see if it settles: get seen straight away, today at the latest.",
    ),
)


def flags_for(codes: Iterable[str]) -> list[RedFlag]:
    """The flags named by `codes`, in the list's own order; unknown codes are kept out."""
    wanted = set(codes)
    return [flag for flag in (*RED_FLAGS, *FORMER_FLAGS) if flag.code in wanted]


def asked_codes(codes: Iterable[str]) -> list[str]:
    """The codes among `codes` that the check-in asks about today, in the list's order."""
    wanted = set(codes)
    return [flag.code for flag in RED_FLAGS if flag.code in wanted]


def advice_for(codes: Iterable[str]) -> Advice:
    """The most urgent advice any of the answers calls for."""
    flags = flags_for(codes)
    if any(flag.urgent for flag in flags):
        return Advice.URGENT
    return Advice.CONTACT if flags else Advice.CLEAR


def contact_within(codes: Iterable[str]) -> str:
    """How soon to contact the physio or a doctor: the soonest any answer calls for.

    Empty when no answer calls for contact (none at all, or only urgent ones)."""
    times = {flag.within for flag in flags_for(codes) if flag.within}
    return next((time for time in CONTACT_TIMES if time in times), "")


def urgent_reasons(codes: Iterable[str] | None = None) -> list[str]:
    """Why the urgent signs among `codes` cannot wait; for all of them when None."""
    wanted = {flag.code for flag in BY_CODE.values()} if codes is None else set(codes)
    return [reason.says for reason in URGENT_REASONS if reason.codes & wanted]
