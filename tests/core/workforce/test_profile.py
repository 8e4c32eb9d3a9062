"""Fieldworker profiles (issue 20) against the services: own edits applied or held for approval,
photo, industry labels, teams (a lead accepts for the team), saved lists, booking summary,
e-mail verification, bank details, blocking and messages."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from cryptography.fernet import Fernet
from django.contrib.auth.models import Permission
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from core.accounts.models import User
from core.actors import Actor, Channel
from core.bookings import services as booking_services
from core.bookings.models import AssignmentStatus
from core.chat.models import ChatBinding
from core.sms import backends as sms_backends
from core.workforce import bank, messaging, profile, services
from core.workforce.models import (
    BankDetails,
    BankDetailsRead,
    ChangeRequest,
    Fieldworker,
    FieldworkerMessage,
    FieldworkerStatus,
    IndustryLabel,
)
from core.workforce.selectors import bookings_to_reassign
from tests import factories
from tests.core.company.images import png
from tests.core.support import assert_refused

pytestmark = pytest.mark.django_db
G = Channel.GRAPHQL


@pytest.fixture
def bank_keys(settings):
    settings.FIELDOPS_BANK_KEYS = Fernet.generate_key().decode()
    return settings


def test_own_edits_wait_for_approval_then_apply(fieldworker, fieldworker_actor, staff_actor):
    label = profile.industry_label_create(actor=staff_actor, channel=G, name="Plumbing")
    held = profile.fieldworker_profile_update(actor=fieldworker_actor, channel=Channel.TELEGRAM,
                                              fieldworker_id=fieldworker.pk, bio="Twenty years on the tools",
                                              industry_label_ids=[label.pk])
    assert not held.applied and held.change_request.kind == "profile"
    assert Fieldworker.objects.get(pk=fieldworker.pk).bio == ""
    services.change_request_approve(actor=staff_actor, channel=G, change_request_id=held.change_request.pk)
    fresh = Fieldworker.objects.get(pk=fieldworker.pk)
    assert fresh.bio == "Twenty years on the tools"
    assert list(fresh.industry_labels.values_list("name", flat=True)) == ["Plumbing"]
    assert fresh.log.filter(action="profile_updated").exists()


def test_own_edits_apply_at_once_when_the_company_allows(fieldworker, fieldworker_actor, staff_actor):
    profile.profile_settings_update(actor=staff_actor, channel=G, profile_edits_need_approval=False)
    done = profile.fieldworker_profile_update(actor=fieldworker_actor, channel=G, fieldworker_id=fieldworker.pk,
                                              name="Fay F.", address="1 Main St")
    assert done.applied and not ChangeRequest.objects.exists()
    fresh = Fieldworker.objects.get(pk=fieldworker.pk)
    assert (fresh.name, fresh.address) == ("Fay F.", "1 Main St")


@pytest.mark.parametrize(("changes", "code", "field"), [
    ({"bio": "x" * 2001}, "too_long", "bio"),
    ({"industry_label_ids": [10**9]}, "not_found", "industryLabelIds"),
    ({"mobile": "123"}, "invalid_phone", "mobile"),
    ({"email": "me@example.com"}, "forbidden", None),
])
def test_bad_own_edits_are_refused_and_change_nothing(fieldworker, fieldworker_actor, changes, code, field):
    profile.profile_settings()
    assert_refused(lambda: profile.fieldworker_profile_update(actor=fieldworker_actor, channel=G,
                                                              fieldworker_id=fieldworker.pk, **changes),
                   code, field=field)


def test_someone_elses_profile_looks_missing(fieldworker_actor):
    other = factories.fieldworker()
    refused = assert_refused(lambda: profile.fieldworker_profile_update(
        actor=fieldworker_actor, channel=G, fieldworker_id=other.pk, bio="mine now"), "not_found")
    assert refused.field == "id"


def test_staff_change_the_email_and_a_new_link_goes(fieldworker, staff_actor, django_capture_on_commit_callbacks):
    Fieldworker.objects.filter(pk=fieldworker.pk).update(email_verified_at=timezone.now())
    with django_capture_on_commit_callbacks(execute=True):
        profile.fieldworker_profile_update(actor=staff_actor, channel=G, fieldworker_id=fieldworker.pk,
                                           email="New@Example.com")
    fresh = Fieldworker.objects.select_related("user").get(pk=fieldworker.pk)
    assert fresh.user.email == "new@example.com" and fresh.email_verified_at is None
    assert [m.to for m in mail.outbox] == [["new@example.com"]] and "/fieldworker/verify/" in mail.outbox[0].body


def test_a_photo_is_checked_and_stored(fieldworker, fieldworker_actor, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    profile.fieldworker_set_photo(actor=fieldworker_actor, channel=G, fieldworker_id=fieldworker.pk, photo=png())
    stored = Fieldworker.objects.get(pk=fieldworker.pk).photo.name
    assert stored.startswith(f"fieldworkers/{fieldworker.pk}/photo-") and stored.endswith(".png")
    assert_refused(lambda: profile.fieldworker_set_photo(actor=fieldworker_actor, channel=G,
                                                         fieldworker_id=fieldworker.pk, photo=b"<svg/>"),
                   "not_an_image", field="photo")


def test_an_industry_label_in_use_is_kept_and_deactivated(fieldworker, staff_actor):
    label = profile.industry_label_create(actor=staff_actor, channel=G, name="Electrical")
    assert profile.industry_label_create(actor=staff_actor, channel=G, name="electrical").pk == label.pk
    fieldworker.industry_labels.add(label)
    assert_refused(lambda: profile.industry_label_delete(actor=staff_actor, channel=G, industry_label_id=label.pk),
                   "in_use")
    profile.industry_label_update(actor=staff_actor, channel=G, industry_label_id=label.pk, active=False)
    assert IndustryLabel.objects.get(pk=label.pk).active is False
    unused = profile.industry_label_create(actor=staff_actor, channel=G, name="Roofing")
    profile.industry_label_delete(actor=staff_actor, channel=G, industry_label_id=unused.pk)
    assert list(IndustryLabel.objects.values_list("name", flat=True)) == ["Electrical"]


def _offer(booking, worker) -> None:
    booking_services.booking_assign(actor=Actor.system(), channel=Channel.SYSTEM, booking_id=booking.pk,
                                    fieldworker_id=worker.pk)


def test_a_lead_accepts_for_their_team_and_nobody_else(staff_actor):
    lead, member, stranger = factories.fieldworker(), factories.fieldworker(), factories.fieldworker()
    profile.fieldworker_set_lead(actor=staff_actor, channel=G, fieldworker_id=member.pk, lead_id=lead.pk)
    booking = factories.booking()
    _offer(booking, member)
    lead_actor = Actor.for_fieldworker(lead)
    accepted = booking_services.assignment_respond(actor=lead_actor, channel=Channel.TELEGRAM, booking_id=booking.pk,
                                                   accept=True, fieldworker_id=member.pk)
    assert accepted.status == AssignmentStatus.ACCEPTED and accepted.responded_by == lead.user
    other = factories.booking(start=timezone.now() + timedelta(days=5))
    _offer(other, member)
    assert_refused(lambda: booking_services.assignment_respond(
        actor=Actor.for_fieldworker(stranger), channel=Channel.TELEGRAM, booking_id=other.pk, accept=True,
        fieldworker_id=member.pk), "not_found")
    assert_refused(lambda: profile.fieldworker_set_lead(actor=staff_actor, channel=G, fieldworker_id=lead.pk,
                                                        lead_id=stranger.pk), "invalid_team", field="fieldworkerId")
    assert_refused(lambda: profile.fieldworker_set_lead(actor=staff_actor, channel=G, fieldworker_id=stranger.pk,
                                                        lead_id=member.pk), "invalid_team", field="leadId")


def test_saved_lists_filter_and_refuse_unknown_rows(staff_actor):
    svc = factories.service()
    label = profile.industry_label_create(actor=staff_actor, channel=G, name="Gardening")
    wanted = factories.fieldworker(name="Greta Green")
    wanted.services.add(svc)
    wanted.industry_labels.add(label)
    factories.fieldworker(name="Other Person").services.add(svc)
    saved = profile.saved_list_save(actor=staff_actor, channel=G, name="Gardeners",
                                    filters={"service_ids": [svc.pk], "industry_label_ids": [label.pk]})
    assert list(profile.saved_list_members(saved)) == [wanted]
    assert_refused(lambda: profile.saved_list_save(actor=staff_actor, channel=G, name="Bad",
                                                   filters={"area_ids": [10**9]}), "not_found", field="areaIds")
    assert_refused(lambda: profile.saved_list_save(actor=staff_actor, channel=G, name="gardeners", filters={}),
                   "duplicate", field="name")


def test_the_booking_summary_counts_completed_jobs_and_splits_revenue():
    worker, mate = factories.fieldworker(), factories.fieldworker()
    start = timezone.now() - timedelta(days=2)
    booking = factories.booking(start=start, hours=3, workers_required=2)
    for who in (worker, mate):
        _offer(booking, who)
        booking_services.assignment_respond(actor=Actor.for_fieldworker(who), channel=G, booking_id=booking.pk,
                                            accept=True)
    from core.payroll import services as payroll
    from core.payroll.models import PayEntry

    payroll.agreement_create(actor=Actor.system(), channel=Channel.SYSTEM, fieldworker_id=worker.pk, basis="fixed",
                             effective_from=start.date() - timedelta(days=30), fixed_amount="80")
    for step in (booking_services.booking_confirm, booking_services.booking_start, booking_services.booking_complete):
        step(actor=Actor.system(), channel=Channel.SYSTEM, booking_id=booking.pk)
    factories.booking(start=start)  # not theirs
    total = sum((line.total for line in booking.lines.all()), Decimal("0"))
    summary = profile.booking_summary(actor=Actor.for_fieldworker(worker), fieldworker_id=worker.pk,
                                      start=start.date() - timedelta(days=1), end=start.date() + timedelta(days=1))
    paid = sum(PayEntry.objects.filter(fieldworker=worker).values_list("amount", flat=True))
    assert paid > 0  # the payroll app computed their pay at completion
    assert (summary.jobs, summary.hours, summary.revenue, summary.pay) == (1, Decimal("3.00"), total / 2, paid)
    # the mate has no agreement: no pay
    assert profile.booking_summary(actor=Actor.system(), fieldworker_id=mate.pk, start=start.date(),
                                   end=start.date()).pay == Decimal("0.00")
    assert_refused(lambda: profile.booking_summary(actor=Actor.for_fieldworker(mate), fieldworker_id=worker.pk,
                                                   start=start.date(), end=start.date()), "not_found")


def test_a_new_fieldworker_verifies_by_link_and_sets_a_password(staff_actor, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        made = services.fieldworker_create(actor=staff_actor, channel=G, name="Vera", email="vera@example.com")
    assert FieldworkerMessage.objects.get(fieldworker=made).status == "sent"
    uid, token = re.search(r"/fieldworker/verify/([^/]+)/([^/]+)/", mail.outbox[0].body).groups()
    anonymous = Actor.anonymous()
    assert_refused(lambda: messaging.fieldworker_email_verify(actor=anonymous, channel=Channel.EMAIL_LINK, uid=uid,
                                                              token=token, password="123"), "weak_password",
                   field="password")
    messaging.fieldworker_email_verify(actor=anonymous, channel=Channel.EMAIL_LINK, uid=uid, token=token,
                                       password="A long pass phrase 42")
    fresh = Fieldworker.objects.select_related("user").get(pk=made.pk)
    assert fresh.email_verified_at is not None and fresh.user.check_password("A long pass phrase 42")
    assert_refused(lambda: messaging.fieldworker_email_verify(actor=anonymous, channel=Channel.EMAIL_LINK, uid=uid,
                                                              token=token, password="Another pass 77"),
                   "invalid_link")


def test_bank_details_are_encrypted_masked_and_clear_reads_logged(fieldworker, fieldworker_actor, bank_keys):
    reader = factories.staff_user()
    reader.user_permissions.add(Permission.objects.get(codename="read_bank_details"))
    plain_staff = factories.staff_actor()
    shown = bank.bank_details_set(actor=fieldworker_actor, channel=G, fieldworker_id=fieldworker.pk,
                                  account_name="Fay Fixit", bank_name="First Bank", branch_code="062-000",
                                  account_number="1234 5678")
    assert shown.masked and shown.account_number == "****5678"
    row = BankDetails.objects.get(fieldworker=fieldworker)
    assert "12345678" not in row.ciphertext and "Fay" not in row.ciphertext
    assert bank.bank_details_read(actor=plain_staff, channel=G, fieldworker_id=fieldworker.pk).masked
    assert bank.bank_details_read(actor=fieldworker_actor, channel=G, fieldworker_id=fieldworker.pk).masked
    assert not BankDetailsRead.objects.exists()
    clear = bank.bank_details_read(actor=Actor.from_user(User.objects.get(pk=reader.pk)), channel=G,
                                   fieldworker_id=fieldworker.pk)
    assert (clear.masked, clear.account_number, clear.branch_code) == (False, "12345678", "062000")
    assert list(BankDetailsRead.objects.values_list("reader_id", "fieldworker_id")) == [(reader.pk, fieldworker.pk)]
    other = factories.fieldworker()
    assert_refused(lambda: bank.bank_details_read(actor=Actor.for_fieldworker(other), channel=G,
                                                  fieldworker_id=fieldworker.pk), "not_found")


def test_rotation_re_encrypts_under_the_new_key(fieldworker, staff_actor, bank_keys, capsys):
    old = bank_keys.FIELDOPS_BANK_KEYS
    bank.bank_details_set(actor=staff_actor, channel=G, fieldworker_id=fieldworker.pk, account_name="A",
                          bank_name="B", branch_code="1", account_number="99990001")
    new = Fernet.generate_key().decode()
    bank_keys.FIELDOPS_BANK_KEYS = f"{new},{old}"
    call_command("rotate_bank_keys")
    assert "[1/1]" in capsys.readouterr().out
    bank_keys.FIELDOPS_BANK_KEYS = new  # the old key dropped: still readable
    assert bank.decrypt(BankDetails.objects.get().ciphertext)["account_number"] == "99990001"


def test_blocking_disables_sign_in_unlinks_the_bot_and_lists_jobs(fieldworker, staff_actor):
    ChatBinding.objects.create(fieldworker=fieldworker, telegram_user_id=5151, chat_id=5151)
    booking = factories.booking()
    _offer(booking, fieldworker)
    services.fieldworker_set_status(actor=staff_actor, channel=G, fieldworker_id=fieldworker.pk,
                                    status=FieldworkerStatus.BLOCKED)
    fresh = Fieldworker.objects.select_related("user").get(pk=fieldworker.pk)
    assert fresh.user.is_active is False
    assert ChatBinding.objects.get(fieldworker=fieldworker).unlinked_at is not None
    assert list(bookings_to_reassign(fieldworker.pk)) == [booking]
    later = factories.booking(start=timezone.now() + timedelta(days=6))
    assert_refused(lambda: booking_services.booking_assign(actor=staff_actor, channel=G, booking_id=later.pk,
                                                           fieldworker_id=fieldworker.pk), "fieldworker_blocked")
    services.fieldworker_set_status(actor=staff_actor, channel=G, fieldworker_id=fieldworker.pk,
                                    status=FieldworkerStatus.ACTIVE)
    assert Fieldworker.objects.select_related("user").get(pk=fieldworker.pk).user.is_active is True


def test_staff_message_a_saved_list_by_each_medium(staff_actor, django_capture_on_commit_callbacks):
    svc = factories.service()
    linked, unlinked, blocked = (factories.fieldworker() for _ in range(3))
    for worker in (linked, unlinked, blocked):
        worker.services.add(svc)
    Fieldworker.objects.filter(pk=blocked.pk).update(status=FieldworkerStatus.BLOCKED)
    ChatBinding.objects.create(fieldworker=linked, telegram_user_id=6161, chat_id=6161)
    saved = profile.saved_list_save(actor=staff_actor, channel=G, name="Cleaners", filters={"service_ids": [svc.pk]})
    sms_backends.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        for medium in ("email", "sms", "chat"):
            messaging.fieldworker_message_send(actor=staff_actor, channel=G, medium=medium, body="Team meeting 8am",
                                               subject="Meeting", saved_list_id=saved.pk)
    rows = {(m.fieldworker_id, m.medium): m.status for m in FieldworkerMessage.objects.all()}
    assert rows == {(linked.pk, "email"): "sent", (unlinked.pk, "email"): "sent", (linked.pk, "sms"): "sent",
                    (unlinked.pk, "sms"): "sent", (linked.pk, "chat"): "sent", (unlinked.pk, "chat"): "skipped"}
    assert sorted(m.to[0] for m in mail.outbox) == sorted([linked.user.email, unlinked.user.email])
    assert sorted(entry.to for entry in sms_backends.outbox) == sorted([linked.mobile, unlinked.mobile])
    assert_refused(lambda: messaging.fieldworker_message_send(actor=staff_actor, channel=G, medium="sms",
                                                              body="x", fieldworker_id=blocked.pk),
                   "fieldworker_blocked", field="fieldworkerId")


def test_a_message_is_sent_at_most_once(fieldworker, staff_actor):
    [message] = messaging.fieldworker_message_send(actor=staff_actor, channel=G, medium="email", body="Once",
                                                   fieldworker_id=fieldworker.pk)
    assert messaging.message_deliver(message_id=message.pk) == "sent"
    assert messaging.message_deliver(message_id=message.pk) == "gone"  # a second run of the task
    assert len(mail.outbox) == 1 and FieldworkerMessage.objects.get().status == "sent"
