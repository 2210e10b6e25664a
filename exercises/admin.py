"""The exercise library in the admin: every change kept, shown as a diff, revertible."""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from typing import Any

from django.contrib import admin
from django.db import models
from django.db.models import ForeignObjectRel
from django.forms import ModelForm
from django.http import HttpRequest
from django.utils.formats import date_format
from django.utils.html import escape, format_html, format_html_join
from django.utils.safestring import SafeString
from simple_history.admin import SimpleHistoryAdmin
from simple_history.template_utils import HistoricalRecordContextHelper

from .models import Exercise


def word_diff(old: str, new: str) -> SafeString:
    """`new` with the words taken out of `old` struck through and the words added marked."""
    before, after = re.split(r"(\s+)", old), re.split(r"(\s+)", new)
    parts = []
    matcher = difflib.SequenceMatcher(None, before, after, autojunk=False)
    for op, a1, a2, b1, b2 in matcher.get_opcodes():
        if op in {"delete", "replace"}:
            parts.append(format_html("<del>{}</del>", "".join(before[a1:a2])))
        if op in {"insert", "replace"}:
            parts.append(format_html("<ins>{}</ins>", "".join(after[b1:b2])))
        if op == "equal":
            parts.append(escape("".join(after[b1:b2])))
    return format_html_join("", "{}", ((part,) for part in parts))


class ExerciseChangeHelper(HistoricalRecordContextHelper):
    """Each change as a word-by-word diff of the whole value, not a shortened one."""

    def context_for_delta_changes(self, delta: Any) -> list[dict[str, Any]]:
        changes = []
        for change in delta.changes:
            field = self.model._meta.get_field(change.field)
            old, new = (_display(field, value) for value in (change.old, change.new))
            changes.append({"field": field.verbose_name, "diff": word_diff(old, new)})
        return changes


def _display(field: Any, value: object) -> str:
    if isinstance(field, models.BooleanField):
        return "yes" if value else "no"
    return "" if value is None else str(value)


def in_use(exercise: Exercise) -> list[str]:
    """What still refers to `exercise` and keeps it from being deleted, e.g. "3 session entries"."""
    uses = []
    for relation in Exercise._meta.get_fields(include_hidden=True):
        if not isinstance(relation, ForeignObjectRel) or relation.on_delete is not models.PROTECT:
            continue
        model = relation.related_model
        if model is None or isinstance(model, str):  # never, once apps are loaded
            continue
        count = model._default_manager.filter(**{relation.field.name: exercise}).count()
        if count:
            meta = model._meta
            uses.append(f"{count} {meta.verbose_name if count == 1 else meta.verbose_name_plural}")
    return uses


@admin.register(Exercise)
class ExerciseAdmin(SimpleHistoryAdmin):
    list_display = ("order", "name", "dose_summary", "is_active")
    list_display_links = ("name",)
    list_editable = ("order", "is_active")
    list_filter = ("is_active",)
    search_fields = ("name", "alt_name", "summary", "instructions")
    prepopulated_fields = {"slug": ("name",)}
    readonly_fields = ("retired_at",)
    fieldsets = (
        (
            None,
            {"fields": ("order", "name", "alt_name", "slug", "summary", "is_active", "retired_at")},
        ),
        ("How to do it", {"fields": ("start_position", "instructions", "feel", "avoid")}),
        (
            "Default dose",
            {"fields": ("sets", "reps", "hold_seconds", "per_side", "rest_seconds", "harder")},
        ),
    )
    object_history_template = "admin/exercises/exercise/history.html"
    object_history_list_template = "admin/exercises/exercise/history_list.html"

    @admin.display(description="dose")
    def dose_summary(self, exercise: Exercise) -> str:
        return exercise.dose_summary

    def get_historical_record_context_helper(
        self, request: HttpRequest, historical_record: Any
    ) -> HistoricalRecordContextHelper:
        return ExerciseChangeHelper(self.model, historical_record)

    def save_model(
        self, request: HttpRequest, obj: Exercise, form: ModelForm, change: bool
    ) -> None:
        match = request.resolver_match
        if match is not None and match.url_name == "exercises_exercise_simple_history":
            version = Exercise.history.get(history_id=match.args[1])
            when = date_format(version.history_date, "j F Y, H:i")
            obj._change_reason = f"Reverted to the version of {when}"  # type: ignore[attr-defined]
        super().save_model(request, obj, form, change)

    def get_deleted_objects(
        self, objs: Sequence[Exercise], request: HttpRequest
    ) -> tuple[list[Any], dict[str, int], set[str], list[str]]:
        """Refuse to delete an exercise that programmes or logs refer to, and say why.

        Django lists the protected objects themselves: patients' sessions, which
        are nobody's business here. Say how many there are instead, and what to do.
        """
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        if protected:
            protected = [
                format_html(
                    "{} is used by {}. Retire it instead: untick “Active” on its page. "
                    "It stays in past logs, new programmes leave it out, and each patient's "
                    "physio decides whether they keep it.",
                    exercise,
                    format_html_join(" and ", "{}", ((use,) for use in uses)),
                )
                for exercise in objs
                if (uses := in_use(exercise))
            ]
        return deleted, counts, perms_needed, protected
