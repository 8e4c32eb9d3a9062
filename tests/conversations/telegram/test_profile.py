"""A fieldworker edits their profile from the bot (through the Telegram webhook and the fake Bot
API): held for approval by default, applied at once when the company allows; a bad value is
answered and changes nothing; a blocked fieldworker's chat is unlinked."""

from __future__ import annotations

from core.actors import Channel
from core.chat.models import ChatBinding
from core.workforce import profile, services
from core.workforce.models import ChangeRequest, Fieldworker
from tests import factories

from . import updates
from .conftest import run_on_commit


def test_a_profile_edit_from_the_bot_waits_for_approval(webhook, linked):
    binding = linked(7101)
    webhook.post(updates.message(7101, "/profile bio I also do roofs"))
    assert webhook.api.texts(7101)[-1] == "Sent to the office for approval."
    request = ChangeRequest.objects.get()
    assert (request.kind, request.channel, request.payload) == ("profile", "telegram", {"bio": "I also do roofs"})
    assert Fieldworker.objects.get(pk=binding.fieldworker_id).bio == ""


def test_applied_at_once_when_allowed_and_shown_back(webhook, linked):
    binding = linked(7102)
    profile.profile_settings_update(actor=factories.staff_actor(), channel=Channel.GRAPHQL,
                                    profile_edits_need_approval=False)
    webhook.post(updates.message(7102, "/profile address 4 High St"))
    assert webhook.api.texts(7102)[-1] == "Saved."
    webhook.post(updates.message(7102, "/profile"))
    assert "Address: 4 High St" in webhook.api.texts(7102)[-1]
    assert Fieldworker.objects.get(pk=binding.fieldworker_id).address == "4 High St"


def test_a_bad_value_is_answered_and_changes_nothing(webhook, linked):
    binding = linked(7103)
    webhook.post(updates.message(7103, "/profile mobile 123"))
    assert webhook.api.texts(7103)[-1]
    assert not ChangeRequest.objects.exists()
    assert Fieldworker.objects.get(pk=binding.fieldworker_id).mobile == binding.fieldworker.mobile


def test_blocking_unlinks_the_chat(webhook, linked):
    binding = linked(7104)
    services.fieldworker_set_status(actor=factories.staff_actor(), channel=Channel.GRAPHQL,
                                    fieldworker_id=binding.fieldworker_id, status="blocked")
    run_on_commit()
    webhook.deliver()
    assert ChatBinding.objects.get(pk=binding.pk).unlinked_at is not None
    assert webhook.api.texts(7104)[-1] == "This chat is no longer linked. You will get no more jobs here."
