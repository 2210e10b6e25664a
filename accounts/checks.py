from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Tags, Warning, register


@register(Tags.security, deploy=True)
def check_email_is_sent(**kwargs: Any) -> list[CheckMessage]:
    if settings.EMAIL_BACKEND.endswith(".console.EmailBackend"):
        return [
            Warning(
                "EMAIL_URL is not set, so invitations and password links are written "
                "to the log instead of being sent.",
                hint="Set EMAIL_URL, e.g. smtp+tls://user:password@smtp.example.com:587.",
                id="backtrack.W001",
            )
        ]
    return []


@register(Tags.security, deploy=True)
def check_proxy_count_is_given(**kwargs: Any) -> list[CheckMessage]:
    """Behind a proxy, a lockout by address would lock out everyone at once."""
    if not settings.PROXY_COUNT_GIVEN:
        return [
            Warning(
                "PROXY_COUNT is not set. Behind a proxy, every sign-in would seem to come "
                "from the proxy's address, and five wrong passwords would lock everyone out.",
                hint="Set PROXY_COUNT=1 behind one proxy of yours (the usual set-up), "
                "or PROXY_COUNT=0 if browsers connect to gunicorn directly.",
                id="backtrack.W002",
            )
        ]
    return []


@register(Tags.security, deploy=True)
def check_audit_key_is_given(**kwargs: Any) -> list[CheckMessage]:
    """A key derived from SECRET_KEY would change with it, and the trail would not verify."""
    if not settings.AUDIT_KEY_GIVEN:
        return [
            Warning(
                "AUDIT_KEY is not set, so the audit trail's key is derived from SECRET_KEY: "
                "changing SECRET_KEY would make every audit record look tampered with.",
                hint="Set AUDIT_KEY to a random string of at least 32 characters, kept "
                "apart from the database and its backups.",
                id="backtrack.W003",
            )
        ]
    return []
