"""Files as a GraphQL client meets them: multipart uploads over HTTP (the GraphQL multipart request
spec), ``files`` on bookings and customers with links made for the caller, downloads through those
links, and every refused upload leaving the database and the disk as they were."""

from __future__ import annotations

import json

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from core.actors import Actor, Channel
from core.files import services
from core.files.models import StoredFile
from graphql_api.ids import encode_id
from tests import factories
from tests.core.files.conftest import accepted_job, bomb_png, jpeg_with_gps, pdf_bytes
from tests.media import stored_files, unchanged

from ..over_http import URL, gql, sign_in

UPLOAD = """
mutation ($bookingId: ID!, $file: Upload!, $visible: Boolean! = false) {
  uploadBookingFile(bookingId: $bookingId, file: $file, customerVisible: $visible) {
    file { id kind name contentType size width height customerVisible url thumbnailUrl }
    errors { code field message }
  }
}"""

UPLOAD_CUSTOMER = """
mutation ($customerId: ID!, $file: Upload!) {
  uploadCustomerFile(customerId: $customerId, file: $file, customerVisible: true) {
    file { id kind url } errors { code field }
  }
}"""

DELETE = "mutation ($id: ID!) { deleteFile(id: $id) { deletedId errors { code field } } }"


@pytest.fixture
def staff(db):
    user = factories.staff_user()
    sign_in(user)
    return user


def multipart(user, query: str, variables: dict, path: str, name: str, content: bytes, content_type="image/jpeg"):
    """A GraphQL multipart request with one file at variable ``path``."""
    sign_in(user)
    data = {"operations": json.dumps({"query": query, "variables": {**variables, path: None}}),
            "map": json.dumps({"0": [f"variables.{path}"]}),
            "0": SimpleUploadedFile(name, content, content_type=content_type)}
    return Client().post(URL, data, HTTP_AUTHORIZATION=user._test_bearer)


def local(url: str) -> str:
    return url.split("://", 1)[1].split("/", 1)[1].join(["/", ""])


