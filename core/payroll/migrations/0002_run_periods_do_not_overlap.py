"""On PostgreSQL the periods of two payroll runs never overlap, by an exclusion constraint (decision
0853), deferred so that the run's items (their unique entry) are checked first and the service checks
it at once after them; on SQLite writers are serialised (decision 0004) and the service's check is
enough."""

from django.db import migrations

NO_OVERLAP_SQL = """
ALTER TABLE payroll_payrollrun ADD CONSTRAINT payroll_run_no_overlap
    EXCLUDE USING gist (daterange(period_start, period_end, '[]') WITH &&) DEFERRABLE INITIALLY DEFERRED;
"""


def add_no_overlap(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(NO_OVERLAP_SQL)


def drop_no_overlap(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE payroll_payrollrun DROP CONSTRAINT IF EXISTS payroll_run_no_overlap")


class Migration(migrations.Migration):
    dependencies = [("payroll", "0001_initial")]

    operations = [migrations.RunPython(add_no_overlap, drop_no_overlap, elidable=False)]
