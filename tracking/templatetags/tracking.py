import datetime as dt
from fractions import Fraction

from django import template
from django.conf import settings
from django.utils import timezone

from ..review import format_pain
from ..safety import BY_CODE, PHYSIO_WILL_SEE, RED_FLAGS, RedFlag, urgent_reasons

register = template.Library()


@register.filter
def minutes(duration: dt.timedelta | None) -> str:
    """A duration in whole minutes, in words: "under a minute", "1 minute", "14 minutes"."""
    if duration is None:
        return ""
    whole = int(duration.total_seconds() // 60)
    if whole < 1:
        return "under a minute"
    return f"{whole} minute{'s' if whole != 1 else ''}"


@register.filter
def days_ago(days: int | None) -> str:
    if days is None:
        return ""
    if days == 0:
        return "today"
    if days == 1:
        return "yesterday"
    return f"{days} days ago"


@register.filter
def pain(value: Fraction | float | None) -> str:
    """An average pain score to one decimal place, without a trailing ".0"."""
    return "" if value is None else format_pain(value)


@register.filter
def html_datetime(value: dt.datetime | dt.date | None) -> str:
    """A date or time for a `datetime` attribute, as HTML accepts it.

    A time is given in the current time zone, to the second: Django's `date:"c"`
    keeps microseconds, and HTML allows at most three digits after the second.
    """
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value)
        return value.isoformat(timespec="seconds")
    return value.isoformat()


@register.inclusion_tag("tracking/_warning_signs.html")
def warning_signs(only: str = "") -> dict[str, object]:
    """The warning signs from the one list, each with what it calls for.

    `only="urgent"` shows the ones that need medical help now, and links to the rest;
    without it, all of them under headings of their own, as the safety page shows them.
    Every page that names warning signs shows them this way, never in words of its own.
    """
    return {
        "urgent": [flag for flag in RED_FLAGS if flag.urgent],
        "contact": [] if only == "urgent" else [flag for flag in RED_FLAGS if not flag.urgent],
        "reasons": urgent_reasons(),
        "only_urgent": only == "urgent",
        "emergency_number": settings.EMERGENCY_NUMBER,
    }


@register.simple_tag
def warning_sign(code: str) -> RedFlag:
    """One sign from the list, by its code: `{% warning_sign "spreading" as flag %}`.

    An unknown code is an error, so a page cannot name a sign the list does not hold."""
    return BY_CODE[code]


@register.simple_tag
def physio_will_see() -> str:
    """What happens to what the patient told us: the physio sees it, no sooner."""
    return PHYSIO_WILL_SEE


@register.simple_tag(name="urgent_reasons")
def urgent_reasons_tag(codes: str | list[str]) -> list[str]:
    """Why the urgent signs among `codes` (one code, or a list) cannot wait:
    `{% urgent_reasons check.flags as reasons %}`."""
    return urgent_reasons([codes] if isinstance(codes, str) else codes)
