"""Job data on quotes, over HTTP as a client meets it (issue 19 after issue 18): attachments (multipart
uploads, links made for the caller, the quote's history), complaints naming a quote (raise, filter,
``Quote.complaints``), custom fields with the QUOTE target (createQuote/updateQuote, the form schema,
the list filter), the page of quotes in a fixed number of queries, and every refusal typed and
leaving the database (and the disk) as it was."""

from __future__ import annotations

import django.db
import pytest
from django.core.files.storage import default_storage
from django.test import Client
from django.test.utils import CaptureQueriesContext

from core.actors import Channel
from core.company.models import IssuedNumber
from core.complaints.models import Complaint
from core.files.models import StoredFile
from core.jobdata import services as jobdata
from core.jobdata.models import CustomFieldValue
from core.sales import quotes
from core.sales.quote_models import Quote, QuoteEvent
from tests.core.files.conftest import jpeg_with_gps, pdf_bytes
from tests.core.support import db_state
from tests.media import stored_files, unchanged

from ..conftest import gid
from ..files.test_files_over_http import local, multipart
from ..over_http import gql, sign_in

pytestmark = pytest.mark.django_db
SYSTEM = Channel.SYSTEM

UPLOAD = """
mutation ($quoteId: ID!, $file: Upload!, $visible: Boolean! = false) {
  uploadQuoteFile(quoteId: $quoteId, file: $file, customerVisible: $visible) {
    file { id kind name customerVisible url thumbnailUrl } errors { code field }
  }
}"""
DELETE = "mutation ($id: ID!) { deleteFile(id: $id) { deletedId errors { code field } } }"
RAISE = """mutation ($input: RaiseComplaintInput!) { raiseComplaint(input: $input) {
  complaint { id description visibleToCustomer quote { number } booking { id } customer { id } }
  errors { code field } } }"""
ONE = "query ($i: ID!) { quote(id: $i) { number files { name url } complaints { description } } }"


def draft(world, customer=None) -> Quote:
    return quotes.quote_create(actor=world.staff, channel=SYSTEM, customer_id=(customer or world.cust_a).pk,
                               lines=[quotes.QuoteLineInput(description="Roof survey", unit_price="90")])


def send(world, quote: Quote) -> Quote:
    return quotes.quote_send(actor=world.staff, channel=SYSTEM, quote_id=quote.pk, send_email=False)


def upload(user, quote: Quote, name: str, content: bytes, visible: bool = False):
    return multipart(user, UPLOAD, {"quoteId": gid("Quote", quote.pk), "visible": visible}, "file", name, content)


def field(world, key: str, field_type: str = "short_text", **extra):
    return jobdata.field_create(actor=world.staff, channel=SYSTEM, target="quote", label=key.title(), key=key,
                                field_type=field_type, **extra)


# --- attachments ---------------------------------------------------------------------------------


