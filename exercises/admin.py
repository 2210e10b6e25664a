from django.contrib import admin

from .models import Exercise


@admin.register(Exercise)
class ExerciseAdmin(admin.ModelAdmin):
    list_display = ("order", "name", "dose_summary", "is_active")
    list_display_links = ("name",)
    list_editable = ("order", "is_active")
    list_filter = ("is_active",)
    search_fields = ("name", "alt_name", "summary")
    prepopulated_fields = {"slug": ("name",)}
    fieldsets = (
        (None, {"fields": ("order", "name", "alt_name", "slug", "summary", "is_active")}),
        ("How to do it", {"fields": ("start_position", "instructions", "feel", "avoid")}),
        (
            "Default dose",
            {"fields": ("sets", "reps", "hold_seconds", "per_side", "rest_seconds", "harder")},
        ),
    )

    @admin.display(description="dose")
    def dose_summary(self, exercise: Exercise) -> str:
        return exercise.dose_summary
