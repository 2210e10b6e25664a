"""Give every existing programme its first version, as new programmes get."""

from django.db import migrations

DOSE_FIELDS = ("sets", "reps", "hold_seconds", "per_side", "rest_seconds")


def create_first_versions(apps, schema_editor):
    Programme = apps.get_model("tracking", "Programme")
    ProgrammeVersion = apps.get_model("tracking", "ProgrammeVersion")
    for programme in Programme.objects.exclude(versions__isnull=False):
        items = programme.exercises.select_related("exercise").order_by("order", "pk")
        snapshot = {
            "target_per_week": programme.target_per_week,
            "inactivity_days": programme.inactivity_days,
            "exercises": [
                {
                    "exercise": item.exercise_id,
                    "name": item.exercise.name,
                    "order": item.order,
                    "included": item.included,
                    "note": item.note,
                    **{name: getattr(item, name) for name in DOSE_FIELDS},
                }
                for item in items
            ],
        }
        ProgrammeVersion.objects.create(
            programme=programme, number=programme.version, snapshot=snapshot
        )


class Migration(migrations.Migration):
    dependencies = [("tracking", "0002_review")]

    operations = [migrations.RunPython(create_first_versions, migrations.RunPython.noop)]
