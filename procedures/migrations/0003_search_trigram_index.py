"""A GIN trigram index on ProcedureVersion.search_text so ``LIKE '%word%'`` is indexed.

PostgreSQL only (pg_trgm ships with postgresql-contrib and is a trusted extension); on SQLite
the search scans the column, which is fine at the embedded mode's size. The text is folded in
Python (procedures/search.py), so the same query works on both databases.
"""

from django.db import migrations

INDEX = "procedures_version_search_trgm"


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS {INDEX} ON procedures_procedureversion "
        "USING gin (search_text gin_trgm_ops)"
    )


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("procedures", "0002_popularity_and_draft_edits")]

    operations = [migrations.RunPython(create_index, drop_index, elidable=False)]
