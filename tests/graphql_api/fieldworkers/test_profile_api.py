"""Fieldworker profiles over HTTP, per role: staff build a profile end to end; a fieldworker edits
their own (held for approval) and sets their photo by multipart request; bank details are masked
except for staff with the permission, whose reads are logged; the activity log and message logs are
connections nobody else reads; refusals are typed errors that change nothing."""

from __future__ import annotations

import json

import pytest
from cryptography.fernet import Fernet
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from core.workforce.models import BankDetailsRead, ChangeRequest, Fieldworker
from tests import factories
from tests.core.company.images import png
from tests.core.support import _touch_singletons, db_state

from ..conftest import gid
from ..over_http import URL, gql, sign_in

pytestmark = pytest.mark.django_db

PROFILE = """mutation($input: UpdateFieldworkerProfileInput!) { updateFieldworkerProfile(input: $input) {
    applied fieldworker { id name bio industryLabels { name } } changeRequest { id kind status }
    errors { code field } } }"""
READ = """query($f: ID!) { fieldworkers(first: 5) { edges { node { id name bio address emergencyContact photoUrl
    lead { id } subworkers { id } industryLabels { name } } } }
    fieldworkerBankDetails(fieldworkerId: $f) { masked accountNumber accountName }
    fieldworkerLog(fieldworkerId: $f, first: 50) { totalCount edges { node { action channel } } }
    fieldworkerMessages(fieldworkerId: $f, first: 10) { totalCount edges { node { medium status body } } } }"""


def raw(user, query: str, **variables):
    sign_in(user)
    response = Client().post(URL, json.dumps({"query": query, "variables": variables}),
                             content_type="application/json", HTTP_AUTHORIZATION=user._test_bearer)
    assert response.status_code == 200
    return response.json()


def unchanged(call):
    _touch_singletons()
    before = db_state()
    result = call()
    assert db_state() == before
    return result


@pytest.fixture
def keys(settings):
    settings.FIELDOPS_BANK_KEYS = Fernet.generate_key().decode()


def test_staff_build_a_profile_end_to_end(world, django_capture_on_commit_callbacks):
    staff = world.staff.user
    label = gql(staff, 'mutation { createIndustryLabel(name: "Plumbing") { industryLabel { id name } errors { code } } }')
    label_id = label["createIndustryLabel"]["industryLabel"]["id"]
    fw = gid("Fieldworker", world.fw_a.pk)
    done = gql(staff, PROFILE, input={"id": fw, "bio": "Licensed", "industryLabelIds": [label_id]})
    assert done["updateFieldworkerProfile"]["applied"] is True
    assert done["updateFieldworkerProfile"]["fieldworker"]["industryLabels"] == [{"name": "Plumbing"}]
    team = gql(staff, """mutation($f: ID!, $l: ID) { setFieldworkerLead(fieldworkerId: $f, leadId: $l) {
        fieldworker { lead { id } } errors { code } } }""", f=gid("Fieldworker", world.fw_b.pk), l=fw)
    assert team["setFieldworkerLead"]["fieldworker"]["lead"] == {"id": fw}
    saved = gql(staff, """mutation($l: ID!) { saveFieldworkerList(input: {name: "Plumbers",
        filters: {industryLabelIds: [$l]}}) { fieldworkerList { id name members(first: 10) { totalCount
        edges { node { id } } } } errors { code } } }""", l=label_id)["saveFieldworkerList"]["fieldworkerList"]
    assert saved["members"]["edges"] == [{"node": {"id": fw}}]
    with django_capture_on_commit_callbacks(execute=True):
        sent = gql(staff, """mutation($s: ID!) { sendFieldworkerMessage(input: {medium: EMAIL, body: "Hi all",
            savedListId: $s}) { messages { id status } errors { code } } }""", s=saved["id"])
    assert len(sent["sendFieldworkerMessage"]["messages"]) == 1
    read = gql(staff, READ, f=fw)
    node = next(e["node"] for e in read["fieldworkers"]["edges"] if e["node"]["id"] == fw)
    assert node["bio"] == "Licensed" and node["subworkers"] == [{"id": gid("Fieldworker", world.fw_b.pk)}]
    actions = [e["node"]["action"] for e in read["fieldworkerLog"]["edges"]]
    assert actions[:3] == ["message_status", "message_sent", "profile_updated"]  # newest first: sent, then delivered
    assert read["fieldworkerMessages"]["edges"] == [{"node": {"medium": "EMAIL", "status": "sent", "body": "Hi all"}}]


