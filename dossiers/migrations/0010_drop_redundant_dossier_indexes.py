"""Indexes of ``dossiers_dossier`` that no query needs (issue 4: every filing's INSERT
maintained 23 index entries). docs/performance.md "Filing, round 2" has the proof.

* The single-column indexes Django makes for six foreign keys: each column leads a composite
  index of ``Meta.indexes`` (``dossier_procedure``, ``dossier_mine``, ``dossier_queue_*``), which
  serves the same lookups (equality on the leading column, the foreign-key checks on delete).
* The ``varchar_pattern_ops`` copies Django adds beside the unique ``code`` and
  ``submission_key``: only ``LIKE 'x%'`` on the bare column uses them, and no query does
  (``code__istartswith`` compares ``UPPER(code)``; everything else is equality, served by the
  unique index).

Reversible: the reverse creates the same indexes under the same names.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

FOREIGN_KEYS = {
    "applicant": "dossiers_dossier_applicant_id_3ba18564",
    "current_agency": "dossiers_dossier_current_agency_id_9d2f6394",
    "deciding_agency": "dossiers_dossier_deciding_agency_id_4d0c3d34",
    "procedure": "dossiers_dossier_procedure_id_4e0e78d6",
    "receiving_agency": "dossiers_dossier_receiving_agency_id_d0b091b4",
    "returning_agency": "dossiers_dossier_returning_agency_id_413e8c70",
}
PATTERN_OPS = {
    "code": "dossiers_dossier_code_6d68c351_like",
    "submission_key": "dossiers_dossier_submission_key_5ed0908e_like",
}


def drop(apps, schema_editor):
    for name in [*FOREIGN_KEYS.values(), *PATTERN_OPS.values()]:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


def create(apps, schema_editor):
    for field, name in FOREIGN_KEYS.items():
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON dossiers_dossier ({field}_id)")
    if schema_editor.connection.vendor == "postgresql":
        for column, name in PATTERN_OPS.items():
            schema_editor.execute(
                f"CREATE INDEX IF NOT EXISTS {name} ON dossiers_dossier "
                f"({column} varchar_pattern_ops)"
            )


class Migration(migrations.Migration):
    dependencies = [
        ("dossiers", "0009_deciding_agency_queue_indexes"),
        ("portal", "0001_initial"),
        ("procedures", "0004_processing_paths"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunPython(drop, create)],
            state_operations=[
                migrations.AlterField(
                    model_name="dossier",
                    name="applicant",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="dossiers",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="tài khoản người nộp",
                    ),
                ),
                migrations.AlterField(
                    model_name="dossier",
                    name="current_agency",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="held_dossiers",
                        to="portal.agency",
                        verbose_name="cơ quan đang xử lý",
                    ),
                ),
                migrations.AlterField(
                    model_name="dossier",
                    name="deciding_agency",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        help_text="Cơ quan có kết quả giải quyết; lãnh đạo cơ quan này ký số kết quả.",
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="decided_dossiers",
                        to="portal.agency",
                        verbose_name="cơ quan giải quyết",
                    ),
                ),
                migrations.AlterField(
                    model_name="dossier",
                    name="procedure",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="dossiers",
                        to="procedures.procedure",
                        verbose_name="thủ tục",
                    ),
                ),
                migrations.AlterField(
                    model_name="dossier",
                    name="receiving_agency",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="received_dossiers",
                        to="portal.agency",
                        verbose_name="nơi tiếp nhận",
                    ),
                ),
                migrations.AlterField(
                    model_name="dossier",
                    name="returning_agency",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="returning_dossiers",
                        to="portal.agency",
                        verbose_name="nơi trả kết quả",
                    ),
                ),
            ],
        ),
    ]
