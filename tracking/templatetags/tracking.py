import datetime as dt

from django import template

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
