"""People in the admin: add patients and physios with their role, assign, deactivate, reset."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.admin.options import InlineModelAdmin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import QuerySet
from django.forms import ModelForm
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django_otp.plugins.otp_static.admin import StaticDeviceAdmin
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.admin import TOTPDeviceAdmin
from django_otp.plugins.otp_totp.models import TOTPDevice
from qsessions.models import Session as SignIn

from .emails import send_password_link
from .forms import EraseOnRequestForm, NewPersonForm
from .models import Assignment, Invitation, Role, User

# Sign-in sessions hold addresses and browsers, and ending them is what deactivating
# an account does: they have no page of their own here.
admin.site.unregister(SignIn)


# Authenticator apps and recovery codes are set up by their owner, never for them:
# the admin may only remove one (for a lost phone), and never sees a key.
class NoAddingDevices:
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


for _model, _admin in [(TOTPDevice, TOTPDeviceAdmin), (StaticDevice, StaticDeviceAdmin)]:
    admin.site.unregister(_model)
    admin.site.register(_model, type(f"{_model.__name__}Admin", (NoAddingDevices, _admin), {}))


class PhysioAssignmentInline(admin.TabularInline):
    model = Assignment
    fk_name = "patient"
    extra = 0
    autocomplete_fields = ["physio"]
    verbose_name = "physiotherapist"
    verbose_name_plural = "Physiotherapists looking after this patient"


class PatientAssignmentInline(admin.TabularInline):
    model = Assignment
    fk_name = "physio"
    extra = 0
    autocomplete_fields = ["patient"]
    verbose_name = "patient"
    verbose_name_plural = "Patients in this physiotherapist's care"


class RoleFilter(admin.SimpleListFilter):
    title = "role"
    parameter_name = "role"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [*Role.choices, ("admin", "Admin")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[User]) -> QuerySet[User]:
        if self.value() == "admin":
            return queryset.filter(is_staff=True)
        if self.value() in Role.values:
            return queryset.filter(groups__name=self.value())
        return queryset


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    add_form = NewPersonForm
    add_fieldsets = (
        (None, {"fields": ("role", "username", "first_name", "last_name", "email", "timezone")}),
        ("Care", {"fields": ("physio",)}),
        (
            "Password",
            {"fields": ("send_password_link", "usable_password", "password1", "password2")},
        ),
    )
    fieldsets = (
        *(BaseUserAdmin.fieldsets or ()),
        ("Preferences", {"fields": ("timezone",)}),
    )
    list_display = (
        "username",
        "first_name",
        "last_name",
        "email",
        "roles",
        "is_active",
        "is_staff",
    )
    list_filter = (RoleFilter, "is_active", "is_staff")
    actions = ["send_password_links", "deactivate"]

    @admin.display(description="roles")
    def roles(self, user: User) -> str:
        names = [Role(group.name).label for group in user.groups.all() if group.name in Role.values]
        return ", ".join([*names, *(["Admin"] if user.is_staff else [])])

    def get_queryset(self, request: HttpRequest) -> QuerySet[User]:
        return super().get_queryset(request).prefetch_related("groups")

    # A patient's account, or a former patient's with health data, goes only by
    # erasure, which also removes what the plain delete would leave behind
    # (invitations, sign-in attempts, names in the admin's history) and is recorded.
    def has_delete_permission(self, request: HttpRequest, obj: User | None = None) -> bool:
        from tracking.privacy import has_health_data

        if obj is not None and (obj.has_role(Role.PATIENT) or has_health_data(obj)):
            return False  # a former patient too: their records would go unrecorded
        return super().has_delete_permission(request, obj)

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)  # it would delete patients without erasure
        return actions

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        from tracking.privacy import may_be_erased

        person = self.get_object(request, object_id)
        erasable = person is not None and may_be_erased(person)
        extra_context = {**(extra_context or {}), "erasable": erasable}
        return super().change_view(request, object_id, form_url, extra_context)

    def get_urls(self) -> list[URLPattern]:
        erase = path(
            "<id:object_id>/erase/",
            self.admin_site.admin_view(self.erase_view),
            name="accounts_user_erase",
        )
        return [erase, *super().get_urls()]

    def erase_view(self, request: HttpRequest, object_id: int) -> HttpResponse:
        """Erase a patient's account and data, on the patient's written request."""
        from tracking.privacy import erase, may_be_erased  # tracking builds on accounts

        patient = self.get_object(request, str(object_id))
        if patient is None:
            raise Http404("No such person.")
        if not super().has_delete_permission(request, patient):
            raise PermissionDenied
        change_url = reverse("admin:accounts_user_change", args=[patient.pk])
        if not may_be_erased(patient):
            messages.error(
                request,
                "Only a patient's own account can be erased here, not one that is also "
                "a physiotherapist's or an admin's: take those roles away first.",
            )
            return redirect(change_url)
        form = EraseOnRequestForm(patient, request.POST or None)
        if request.method == "POST" and form.is_valid():
            name = str(patient)
            erase(patient, by=request.user, request_received=form.cleaned_data["request_received"])  # type: ignore[arg-type]
            messages.success(request, f"{name}'s account and all their data were erased.")
            return redirect("admin:accounts_user_changelist")
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": f"Erase {patient}",
            "patient": patient,
            "form": form,
            "change_url": change_url,
        }
        return TemplateResponse(request, "admin/accounts/user/erase.html", context)

    def get_inlines(
        self, request: HttpRequest, obj: User | None
    ) -> list[type[InlineModelAdmin[Any, Any]]]:
        if obj is None:
            return []
        inlines: list[type[InlineModelAdmin[Any, Any]]] = []
        if obj.has_role(Role.PATIENT):
            inlines.append(PhysioAssignmentInline)
        if obj.has_role(Role.PHYSIO):
            inlines.append(PatientAssignmentInline)
        return inlines

    def save_model(self, request: HttpRequest, obj: User, form: ModelForm, change: bool) -> None:
        super().save_model(request, obj, form, change)
        if change:
            if "is_active" in form.changed_data and not obj.is_active:
                messages.info(request, f"{obj} is deactivated and signed out everywhere.")
            return
        obj.groups.add(Group.objects.get(name=form.cleaned_data["role"]))
        if form.cleaned_data.get("physio"):
            Assignment.objects.create(patient=obj, physio=form.cleaned_data["physio"])
        if form.cleaned_data.get("send_password_link"):
            self._report_link(request, obj, send_password_link(request, obj, new_account=True))

    def _report_link(self, request: HttpRequest, user: User, sent: bool) -> None:
        if sent:
            messages.success(request, f"A link to choose a password was emailed to {user.email}.")
        else:
            messages.error(
                request, f"The email to {user.email} could not be sent. Try again later."
            )

    @admin.action(description="Email a link to choose a new password", permissions=["change"])
    def send_password_links(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        for user in queryset:
            if not user.is_active:
                messages.warning(request, f"{user} is deactivated: no link was sent.")
            elif not user.email:
                messages.warning(request, f"{user} has no email address: add one, then try again.")
            else:
                self._report_link(request, user, send_password_link(request, user))

    @admin.action(description="Deactivate (they are signed out everywhere)", permissions=["change"])
    def deactivate(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        count = 0
        for user in queryset.filter(is_active=True):
            if user == request.user:
                messages.error(request, "You cannot deactivate your own account.")
                continue
            with transaction.atomic():  # the change and its audit record, or neither
                user.is_active = False
                user.save(update_fields=["is_active"])  # the signal ends their sign-ins
            count += 1
        if count:
            messages.success(
                request, f"{count} account{'s' if count != 1 else ''} deactivated and signed out."
            )


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    """What physios sent: read-only here, since the link itself is never stored."""

    list_display = ("email", "invited_by", "sent_at", "expires_at", "status")
    list_filter = ("accepted_at", "cancelled_at")
    search_fields = ("email", "invited_by__username", "invited_by__last_name")
    readonly_fields = [field.name for field in Invitation._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Invitation | None = None) -> bool:
        return False
