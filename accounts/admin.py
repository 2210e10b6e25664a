from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from .models import Assignment, User


class PhysioAssignmentInline(admin.TabularInline):
    model = Assignment
    fk_name = "patient"
    extra = 0
    autocomplete_fields = ["physio"]
    verbose_name = "physiotherapist"
    verbose_name_plural = "Physiotherapists (for patients)"


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    inlines = [PhysioAssignmentInline]
    fieldsets = (
        *(BaseUserAdmin.fieldsets or ()),
        ("Preferences", {"fields": ("timezone",)}),
    )
    list_display = ("username", "first_name", "last_name", "email", "is_active", "is_staff")