def test_staff_upload_a_photo_by_multipart_request_and_open_it_by_its_link(staff, media):
    booking = factories.booking()
    response = multipart(staff, UPLOAD, {"bookingId": encode_id("Booking", booking.pk)}, "file", "kitchen.jpg",
                         jpeg_with_gps())
    assert response.status_code == 200, response.content
    payload = response.json()["data"]["uploadBookingFile"]
    assert payload["errors"] == []
    got = payload["file"]
    assert {key: got[key] for key in ("kind", "name", "contentType", "width", "height", "customerVisible")} == {
        "kind": "IMAGE", "name": "kitchen.jpg", "contentType": "image/jpeg", "width": 400, "height": 300,
        "customerVisible": False}
    assert got["url"].startswith("http://") and "/files/" in got["url"]
    download = Client().get(local(got["url"]))
    assert download.status_code == 200
    body = b"".join(download.streaming_content)
    assert len(body) == got["size"] and body[:3] == b"\xff\xd8\xff"
    assert download["Content-Type"] == "image/jpeg"
    assert download["Content-Disposition"] == 'inline; filename="kitchen.jpg"'
    assert download["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in download["Content-Security-Policy"]
    thumb = Client().get(local(got["thumbnailUrl"]))
    assert thumb.status_code == 200 and thumb["Content-Type"] == "image/jpeg"


def test_a_pdf_downloads_as_an_attachment(staff, media):
    customer = factories.customer()
    response = multipart(staff, UPLOAD_CUSTOMER, {"customerId": encode_id("Customer", customer.pk)}, "file",
                         "quote.pdf", pdf_bytes(), "application/pdf")
    payload = response.json()["data"]["uploadCustomerFile"]
    assert payload["errors"] == [] and payload["file"]["kind"] == "PDF"
    download = Client().get(local(payload["file"]["url"]))
    assert download.status_code == 200
    assert download["Content-Disposition"] == 'attachment; filename="quote.pdf"'


SCRIPT = b"<script>alert(document.cookie)</script>" + b" " * 100


@pytest.mark.parametrize("name, content, code", [
    ("photo.jpg", SCRIPT, "file_type_refused"),
    ("photo.jpg", b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + SCRIPT, "file_type_refused"),
    ("bomb.png", bomb_png(), "image_too_many_pixels"),
])
def test_attacks_are_refused_over_http_and_nothing_is_stored(staff, media, name, content, code):
    booking = factories.booking()
    response = unchanged(media, lambda: multipart(staff, UPLOAD, {"bookingId": encode_id("Booking", booking.pk)},
                                                  "file", name, content))
    assert response.status_code == 200
    payload = response.json()["data"]["uploadBookingFile"]
    assert payload["file"] is None
    assert [(error["code"], error["field"]) for error in payload["errors"]] == [(code, "file")]


def test_a_path_in_the_file_name_never_reaches_the_disk(staff, media, tmp_path):
    """Django's multipart parser keeps only the last part of a file name, before any code of ours (the
    service refuses a name with a path from any other caller); the file is stored under our name."""
    booking = factories.booking()
    response = multipart(staff, UPLOAD, {"bookingId": encode_id("Booking", booking.pk)}, "file",
                         "../../../etc/cron.d/x.jpg", jpeg_with_gps())
    payload = response.json()["data"]["uploadBookingFile"]
    assert payload["errors"] == [] and payload["file"]["name"] == "x.jpg"
    stored = StoredFile.objects.get()
    assert stored_files(media) == sorted([stored.file.name, stored.thumbnail.name])
    assert all(name.startswith(f"files/bookings/{booking.pk}/") and ".." not in name for name in stored_files(media))
    assert sorted(path.name for path in tmp_path.iterdir()) == ["media"]  # nothing written beside it


def test_an_oversized_file_is_a_typed_error_then_a_413(staff, media, settings):
    settings.FIELDOPS_FILE_MAX_BYTES = {"image": 30_000, "pdf": 30_000, "signature": 30_000}
    settings.FIELDOPS_UPLOAD_MAX_BYTES = settings.FIELDOPS_IMPORT_MAX_BYTES = 30_000  # the body follows the largest
    booking = factories.booking()
    variables = {"bookingId": encode_id("Booking", booking.pk)}
    big = jpeg_with_gps(1200, 900) + b"\x00" * 40_000
    response = unchanged(media, lambda: multipart(staff, UPLOAD, variables, "file", "big.jpg", big))
    assert response.json()["data"]["uploadBookingFile"]["errors"][0]["code"] == "file_over_cap"
    huge = b"\xff\xd8" + b"\x00" * (settings.GRAPHQL_MAX_BODY_BYTES + 40_000)
    response = unchanged(media, lambda: multipart(staff, UPLOAD, variables, "file", "huge.jpg", huge))
    assert response.status_code == 413


def test_someone_elses_booking_is_not_found_and_nothing_is_stored(media, db):
    mine, fieldworker = accepted_job()
    theirs = factories.booking()
    user = fieldworker.user
    sign_in(user)
    for booking in (theirs, None):
        gid = encode_id("Booking", booking.pk if booking else 987654)
        response = unchanged(media, lambda gid=gid: multipart(user, UPLOAD, {"bookingId": gid}, "file", "a.jpg",
                                                              jpeg_with_gps()))
        assert response.json()["data"]["uploadBookingFile"]["errors"] == [
            {"code": "not_found", "field": "id", "message": "No such booking."}]
    customer = mine.customer.user or factories.customer(with_login=True).user
    sign_in(customer)
    response = unchanged(media, lambda: multipart(customer, UPLOAD, {"bookingId": encode_id("Booking", theirs.pk)},
                                                  "file", "a.jpg", jpeg_with_gps()))
    assert response.json()["data"]["uploadBookingFile"]["errors"][0]["code"] == "not_found"
    response = multipart(user, UPLOAD, {"bookingId": encode_id("Booking", mine.pk)}, "file", "done.jpg",
                         jpeg_with_gps())
    assert response.json()["data"]["uploadBookingFile"]["errors"] == []


BOOKING_FILES = """
query ($id: ID!) { node(id: $id) { ... on Booking { files { name customerVisible url signature { signerName } } } } }
"""


def test_each_caller_sees_the_files_meant_for_them_with_links_of_their_own(media, db):
    booking, fieldworker = accepted_job(cust=factories.customer(with_login=True))
    staff = factories.staff_actor()
    services.file_upload_to_booking(actor=staff, channel=Channel.GRAPHQL, booking_id=booking.pk,
                                    upload=pdf_bytes(), name="internal.pdf")
    shared = services.file_upload_to_booking(actor=staff, channel=Channel.GRAPHQL, booking_id=booking.pk,
                                             upload=pdf_bytes(), name="shared.pdf", customer_visible=True)
    gid = encode_id("Booking", booking.pk)
    customer = booking.customer.user
    seen = gql(customer, BOOKING_FILES, id=gid)["node"]["files"]
    assert [row["name"] for row in seen] == ["shared.pdf"]
    assert Client().get(local(seen[0]["url"])).status_code == 200
    worker = gql(fieldworker.user, BOOKING_FILES, id=gid)["node"]["files"]
    assert [row["name"] for row in worker] == ["internal.pdf", "shared.pdf"]
    other = factories.customer(with_login=True).user
    assert gql(other, BOOKING_FILES, id=gid)["node"] is None
    # the customer's link stops working once the file is no longer theirs to see
    StoredFile.objects.filter(pk=shared.pk).update(customer_visible=False)
    assert Client().get(local(seen[0]["url"])).status_code == 404


def test_links_expire_and_cannot_be_forged(media, db, settings):
    stored = services.file_upload_to_booking(actor=factories.staff_actor(), channel=Channel.GRAPHQL,
                                             booking_id=factories.booking().pk, upload=pdf_bytes(), name="a.pdf")
    from core.files.links import file_path

    path = file_path(factories.staff_actor(), stored)
    assert Client().get(path).status_code == 200
    assert Client().get(path[:-6] + "xxxxx/").status_code == 404
    assert Client().get("/files/not-a-token/").status_code == 404
    settings.FIELDOPS_FILE_LINK_SECONDS = -1
    response = Client().get(path)
    assert response.status_code == 410 and b"expired" in response.content


def test_stored_files_have_no_public_url(media, db):
    stored = services.file_upload_to_booking(actor=factories.staff_actor(), channel=Channel.GRAPHQL,
                                             booking_id=factories.booking().pk, upload=pdf_bytes(), name="a.pdf")
    with pytest.raises(ValueError):
        default_storage.url(stored.file.name)
    assert Client().get(f"/media/{stored.file.name}").status_code == 404
    assert Client().get(f"/{stored.file.name}").status_code == 404


def test_delete_a_file_over_http(staff, media, django_capture_on_commit_callbacks):
    stored = services.file_upload_to_booking(actor=Actor.from_user(staff), channel=Channel.GRAPHQL,
                                             booking_id=factories.booking().pk, upload=jpeg_with_gps(), name="a.jpg")
    with django_capture_on_commit_callbacks(execute=True):
        data = gql(staff, DELETE, id=encode_id("File", stored.pk))
    assert data["deleteFile"] == {"deletedId": encode_id("File", stored.pk), "errors": []}
    assert stored_files(media) == [] and StoredFile.objects.count() == 0


BOOKINGS_WITH_FILES = "{ bookings(first: 20) { edges { node { number files { name url thumbnailUrl } } } } }"


def test_a_page_of_bookings_with_their_files_costs_the_same_queries_for_more_rows(staff, media,
                                                                                  django_assert_num_queries):
    actor = Actor.from_user(staff)

    def add(count: int) -> None:
        for _ in range(count):
            booking = factories.booking()
            for _ in range(2):
                services.file_upload_to_booking(actor=actor, channel=Channel.GRAPHQL, booking_id=booking.pk,
                                                upload=pdf_bytes(), name="a.pdf")

    add(2)
    sign_in(staff)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        first = gql(staff, BOOKINGS_WITH_FILES)
    add(3)
    with django_assert_num_queries(len(few)):
        data = gql(staff, BOOKINGS_WITH_FILES)
    assert len(first["bookings"]["edges"]) == 2
    assert [len(edge["node"]["files"]) for edge in data["bookings"]["edges"]] == [2] * 5


CUSTOMER_FILES = "query ($id: ID!) { node(id: $id) { ... on Customer { files { name customerVisible } } } }"
FILE_NODE = "query ($id: ID!) { node(id: $id) { ... on File { name kind } } }"


def test_who_may_add_and_remove_over_http(media, db):
    booking, fieldworker = accepted_job(cust=factories.customer(with_login=True))
    customer, worker = booking.customer.user, fieldworker.user
    sign_in(customer, worker)
    booking_gid, customer_gid = encode_id("Booking", booking.pk), encode_id("Customer", booking.customer_id)
    # a customer adds nothing; a fieldworker adds to the job's booking, not to its customer
    response = unchanged(media, lambda: multipart(customer, UPLOAD, {"bookingId": booking_gid}, "file", "a.pdf",
                                                  pdf_bytes()))
    assert response.json()["data"]["uploadBookingFile"]["errors"][0]["code"] == "forbidden"
    response = unchanged(media, lambda: multipart(worker, UPLOAD_CUSTOMER, {"customerId": customer_gid}, "file",
                                                  "a.pdf", pdf_bytes()))
    assert response.json()["data"]["uploadCustomerFile"]["errors"][0]["code"] == "forbidden"
    made = multipart(worker, UPLOAD, {"bookingId": booking_gid}, "file", "meter.jpg", jpeg_with_gps())
    file_gid = made.json()["data"]["uploadBookingFile"]["file"]["id"]
    # the customer does not see an internal file, by any path; the fieldworker removes their own
    assert gql(customer, FILE_NODE, id=file_gid) == {"node": None}
    assert gql(worker, FILE_NODE, id=file_gid) == {"node": {"name": "meter.jpg", "kind": "IMAGE"}}
    failed = unchanged(media, lambda: gql(customer, DELETE, id=file_gid))
    assert failed["deleteFile"]["errors"] == [{"code": "not_found", "field": "id"}]
    assert gql(worker, DELETE, id=file_gid)["deleteFile"]["errors"] == []
    assert StoredFile.objects.count() == 0


def test_a_customer_sees_the_files_on_their_record_marked_for_them(media, db):
    customer = factories.customer(with_login=True)
    staff = factories.staff_actor()
    services.file_upload_to_customer(actor=staff, channel=Channel.GRAPHQL, customer_id=customer.pk,
                                     upload=pdf_bytes(), name="contract.pdf", customer_visible=True)
    services.file_upload_to_customer(actor=staff, channel=Channel.GRAPHQL, customer_id=customer.pk,
                                     upload=pdf_bytes(), name="credit-check.pdf")
    gid = encode_id("Customer", customer.pk)
    assert gql(customer.user, CUSTOMER_FILES, id=gid)["node"]["files"] == [
        {"name": "contract.pdf", "customerVisible": True}]
    assert [row["name"] for row in gql(staff.user, CUSTOMER_FILES, id=gid)["node"]["files"]] == [
        "contract.pdf", "credit-check.pdf"]
