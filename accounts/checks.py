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