def test_staff_attach_files_and_the_customer_sees_the_marked_ones_once_the_quote_is_sent(
        world, media, django_capture_on_commit_callbacks):
    staff, customer = world.staff.user, world.cust_a.user
    quote = draft(world)
    plan = upload(staff, quote, "plan.pdf", pdf_bytes(), visible=True).json()["data"]["uploadQuoteFile"]
    photo = upload(staff, quote, "roof.jpg", jpeg_with_gps()).json()["data"]["uploadQuoteFile"]
    assert plan["errors"] == [] and photo["errors"] == []
    assert (plan["file"]["kind"], plan["file"]["customerVisible"]) == ("PDF", True)
    assert photo["file"]["thumbnailUrl"] and not plan["file"]["thumbnailUrl"]
    assert [file["name"] for file in gql(staff, ONE, i=gid("Quote", quote.pk))["quote"]["files"]] == [
        "plan.pdf", "roof.jpg"]
    assert gql(customer, ONE, i=gid("Quote", quote.pk)) == {"quote": None}  # a draft is the office's

    send(world, quote)
    seen = gql(customer, ONE, i=gid("Quote", quote.pk))["quote"]["files"]
    assert [file["name"] for file in seen] == ["plan.pdf"]
    download = Client().get(local(seen[0]["url"]))
    assert download.status_code == 200 and download["Content-Disposition"] == 'attachment; filename="plan.pdf"'
    assert Client().get(local(photo["file"]["url"])).status_code == 200  # staff's own link
    other = StoredFile.objects.get(name="roof.jpg")
    assert gql(customer, "query($i: ID!) { node(id: $i) { id } }", i=gid("File", other.pk)) == {"node": None}
    assert gql(world.fw_a.user, "{ quotes { edges { node { id } } } }")["quotes"]["edges"] == []

    with django_capture_on_commit_callbacks(execute=True):  # the bytes go after commit
        removed = gql(staff, DELETE, id=photo["file"]["id"])["deleteFile"]
    assert removed == {"deletedId": photo["file"]["id"], "errors": []}
    assert not default_storage.exists(other.file.name)
    history = gql(staff, "query($i: ID!) { quoteHistory(quoteId: $i) { action data } }", i=gid("Quote", quote.pk))
    rows = [(row["action"], row["data"].get("name")) for row in history["quoteHistory"]]
    assert rows == [("created", None), ("file_added", "plan.pdf"), ("file_added", "roof.jpg"), ("sent", None),
                    ("file_removed", "roof.jpg")]


def test_uploads_to_quotes_are_refused_for_everyone_but_staff_and_store_nothing(world, media):
    mine, theirs = send(world, draft(world)), send(world, draft(world, world.cust_b))
    office_only = draft(world)
    cases = [
        (world.cust_a.user, mine, "forbidden", None),  # their own sent quote: seen, not theirs to add to
        (world.cust_a.user, theirs, "not_found", "quoteId"),  # another customer's: like a missing one
        (world.cust_a.user, office_only, "not_found", "quoteId"),  # a draft
        (world.fw_a.user, mine, "not_found", "quoteId"),  # fieldworkers see no quotes
    ]
    sign_in(world.staff.user, world.cust_a.user, world.fw_a.user)
    for user, quote, code, where in cases:
        response = unchanged(media, lambda user=user, quote=quote: upload(user, quote, "a.jpg", jpeg_with_gps()))
        assert response.json()["data"]["uploadQuoteFile"] == {"file": None,
                                                              "errors": [{"code": code, "field": where}]}
    script = b"<script>alert(1)</script>" + b" " * 100
    response = unchanged(media, lambda: upload(world.staff.user, mine, "a.jpg", script))
    assert response.json()["data"]["uploadQuoteFile"]["errors"] == [{"code": "file_type_refused", "field": "file"}]
    missing = unchanged(media, lambda: multipart(world.staff.user, UPLOAD, {"quoteId": gid("Quote", 999999)},
                                                 "file", "a.jpg", jpeg_with_gps()))
    assert missing.json()["data"]["uploadQuoteFile"]["errors"] == [{"code": "not_found", "field": "quoteId"}]
    wrong_kind = unchanged(media, lambda: multipart(world.staff.user, UPLOAD, {"quoteId": gid("Booking", mine.pk)},
                                                    "file", "a.jpg", jpeg_with_gps()))
    assert wrong_kind.json()["data"]["uploadQuoteFile"]["errors"] == [{"code": "invalid_id", "field": "quoteId"}]
    assert not StoredFile.objects.exists() and stored_files(media) == []
    assert not QuoteEvent.objects.filter(action="file_added").exists()


