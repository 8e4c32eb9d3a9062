"""The two lists start with entries a service business uses; staff rename, add or deactivate them."""

from django.db import migrations

TYPES = ["Quality of work", "Damage", "Late or missed visit", "Staff conduct", "Billing", "Other"]
STATUSES = [("Open", False), ("In progress", False), ("Resolved", True), ("Closed without action", True)]


def seed(apps, schema_editor):
    ComplaintType = apps.get_model("complaints", "ComplaintType")
    ComplaintStatus = apps.get_model("complaints", "ComplaintStatus")
    for position, name in enumerate(TYPES):
        ComplaintType.objects.get_or_create(name=name, defaults={"position": position})
    for position, (name, resolved) in enumerate(STATUSES):
        ComplaintStatus.objects.get_or_create(name=name, defaults={"position": position, "is_resolved": resolved})


class Migration(migrations.Migration):
    dependencies = [("complaints", "0001_complaints")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
