"""The chat-only services: on my way, attachments, decline reasons and change requests. Refusals
raise a stable code and change nothing."""

from __future__ import annotations

import pytest

from core.actors import Actor, Channel
from core.chat import backends, services
from core.chat.models import AttachmentStatus, BookingAttachment, DeclineReason
from core.chat.selectors import decline_reasons
from core.errors import DomainError
from core.workforce.models import ChangeRequest
from tests import factories
from tests.core.files.conftest import jpeg_with_gps
from tests.core.support import assert_refused

from .conftest import chat_state, commit, offer

TG = Channel.TELEGRAM


def _assert_refused(call, code: str) -> None:
    before = chat_state()
    assert_refused(call, code)
    assert chat_state() == before


def test_on_my_way_needs_an_accepted_job(bound, staff_actor):
    binding = bound(201)
    booking = offer(binding.fieldworker)
    actor = Actor.for_fieldworker(binding.fieldworker)
    _assert_refused(lambda: services.booking_on_my_way(actor=actor, channel=TG, booking_id=booking.pk), "not_accepted")
    _assert_refused(lambda: services.booking_on_my_way(actor=staff_actor, channel=TG, booking_id=booking.pk), "forbidden")
    stranger = Actor.for_fieldworker(factories.fieldworker())
    _assert_refused(lambda: services.booking_on_my_way(actor=stranger, channel=TG, booking_id=booking.pk), "not_found")


def test_attachment_rules(bound):
    binding = bound(202)
    booking = offer(binding.fieldworker, accept=True)
    actor = Actor.for_fieldworker(binding.fieldworker)
    stranger = Actor.for_fieldworker(factories.fieldworker())
    _assert_refused(lambda: services.attachment_add(actor=stranger, channel=TG, booking_id=booking.pk,
                                             telegram_file_id="f", telegram_file_unique_id="u"), "not_found")
    _assert_refused(lambda: services.attachment_add(actor=actor, channel=TG, booking_id=booking.pk, telegram_file_id="",
                                             telegram_file_unique_id="u"), "required")
    _assert_refused(lambda: services.attachment_add(actor=actor, channel=TG, booking_id=booking.pk, telegram_file_id="f",
                                             telegram_file_unique_id="u", caption="x" * 1025), "too_long")
    backends.files["f1"] = photo = jpeg_with_gps()
    attachment = services.attachment_add(actor=actor, channel=TG, booking_id=booking.pk, telegram_file_id="f1",
                                         telegram_file_unique_id="u1")
    commit()
    attachment.refresh_from_db()
    assert attachment.status == AttachmentStatus.STORED and attachment.size == attachment.stored_file.size
    assert attachment.stored_file.booking_id == booking.pk and len(photo) > 0
    missing = services.attachment_add(actor=actor, channel=TG, booking_id=booking.pk, telegram_file_id="gone",
                                      telegram_file_unique_id="u2")
    commit()
    missing.refresh_from_db()
    assert missing.status == AttachmentStatus.FAILED
    assert BookingAttachment.objects.count() == 2


def test_change_request_rules(bound, staff_actor):
    binding = bound(203)
    booking = offer(binding.fieldworker)
    actor = Actor.for_fieldworker(binding.fieldworker)
    _assert_refused(lambda: services.booking_change_request(actor=staff_actor, channel=TG, booking_id=booking.pk,
                                                     kind=services.DECLINE_KIND, reason="x"), "forbidden")
    _assert_refused(lambda: services.booking_change_request(actor=actor, channel=TG, booking_id=booking.pk,
                                                     kind=services.DECLINE_KIND, reason="  "), "reason_required")
    _assert_refused(lambda: services.booking_change_request(actor=actor, channel=TG, booking_id=booking.pk,
                                                     kind="booking_delete", reason="x"), "invalid")
    request = services.booking_change_request(actor=actor, channel=TG, booking_id=booking.pk,
                                              kind=services.DECLINE_KIND, reason="Sick")
    assert (request.kind, request.booking_id, request.fieldworker_id) == ("booking_decline", booking.pk,
                                                                          binding.fieldworker_id)
    _assert_refused(lambda: services.booking_change_request(actor=actor, channel=TG, booking_id=booking.pk,
                                                     kind=services.DECLINE_KIND, reason="Sick"), "already_requested")
    assert ChangeRequest.objects.count() == 1


def test_decline_reasons_are_configurable(staff_actor, fieldworker_actor):
    assert next(label for _, label in decline_reasons()) == "Not available then"  # defaults until configured
    services.decline_reasons_set(actor=staff_actor, channel=Channel.GRAPHQL, labels=["Too far", " ", "Sick"])
    assert [label for _, label in decline_reasons()] == ["Too far", "Sick"]
    _assert_refused(lambda: services.decline_reasons_set(actor=fieldworker_actor, channel=Channel.GRAPHQL, labels=["x"]),
             "forbidden")
    _assert_refused(lambda: services.decline_reasons_set(actor=staff_actor, channel=Channel.GRAPHQL, labels=["y" * 61]),
             "too_long")
    assert DeclineReason.objects.filter(active=True).count() == 2
    with pytest.raises(DomainError):
        services.decline_reasons_set(actor=staff_actor, channel=Channel.GRAPHQL, labels=[str(i) for i in range(13)])


def test_one_decline_reason_is_added_or_changed_within_the_same_limits(staff_actor, fieldworker_actor):
    first = services.decline_reason_save(actor=staff_actor, channel=Channel.ADMIN, label=" Too far ", position=2)
    assert [label for _, label in decline_reasons()] == ["Too far"]
    services.decline_reason_save(actor=staff_actor, channel=Channel.ADMIN, reason_id=first.pk, label="Too far away",
                                 position=2, active=False)
    assert DeclineReason.objects.get(pk=first.pk).active is False
    for index in range(services.MAX_DECLINE_REASONS):
        services.decline_reason_save(actor=staff_actor, channel=Channel.ADMIN, label=f"Reason {index}")
    _assert_refused(lambda: services.decline_reason_save(actor=staff_actor, channel=Channel.ADMIN, label="13th"),
                    "too_many")
    _assert_refused(lambda: services.decline_reason_save(actor=staff_actor, channel=Channel.ADMIN, reason_id=first.pk,
                                                         label="Too far away", active=True), "too_many")
    _assert_refused(lambda: services.decline_reason_save(actor=staff_actor, channel=Channel.ADMIN, label=" "),
                    "required")
    _assert_refused(lambda: services.decline_reason_save(actor=fieldworker_actor, channel=Channel.ADMIN, label="x"),
                    "forbidden")
