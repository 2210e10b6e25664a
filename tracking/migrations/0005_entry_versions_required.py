import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("tracking", "0004_entry_versions")]

    operations = [
        migrations.AlterField(
            model_name="sessionentry",
            name="exercise_version",
            field=models.ForeignKey(
                help_text="The exercise as the library described it when the session started.",
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="exercises.historicalexercise",
            ),
        ),
    ]
