"""PostgreSQL trigger that rejects UPDATE and DELETE on the shipment history.

The model refuses too, but a trigger also stops raw SQL and bulk ``QuerySet.update()``.
Other databases (the embedded SQLite mode) rely on the model guard only.
"""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION postal_event_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'postal_shipmentevent is append-only (% refused)', TG_OP
        USING ERRCODE = 'restrict_violation';
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS postal_event_append_only ON postal_shipmentevent;
CREATE TRIGGER postal_event_append_only
    BEFORE UPDATE OR DELETE ON postal_shipmentevent
    FOR EACH ROW EXECUTE FUNCTION postal_event_append_only();
"""

DROP = """
DROP TRIGGER IF EXISTS postal_event_append_only ON postal_shipmentevent;
DROP FUNCTION IF EXISTS postal_event_append_only();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("postal", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards)]
