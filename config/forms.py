"""How every form on the site is rendered: Django's way, less two slips of HTML.

Django (5.2) writes a hidden input with the `aria-describedby` of its visible
field (the "initial" copy of a field with a callable default, in the admin),
and `disabled` on the `<div>` that shows a password's hash: HTML allows
neither. Set once here as `FORM_RENDERER`, the fix reaches every form.
"""

from typing import Any

from django import forms
from django.forms.renderers import DjangoTemplates


class BoundField(forms.BoundField):
    def build_widget_attrs(
        self, attrs: dict[str, Any], widget: forms.Widget | None = None
    ) -> dict[str, Any]:
        attrs = super().build_widget_attrs(attrs, widget)
        widget = widget or self.field.widget
        if widget.is_hidden:
            attrs.pop("aria-describedby", None)  # nothing is shown to be described
        if getattr(widget, "read_only", False):
            attrs.pop("disabled", None)  # text, not a form control
        return attrs


class FormRenderer(DjangoTemplates):
    bound_field_class = BoundField