def test_deleting_a_draft_takes_its_files_and_values_with_it(world, media, django_capture_on_commit_callbacks):
    quote = draft(world)
    field(world, "roof_type")
    upload(world.staff.user, quote, "roof.jpg", jpeg_with_gps())
    jobdata.values_set(actor=world.staff, channel=SYSTEM, target="quote", object_id=quote.pk,
                       values={"roof_type": "Tile"})
    assert len(stored_files(media)) == 2  # the photo and its thumbnail
    with django_capture_on_commit_callbacks(execute=True):
        deleted = gql(world.staff.user, "mutation($i: ID!) { deleteQuote(id: $i) { deletedId errors { code } } }",
                      i=gid("Quote", quote.pk))["deleteQuote"]
    assert deleted["errors"] == []
    assert not StoredFile.objects.exists() and stored_files(media) == []
    assert not CustomFieldValue.objects.filter(target="quote", object_id=quote.pk).exists()
    row = QuoteEvent.objects.get(quote_id=quote.pk, action="deleted")
    assert (row.data["files"], row.data["custom_fields"]) == (1, 1)


# --- complaints ----------------------------------------------------------------------------------


def test_complaints_name_a_quote_and_are_listed_with_it(world):
    staff, customer = world.staff.user, world.cust_a.user
    quote = send(world, draft(world))
    qid = gid("Quote", quote.pk)
    theirs = gql(customer, RAISE, input={"quoteId": qid, "description": "The price changed on the phone",
                                         "visibleToCustomer": False})["raiseComplaint"]
    assert theirs["errors"] == []
    assert theirs["complaint"]["quote"] == {"number": quote.number} and theirs["complaint"]["booking"] is None
    assert theirs["complaint"]["visibleToCustomer"] is True  # a customer's complaint is always theirs to see
    assert theirs["complaint"]["customer"]["id"] == gid("Customer", world.cust_a.pk)
    internal = gql(staff, RAISE, input={"quoteId": qid, "description": "Check the margin",
                                        "visibleToCustomer": False})["raiseComplaint"]
    gql(staff, RAISE, input={"bookingId": gid("Booking", world.booking_a.pk), "description": "Late"})

    filtered = gql(staff, "query($q: ID!) { complaints(filter: {quoteId: $q}) { totalCount edges { node { "
                          "description } } } }", q=qid)["complaints"]
    assert filtered["totalCount"] == 2
    assert [row["description"] for row in gql(staff, ONE, i=qid)["quote"]["complaints"]] == [
        "Check the margin", "The price changed on the phone"]
    assert [row["description"] for row in gql(customer, ONE, i=qid)["quote"]["complaints"]] == [
        "The price changed on the phone"]  # never the office's internal one
    history = gql(staff, "query($i: ID!) { complaintHistory(complaintId: $i) { action data } }",
                  i=internal["complaint"]["id"])["complaintHistory"]
    assert history[0]["action"] == "raised" and history[0]["data"]["quote_id"] == quote.pk


def test_wrong_or_foreign_quotes_are_refused_with_typed_errors_and_nothing_is_written(world):
    staff, customer = world.staff.user, world.cust_a.user
    mine, theirs, office_only = send(world, draft(world)), send(world, draft(world, world.cust_b)), draft(world)
    sign_in(staff, customer)
    cases = [
        (customer, {"quoteId": gid("Quote", theirs.pk)}, "not_found", "quoteId"),
        (customer, {"quoteId": gid("Quote", office_only.pk)}, "not_found", "quoteId"),
        (staff, {"quoteId": gid("Quote", office_only.pk)}, "quote_not_sent", "quoteId"),
        (staff, {"quoteId": gid("Quote", 999999)}, "not_found", "quoteId"),
        (staff, {"quoteId": gid("Booking", world.booking_a.pk)}, "invalid_id", "quoteId"),
        (staff, {"quoteId": gid("Quote", mine.pk), "bookingId": gid("Booking", world.booking_a.pk)},
         "ambiguous", "quoteId"),
        (staff, {}, "required", "bookingId"),
        (customer, {"quoteId": gid("Quote", mine.pk), "description": "  "}, "required", "description"),
    ]
    complaints_before = Complaint.objects.count()
    for user, given, code, where in cases:
        before = db_state()
        body = gql(user, RAISE, input={"description": "Wrong price", **given})["raiseComplaint"]
        assert body == {"complaint": None, "errors": [{"code": code, "field": where}]}, (given, body)
        assert db_state() == before
    assert Complaint.objects.count() == complaints_before == 0


