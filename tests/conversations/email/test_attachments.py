"""Attachments of a customer's e-mail, posted by the mail provider as multipart files ``attachment-1`` ...
with ``attachment-count`` (decision 0616): in a booking's thread they become the booking's files, checked
like any upload; in the inbox their names are listed and nothing is stored."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from core.bookings.models import BookingComment, BookingEvent
from core.crm.models import Inquiry
from core.files.checks import has_metadata
from core.files.models import StoredFile
from core.outreach import replies
from core.outreach.inbound import MAX_ATTACHMENTS
from core.outreach.models import InboundEmail
from graphql_api.ids import encode_id
from tests import factories
from tests.core.files.conftest import jpeg_with_gps, pdf_bytes
from tests.core.support import _touch_singletons, db_state
from tests.graphql_api import conftest as _graphql_conftest  # noqa: F401  (loads before over_http)
from tests.graphql_api.over_http import gql
from tests.media import stored_files, unchanged
from tests.web.portal.support import portal_client

from .test_inbound import FakeProvider

BOOKING_FILES = """query ($id: ID!) { node(id: $id) { ... on Booking {
  files { name kind contentType customerVisible url }
  history { action data }
} } }"""


@pytest.fixture
def booking(db):
    customer = factories.customer(with_login=True, name="Jo Bloggs", email="jo@example.com", mobile="")
    return factories.booking(cust=customer)


@pytest.fixture
def provider(client) -> FakeProvider:
    return FakeProvider(client)


def with_files(fields: dict[str, Any], *files: tuple[str, bytes, str]) -> dict[str, Any]:
    """The provider's fields with the files as ``attachment-<n>`` parts and their count (fresh file
    objects each time, so the same call can be posted again)."""
    parts = {f"attachment-{index}": SimpleUploadedFile(name, content, content_type=content_type)
             for index, (name, content, content_type) in enumerate(files, start=1)}
    return {**fields, "attachment-count": str(len(files)), **parts}


PHOTO = ("leak.jpg", jpeg_with_gps(), "image/jpeg")
PDF = ("quote from the plumber.pdf", pdf_bytes(), "application/pdf")
EXE = ("setup.exe", b"MZ\x90\x00\x03" + b"\x00" * 200, "application/octet-stream")
NOT_A_PHOTO = ("photo.jpg", b"#!/bin/sh\necho this is no photo\n", "image/jpeg")


def test_a_photo_and_a_pdf_sent_to_the_thread_become_the_bookings_files(booking, provider, media):
    fields = provider.fields(sender="jo@example.com", recipient=replies.reply_address(booking.pk),
                             text="The leak is under the sink, photo attached. And the other quote.")
    response = provider.post(with_files(fields, PHOTO, PDF))
    assert response.status_code == 200 and response.json() == {"outcome": "comment", "replayed": False}

    comment = BookingComment.objects.get()
    assert (comment.author_kind, comment.channel, comment.body) == (
        "customer", "email", "The leak is under the sink, photo attached. And the other quote.")
    files = list(StoredFile.objects.order_by("pk"))
    assert [(f.booking_id, f.name, f.kind, f.customer_visible, f.author_kind, f.channel, f.uploaded_by_id)
            for f in files] == [
        (booking.pk, "leak.jpg", "image", True, "customer", "email", booking.customer.user_id),
        (booking.pk, "quote from the plumber.pdf", "pdf", True, "customer", "email", booking.customer.user_id)]
    with default_storage.open(files[0].file.name) as stored:
        assert not has_metadata(stored.read())  # the photo's GPS position went, as from any upload
    assert files[0].thumbnail.name

    # one timeline row names the comment, the files kept and nothing refused
    row = BookingEvent.objects.get(booking=booking, action="email_attachments")
    assert row.channel == "email" and row.actor_kind == "customer"
    assert row.data == {"comment_id": comment.pk, "inbound_email_id": InboundEmail.objects.get().pk,
                        "added": [{"file_id": files[0].pk, "name": "leak.jpg"},
                                  {"file_id": files[1].pk, "name": "quote from the plumber.pdf"}],
                        "refused": []}
    assert [(item["name"], item.get("file_id")) for item in InboundEmail.objects.get().attachments] == [
        ("leak.jpg", files[0].pk), ("quote from the plumber.pdf", files[1].pk)]

    gid = encode_id("Booking", booking.pk)
    for viewer in (factories.staff_user(), booking.customer.user):
        seen = gql(viewer, BOOKING_FILES, id=gid)["node"]
        assert [(f["name"], f["kind"], f["contentType"], f["customerVisible"]) for f in seen["files"]] == [
            ("leak.jpg", "IMAGE", "image/jpeg", True), ("quote from the plumber.pdf", "PDF", "application/pdf", True)]
        opened = Client().get(seen["files"][1]["url"].split("://", 1)[1].split("/", 1)[1].join(["/", ""]))
        assert opened.status_code == 200 and b"".join(opened.streaming_content) == pdf_bytes()
        assert "email_attachments" in [entry["action"] for entry in seen["history"]]
    # the customer sees both on their booking's page in the portal too
    page = portal_client(booking.customer).get(f"/portal/bookings/{booking.pk}/")
    assert page.status_code == 200 and b"leak.jpg" in page.content and b"quote from the plumber.pdf" in page.content
    # another customer sees none of it
    assert gql(factories.customer(with_login=True).user, BOOKING_FILES, id=gid)["node"] is None


def test_a_forged_signature_with_an_attachment_stores_nothing(booking, provider, media):
    fields = provider.fields(sender="jo@example.com", recipient=replies.reply_address(booking.pk), text="See photo",
                             key="not-the-key")
    response = unchanged(media, lambda: provider.post(with_files(fields, PHOTO)))
    assert response.status_code == 403 and "Bad or missing signature" in response.content.decode()


def test_a_replayed_call_with_attachments_stores_nothing_twice(booking, provider, media):
    fields = provider.fields(sender="jo@example.com", recipient=replies.reply_address(booking.pk), text="See photo")
    assert provider.post(with_files(fields, PHOTO, PDF)).json() == {"outcome": "comment", "replayed": False}
    again = unchanged(media, lambda: provider.post(with_files(fields, PHOTO, PDF)))
    assert again.status_code == 200 and again.json() == {"outcome": "comment", "replayed": True}
    assert StoredFile.objects.count() == 2 and len(stored_files(media)) == 3  # two files, the photo's thumbnail


@pytest.mark.parametrize("refused", [EXE, NOT_A_PHOTO], ids=["an .exe", "a script named .jpg"])
def test_a_refused_attachment_is_noted_and_the_words_still_land(booking, provider, media, refused):
    fields = provider.fields(sender="jo@example.com", recipient=replies.reply_address(booking.pk),
                             text="Here are the files")
    response = provider.post(with_files(fields, refused, PDF))
    assert response.status_code == 200 and response.json()["outcome"] == "comment"
    comment = BookingComment.objects.get()
    assert comment.body == "Here are the files"
    kept = StoredFile.objects.get()
    assert kept.name == "quote from the plumber.pdf"
    assert sorted(stored_files(media)) == [kept.file.name]  # nothing of the refused file on disk
    row = BookingEvent.objects.get(booking=booking, action="email_attachments")
    assert row.data["comment_id"] == comment.pk
    assert row.data["added"] == [{"file_id": kept.pk, "name": "quote from the plumber.pdf"}]
    assert row.data["refused"] == [{"name": refused[0], "code": "file_type_refused",
                                    "message": "The file is not an image or a PDF we accept."}]
    listed = InboundEmail.objects.get().attachments
    assert listed[0] == {"name": refused[0], "size": len(refused[1]), "code": "file_type_refused",
                         "message": "The file is not an image or a PDF we accept."}
    # staff read the refusal on the booking's timeline
    history = gql(factories.staff_user(), BOOKING_FILES, id=encode_id("Booking", booking.pk))["node"]["history"]
    noted = [entry["data"] for entry in history if entry["action"] == "email_attachments"]
    assert noted[0]["refused"][0]["name"] == refused[0]


def test_an_email_with_only_a_photo_lands_as_a_message_naming_it(booking, provider, media):
    fields = provider.fields(sender="jo@example.com", recipient=replies.reply_address(booking.pk), text="")
    assert provider.post(with_files(fields, PHOTO)).json()["outcome"] == "comment"
    assert BookingComment.objects.get().body == "(1 attachment by e-mail: leak.jpg)"
    assert StoredFile.objects.get().name == "leak.jpg"


def test_attachments_past_the_limit_are_refused_unread(booking, provider, media):
    pdfs = [(f"page {n}.pdf", pdf_bytes(), "application/pdf") for n in range(1, MAX_ATTACHMENTS + 2)]
    fields = provider.fields(sender="jo@example.com", recipient=replies.reply_address(booking.pk), text="All pages")
    assert provider.post(with_files(fields, *pdfs)).json()["outcome"] == "comment"
    assert StoredFile.objects.count() == MAX_ATTACHMENTS
    refused = BookingEvent.objects.get(action="email_attachments").data["refused"]
    assert [(item["name"], item["code"]) for item in refused] == [(f"page {MAX_ATTACHMENTS + 1}.pdf", "too_many_files")]


def test_an_email_for_the_inbox_lists_its_attachments_and_stores_none(booking, provider, media):
    address = replies.reply_address(booking.pk)
    fields = provider.fields(sender="neighbour@example.net", recipient=address, text="Your gate is open",
                             subject="Re: booking")
    response = provider.post(with_files(fields, PHOTO, EXE))
    assert response.json() == {"outcome": "inquiry", "replayed": False}
    inquiry = Inquiry.objects.get()
    assert inquiry.body == ("Re: booking\n\nYour gate is open\n\n"
                            "Attachments not kept (2): leak.jpg, setup.exe")
    assert [item["name"] for item in InboundEmail.objects.get().attachments] == ["leak.jpg", "setup.exe"]
    assert not StoredFile.objects.exists() and stored_files(media) == []
    assert not BookingEvent.objects.filter(action="email_attachments").exists()


def test_an_inbox_email_with_only_attachments_is_still_filed(db, provider, media):
    fields = provider.fields(sender="someone@example.net", recipient="hello@fieldops.local", text="", subject="")
    assert provider.post(with_files(fields, PDF)).json()["outcome"] == "inquiry"
    assert Inquiry.objects.get().body == "Attachments not kept (1): quote from the plumber.pdf"


def test_an_email_over_the_size_limit_with_attachments_is_refused_before_parsing(booking, provider, media, settings):
    settings.INBOUND_EMAIL_MAX_BYTES = 50_000
    big = ("big.pdf", b"%PDF-1.4\n" + b"0" * 60_000 + b"\n%%EOF\n", "application/pdf")
    fields = provider.fields(sender="jo@example.com", recipient=replies.reply_address(booking.pk), text="Big one")
    response = unchanged(media, lambda: provider.post(with_files(fields, big)))
    assert response.status_code == 413


def test_attachment_numbers_follow_the_count(booking, provider, media):
    fields = provider.fields(sender="jo@example.com", recipient=replies.reply_address(booking.pk), text="Two of three")
    posted = with_files(fields, PHOTO, PDF)
    posted["attachment-count"] = "1"  # the provider said one: the second part is not one of its attachments
    assert provider.post(posted).json()["outcome"] == "comment"
    assert [f.name for f in StoredFile.objects.all()] == ["leak.jpg"]


def test_a_long_inbox_email_keeps_the_list_of_its_attachments(db, provider, media):
    fields = provider.fields(sender="someone@example.net", recipient="hello@fieldops.local", text="word " * 2000)
    assert provider.post(with_files(fields, PHOTO)).json()["outcome"] == "inquiry"
    body = Inquiry.objects.get().body
    assert len(body) <= 5000 and body.endswith("\n\nAttachments not kept (1): leak.jpg")


@pytest.mark.skipif(connection.vendor != "sqlite", reason="the failure is made by an SQLite trigger")
def test_when_the_writes_fail_after_the_files_the_bytes_go_with_the_rows(booking, provider, media):
    """The database refuses the last write of the call (a trigger stands for any failure there): the
    transaction rolls back and the files already written leave the disk with it."""
    fields = provider.fields(sender="jo@example.com", recipient=replies.reply_address(booking.pk), text="See photo")
    with connection.cursor() as cursor:
        cursor.execute("CREATE TRIGGER refuse_email_attachments BEFORE INSERT ON bookings_bookingevent "
                       "WHEN NEW.action = 'email_attachments' BEGIN SELECT RAISE(ABORT, 'refused by the test'); END")
    _touch_singletons()
    before = db_state()
    try:
        with pytest.raises(IntegrityError):
            provider.post(with_files(fields, PHOTO, PDF))
    finally:
        with connection.cursor() as cursor:
            cursor.execute("DROP TRIGGER refuse_email_attachments")
    assert db_state() == before
    assert stored_files(media) == []


def test_each_attachment_costs_the_same_few_queries(booking, provider, media):
    """Each further PDF adds its own row's insert (in a savepoint) and nothing read per file (a photo
    adds one read of the file settings, before the transaction)."""
    def post(count: int, text: str) -> int:
        pdfs = [(f"page {n}.pdf", pdf_bytes(), "application/pdf") for n in range(count)]
        fields = provider.fields(sender="jo@example.com", recipient=replies.reply_address(booking.pk), text=text)
        with CaptureQueriesContext(connection) as queries:
            assert provider.post(with_files(fields, *pdfs)).status_code == 200
        return len(queries)

    post(1, "warm up")  # the file settings row, the company's first reads
    one, three = post(1, "one"), post(3, "three")
    assert three - one == 2 * 3  # SAVEPOINT, INSERT, RELEASE per further file
