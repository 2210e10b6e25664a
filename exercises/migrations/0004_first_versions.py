"""Give every exercise already in the library its first recorded version.

History starts here: sessions logged before it are linked to this version,
the instructions as they stood when history began.
"""

from django.db import migrations
from django.utils import timezone

FIELDS = (
    "id",
    "order",
    "name",
    "alt_name",
    "slug",
    "summary",
    "start_position",
    "instructions",
    "feel",
    "avoid",
    "harder",
    "is_active",
    "retired_at",
    "sets",
    "reps",
    "hold_seconds",
    "per_side",
    "rest_seconds",
)


def record_first_versions(apps, schema_editor):
    Exercise = apps.get_model("exercises", "Exercise")
    HistoricalExercise = apps.get_model("exercises", "HistoricalExercise")
    recorded = set(HistoricalExercise.objects.values_list("id", flat=True))
    now = timezone.now()
    HistoricalExercise.objects.bulk_create(
        HistoricalExercise(
            **{name: getattr(exercise, name) for name in FIELDS},
            history_date=now,
            history_type="+",
            history_change_reason="In the library when its history began.",
        )
        for exercise in Exercise.objects.exclude(pk__in=recorded).order_by("pk")
    )


class Migration(migrations.Migration):
    dependencies = [("exercises", "0003_history")]
    operations = [migrations.RunPython(record_first_versions, migrations.RunPython.noop)]
