"""The database cache's table, so `migrate` is all a deployment needs.

Rate limits keep their counts in the default cache. Unless CACHE_URL names
Redis or Memcached, that cache is a table in the database, shared by every
worker; `createcachetable` makes it, and does nothing if it exists already or
if the cache is not a database one.
"""

from django.core.management import call_command
from django.db import migrations


def create_cache_table(apps, schema_editor):
    call_command("createcachetable", database=schema_editor.connection.alias, verbosity=0)


class Migration(migrations.Migration):
    dependencies = [("tracking", "0006_retired_alerts")]

    operations = [migrations.RunPython(create_cache_table, migrations.RunPython.noop)]