def test_a_customer_has_at_most_five_open_complaints_on_one_quote(world):
    quote = send(world, draft(world))
    for index in range(5):
        body = gql(world.cust_a.user, RAISE, input={"quoteId": gid("Quote", quote.pk), "description": f"#{index}"})
        assert body["raiseComplaint"]["errors"] == []
    before = Complaint.objects.count()
    body = gql(world.cust_a.user, RAISE, input={"quoteId": gid("Quote", quote.pk), "description": "again"})
    assert body["raiseComplaint"]["errors"] == [{"code": "too_many", "field": None}]
    assert Complaint.objects.count() == before == 5


# --- custom fields -------------------------------------------------------------------------------


CREATE = """mutation($c: ID!, $values: [CustomFieldValueInput!]) { createQuote(input: {customerId: $c,
  customFields: $values, lines: [{description: "Survey", unitPrice: "90"}]}) {
  quote { id customFields { key value { text number } } } errors { code field } } }"""
UPDATE = """mutation($i: ID!, $notes: String, $values: [CustomFieldValueInput!]) { updateQuote(input: {id: $i,
  notes: $notes, customFields: $values}) { quote { notes customFields { key value { text number } } }
  errors { code field } } }"""


def test_quote_custom_fields_are_set_in_create_and_update_shown_and_filtered(world):
    staff, customer = world.staff.user, world.cust_a.user
    field(world, "roof_type", required=True)
    field(world, "storeys", "increment", visible_to_customer=True)
    schema = gql(customer, "{ formSchema(target: QUOTE) { sections { fields { key } } } }")["formSchema"]
    assert [f["key"] for section in schema["sections"] for f in section["fields"]] == ["storeys"]
    made = gql(staff, CREATE, c=gid("Customer", world.cust_a.pk), values=[
        {"key": "roof_type", "value": {"text": "Tile"}}, {"key": "storeys", "value": {"number": "2"}}])["createQuote"]
    assert made["errors"] == []
    assert made["quote"]["customFields"] == [{"key": "roof_type", "value": {"text": "Tile", "number": None}},
                                             {"key": "storeys", "value": {"text": None, "number": "2"}}]
    qid = made["quote"]["id"]
    quotes.quote_send(actor=world.staff, channel=SYSTEM, quote_id=Quote.objects.get().pk, send_email=False)
    # the office's notes on the quote: set in any state, on the quote's own history
    updated = gql(staff, UPDATE, i=qid, values=[{"key": "storeys", "value": {"number": "3"}}])["updateQuote"]
    assert updated["errors"] == [] and updated["quote"]["customFields"][1]["value"]["number"] == "3"
    row = QuoteEvent.objects.filter(action="custom_fields_set").order_by("-id").first()
    assert row.changes == {"storeys": ["2", "3"]}
    seen = gql(customer, "query($i: ID!) { quote(id: $i) { customFields { key } } }", i=qid)["quote"]
    assert seen["customFields"] == [{"key": "storeys"}]  # the internal field stays the office's

    other = quotes.quote_create(actor=world.staff, channel=SYSTEM, customer_id=world.cust_a.pk)
    listed = gql(staff, """{ quotes(filter: {customFields: [{key: "storeys", min: "3"}]}) { totalCount
        edges { node { id } } } }""")["quotes"]
    assert listed["totalCount"] == 1 and listed["edges"][0]["node"]["id"] == qid
    assert gid("Quote", other.pk) not in [edge["node"]["id"] for edge in listed["edges"]]
    refused = Client().post("/graphql/", {"query": """{ quotes(filter: {customFields: [{key: "roof_type",
        equals: "Tile"}]}) { totalCount } }"""}, content_type="application/json",
                            HTTP_AUTHORIZATION=customer._test_bearer).json()
    assert refused["errors"][0]["extensions"]["code"] == "unknown_field"  # a key the customer may not read


