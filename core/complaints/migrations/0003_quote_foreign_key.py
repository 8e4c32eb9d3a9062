"""``Complaint.quote_id`` was a plain id (the seam of decision 0930); it becomes a foreign key to the
quote, keeping every value (decision 0943).

The plain column is renamed aside, the key is added under the column's old name, each value is copied
when its quote exists, and the old column goes. A value naming no quote is dropped from a complaint
that also names a booking (it still names something); a complaint that would name nothing stops the
migration instead of losing what it is about.
"""

import django.db.models.deletion
from django.db import migrations, models
from django.db.models import Q


def copy_quote_ids(apps, schema_editor):
    Complaint = apps.get_model("complaints", "Complaint")
    Quote = apps.get_model("sales", "Quote")
    rows = list(Complaint.objects.filter(legacy_quote_id__isnull=False).values_list("pk", "legacy_quote_id",
                                                                                      "booking_id"))
    existing = set(Quote.objects.filter(pk__in=[quote_id for _, quote_id, _ in rows]).values_list("pk", flat=True))
    for pk, quote_id, booking_id in rows:
        if quote_id in existing:
            Complaint.objects.filter(pk=pk).update(quote_id=quote_id)
        elif booking_id is None:
            raise RuntimeError(f"Complaint {pk} names quote {quote_id}, which does not exist, and no booking: "
                               "give it a booking or a quote before migrating.")


def copy_back(apps, schema_editor):
    Complaint = apps.get_model("complaints", "Complaint")
    for pk, quote_id in Complaint.objects.filter(quote__isnull=False).values_list("pk", "quote_id"):
        Complaint.objects.filter(pk=pk).update(legacy_quote_id=quote_id)


class Migration(migrations.Migration):

    dependencies = [
        ("complaints", "0002_seed_lists"),
        ("sales", "0002_quotes"),
    ]

    operations = [
        migrations.RemoveConstraint(model_name="complaint", name="complaints_on_booking_or_quote"),
        migrations.RenameField(model_name="complaint", old_name="quote_id", new_name="legacy_quote_id"),
        migrations.AddField(
            model_name="complaint",
            name="quote",
            field=models.ForeignKey(blank=True, help_text="The quote it is about (a sent one).", null=True,
                                    on_delete=django.db.models.deletion.PROTECT, related_name="complaints",
                                    to="sales.quote"),
        ),
        migrations.RunPython(copy_quote_ids, copy_back),
        migrations.RemoveField(model_name="complaint", name="legacy_quote_id"),
        migrations.AddConstraint(
            model_name="complaint",
            constraint=models.CheckConstraint(condition=Q(("booking__isnull", False), ("quote__isnull", False),
                                                          _connector="OR"),
                                              name="complaints_on_booking_or_quote"),
        ),
    ]
