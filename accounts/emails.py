"""The emails BackTrack sends: an invitation to a new patient, a link to set a password."""

import logging
import smtplib

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import EmailMessage
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from .models import Invitation, User

logger = logging.getLogger(__name__)


def _send(request: HttpRequest, template: str, context: dict[str, object], to: str) -> bool:
    """Send one email; False (and a log line, without the address) if the server refused it."""
    context = {**context, "valid_hours": settings.PASSWORD_RESET_TIMEOUT // 3600}
    subject = "".join(render_to_string(f"{template}_subject.txt", context, request).splitlines())
    body = render_to_string(f"{template}_email.txt", context, request)
    try:
        EmailMessage(subject, body, to=[to]).send()
    except (smtplib.SMTPException, OSError):
        logger.exception("Could not send the %s email", template.rsplit("/", 1)[-1])
        return False
    return True


def password_link_context(request: HttpRequest, user: User) -> dict[str, object]:
    """What Django's own password reset emails are given, so one template serves both."""
    return {
        "user": user,
        "protocol": "https" if request.is_secure() else "http",
        "domain": request.get_host(),
        "uid": urlsafe_base64_encode(force_bytes(user.pk)),
        "token": default_token_generator.make_token(user),
    }


def send_password_link(request: HttpRequest, user: User, *, new_account: bool = False) -> bool:
    """A one-time link for `user` to choose a password: for a new account or a forgotten one."""
    context = {**password_link_context(request, user), "new_account": new_account}
    return _send(request, "registration/password_reset", context, user.email)


def send_invitation(request: HttpRequest, invitation: Invitation, token: str) -> bool:
    link = request.build_absolute_uri(reverse("accounts:accept", args=[token]))
    context = {"invitation": invitation, "link": link}
    return _send(request, "accounts/invitation", context, invitation.email)


def send_two_step_notice(request: HttpRequest, user: User, *, turned_on: bool) -> bool:
    """Tell the account's owner that two-step verification changed, in case it was not them."""
    if not user.email:
        return False
    return _send(
        request, "accounts/two_step_notice", {"user": user, "turned_on": turned_on}, user.email
    )
