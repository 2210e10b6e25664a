"""Inviting a new patient: the physio sends a link, the patient makes their account with it."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.models import Group
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from audit import trail

from .access import physio_required
from .emails import send_invitation
from .forms import ACCOUNT_EXISTS, AcceptInvitationForm, InviteForm
from .http import AuthedRequest
from .models import DOUBLE_TAP, Assignment, Invitation, Role, User

NOT_SENT = (
    "The email could not be sent just now, so {email} has no link yet. "
    "Try “Send again” in a few minutes; if it keeps failing, tell an admin."
)
JUST_SENT = (
    "An invitation was just sent to {email}. "
    "If it has not arrived in a few minutes, try “Send again”."
)


@require_http_methods(["GET", "POST"])
@physio_required
def invitations(request: AuthedRequest) -> HttpResponse:
    """Invite a new patient, and see the invitations already sent."""
    form = InviteForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            # Locked, so two posts at once cannot both find nothing and both invite.
            User.objects.select_for_update().only("pk").get(pk=request.user.pk)
            # A double tap or a retried request: one invitation. Not one whose
            # email failed, though: nobody has its link, so this post sends one.
            just_sent = Invitation.objects.pending().filter(
                invited_by=request.user,
                email__iexact=form.cleaned_data["email"],
                sent_at__gt=timezone.now() - DOUBLE_TAP,
                email_failed=False,
            )
            if just_sent.exists():
                messages.info(request, JUST_SENT.format(email=form.cleaned_data["email"]))
                return redirect("accounts:invitations")
            invitation = form.save(commit=False)
            invitation.invited_by = request.user
            token = invitation.new_token()
            invitation.save()
        _send(request, invitation, token)
        return redirect("accounts:invitations")
    sent = Invitation.objects.filter(invited_by=request.user).select_related("accepted_by")[:50]
    return render(
        request,
        "accounts/invitations.html",
        {"form": form, "invitations": sent, "valid_days": settings.INVITATION_VALID_FOR.days},
    )


def _send(request: HttpRequest, invitation: Invitation, token: str) -> None:
    """Email the link, note whether the mail server took it, and tell the physio."""
    sent = send_invitation(request, invitation, token)
    if invitation.email_failed == sent:
        invitation.email_failed = not sent
        invitation.save(update_fields=["email_failed"])
    if sent:
        messages.success(
            request,
            f"Invitation sent to {invitation.email}. The link works once, until "
            f"{timezone.localtime(invitation.expires_at):%-d %B}.",
        )
    else:
        messages.error(request, NOT_SENT.format(email=invitation.email))


def _own_invitation(request: AuthedRequest, invitation_id: int) -> Invitation:
    try:
        return Invitation.objects.get(pk=invitation_id, invited_by=request.user)
    except Invitation.DoesNotExist:
        trail.denied(request)
        raise Http404("No such invitation.") from None


@require_POST
@physio_required
def resend(request: AuthedRequest, invitation_id: int) -> HttpResponse:
    """A fresh link, valid from now; the old one stops working."""
    invitation = _own_invitation(request, invitation_id)  # a refusal is recorded, not undone
    with transaction.atomic():
        # Locked, so a double tap sends once and the link just sent keeps working.
        invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
        if invitation.status == "accepted":
            messages.info(request, f"{invitation.email} has already made their account.")
            return redirect("accounts:invitations")
        if User.objects.filter(email__iexact=invitation.email).exists():
            messages.error(request, ACCOUNT_EXISTS)
            return redirect("accounts:invitations")
        just_sent = timezone.now() - invitation.sent_at < DOUBLE_TAP
        if invitation.status == "pending" and just_sent and not invitation.email_failed:
            messages.info(request, JUST_SENT.format(email=invitation.email))
            return redirect("accounts:invitations")
        token = invitation.new_token()
        invitation.cancelled_at = None
        invitation.email_failed = False
        invitation.save()
    _send(request, invitation, token)
    return redirect("accounts:invitations")


@require_POST
@physio_required
def cancel(request: AuthedRequest, invitation_id: int) -> HttpResponse:
    invitation = _own_invitation(request, invitation_id)
    if invitation.status == "pending":
        invitation.cancelled_at = timezone.now()
        invitation.save(update_fields=["cancelled_at"])
        messages.success(
            request, f"Invitation to {invitation.email} cancelled: its link no longer works."
        )
    else:
        messages.info(
            request, f"The invitation to {invitation.email} was already {invitation.status}."
        )
    return redirect("accounts:invitations")


def _usable(invitation: Invitation | None) -> bool:
    # The inviting physio must still be one: the patient is put in their care.
    return (
        invitation is not None
        and invitation.status == "pending"
        and invitation.invited_by.is_physio
    )


@never_cache
@require_http_methods(["GET", "POST"])
def accept(request: HttpRequest, token: str) -> HttpResponse:
    """The invited patient chooses a username and password; the link then stops working."""
    if request.user.is_authenticated:
        return render(request, "accounts/accept_signed_in.html", status=403)
    token_hash = Invitation.hash(token)
    invitation = (
        Invitation.objects.select_related("invited_by").filter(token_hash=token_hash).first()
    )
    if not _usable(invitation):
        return render(
            request, "accounts/accept_invalid.html", {"invitation": invitation}, status=410
        )
    assert invitation is not None

    form = AcceptInvitationForm(
        request.POST if request.method == "POST" else None,
        initial={
            "first_name": invitation.first_name,
            "last_name": invitation.last_name,
            "username": invitation.email.split("@")[0],
        },
    )
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            # Locked, so two tabs submitting at once make one account, not two.
            invitation = (
                Invitation.objects.select_for_update()
                .select_related("invited_by")
                .get(pk=invitation.pk)
            )
            if invitation.token_hash != token_hash or not _usable(invitation):
                return render(
                    request, "accounts/accept_invalid.html", {"invitation": invitation}, status=410
                )
            if User.objects.filter(email__iexact=invitation.email).exists():
                form.add_error(
                    None,
                    "An account with this email address already exists. Sign in instead, "
                    "or choose “Forgotten your password?” on the sign-in page.",
                )
                return render(
                    request, "accounts/accept.html", {"form": form, "invitation": invitation}
                )
            user = form.save(commit=False)
            user.email = invitation.email
            user.save()
            user.groups.add(Group.objects.get(name=Role.PATIENT.value))
            Assignment.objects.create(patient=user, physio=invitation.invited_by)
            invitation.accepted_at = timezone.now()
            invitation.accepted_by = user
            invitation.save(update_fields=["accepted_at", "accepted_by"])
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        physio = invitation.invited_by
        messages.success(
            request,
            f"Welcome, {user.first_name}. Your account is ready, and "
            f"{physio.get_full_name() or physio} can see how you get on.",
        )
        return redirect("home")
    return render(request, "accounts/accept.html", {"form": form, "invitation": invitation})
