"""Two-step verification: a code from an authenticator app after the password.

Required for admins, offered to physiotherapists (django-otp, time-based codes
as in RFC 6238), with ten single-use recovery codes for a lost phone. Someone
who must verify and has not, this sign-in, reaches nothing but the two-step
pages, sign-out and the safety page: the middleware below checks every request,
so the admin and every physio page are covered without each view remembering.
"""

from base64 import b32encode
from collections.abc import Callable
from functools import wraps
from typing import Any

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.signals import user_logged_in
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.views.decorators.http import require_http_methods, require_POST
from django_otp import devices_for_user, user_has_device
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from qsessions.models import Session as SignIn

from audit import trail
from audit.models import Action, Outcome

from .emails import send_two_step_notice
from .forms import TwoStepCodeForm
from .http import AuthedRequest
from .models import User
from .sign_in import send_to

ENROLLED = "two_step_enrolled"
SETUP_DEVICE = "two_step_setup_device"
RECOVERY_CODES = 10

# What someone still to verify may reach: the two-step pages, and a way out.
OPEN_BEFORE_VERIFYING = {
    "accounts:two-step-verify",
    "accounts:two-step-setup",
    "logout",
    "safety",
    "health",
}


def required(user: User) -> bool:
    """Admins must use two-step verification."""
    return user.is_staff


def offered(user: User) -> bool:
    return user.is_staff or user.is_physio


@receiver(user_logged_in, dispatch_uid="accounts_note_two_step")
def note_enrolment(sender: Any, request: HttpRequest | None, user: User, **kwargs: Any) -> None:
    """Read once per sign-in whether this person has an authenticator app set up."""
    if request is not None:
        request.session[ENROLLED] = offered(user) and user_has_device(user)


def pending(request: HttpRequest) -> bool:
    """This sign-in must still be verified with a code."""
    user = request.user
    if not user.is_authenticated:
        return False
    must = required(user) or bool(request.session.get(ENROLLED))
    return must and not user.is_verified()


class TwoStepMiddleware:
    """Until this sign-in is verified, send every request to the two-step pages."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view: Callable[..., Any], args: Any, kwargs: Any
    ) -> HttpResponse | None:
        match = request.resolver_match
        if match is None or match.view_name in OPEN_BEFORE_VERIFYING or not pending(request):
            return None
        enrolled = request.session.get(ENROLLED)
        target = reverse("accounts:two-step-verify" if enrolled else "accounts:two-step-setup")
        return send_to(request, target)


def _two_step_user(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @wraps(view)
    def wrapper(request: AuthedRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not offered(request.user):
            raise PermissionDenied("Two-step verification is for physiotherapists and admins.")
        return view(request, *args, **kwargs)

    return login_required(wrapper)


def _next(request: HttpRequest) -> str:
    """Where to go afterwards: a path on this site, or the start page."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target.startswith("/") and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}
    ):
        return target
    return resolve_url(settings.LOGIN_REDIRECT_URL)


def _with_next(name: str, request: HttpRequest) -> HttpResponseRedirect:
    return HttpResponseRedirect(f"{reverse(name)}?{urlencode({'next': _next(request)})}")


def _qr_svg(device: TOTPDevice) -> str:
    return segno.make(device.config_url, error="m").svg_inline(
        scale=5, border=2, dark="#000", light="#fff"
    )


def _readable_key(device: TOTPDevice) -> str:
    key = b32encode(device.bin_key).decode()
    return " ".join(key[i : i + 4] for i in range(0, len(key), 4))


def _new_recovery_codes(user: User) -> list[str]:
    """Replace this person's recovery codes with ten new ones, and return them."""
    device, _ = StaticDevice.objects.get_or_create(
        user=user, name="Recovery codes", defaults={"confirmed": True}
    )
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODES)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


def _normalize(code: str) -> str:
    return "".join(code.split()).replace("-", "").lower()


@require_http_methods(["GET", "POST"])
@_two_step_user
def setup(request: AuthedRequest) -> HttpResponse:
    """Scan a QR code, type the code the app shows, and get recovery codes."""
    user = request.user
    if user_has_device(user, confirmed=True) and not pending(request):
        return redirect("accounts:two-step")
    if user_has_device(user, confirmed=True):
        return _with_next("accounts:two-step-verify", request)
    # A key of this sign-in's own: one shown to anyone else earlier is never confirmed.
    device = TOTPDevice.objects.filter(
        user=user, confirmed=False, pk=request.session.get(SETUP_DEVICE)
    ).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=False)
        request.session[SETUP_DEVICE] = device.pk
    form = TwoStepCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            if device.verify_token(_normalize(form.cleaned_data["code"])):
                device.confirmed = True
                device.save()
                TOTPDevice.objects.filter(user=user, confirmed=False).delete()
                codes = _new_recovery_codes(user)
                request.session.cycle_key()
                otp_login(request, device)
                request.session[ENROLLED] = True
                request.session.pop(SETUP_DEVICE, None)
                send_two_step_notice(request, user, turned_on=True)
                # Anyone else signed in with the password alone is signed out.
                SignIn.objects.filter(user=user).exclude(
                    session_key=request.session.session_key
                ).delete()
                return render(
                    request,
                    "accounts/recovery_codes.html",
                    {"codes": codes, "next": _next(request), "first_time": True},
                )
        form.add_error(
            "code",
            "That code did not match. Check that the time on your phone is right, "
            "and type the code your app shows now.",
        )
    return render(
        request,
        "accounts/two_step_setup.html",
        {
            "form": form,
            "qr": _qr_svg(device),
            "key": _readable_key(device),
            "next": _next(request),
            "required": required(user),
        },
        status=400 if form.errors else 200,
    )


