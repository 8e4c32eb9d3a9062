"""Each mutation as the role that may use it (and the roles that may not): the translation from
GraphQL to the service and back. The rules themselves are tested against the services."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from core.accounts.models import ApiToken
from core.actors import Channel
from core.bookings.models import Booking, BookingAssignment, BookingComment, BookingEvent
from core.catalog.models import Service, ServiceCategory
from core.company.models import Company
from core.crm.models import Customer, Property, PropertyType
from core.workforce.models import Fieldworker
from tests import factories

from .conftest import gid, run
from .operations import ERRORS, MUTATIONS, snapshot

OPS = {op.name: op for op in MUTATIONS}


def ok(result, name):
    assert "errors" not in result, result
    payload = result["data"][name]
    assert payload["errors"] == [], payload
    return payload


def refused(result, name, code):
    payload = result["data"][name]
    assert payload["errors"] and payload["errors"][0]["code"] == code, payload
    return payload


def test_booking_lifecycle_as_staff(world, published):
    staff = world.staff
    created = ok(run(staff, f"""mutation($v: CreateBookingInput!) {{ createBooking(input: $v) {{
        booking {{ id number status total scheduledStart timeZone lines {{ quantity unitPrice }} }} {ERRORS} }} }}""",
        v={"customerId": gid("Customer", world.cust_a.pk), "propertyId": gid("Property", world.prop_a.pk),
           "scheduledStart": "2031-05-05T09:00:00", "timeZone": "Australia/Sydney",
           "lines": [{"serviceId": gid("Service", world.service.pk), "quantity": "2"}]}), "createBooking")
    booking = created["booking"]
    assert booking["status"] == "PENDING" and booking["total"] == "264.00"
    assert booking["scheduledStart"] == "2031-05-04T23:00:00+00:00"  # 09:00 in Sydney (AEST), in UTC
    assert datetime.fromisoformat(booking["scheduledStart"]) == datetime(2031, 5, 4, 23, 0, tzinfo=UTC)
    pk = Booking.objects.get(number=booking["number"]).pk
    bid = booking["id"]
    ok(run(staff, OPS["updateBooking"].document, v={"id": bid, "notes": "ring twice"}), "updateBooking")
    assert Booking.objects.get(pk=pk).notes == "ring twice"
    ok(run(staff, OPS["assignFieldworker"].document,
           v={"bookingId": bid, "fieldworkerId": gid("Fieldworker", world.fw_a.pk)}), "assignFieldworker")
    ok(run(world.fw_actor_a, OPS["respondToAssignment"].document,
           v={"bookingId": bid, "accept": True}), "respondToAssignment")
    assert BookingAssignment.objects.get(booking_id=pk).status == "accepted"
    ok(run(staff, OPS["confirmBooking"].document, id=bid), "confirmBooking")
    ok(run(world.fw_actor_a, OPS["startBooking"].document, id=bid), "startBooking")
    ok(run(world.fw_actor_a, OPS["completeBooking"].document, id=bid), "completeBooking")
    assert Booking.objects.get(pk=pk).status == "completed"
    actions = list(BookingEvent.objects.filter(booking_id=pk).values_list("action", "channel"))
    assert actions == [("created", "graphql"), ("updated", "graphql"), ("assigned", "graphql"),
                       ("accepted", "graphql"), ("confirmed", "graphql"), ("started", "graphql"),
                       ("completed", "graphql")]
    assert "BookingCreated" in published.names and "BookingStatusChanged" in published.names
    # a completed booking cannot be cancelled: the service's code comes back in the payload
    refused(run(staff, OPS["cancelBooking"].document, v={"id": bid, "reason": "late"}), "cancelBooking",
            "illegal_transition")


def test_staff_responds_on_behalf_and_unassigns(world):
    bid = gid("Booking", world.booking_a.pk)
    spare = factories.fieldworker()
    fw = gid("Fieldworker", spare.pk)
    ok(run(world.staff, OPS["assignFieldworker"].document, v={"bookingId": bid, "fieldworkerId": fw}),
       "assignFieldworker")
    payload = ok(run(world.staff, """mutation($v: RespondToAssignmentInput!) { respondToAssignment(input: $v) {
        assignment { status declineReason fieldworker { name } } errors { code } } }""",
        v={"bookingId": bid, "fieldworkerId": fw, "accept": False, "reason": "sick"}), "respondToAssignment")
    assert payload["assignment"] == {"status": "DECLINED", "declineReason": "sick",
                                     "fieldworker": {"name": spare.name}}
    ok(run(world.staff, OPS["unassignFieldworker"].document, v={"bookingId": bid, "fieldworkerId": fw}),
       "unassignFieldworker")
    assert not BookingAssignment.objects.filter(booking=world.booking_a, fieldworker=spare).exists()


def test_customer_cancels_own_booking_and_staff_waives_fee(world, company):
    company.cancellation_fee_type = "fixed"
    company.cancellation_fee_amount = Decimal("30")
    company.cancellation_notice_hours = 24 * 30
    company.save()
    doc = """mutation($v: CancelBookingInput!) { cancelBooking(input: $v) {
        booking { status cancellationFee cancelReason } errors { code field message } } }"""
    refused(run(world.actor_a, doc, v={"id": gid("Booking", world.booking_a.pk), "reason": "x", "waiveFee": True}),
            "cancelBooking", "forbidden")
    refused(run(world.actor_a, doc, v={"id": gid("Booking", world.booking_a.pk), "reason": "x",
                                       "acceptFee": "0"}), "cancelBooking", "fee_changed")
    result = ok(run(world.actor_a, doc, v={"id": gid("Booking", world.booking_a.pk), "reason": "moving",
                                           "acceptFee": "30.00"}), "cancelBooking")
    assert result["booking"] == {"status": "CANCELLED", "cancellationFee": "30.00", "cancelReason": "moving"}
    staff = ok(run(world.staff, doc, v={"id": gid("Booking", world.booking_b.pk), "reason": "office",
                                        "waiveFee": True}), "cancelBooking")
    assert staff["booking"]["cancellationFee"] == "0.00"
    refused(run(world.staff, doc, v={"id": gid("Booking", world.booking_b.pk), "reason": "again"}),
            "cancelBooking", "already_cancelled")


def test_set_status_and_owner_and_automation(world):
    bid = gid("Booking", world.booking_a.pk)
    ok(run(world.staff, OPS["setBookingStatus"].document.replace("CANCELLED", "CONFIRMED"),
           v={"id": bid, "status": "CONFIRMED"}), "setBookingStatus")
    assert Booking.objects.get(pk=world.booking_a.pk).status == "confirmed"
    refused(run(world.staff, OPS["setBookingStatus"].document, v={"id": bid, "status": "PENDING"}),
            "setBookingStatus", "illegal_transition")
    refused(run(world.staff, OPS["setBookingStatus"].document, v={"id": bid, "status": "CANCELLED"}),
            "setBookingStatus", "reason_required")
    owner = gid("User", world.staff.user.pk)
    ok(run(world.staff, OPS["changeBookingOwner"].document, v={"bookingId": bid, "ownerId": None}),
       "changeBookingOwner")
    assert Booking.objects.get(pk=world.booking_a.pk).owner_id is None
    ok(run(world.staff, OPS["changeBookingOwner"].document, v={"bookingId": bid, "ownerId": owner}),
       "changeBookingOwner")
    assert Booking.objects.get(pk=world.booking_a.pk).owner_id == world.staff.user.pk
    refused(run(world.staff, OPS["changeBookingOwner"].document,
                v={"bookingId": bid, "ownerId": gid("User", world.cust_a.user.pk)}), "changeBookingOwner",
            "not_found")
    ok(run(world.staff, OPS["setBookingAutomation"].document, v={"bookingId": bid, "emailPaused": True}),
       "setBookingAutomation")
    assert Booking.objects.get(pk=world.booking_a.pk).automated_email_paused is True
    refused(run(world.actor_a, OPS["setBookingAutomation"].document, v={"bookingId": bid, "smsPaused": True}),
            "setBookingAutomation", "forbidden")


def test_comments_by_each_role(world):
    bid = gid("Booking", world.booking_a.pk)
    doc = """mutation($v: AddBookingCommentInput!) { addBookingComment(input: $v) {
        comment { body visibleToCustomer authorKind channel } errors { code field } } }"""
    staff = ok(run(world.staff, doc, v={"bookingId": bid, "body": "note"}), "addBookingComment")
    assert staff["comment"] == {"body": "note", "visibleToCustomer": False, "authorKind": "STAFF",
                                "channel": "GRAPHQL"}
    customer = ok(run(world.actor_a, doc, v={"bookingId": bid, "body": "hi"}), "addBookingComment")
    assert customer["comment"]["visibleToCustomer"] is True
    refused(run(world.actor_a, doc, v={"bookingId": bid, "body": "psst", "visibleToCustomer": False}),
            "addBookingComment", "forbidden")
    worker = ok(run(world.fw_actor_a, doc, v={"bookingId": bid, "body": "on my way"}), "addBookingComment")
    assert worker["comment"]["authorKind"] == "FIELDWORKER"
    first = BookingComment.objects.filter(booking=world.booking_a).first()
    reply = ok(run(world.staff, doc, v={"bookingId": bid, "body": "re",
                                        "replyToId": gid("BookingComment", first.pk)}), "addBookingComment")
    assert reply["comment"]["body"] == "re"


def test_staff_only_mutations_refused_for_others(world):
    for actor in (world.actor_a, world.fw_actor_a):
        for name in ("createCustomer", "createService", "createServiceCategory", "createFieldworker",
                     "updateCompanySettings", "createBooking", "createPropertyType"):
            op = OPS[name]
            before = snapshot()
            from .operations import Target

            target = Target(booking="", customer=gid("Customer", world.cust_a.pk),
                            property=gid("Property", world.prop_a.pk), fieldworker="",
                            service=gid("Service", world.service.pk))
            payload = run(actor, op.document, **op.variables(target))["data"][name]
            assert payload["errors"][0]["code"] == "forbidden", (name, payload)
            assert snapshot() == before


def test_catalog_crm_workforce_company_as_staff(world):
    staff = world.staff
    category = ok(run(staff, 'mutation { createServiceCategory(name: "Gardening") { category { id name } '
                             'errors { code } } }'), "createServiceCategory")["category"]
    service = ok(run(staff, """mutation($v: CreateServiceInput!) { createService(input: $v) {
        service { id name price taxRate category { name } } errors { code } } }""",
        v={"name": "Mowing", "price": "80", "categoryId": category["id"]}), "createService")["service"]
    assert service["price"] == "80.00" and service["category"]["name"] == "Gardening"
    ok(run(staff, OPS["updateService"].document, v={"id": service["id"], "price": "95.5"}), "updateService")
    assert Service.objects.get(name="Mowing").price == Decimal("95.50")
    refused(run(staff, 'mutation { createServiceCategory(name: "gardening") { category { id } errors { code } } }'),
            "createServiceCategory", "duplicate")
    assert ServiceCategory.objects.filter(name__iexact="gardening").count() == 1

    customer = ok(run(staff, """mutation($v: CreateCustomerInput!) { createCustomer(input: $v) {
        customer { id name mobile } errors { code } } }""",
        v={"name": "Ada", "email": "ada@example.com", "mobile": "0412 345 678"}), "createCustomer")["customer"]
    assert customer["mobile"] == "+61412345678"
    ok(run(staff, OPS["updateCustomer"].document, v={"id": customer["id"], "notes": "VIP"}), "updateCustomer")
    assert Customer.objects.get(name="Ada").notes == "VIP"
    ptype = ok(run(staff, OPS["createPropertyType"].document), "createPropertyType")["propertyType"]
    prop = ok(run(staff, """mutation($v: CreatePropertyInput!) { createProperty(input: $v) {
        property { id address propertyType { name } } errors { code } } }""",
        v={"customerId": customer["id"], "address": "1 Main St", "propertyTypeId": ptype["id"],
           "latitude": -33.0, "longitude": 151.0}), "createProperty")["property"]
    assert prop["propertyType"]["name"] == "Castle"
    ok(run(staff, OPS["updateProperty"].document, v={"id": prop["id"], "address": "2 Main St"}), "updateProperty")
    assert Property.objects.get(customer__name="Ada").address == "2 Main St"
    assert PropertyType.objects.filter(name="Castle").exists()

    worker = ok(run(staff, """mutation($v: CreateFieldworkerInput!) { createFieldworker(input: $v) {
        fieldworker { id name services { name } } errors { code } } }""",
        v={"name": "Bo", "email": "bo@example.com", "serviceIds": [service["id"]]}), "createFieldworker")
    assert worker["fieldworker"]["services"] == [{"name": "Mowing"}]
    ok(run(staff, """mutation($v: UpdateFieldworkerInput!) { updateFieldworker(input: $v) {
        fieldworker { status } errors { code } } }""", v={"id": worker["fieldworker"]["id"], "status": "BLOCKED"}),
       "updateFieldworker")
    assert Fieldworker.objects.get(name="Bo").status == "blocked"

    settings = ok(run(staff, """mutation($v: UpdateCompanySettingsInput!) { updateCompanySettings(input: $v) {
        settings { customersMayCancel cancellationFeeType cancellationFeeAmount } errors { code } } }""",
        v={"customersMayCancel": False, "cancellationFeeType": "PERCENT", "cancellationFeeAmount": "15"}),
        "updateCompanySettings")["settings"]
    assert settings == {"customersMayCancel": False, "cancellationFeeType": "PERCENT",
                        "cancellationFeeAmount": "15.00"}
    assert Company.objects.get(pk=1).customers_may_cancel is False


def test_customer_and_fieldworker_self_service(world):
    ok(run(world.actor_a, OPS["updateCustomer"].document,
           v={"id": gid("Customer", world.cust_a.pk), "email": "new@example.com"}), "updateCustomer")
    assert Customer.objects.get(pk=world.cust_a.pk).email == "new@example.com"
    refused(run(world.actor_a, """mutation($v: UpdateCustomerInput!) { updateCustomer(input: $v) {
        customer { id } errors { code } } }""", v={"id": gid("Customer", world.cust_a.pk), "notes": "x"}),
            "updateCustomer", "forbidden")
    ok(run(world.actor_a, OPS["createProperty"].document,
           v={"customerId": gid("Customer", world.cust_a.pk), "address": "9 Own St"}),
       "createProperty")
    ok(run(world.fw_actor_a, OPS["updateFieldworker"].document,
           v={"id": gid("Fieldworker", world.fw_a.pk), "mobile": "+61400111222"}), "updateFieldworker")
    assert Fieldworker.objects.get(pk=world.fw_a.pk).mobile == "+61400111222"
    refused(run(world.fw_actor_a, """mutation($v: UpdateFieldworkerInput!) { updateFieldworker(input: $v) {
        fieldworker { id } errors { code } } }""", v={"id": gid("Fieldworker", world.fw_a.pk), "name": "Boss"}),
            "updateFieldworker", "forbidden")


def test_login_and_tokens(world):
    doc = """mutation($e: String!, $p: String!) { login(email: $e, password: $p) {
        result { token apiToken { id prefix } user { email } } errors { code field } } }"""
    result = ok(run(world.actor("anonymous"), doc, e=world.cust_a.user.email, p="pw-cust-123"), "login")
    token = result["result"]["token"]
    assert token.startswith(result["result"]["apiToken"]["prefix"])
    stored = ApiToken.objects.get(user=world.cust_a.user)
    assert token not in (stored.digest, stored.prefix)  # only a digest is kept
    before = ApiToken.objects.count()
    bad = refused(run(world.actor("anonymous"), doc, e=world.cust_a.user.email, p="nope"), "login",
                  "invalid_credentials")
    unknown = refused(run(world.actor("anonymous"), doc, e="nobody@example.com", p="nope"), "login",
                      "invalid_credentials")
    assert bad == unknown and ApiToken.objects.count() == before
    created = ok(run(world.actor_a, """mutation { createApiToken(input: {name: "ci", ttlDays: 7}) {
        result { token apiToken { id name } } errors { code } } }"""), "createApiToken")
    token_id = created["result"]["apiToken"]["id"]
    ok(run(world.actor_a, OPS["revokeApiToken"].document, id=token_id), "revokeApiToken")
    assert ApiToken.objects.get(name="ci").revoked_at is not None
    refused(run(world.actor("anonymous"), "mutation { createApiToken(input: {}) { result { token } "
                                          "errors { code } } }"), "createApiToken", "forbidden")
    refused(run(world.actor_a, "mutation { createApiToken(input: {ttlDays: 9999}) { result { token } "
                               "errors { code field } } }"), "createApiToken", "invalid")


def test_channel_is_graphql_in_history(world):
    ok(run(world.staff, OPS["confirmBooking"].document, id=gid("Booking", world.booking_a.pk)), "confirmBooking")
    row = BookingEvent.objects.filter(booking=world.booking_a).last()
    assert (row.action, row.channel, row.actor_user_id) == ("confirmed", Channel.GRAPHQL, world.staff.user.pk)