def test_refused_quote_values_create_nothing_and_change_nothing(world):
    staff = world.staff.user
    field(world, "roof_type", required=True)
    field(world, "storeys", "increment", max_value="5", visible_to_customer=True)
    sign_in(staff, world.cust_a.user)
    quotes_before, numbers_before = Quote.objects.count(), IssuedNumber.objects.count()
    for values, code, where in [
        ([{"key": "storeys", "value": {"number": "9"}}, {"key": "roof_type", "value": {"text": "Tile"}}],
         "out_of_range", "customFields.storeys"),
        ([{"key": "storeys", "value": {"number": "2"}}], "required", "customFields.roof_type"),
        ([{"key": "colour", "value": {"text": "red"}}], "unknown_field", "customFields.colour"),
    ]:
        before = db_state()
        body = gql(staff, CREATE, c=gid("Customer", world.cust_a.pk), values=values)["createQuote"]
        assert body == {"quote": None, "errors": [{"code": code, "field": where}]}, body
        assert db_state() == before
    assert (Quote.objects.count(), IssuedNumber.objects.count()) == (quotes_before, numbers_before)

    quote = draft(world)
    qid = gid("Quote", quote.pk)
    before = db_state()
    body = gql(staff, UPDATE, i=qid, notes="New notes", values=[{"key": "storeys", "value": {"number": "9"}}])
    assert body["updateQuote"] == {"quote": None, "errors": [{"code": "out_of_range",
                                                             "field": "customFields.storeys"}]}
    assert db_state() == before
    assert Quote.objects.get(pk=quote.pk).notes == "" and not CustomFieldValue.objects.exists()
    send(world, quote)
    before = db_state()
    body = gql(world.cust_a.user, """mutation($i: ID!) { setCustomFieldValues(input: {objectId: $i, values: [
        {key: "storeys", value: {number: "2"}}]}) { customFields { key } errors { code } } }""", i=qid)
    assert body["setCustomFieldValues"] == {"customFields": None, "errors": [{"code": "forbidden"}]}
    assert db_state() == before and not CustomFieldValue.objects.exists()


# --- a page of quotes ----------------------------------------------------------------------------


def test_a_page_of_quotes_with_files_complaints_and_values_costs_the_same_queries(world, media,
                                                                                  django_assert_num_queries):
    query = """{ quotes(first: 50) { edges { node { number files { name url } complaints { description }
                 customFields { key value { text } } } } } }"""
    staff = world.staff.user
    field(world, "roof_type")

    def one_more(customer):
        quote = send(world, draft(world, customer))
        upload(staff, quote, "plan.pdf", pdf_bytes())
        jobdata.values_set(actor=world.staff, channel=SYSTEM, target="quote", object_id=quote.pk,
                           values={"roof_type": "Tile"})
        gql(staff, RAISE, input={"quoteId": gid("Quote", quote.pk), "description": "x"})

    sign_in(staff)
    for _ in range(2):
        one_more(world.cust_a)
    with CaptureQueriesContext(django.db.connection) as two:
        edges = gql(staff, query)["quotes"]["edges"]
    count = len(two.captured_queries)  # read now: the next request clears the connection's query log
    assert len(edges) == 2 and all(len(edge["node"]["files"]) == 1 for edge in edges)
    for _ in range(4):
        one_more(world.cust_b)
    with django_assert_num_queries(count):
        edges = gql(staff, query)["quotes"]["edges"]
    assert len(edges) == 6
    assert all(edge["node"]["customFields"] == [{"key": "roof_type", "value": {"text": "Tile"}}] for edge in edges)
    assert all(len(edge["node"]["complaints"]) == 1 for edge in edges)
