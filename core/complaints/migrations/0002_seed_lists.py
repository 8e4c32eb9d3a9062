"""The two lists start with entries a service business uses; staff rename, add or deactivate them."""

from django.db import migrations


def seed(apps, schema_editor):
    from core.complaints.defaults import seed as seed_lists

    seed_lists(apps.get_model("complaints", "ComplaintType"), apps.get_model("complaints", "ComplaintStatus"))


class Migration(migrations.Migration):
    dependencies = [("complaints", "0001_complaints")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