@require_http_methods(["GET", "POST"])
@_two_step_user
def verify(request: AuthedRequest) -> HttpResponse:
    """The second step of signing in: a code from the app, or a recovery code."""
    user = request.user
    if not pending(request):
        return HttpResponseRedirect(_next(request))
    devices = list(devices_for_user(user, confirmed=True))
    if not devices:  # removed by an admin since this sign-in began
        request.session[ENROLLED] = False
        if required(user):
            return _with_next("accounts:two-step-setup", request)
        return HttpResponseRedirect(_next(request))
    form = TwoStepCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        code = _normalize(form.cleaned_data["code"])
        with transaction.atomic():
            for device in devices_for_user(user, confirmed=True, for_verify=True):
                if device.verify_token(code):
                    request.session.cycle_key()
                    otp_login(request, device)
                    trail.record(Action.SIGN_IN, detail={"two_step": True})
                    if isinstance(device, StaticDevice):
                        left = device.token_set.count()
                        messages.warning(
                            request,
                            f"You used a recovery code; {left} left. "
                            "Make new ones from “Two-step verification” if you are running low.",
                        )
                    return HttpResponseRedirect(_next(request))
        waiting = [d for d in devices if not d.verify_is_allowed()[0]]
        trail.record(
            Action.SIGN_IN_FAILED,
            outcome=Outcome.DENIED if waiting else Outcome.FAILURE,
            detail={"step": "two_step", "locked_out": bool(waiting)},
        )
        form.add_error(
            "code",
            "Too many wrong codes. Wait a little, then try the newest code."
            if waiting
            else "That code did not work. Type the code your app shows now, "
            "or one of your recovery codes.",
        )
    return render(
        request,
        "accounts/two_step_verify.html",
        {"form": form, "next": _next(request)},
        status=400 if form.errors else 200,
    )


@require_http_methods(["GET"])
@_two_step_user
def overview(request: AuthedRequest) -> HttpResponse:
    return _overview_page(request, TwoStepCodeForm())


def _overview_page(
    request: AuthedRequest, form: TwoStepCodeForm, status: int = 200
) -> HttpResponse:
    """Whether two-step verification is on, the recovery codes left, and the turn-off form."""
    user = request.user
    recovery = StaticDevice.objects.filter(user=user, confirmed=True).first()
    return render(
        request,
        "accounts/two_step.html",
        {
            "enrolled": user_has_device(user, confirmed=True),
            "codes_left": recovery.token_set.count() if recovery else 0,
            "required": required(user),
            "form": form,
        },
        status=status,
    )


@require_POST
@_two_step_user
def recovery_codes(request: AuthedRequest) -> HttpResponse:
    """Ten new recovery codes; the old ones stop working."""
    if not user_has_device(request.user, confirmed=True):
        return redirect("accounts:two-step-setup")
    codes = _new_recovery_codes(request.user)
    return render(
        request,
        "accounts/recovery_codes.html",
        {"codes": codes, "next": reverse("accounts:two-step"), "first_time": False},
    )


@require_POST
@_two_step_user
def turn_off(request: AuthedRequest) -> HttpResponse:
    """A physio may stop using two-step verification, with a current code; admins may not."""
    user = request.user
    if required(user):
        raise PermissionDenied("Admins must use two-step verification.")
    form = TwoStepCodeForm(request.POST)
    if form.is_valid():
        code = _normalize(form.cleaned_data["code"])
        with transaction.atomic():
            if any(
                device.verify_token(code)
                for device in devices_for_user(user, confirmed=True, for_verify=True)
            ):
                for device in devices_for_user(user, confirmed=None):
                    device.delete()
                request.session[ENROLLED] = False
                send_two_step_notice(request, user, turned_on=False)
                messages.success(request, "Two-step verification is off.")
                return redirect("accounts:two-step")
        form.add_error("code", "That code did not work, so two-step verification is still on.")
    return _overview_page(request, form, status=400)
