"""The audit trail in the admin: read and filter only, never add, change or delete."""

from typing import Any

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from django.http import HttpRequest

from accounts.models import Role

from .models import AuditEvent, pseudonym


class PersonFilter(admin.SimpleListFilter):
    """People by name, matched by pseudonym, so records whose link was cleared count."""

    field = "actor"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        # From the people, not the trail: a trail of millions is never scanned for them.
        people = get_user_model().objects.order_by("username").values_list("pk", "username")
        if self.field == "patient":
            people = people.filter(groups__name=Role.PATIENT)
        return [(str(pk), username) for pk, username in people]

    def queryset(self, request: HttpRequest, queryset: QuerySet[AuditEvent]) -> QuerySet:
        """By pseudonym: it also finds records whose link to the account was never made
        (a care assignment ending) or was cleared."""
        value = self.value()
        if not value:
            return queryset
        if not value.isascii() or not value.isdigit() or len(value) > 18:
            return queryset.none()
        return queryset.filter(**{f"{self.field}_ref": pseudonym(int(value))})


class ActorFilter(PersonFilter):
    title = "who"
    parameter_name = "who"
    field = "actor"


class PatientFilter(PersonFilter):
    title = "patient"
    parameter_name = "patient"
    field = "patient"


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ["seq", "at", "action", "outcome", "who", "patient_shown", "about", "ip"]
    list_display_links = ["seq"]
    list_filter = [ActorFilter, PatientFilter, "action", "outcome", "target_type", "at"]
    date_hierarchy = "at"
    search_fields = [
        "actor__username",
        "patient__username",
        "=actor_ref",
        "=patient_ref",
        "=target_ref",
        "=ip",
    ]
    list_select_related = ["actor", "patient"]
    ordering = ["-seq"]
    show_full_result_count = False
    readonly_fields = [
        "seq",
        "at",
        "action",
        "outcome",
        "actor",
        "actor_ref",
        "patient",
        "patient_ref",
        "target_type",
        "target_id",
        "target_ref",
        "ip",
        "detail",
        "previous_hash",
        "hash",
    ]

    @admin.display(description="who", ordering="actor__username")
    def who(self, record: AuditEvent) -> str:
        return _person(record.actor, record.actor_ref)

    @admin.display(description="patient", ordering="patient__username")
    def patient_shown(self, record: AuditEvent) -> str:
        return _person(record.patient, record.patient_ref)

    @admin.display(description="about")
    def about(self, record: AuditEvent) -> str:
        if not record.target_type:
            return ""
        if record.target_ref:  # a person, named by pseudonym: show who, when we know
            for user, ref in (
                (record.patient, record.patient_ref),
                (record.actor, record.actor_ref),
            ):
                if user is not None and ref == record.target_ref:
                    return f"Person: {_person(user, ref)}"
            return f"Person {record.target_ref[:8]}"
        return f"{record.get_target_type_display()} {record.target_id}"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


def _person(user: Any, ref: str) -> str:
    if user is not None:
        return f"{user.username} ({user})" if str(user) != user.username else user.username
    if ref:
        return f"Erased or removed account {ref[:8]}"
    return "nobody signed in"
