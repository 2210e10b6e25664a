"""The admin site, behind the app's own sign-in."""

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast

from django.contrib import admin
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseBase, HttpResponseRedirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

V = TypeVar("V", bound=Callable[..., HttpResponseBase])


class BackTrackAdminSite(admin.AdminSite):
    """Django's admin, with the app's sign-in (lockout, time-outs, two-step
    verification) instead of a second sign-in form of its own.

    Someone signed out is sent to sign in; someone signed in without the right
    to the admin gets 403, as on every other page.
    """

    site_header = "BackTrack administration"
    site_title = "BackTrack admin"
    index_title = "Library and people"

    def admin_view(self, view: V, cacheable: bool = False) -> V:
        protected = super().admin_view(view, cacheable)

        @wraps(view)
        def gate(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            return self._turn_away(request) or protected(request, *args, **kwargs)

        return cast(V, gate)

    def login(self, request: HttpRequest, extra_context: dict | None = None) -> HttpResponse:
        """No second sign-in form: the app's sign-in, then back to the admin."""
        turned_away = self._turn_away(request)
        if turned_away:
            return turned_away
        target = request.GET.get("next", "")
        if not (
            target.startswith("/")
            and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()})
        ):
            target = reverse("admin:index", current_app=self.name)
        return HttpResponseRedirect(target)

    def has_permission(self, request: HttpRequest) -> bool:
        """Staff, and verified with a second step this sign-in."""
        user = request.user
        return super().has_permission(request) and user.is_authenticated and user.is_verified()

    @staticmethod
    def _turn_away(request: HttpRequest) -> HttpResponse | None:
        user = request.user
        if not user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not (user.is_active and user.is_staff):
            raise PermissionDenied("The admin is for admins.")
        if not user.is_verified():
            return redirect_to_login(request.get_full_path(), reverse("accounts:two-step-verify"))
        return None
