import datetime as dt
from fractions import Fraction

from django import template

from ..review import format_pain

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
