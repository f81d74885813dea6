"""Indexes of the files' and the history's tables that no query needs (every filing writes two
files and a history row: docs/performance.md "Filing, round 3").

* ``dossier_id`` of ``dossiers_attachment`` and of ``dossiers_dossierevent``: each leads a
  composite index (``unique_attachment_content``, ``dossier_event_at``) that serves the same
  lookups (a dossier's files, its history, the foreign-key checks on delete).
* The ``varchar_pattern_ops`` copy Django adds beside the unique ``storage_name``: only
  ``LIKE 'x%'`` uses it; the files are found by equality (unique index) or, for a download
  token, by ``dossier`` then ``storage_name__contains`` (``LIKE '%x%'``, which it cannot serve).

Reversible: the reverse creates the same indexes.
"""

import django.db.models.deletion
from django.db import migrations, models

STORAGE_NAME_PATTERN_OPS = "dossiers_attachment_storage_name_a9555817_like"


def drop_pattern_ops(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {STORAGE_NAME_PATTERN_OPS}")


def create_pattern_ops(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {STORAGE_NAME_PATTERN_OPS} ON dossiers_attachment "
            "(storage_name varchar_pattern_ops)"
        )


class Migration(migrations.Migration):
    dependencies = [
        ("dossiers", "0010_drop_redundant_dossier_indexes"),
    ]

    operations = [
        migrations.RunPython(drop_pattern_ops, create_pattern_ops),
        migrations.AlterField(
            model_name="attachment",
            name="dossier",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="attachments",
                to="dossiers.dossier",
            ),
        ),
        migrations.AlterField(
            model_name="dossierevent",
            name="dossier",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="events",
                to="dossiers.dossier",
            ),
        ),
    ]