def test_a_fieldworkers_own_edit_waits_for_staff(world):
    me = world.fw_a.user
    held = gql(me, PROFILE, input={"id": gid("Fieldworker", world.fw_a.pk), "bio": "Weekends too"})
    payload = held["updateFieldworkerProfile"]
    assert payload["applied"] is False and payload["changeRequest"]["kind"] == "profile"
    assert Fieldworker.objects.get(pk=world.fw_a.pk).bio == ""
    approved = gql(world.staff.user, """mutation($id: ID!) { approveChangeRequest(input: {id: $id}) {
        changeRequest { status } errors { code } } }""", id=payload["changeRequest"]["id"])
    assert approved["approveChangeRequest"]["changeRequest"]["status"] == "approved"
    assert Fieldworker.objects.get(pk=world.fw_a.pk).bio == "Weekends too"


@pytest.mark.parametrize(("changes", "code"), [
    ({"bio": "x" * 2001}, "too_long"),
    ({"industryLabelIds": ["SW5kdXN0cnlMYWJlbDo5OTk5"]}, "not_found"),
    ({"email": "mine@example.com"}, "forbidden"),
])
def test_bad_own_edits_are_typed_errors_that_change_nothing(world, changes, code):
    me = world.fw_a.user
    sign_in(me)
    body = unchanged(lambda: raw(me, PROFILE, input={"id": gid("Fieldworker", world.fw_a.pk), **changes}))
    assert [e["code"] for e in body["data"]["updateFieldworkerProfile"]["errors"]] == [code]


def test_someone_elses_profile_answers_as_a_missing_one(world):
    me = world.fw_a.user
    sign_in(me)
    other = unchanged(lambda: raw(me, PROFILE, input={"id": gid("Fieldworker", world.fw_b.pk), "bio": "x"}))
    missing = unchanged(lambda: raw(me, PROFILE, input={"id": gid("Fieldworker", 987654), "bio": "x"}))
    assert other == missing and other["data"]["updateFieldworkerProfile"]["errors"][0]["code"] == "not_found"


