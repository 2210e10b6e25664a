import hashlib
import hmac

from django.conf import settings
from django.db import migrations


def start_the_chain(apps, schema_editor):
    """The head exists from the start, so deleting it along with every record shows."""
    ChainHead = apps.get_model("audit", "ChainHead")
    if ChainHead.objects.filter(pk=1).exists():
        return
    seal = hmac.new(settings.AUDIT_KEY.encode(), b"head|0|", hashlib.sha256).hexdigest()
    ChainHead.objects.create(pk=1, seq=0, hash="", seal=seal)


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_trail")]

    operations = [migrations.RunPython(start_the_chain, migrations.RunPython.noop)]
