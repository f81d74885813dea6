"""The indexes of the tables a filing writes (migrations 0010, 0011): what a filing maintains and
what still serves every foreign key and the unique codes and storage names."""

import pytest
from django.db import connection

from dossiers.models import Attachment, Dossier, DossierEvent

pytestmark = pytest.mark.django_db

DROPPED = {
    "dossiers_dossier_applicant_id_3ba18564",
    "dossiers_dossier_current_agency_id_9d2f6394",
    "dossiers_dossier_deciding_agency_id_4d0c3d34",
    "dossiers_dossier_procedure_id_4e0e78d6",
    "dossiers_dossier_receiving_agency_id_d0b091b4",
    "dossiers_dossier_returning_agency_id_413e8c70",
    "dossiers_dossier_code_6d68c351_like",
    "dossiers_dossier_submission_key_5ed0908e_like",
}


DROPPED_ELSEWHERE = {
    Attachment: {
        "dossiers_attachment_dossier_id_435188db",
        "dossiers_attachment_storage_name_a9555817_like",
    },
    DossierEvent: {"dossiers_dossierevent_dossier_id_90237d93"},
}


def _indexes(model=Dossier) -> dict[str, str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s",
            [model._meta.db_table],
        )
        return dict(cursor.fetchall())


def _leading_column(definition: str) -> str:
    return definition.split("(", 1)[1].split(")", 1)[0].split(",")[0].split()[0]


def test_redundant_indexes_are_gone():
    assert not DROPPED & set(_indexes())
    for model, dropped in DROPPED_ELSEWHERE.items():
        assert not dropped & set(_indexes(model))


@pytest.mark.parametrize("model", [Dossier, Attachment, DossierEvent])
def test_every_foreign_key_still_leads_a_full_index(model):
    """Each foreign key column leads an index without a WHERE clause: lookups by it and the
    referenced row's delete check (on_delete=PROTECT) still use an index."""
    full = [d for d in _indexes(model).values() if " WHERE " not in d]
    leading = {_leading_column(d) for d in full}
    for field in model._meta.concrete_fields:
        if field.is_relation:
            assert field.column in leading, field.column


def test_codes_and_submission_keys_stay_unique():
    unique = [d for d in _indexes().values() if d.startswith("CREATE UNIQUE INDEX")]
    assert {_leading_column(d) for d in unique} >= {"id", "code", "submission_key"}
    files = [d for d in _indexes(Attachment).values() if d.startswith("CREATE UNIQUE INDEX")]
    assert {_leading_column(d) for d in files} >= {"id", "storage_name", "dossier_id"}
