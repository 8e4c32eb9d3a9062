"""Chat photos become the booking's files: each stored attachment gets a ``files.StoredFile`` row naming
the same bytes (left where they are; served from now on only through signed links), then the
attachment's own file column goes (decision 0926)."""

import django.db.models.deletion
from django.db import migrations, models


def to_stored_files(apps, schema_editor):
    BookingAttachment = apps.get_model("chat", "BookingAttachment")
    StoredFile = apps.get_model("files", "StoredFile")
    for attachment in BookingAttachment.objects.filter(status="stored").exclude(file="").iterator():
        stored = StoredFile.objects.create(
            booking_id=attachment.booking_id, kind="image", file=attachment.file.name,
            name=attachment.file.name.rsplit("/", 1)[-1][:120], content_type=attachment.content_type or "image/jpeg",
            size=attachment.size, customer_visible=False, uploaded_by_id=attachment.uploaded_by_id,
            author_kind=attachment.author_kind, channel=attachment.channel, created_at=attachment.created_at)
        BookingAttachment.objects.filter(pk=attachment.pk).update(stored_file=stored)


def back_to_attachments(apps, schema_editor):
    BookingAttachment = apps.get_model("chat", "BookingAttachment")
    StoredFile = apps.get_model("files", "StoredFile")
    for attachment in BookingAttachment.objects.exclude(stored_file=None).iterator():
        stored = StoredFile.objects.get(pk=attachment.stored_file_id)
        BookingAttachment.objects.filter(pk=attachment.pk).update(file=stored.file.name, stored_file=None)
        stored.delete()


class Migration(migrations.Migration):

    dependencies = [
        ('chat', '0002_drop_indexes_covered_by_composites'),
        ('files', '0001_initial'),
    ]

    operations = [
        migrations.AddField(
            model_name='bookingattachment',
            name='stored_file',
            field=models.OneToOneField(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL,
                                       related_name='chat_attachment', to='files.storedfile'),
        ),
        migrations.RunPython(to_stored_files, back_to_attachments),
        migrations.RemoveField(
            model_name='bookingattachment',
            name='file',
        ),
    ]
