"""Dependents (people under a customer) and the property type / booking location type lists, over
GraphQL as each role meets them. Staff and the customer themself see and manage a customer's
dependents; a fieldworker, another customer and a visitor see none and change nothing (decision
0170). Only staff change the managed lists (decision 0171). A refusal is a typed error and leaves
the whole database as it was (decision 0124)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from core import events
from core.actors import Actor, Channel
from core.bookings import services as booking_services
from core.bookings.models import Booking, BookingEvent, LocationType
from core.crm import services
from core.crm.events import CustomerEvent, DependentAdded, DependentArchived, DependentUpdated
from core.crm.models import CustomerLog, Dependent, Property, PropertyType
from tests import factories
from tests.core.support import db_state

from .conftest import gid, run
from .operations import ERRORS
from .over_http import gql, sign_in

DEPENDENT = "id name relationship mobile email notes archivedAt"
ADD = f"mutation($v: AddDependentInput!) {{ addDependent(input: $v) {{ dependent {{ {DEPENDENT} }} {ERRORS} }} }}"
UPDATE = (f"mutation($v: UpdateDependentInput!) {{ updateDependent(input: $v) {{ dependent {{ {DEPENDENT} }} "
          f"{ERRORS} }} }}")
ARCHIVE = f"mutation($id: ID!) {{ archiveDependent(id: $id) {{ dependent {{ {DEPENDENT} }} {ERRORS} }} }}"
CUSTOMERS = f"{{ customers(first: 50) {{ edges {{ node {{ id name dependents {{ {DEPENDENT} }} }} }} }} }}"
NODE = "query($id: ID!) { node(id: $id) { ... on Dependent { id name } } }"
LIST_ENTRY = "id name active position"


def dependents_of(user, customer_id: int) -> list[dict[str, Any]] | None:
    """The dependents ``user`` sees on a customer; None when the customer itself is not visible."""
    edges = gql(user, CUSTOMERS)["customers"]["edges"]
    found = [edge["node"] for edge in edges if edge["node"]["id"] == gid("Customer", customer_id)]
    return found[0]["dependents"] if found else None


def refused(user, query: str, code: str, field: str | None = None, **variables: Any) -> dict:
    """The payload of ``query`` names ``code`` (and ``field``) and nothing at all was written."""
    sign_in(user)
    before = db_state()
    data = gql(user, query, **variables)
    [payload] = data.values()
    assert [error["code"] for error in payload["errors"]] == [code], payload
    if field is not None:
        assert payload["errors"][0]["field"] == field, payload
    assert db_state() == before
    return payload


@pytest.fixture
def users(world):
    staff_user = world.staff.user
    sign_in(staff_user, world.cust_a.user, world.cust_b.user, world.fw_a.user)
    return staff_user, world.cust_a.user, world.cust_b.user, world.fw_a.user


@pytest.fixture
def customer_events(published):
    seen: list[CustomerEvent] = []
    events.subscribe(CustomerEvent, seen.append)
    yield lambda: (published.all(), seen)[1]
    events.unsubscribe(CustomerEvent, seen.append)


def test_staff_and_the_customer_manage_dependents_with_history_and_events(world, users, customer_events):
    staff_user, cust_a_user, *_ = users
    added = gql(staff_user, ADD, v={"customerId": gid("Customer", world.cust_a.pk), "name": " May Chen ",
                                     "relationship": "Mother", "mobile": "0412 345 101", "email": "May@Example.com",
                                     "notes": "Home on weekday mornings."})["addDependent"]
    assert added["errors"] == []
    may = added["dependent"]
    assert (may["name"], may["mobile"], may["email"], may["archivedAt"]) == (
        "May Chen", "+61412345101", "may@example.com", None)

    own = gql(cust_a_user, ADD, v={"customerId": gid("Customer", world.cust_a.pk), "name": "Leo",
                                    "relationship": "Son"})["addDependent"]
    assert own["errors"] == []
    leo_id = own["dependent"]["id"]

    # the list, by name, for staff and the customer themself
    assert [d["name"] for d in dependents_of(staff_user, world.cust_a.pk)] == ["Leo", "May Chen"]
    assert [d["name"] for d in dependents_of(cust_a_user, world.cust_a.pk)] == ["Leo", "May Chen"]

    changed = gql(cust_a_user, UPDATE, v={"id": leo_id, "mobile": "+61 412 345 102", "notes": None})["updateDependent"]
    assert changed["errors"] == [] and changed["dependent"]["mobile"] == "+61412345102"
    archived = gql(cust_a_user, ARCHIVE, id=leo_id)["archiveDependent"]
    assert archived["errors"] == [] and archived["dependent"]["archivedAt"] is not None
    again = gql(staff_user, ARCHIVE, id=leo_id)["archiveDependent"]  # archiving twice changes nothing
    assert again["dependent"]["archivedAt"] == archived["dependent"]["archivedAt"]
    assert [d["name"] for d in dependents_of(cust_a_user, world.cust_a.pk)] == ["May Chen"]
    assert Dependent.objects.get(name="Leo").archived_at is not None  # kept, not deleted

    rows = list(CustomerLog.objects.filter(customer=world.cust_a, action__startswith="dependent")
                .order_by("id").values_list("action", "actor_kind", "channel"))
    assert rows == [("dependent_added", "staff", "graphql"), ("dependent_added", "customer", "graphql"),
                    ("dependent_updated", "customer", "graphql"), ("dependent_archived", "customer", "graphql")]
    seen = [event for event in customer_events() if type(event).__name__.startswith("Dependent")]
    assert [type(event) for event in seen] == [DependentAdded, DependentAdded, DependentUpdated, DependentArchived]
    assert seen[2].changed == ("mobile",)
    assert seen[0].dependent_id == Dependent.objects.get(name="May Chen").pk


def test_others_see_no_dependents_and_change_nothing(world, users):
    staff_user, cust_a_user, cust_b_user, fw_user = users
    may = services.dependent_add(actor=world.staff, channel=Channel.ADMIN, customer_id=world.cust_a.pk,
                                 name="May Chen", mobile="+61412345101")
    may_id = gid("Dependent", may.pk)

    # fieldworker A works for customer A and sees the customer, but none of their dependents
    assert dependents_of(fw_user, world.cust_a.pk) == []
    assert dependents_of(cust_b_user, world.cust_a.pk) is None  # another customer does not see A at all
    for user in (fw_user, cust_b_user):
        assert gql(user, NODE, id=may_id)["node"] is None
    assert gql(cust_a_user, NODE, id=may_id)["node"] == {"id": may_id, "name": "May Chen"}

    # denied is exactly missing: the same code as an id that does not exist
    for user in (fw_user, cust_b_user):
        refused(user, ADD, "not_found", "customerId", v={"customerId": gid("Customer", world.cust_a.pk),
                                                          "name": "Intruder"})
        refused(user, UPDATE, "not_found", v={"id": may_id, "name": "Changed"})
        refused(user, ARCHIVE, "not_found", id=may_id)
    refused(staff_user, UPDATE, "not_found", v={"id": gid("Dependent", 987654), "name": "Nobody"})
    body = Client().post("/graphql/", json.dumps({"query": ADD, "variables": {"v": {
        "customerId": gid("Customer", world.cust_a.pk), "name": "Anon"}}}), content_type="application/json").json()
    assert body["data"]["addDependent"]["errors"][0]["code"] == "not_found"
    assert Dependent.objects.count() == 1


@pytest.mark.parametrize(("values", "code", "field"), [
    ({"name": "  "}, "required", "name"),
    ({"name": "x" * 151}, "too_long", "name"),
    ({"name": "Ok", "mobile": "call me"}, "invalid_phone", "mobile"),
    ({"name": "Ok", "email": "not-an-address"}, "invalid_email", "email"),
    ({"name": "Ok", "relationship": "r" * 61}, "too_long", "relationship"),
])
def test_bad_dependent_input_is_a_typed_error_and_writes_nothing(world, users, values, code, field):
    staff_user, cust_a_user, *_ = users
    added = refused(cust_a_user, ADD, code, field, v={"customerId": gid("Customer", world.cust_a.pk), **values})
    may = services.dependent_add(actor=world.staff, channel=Channel.ADMIN, customer_id=world.cust_a.pk, name="May")
    updated = refused(staff_user, UPDATE, code, field, v={"id": gid("Dependent", may.pk), **values})
    assert added["dependent"] is None and updated["dependent"] is None
    assert Dependent.objects.get(pk=may.pk).name == "May"


def test_an_archived_dependent_is_not_edited(world, users):
    staff_user, *_ = users
    may = services.dependent_add(actor=world.staff, channel=Channel.ADMIN, customer_id=world.cust_a.pk, name="May")
    services.dependent_archive(actor=world.staff, channel=Channel.ADMIN, dependent_id=may.pk)
    payload = refused(staff_user, UPDATE, "archived", v={"id": gid("Dependent", may.pk), "name": "May Chen"})
    assert payload["dependent"] is None and Dependent.objects.get(pk=may.pk).name == "May"


def test_the_customers_page_reads_dependents_in_one_query(db, company, django_assert_num_queries):
    """The dependents of a whole page cost one query, however many customers the page has."""
    staff = factories.staff_actor()
    query = f"{{ customers(first: 50) {{ edges {{ node {{ id dependents {{ {DEPENDENT} }} }} }} }} }}"

    def page(customers: int) -> None:
        for _ in range(customers):
            customer = factories.customer()
            for name in ("A", "B"):
                Dependent.objects.create(customer=customer, name=name)  # test data, not behaviour

    page(3)
    with django_assert_num_queries(2):  # the page, the dependents
        result = run(staff, query)
    assert len(result["data"]["customers"]["edges"]) == 3
    page(7)
    with django_assert_num_queries(2):
        result = run(staff, query)
    edges = result["data"]["customers"]["edges"]
    assert len(edges) == 10 and all(len(edge["node"]["dependents"]) == 2 for edge in edges)


# --- the managed lists ----------------------------------------------------------------------------

CREATE_PT = (f"mutation($name: String!, $position: Int!) {{ createPropertyType(name: $name, position: $position) "
             f"{{ propertyType {{ {LIST_ENTRY} }} {ERRORS} }} }}")
UPDATE_PT = (f"mutation($v: UpdateListEntryInput!) {{ updatePropertyType(input: $v) {{ propertyType {{ {LIST_ENTRY} }} "
             f"{ERRORS} }} }}")
DELETE_PT = f"mutation($id: ID!) {{ deletePropertyType(id: $id) {{ deletedId {ERRORS} }} }}"
CREATE_LT = (f"mutation($name: String!, $position: Int!) {{ createLocationType(name: $name, position: $position) "
             f"{{ locationType {{ {LIST_ENTRY} }} {ERRORS} }} }}")
UPDATE_LT = (f"mutation($v: UpdateListEntryInput!) {{ updateLocationType(input: $v) {{ locationType {{ {LIST_ENTRY} }} "
             f"{ERRORS} }} }}")
DELETE_LT = f"mutation($id: ID!) {{ deleteLocationType(id: $id) {{ deletedId {ERRORS} }} }}"
LISTS = f"query($active: Boolean!) {{ propertyTypes(activeOnly: $active) {{ {LIST_ENTRY} }} " \
        f"locationTypes(activeOnly: $active) {{ {LIST_ENTRY} }} }}"


def test_staff_keep_the_lists_and_everyone_signed_in_reads_them(world, users):
    staff_user, cust_a_user, _, fw_user = users
    house = gql(staff_user, CREATE_PT, name="House", position=2)["createPropertyType"]["propertyType"]
    flat = gql(staff_user, CREATE_PT, name="Flat", position=1)["createPropertyType"]["propertyType"]
    site = gql(staff_user, CREATE_LT, name="On site", position=1)["createLocationType"]["locationType"]
    shop = gql(staff_user, CREATE_LT, name="Workshop", position=0)["createLocationType"]["locationType"]
    renamed = gql(staff_user, UPDATE_PT, v={"id": house["id"], "name": "Detached house", "active": False}
                  )["updatePropertyType"]
    assert renamed["errors"] == [] and renamed["propertyType"]["active"] is False
    assert gql(staff_user, UPDATE_LT, v={"id": shop["id"], "position": 5})["updateLocationType"]["errors"] == []

    for user in (staff_user, cust_a_user, fw_user):
        every = gql(user, LISTS, active=False)
        assert [row["name"] for row in every["propertyTypes"]] == ["Flat", "Detached house"]
        assert [row["name"] for row in every["locationTypes"]] == ["On site", "Workshop"]
        assert [row["name"] for row in gql(user, LISTS, active=True)["propertyTypes"]] == ["Flat"]
    anonymous = Client().post("/graphql/", json.dumps({"query": LISTS, "variables": {"active": False}}),
                              content_type="application/json").json()
    assert anonymous["data"] == {"propertyTypes": [], "locationTypes": []}

    # an unused entry may go; one in use is deactivated instead
    assert gql(staff_user, DELETE_LT, id=shop["id"])["deleteLocationType"] == {"deletedId": shop["id"], "errors": []}
    booking_services.booking_update(actor=world.staff, channel=Channel.ADMIN, booking_id=world.booking_a.pk,
                                    location_type_id=int(LocationType.objects.get(name="On site").pk))
    refused(staff_user, DELETE_LT, "in_use", id=site["id"])
    services.property_update(actor=world.staff, channel=Channel.ADMIN, property_id=world.prop_a.pk,
                             property_type_id=PropertyType.objects.get(name="Flat").pk)
    refused(staff_user, DELETE_PT, "in_use", id=flat["id"])
    assert gql(staff_user, DELETE_PT, id=house["id"])["deletePropertyType"]["errors"] == []


def test_only_staff_change_the_lists_and_bad_entries_are_refused(world, users):
    staff_user, cust_a_user, _, fw_user = users
    flat = services.property_type_create(actor=world.staff, channel=Channel.ADMIN, name="Flat")
    site = booking_services.location_type_create(actor=world.staff, channel=Channel.ADMIN, name="On site")
    for user in (cust_a_user, fw_user):
        refused(user, CREATE_PT, "forbidden", name="Castle", position=0)
        refused(user, UPDATE_PT, "forbidden", v={"id": gid("PropertyType", flat.pk), "name": "Castle"})
        refused(user, DELETE_PT, "forbidden", id=gid("PropertyType", flat.pk))
        refused(user, CREATE_LT, "forbidden", name="Remote", position=0)
        refused(user, UPDATE_LT, "forbidden", v={"id": gid("LocationType", site.pk), "active": False})
        refused(user, DELETE_LT, "forbidden", id=gid("LocationType", site.pk))
    refused(staff_user, CREATE_LT, "duplicate", "name", name="on SITE", position=0)
    refused(staff_user, CREATE_LT, "invalid", "name", name=" ", position=0)
    refused(staff_user, CREATE_LT, "out_of_range", "position", name="Remote", position=-1)
    refused(staff_user, UPDATE_PT, "invalid", "name", v={"id": gid("PropertyType", flat.pk), "name": None})
    refused(staff_user, UPDATE_PT, "out_of_range", "position", v={"id": gid("PropertyType", flat.pk), "position": 40000})
    refused(staff_user, UPDATE_LT, "not_found", v={"id": gid("LocationType", 987654), "name": "X"})
    assert list(PropertyType.objects.values_list("name", "position")) == [("Flat", flat.position)]
    assert list(LocationType.objects.values_list("name", "active")) == [("On site", True)]


PROPERTY = "id accessNotes propertyType { name }"
CREATE_PROPERTY = (f"mutation($v: CreatePropertyInput!) {{ createProperty(input: $v) {{ property {{ {PROPERTY} }} "
                   f"{ERRORS} }} }}")
UPDATE_PROPERTY = (f"mutation($v: UpdatePropertyInput!) {{ updateProperty(input: $v) {{ property {{ {PROPERTY} }} "
                   f"{ERRORS} }} }}")
UPDATE_BOOKING = ("mutation($v: UpdateBookingInput!) { updateBooking(input: $v) { booking { id locationType { name } } "
                  f"{ERRORS} }} }}")
BOOKING = "query($id: ID!) { node(id: $id) { ... on Booking { locationType { name } property { accessNotes } } } }"


def test_access_notes_and_types_on_properties_and_bookings(world, users):
    staff_user, cust_a_user, _, fw_user = users
    flat = services.property_type_create(actor=world.staff, channel=Channel.ADMIN, name="Flat")
    old = services.property_type_create(actor=world.staff, channel=Channel.ADMIN, name="Old", active=False)
    site = booking_services.location_type_create(actor=world.staff, channel=Channel.ADMIN, name="On site")
    gone = booking_services.location_type_create(actor=world.staff, channel=Channel.ADMIN, name="Gone",
                                                 active=False)
    made = gql(cust_a_user, CREATE_PROPERTY, v={
        "customerId": gid("Customer", world.cust_a.pk), "address": "9 Hill St", "accessNotes": " Key under the mat ",
        "propertyTypeId": gid("PropertyType", flat.pk)})["createProperty"]
    assert made["errors"] == [] and made["property"]["accessNotes"] == "Key under the mat"
    assert made["property"]["propertyType"] == {"name": "Flat"}
    refused(cust_a_user, CREATE_PROPERTY, "not_found", "propertyType", v={
        "customerId": gid("Customer", world.cust_a.pk), "address": "1 Old Rd",
        "propertyTypeId": gid("PropertyType", old.pk)})  # an inactive entry is not chosen anew
    refused(cust_a_user, UPDATE_PROPERTY, "too_long", "accessNotes",
            v={"id": gid("Property", world.prop_a.pk), "accessNotes": "x" * 2001})
    done = gql(staff_user, UPDATE_PROPERTY, v={"id": gid("Property", world.prop_a.pk),
                                               "accessNotes": "Gate code 4321"})["updateProperty"]
    assert done["errors"] == []
    assert CustomerLog.objects.filter(customer=world.cust_a, action="property_updated").last().changes == {
        "access_notes": ["", "Gate code 4321"]}

    booking_id = gid("Booking", world.booking_a.pk)
    assert gql(staff_user, UPDATE_BOOKING, v={"id": booking_id, "locationTypeId": gid("LocationType", site.pk)}
               )["updateBooking"]["booking"]["locationType"] == {"name": "On site"}
    refused(staff_user, UPDATE_BOOKING, "not_found", "locationTypeId",
            v={"id": booking_id, "locationTypeId": gid("LocationType", gone.pk)})
    refused(cust_a_user, UPDATE_BOOKING, "forbidden",
            v={"id": booking_id, "locationTypeId": None})
    # the fieldworker of the job reads how to get in and where the work is done
    assert gql(fw_user, BOOKING, id=booking_id)["node"] == {"locationType": {"name": "On site"},
                                                            "property": {"accessNotes": "Gate code 4321"}}
    # a type that was deactivated stays where it is set
    PropertyType.objects.filter(pk=flat.pk).update(active=False)  # test set-up: the staff list changed
    kept = gql(cust_a_user, UPDATE_PROPERTY, v={"id": made["property"]["id"], "label": "Home",
                                                "propertyTypeId": gid("PropertyType", flat.pk)})["updateProperty"]
    assert kept["errors"] == [] and Property.objects.get(label="Home").property_type_id == flat.pk
    assert Booking.objects.get(pk=world.booking_a.pk).location_type_id == site.pk


def test_dependents_under_the_bookings_page_cost_one_query_too(db, company, django_assert_num_queries):
    """Reached through ``bookings { customer }`` (a join), the dependents are still one query."""
    staff = factories.staff_actor()
    query = "{ bookings(first: 50) { edges { node { id customer { name dependents { name } } } } } }"
    for count in (2, 6):
        for _ in range(count - Booking.objects.count()):
            booking = factories.booking()
            Dependent.objects.create(customer=booking.customer, name="Kim")  # test data, not behaviour
        with django_assert_num_queries(2):  # the page (customers joined), the dependents
            result = run(staff, query)
        edges = result["data"]["bookings"]["edges"]
        assert len(edges) == count and all(edge["node"]["customer"]["dependents"] == [{"name": "Kim"}]
                                           for edge in edges)


def test_a_customer_reading_their_bookings_gets_their_dependents_in_one_query(db, company,
                                                                               django_assert_num_queries):
    customer = factories.customer(with_login=True)
    actor = Actor.from_user(customer.user)
    Dependent.objects.create(customer=customer, name="Kim")  # test data, not behaviour
    query = "{ bookings(first: 50) { edges { node { id customer { name dependents { name } } } } } }"
    for count in (2, 6):
        for _ in range(count - Booking.objects.count()):
            factories.booking(cust=customer)
        with django_assert_num_queries(3):  # the page, its customers, their dependents
            result = run(actor, query)
        edges = result["data"]["bookings"]["edges"]
        assert len(edges) == count and all(edge["node"]["customer"]["dependents"] == [{"name": "Kim"}]
                                           for edge in edges)


FOR_WHOM = "query($id: ID!) { node(id: $id) { ... on Booking { dependent { name relationship } } } }"
CREATE_BOOKING = f"""mutation($v: CreateBookingInput!) {{ createBooking(input: $v) {{
  booking {{ id dependent {{ name }} }} {ERRORS} }} }}"""
SET_DEPENDENT = f"""mutation($v: UpdateBookingInput!) {{ updateBooking(input: $v) {{
  booking {{ dependent {{ name }} }} {ERRORS} }} }}"""


def test_a_booking_names_the_dependent_it_is_for(world, users):
    staff_user, cust_a_user, cust_b_user, fw_user = users
    mum = services.dependent_add(actor=world.staff, channel=Channel.ADMIN, customer_id=world.cust_a.pk, name="Mum",
                                 relationship="mother")
    kid = services.dependent_add(actor=world.staff, channel=Channel.ADMIN, customer_id=world.cust_a.pk, name="Sam")
    theirs = services.dependent_add(actor=world.staff, channel=Channel.ADMIN, customer_id=world.cust_b.pk,
                                    name="Not yours")
    made = gql(staff_user, CREATE_BOOKING, v={
        "customerId": gid("Customer", world.cust_a.pk), "propertyId": gid("Property", world.prop_a.pk),
        "scheduledStart": "2031-03-03T09:00:00+00:00", "dependentId": gid("Dependent", mum.pk),
        "lines": [{"serviceId": gid("Service", world.service.pk), "quantity": "1"}]})["createBooking"]
    assert made["errors"] == [] and made["booking"]["dependent"] == {"name": "Mum"}
    assert Booking.objects.get(pk=Booking.objects.latest("pk").pk).dependent_id == mum.pk

    booking_id = gid("Booking", world.booking_a.pk)
    moved = gql(staff_user, SET_DEPENDENT, v={"id": booking_id, "dependentId": gid("Dependent", kid.pk)})
    assert moved["updateBooking"] == {"booking": {"dependent": {"name": "Sam"}}, "errors": []}
    updated = BookingEvent.objects.filter(booking=world.booking_a, action="updated").latest("pk")
    assert updated.changes["dependent_id"] == [None, kid.pk]
    # who sees the booking's customer sees whom it is for: staff, the customer, the fieldworker of the job
    for user in (staff_user, cust_a_user, fw_user):
        assert gql(user, FOR_WHOM, id=booking_id)["node"] == {"dependent": {"name": "Sam", "relationship": ""}}
    assert gql(cust_b_user, FOR_WHOM, id=booking_id)["node"] is None  # not their booking at all

    # another customer's dependent, an archived one, a made-up id: not found, nothing written
    services.dependent_archive(actor=world.staff, channel=Channel.ADMIN, dependent_id=mum.pk)
    for dependent in (theirs.pk, mum.pk, 10**9):
        refused(staff_user, SET_DEPENDENT, "not_found", "dependentId",
                v={"id": booking_id, "dependentId": gid("Dependent", dependent)})
    refused(cust_a_user, SET_DEPENDENT, "forbidden", v={"id": booking_id, "dependentId": None})
    # nobody in particular again
    cleared = gql(staff_user, SET_DEPENDENT, v={"id": booking_id, "dependentId": None})["updateBooking"]
    assert cleared == {"booking": {"dependent": None}, "errors": []}


def test_the_portal_booking_page_says_whom_the_visit_is_for(world):
    from tests.web.portal.support import portal_client

    mum = services.dependent_add(actor=world.staff, channel=Channel.ADMIN, customer_id=world.cust_a.pk, name="Mum",
                                 relationship="mother")
    booking_services.booking_update(actor=world.staff, channel=Channel.ADMIN, booking_id=world.booking_a.pk,
                                    dependent_id=mum.pk)
    page = portal_client(world.cust_a).get(f"/portal/bookings/{world.booking_a.pk}/").content.decode()
    assert "<td>For</td><td>Mum (mother)</td>" in page


def test_whom_each_booking_is_for_costs_no_query_per_row(db, company, django_assert_num_queries):
    staff = factories.staff_actor()
    query = "{ bookings(first: 50) { edges { node { id dependent { name } } } } }"
    for count in (2, 6):
        for _ in range(count - Booking.objects.count()):
            customer = factories.customer()
            kim = Dependent.objects.create(customer=customer, name="Kim")  # test data, not behaviour
            factories.booking(cust=customer, dependent_id=kim.pk)
        with django_assert_num_queries(1):  # the page, its dependents joined
            result = run(staff, query)
        edges = result["data"]["bookings"]["edges"]
        assert len(edges) == count and all(edge["node"]["dependent"] == {"name": "Kim"} for edge in edges)
