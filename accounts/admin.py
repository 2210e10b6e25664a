from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from .models import User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    fieldsets = (
        *(BaseUserAdmin.fieldsets or ()),
        ("Preferences", {"fields": ("timezone",)}),
    )
    list_display = ("username", "first_name", "last_name", "email", "is_active", "is_staff")