def test_a_fieldworker_sets_their_photo_by_multipart_request(world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    me = world.fw_a.user
    sign_in(me)
    query = """mutation($f: ID!, $p: Upload) { setFieldworkerPhoto(fieldworkerId: $f, photo: $p) {
        fieldworker { photoUrl } errors { code field } } }"""

    def send(content: bytes):
        data = {"operations": json.dumps({"query": query, "variables": {"f": gid("Fieldworker", world.fw_a.pk),
                                                                        "p": None}}),
                "map": json.dumps({"0": ["variables.p"]}), "0": SimpleUploadedFile("me.png", content,
                                                                                  content_type="image/png")}
        return Client().post(URL, data, HTTP_AUTHORIZATION=me._test_bearer).json()["data"]["setFieldworkerPhoto"]

    ok = send(png())
    assert ok["errors"] == [] and "/fieldworker/photo/" in ok["fieldworker"]["photoUrl"]
    # the link serves the photo for a few minutes; a forged one serves nothing (files are never public)
    path = ok["fieldworker"]["photoUrl"].split("://", 1)[1].split("/", 1)[1]
    served = Client().get("/" + path)
    assert served.status_code == 200 and b"".join(served.streaming_content).startswith(b"\x89PNG")
    assert Client().get("/" + path.replace("/photo/", "/photo/x")).status_code == 404
    refused = unchanged(lambda: send(b"GIF89a not really"))
    assert refused["errors"] == [{"code": "not_an_image", "field": "photo"}]


BANK_SET = """mutation($f: ID!) { setBankDetails(input: {fieldworkerId: $f, accountName: "Fay Fixit",
    bankName: "First", branchCode: "062000", accountNumber: "12345678"}) {
    bankDetails { masked accountNumber } errors { code field } } }"""
BANK_READ = "query($f: ID!) { fieldworkerBankDetails(fieldworkerId: $f) { masked accountNumber accountName } }"


def test_bank_details_per_role(world, keys):
    fw = gid("Fieldworker", world.fw_a.pk)
    own = gql(world.fw_a.user, BANK_SET, f=fw)["setBankDetails"]["bankDetails"]
    assert own == {"masked": True, "accountNumber": "****5678"}
    assert gql(world.fw_a.user, BANK_READ, f=fw)["fieldworkerBankDetails"]["masked"] is True
    assert gql(world.fw_b.user, BANK_READ, f=fw)["fieldworkerBankDetails"] is None
    assert gql(world.cust_a.user, BANK_READ, f=fw)["fieldworkerBankDetails"] is None
    assert gql(world.staff.user, BANK_READ, f=fw)["fieldworkerBankDetails"] == {
        "masked": True, "accountNumber": "****5678", "accountName": ""}
    assert not BankDetailsRead.objects.exists()
    payroll = factories.staff_user()
    payroll.user_permissions.add(Permission.objects.get(codename="read_bank_details"))
    clear = gql(payroll, BANK_READ, f=fw)["fieldworkerBankDetails"]
    assert clear == {"masked": False, "accountNumber": "12345678", "accountName": "Fay Fixit"}
    assert list(BankDetailsRead.objects.values_list("reader_id", "channel")) == [(payroll.pk, "graphql")]
    other = unchanged(lambda: raw(world.fw_b.user, BANK_SET, f=fw))
    assert other["data"]["setBankDetails"]["errors"][0]["code"] == "not_found"


def test_logs_and_messages_are_read_by_staff_and_the_fieldworker_only(world, django_capture_on_commit_callbacks):
    fw = gid("Fieldworker", world.fw_a.pk)
    with django_capture_on_commit_callbacks(execute=True):
        gql(world.staff.user, """mutation($f: ID!) { sendFieldworkerMessage(input: {medium: SMS, body: "Call me",
            fieldworkerId: $f}) { errors { code } } }""", f=fw)
    query = """query($f: ID!) { fieldworkerLog(fieldworkerId: $f, first: 5) { totalCount }
        fieldworkerMessages(fieldworkerId: $f, medium: SMS, first: 5) { totalCount } }"""
    counts = {name: gql(user, query, f=fw) for name, user in (
        ("staff", world.staff.user), ("self", world.fw_a.user), ("other", world.fw_b.user),
        ("customer", world.cust_a.user))}
    assert {k: (v["fieldworkerLog"]["totalCount"] > 0, v["fieldworkerMessages"]["totalCount"])
            for k, v in counts.items()} == {"staff": (True, 1), "self": (True, 1), "other": (False, 0),
                                             "customer": (False, 0)}


def test_the_activity_log_page_costs_the_same_queries_however_long(world, django_assert_num_queries):
    staff = world.staff.user
    fw = gid("Fieldworker", world.fw_a.pk)
    query = "query($f: ID!) { fieldworkerLog(fieldworkerId: $f, first: 50) { edges { node { action at } } } }"
    sign_in(staff)
    with django_assert_num_queries(2):  # the page and its count, however many rows
        few = raw(staff, query, f=fw)
    for n in range(5):
        gql(staff, PROFILE, input={"id": fw, "bio": f"bio {n}"})
    with django_assert_num_queries(2):
        many = raw(staff, query, f=fw)
    assert len(many["data"]["fieldworkerLog"]["edges"]) == len(few["data"]["fieldworkerLog"]["edges"]) + 5


def test_staff_see_the_jobs_to_reassign_after_blocking(world):
    staff = world.staff.user
    fw = gid("Fieldworker", world.fw_a.pk)
    sign_in(world.fw_a.user)
    blocked = gql(staff, """mutation($f: ID!) { setFieldworkerStatus(input: {fieldworkerId: $f, status: BLOCKED}) {
        errors { code } } }""", f=fw)
    assert blocked["setFieldworkerStatus"]["errors"] == []
    query = "query($f: ID!) { bookingsToReassign(fieldworkerId: $f) { id } }"
    assert gql(staff, query, f=fw)["bookingsToReassign"] == [{"id": gid("Booking", world.booking_a.pk)}]
    assert gql(world.fw_b.user, query, f=fw)["bookingsToReassign"] == []
    assert ChangeRequest.objects.count() == 0
    response = Client().post(URL, json.dumps({"query": "{ me { kind } }"}), content_type="application/json",
                             HTTP_AUTHORIZATION=world.fw_a.user._test_bearer)  # their token no longer works
    assert response.status_code == 401 and response.json()["errors"][0]["extensions"]["code"] == "unauthenticated"


def test_the_fieldworker_list_with_profiles_costs_the_same_queries_for_more_rows(world, django_assert_num_queries):
    staff = world.staff.user
    label = gql(staff, 'mutation { createIndustryLabel(name: "Tiling") { industryLabel { id } } }')
    label_id = label["createIndustryLabel"]["industryLabel"]["id"]
    query = """{ fieldworkers(first: 50) { totalCount edges { node { id name bio photoUrl industryLabels { name }
        lead { id name } subworkers { id name } } } } }"""

    def add(count: int) -> None:
        for _ in range(count):
            worker = factories.fieldworker()
            gql(staff, PROFILE, input={"id": gid("Fieldworker", worker.pk), "industryLabelIds": [label_id]})
            gql(staff, """mutation($f: ID!, $l: ID) { setFieldworkerLead(fieldworkerId: $f, leadId: $l) {
                errors { code } } }""", f=gid("Fieldworker", worker.pk), l=gid("Fieldworker", world.fw_a.pk))

    add(1)
    sign_in(staff)
    with django_assert_num_queries(5):  # page, count, labels, leads, subworkers
        small = raw(staff, query)
    add(4)
    with django_assert_num_queries(5):
        big = raw(staff, query)
    assert big["data"]["fieldworkers"]["totalCount"] == small["data"]["fieldworkers"]["totalCount"] + 4


def test_staff_resend_the_verification_and_switch_approval_off(world, django_capture_on_commit_callbacks):
    from django.core import mail

    staff = world.staff.user
    fw = gid("Fieldworker", world.fw_a.pk)
    with django_capture_on_commit_callbacks(execute=True):
        sent = gql(staff, """mutation($f: ID!) { resendFieldworkerVerification(fieldworkerId: $f) {
            messages { kind status to } errors { code } } }""", f=fw)["resendFieldworkerVerification"]
    assert sent["messages"][0]["kind"] == "verification" and "/fieldworker/verify/" in mail.outbox[-1].body
    refused = raw(world.fw_a.user, """mutation($f: ID!) { resendFieldworkerVerification(fieldworkerId: $f) {
        errors { code } } }""", f=fw)
    assert refused["data"]["resendFieldworkerVerification"]["errors"] == [{"code": "not_found"}]
    switched = gql(staff, """mutation { updateFieldworkerProfileSettings(profileEditsNeedApproval: false) {
        settings { profileEditsNeedApproval } errors { code } } }""")
    assert switched["updateFieldworkerProfileSettings"]["settings"] == {"profileEditsNeedApproval": False}
    own = gql(world.fw_a.user, PROFILE, input={"id": fw, "bio": "At once"})["updateFieldworkerProfile"]
    assert own["applied"] is True and own["fieldworker"]["bio"] == "At once"
    found = gql(staff, '{ filterFieldworkers(filter: {search: "Worker"}) { id } }')["filterFieldworkers"]
    assert {f["id"] for f in found} >= {fw, gid("Fieldworker", world.fw_b.pk)}
    denied = raw(world.fw_a.user, '{ filterFieldworkers(filter: {search: "Worker"}) { id } }')
    assert denied["data"] is None and denied["errors"][0]["extensions"]["code"] == "forbidden"


def test_the_failed_messages_page_costs_the_same_queries_however_many(world, django_assert_num_queries):
    from core.workforce.models import FieldworkerMessage

    staff = world.staff.user
    fw = gid("Fieldworker", world.fw_a.pk)
    query = """query($f: ID!) { fieldworkerMessages(fieldworkerId: $f, status: "failed", first: 50) {
      totalCount edges { node { id status attempts nextAttemptAt error medium } } } }"""
    sign_in(staff)

    def fail(count: int) -> None:
        FieldworkerMessage.objects.bulk_create(FieldworkerMessage(
            fieldworker=world.fw_a, medium="sms", body=f"Shift {n}", to=world.fw_a.mobile, status="failed",
            error="Twilio unreachable", attempts=8) for n in range(count))

    fail(1)
    with django_assert_num_queries(2):  # the page and its count
        few = raw(staff, query, f=fw)
    fail(6)
    FieldworkerMessage.objects.create(fieldworker=world.fw_a, medium="sms", body="ok", status="sent")
    with django_assert_num_queries(2):
        many = raw(staff, query, f=fw)
    assert (few["data"]["fieldworkerMessages"]["totalCount"], many["data"]["fieldworkerMessages"]["totalCount"]) == (
        1, 7)
    assert {edge["node"]["status"] for edge in many["data"]["fieldworkerMessages"]["edges"]} == {"failed"}
