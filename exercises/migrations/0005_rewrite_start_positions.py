"""New words for four exercises, each saved as a new version of it.

The glute bridge's, back curl's and bird-dog's start positions are written
afresh in our own words; the pelvic tilt says the bottom lifts slightly, as the
routine has it. Each change is a new recorded version, so sessions logged
before it keep pointing at the words they followed. A text someone has already
edited in the library is left as they wrote it.
"""

from django.db import migrations
from django.utils import timezone

REASON = "Start position in our own words; pelvic tilt: the bottom lifts slightly."

# slug -> field -> (the words loaded with the routine, the new words)
CHANGES = {
    "pelvic-tilt": {
        "instructions": (
            "Breathe out and gently tighten your tummy.\n"
            "Tip your hips back so your lower back presses flat into the mat.\n"
            "Think of bringing the bone at the front of your hips up toward your belly "
            "button.\n"
            "Let your bottom lift only a tiny bit, if at all.\n"
            "Hold there and keep breathing slowly.\n"
            "Relax and let the small curve in your lower back come back.",
            "Breathe out and gently tighten your tummy.\n"
            "Tip your hips back so your lower back presses flat into the mat.\n"
            "Think of bringing the bone at the front of your hips up toward your belly "
            "button.\n"
            "Your bottom lifts slightly off the mat as you tip: that is right.\n"
            "Hold there and keep breathing slowly.\n"
            "Relax and let the small curve in your lower back come back.",
        ),
    },
    "glute-bridge": {
        "start_position": (
            "Lie on your back with your arms by your sides. "
            "Bend your knees and put your feet flat on the floor.",
            "Lie face up on a mat, arms resting on the floor next to you, palms down. "
            "Draw your heels in towards your bottom until your knees point up and your "
            "soles are flat, about as wide apart as your hips.",
        ),
    },
    "back-curl": {
        "start_position": (
            "Lie on your back with your hands on your chest. "
            "Bend your knees and put your feet flat on the floor.",
            "Lie face up on a mat and rest both hands on your chest. Slide your heels "
            "in so your knees point up and your soles stay flat, knees and feet together.",
        ),
    },
    "bird-dog": {
        "start_position": (
            "Get on your hands and knees, with your knees under your hips and your hands under "
            "your shoulders.",
            "Come onto all fours on a mat. Place each hand flat, straight below its shoulder, "
            "and each knee straight below its hip, so your back is level like a table top.",
        ),
    },
}

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


def rewrite(apps, schema_editor, *, forward=True):
    Exercise = apps.get_model("exercises", "Exercise")
    HistoricalExercise = apps.get_model("exercises", "HistoricalExercise")
    now = timezone.now()
    for slug, fields in CHANGES.items():
        exercise = Exercise.objects.filter(slug=slug).first()
        if exercise is None:
            continue
        changed = []
        for field, (old, new) in fields.items():
            was, becomes = (old, new) if forward else (new, old)
            if getattr(exercise, field) == was:
                setattr(exercise, field, becomes)
                changed.append(field)
        if not changed:
            continue
        exercise.save(update_fields=changed)
        HistoricalExercise.objects.create(
            **{name: getattr(exercise, name) for name in FIELDS},
            history_date=now,
            history_type="~",
            history_change_reason=REASON if forward else f"Undone: {REASON}",
        )


def forwards(apps, schema_editor):
    rewrite(apps, schema_editor)


def backwards(apps, schema_editor):
    rewrite(apps, schema_editor, forward=False)


class Migration(migrations.Migration):
    dependencies = [("exercises", "0004_first_versions")]
    operations = [migrations.RunPython(forwards, backwards)]
