"""SMS opt-outs and chat links in the Django admin: through the notification and chat services."""

from __future__ import annotations

import pytest

from core.sms.models import SmsOptOut

from .support import errors_of, submit

pytestmark = pytest.mark.django_db


def test_staff_opt_a_number_out_as_typed_and_back_in_with_the_action(browser):
    response = submit(browser, "/admin/sms/smsoptout/add/", "smsoptout_form", number="0412 345 001")
    assert response.status_code == 302
    row = SmsOptOut.objects.get()
    assert (row.number, row.opted_out, row.source) == ("+61412345001", True, "staff")
    response = browser.post("/admin/sms/smsoptout/", {"action": "opt_in", "_selected_action": [row.pk]})
    assert response.status_code == 302
    assert SmsOptOut.objects.get().opted_out is False
    response = submit(browser, "/admin/sms/smsoptout/add/", "smsoptout_form", number="not a number")
    assert errors_of(response) == {"number": ["That is not a phone number."]}
    assert SmsOptOut.objects.count() == 1


def test_a_chat_is_unlinked_with_the_action_which_tells_the_chat(browser, root, settings):
    from core.chat import backends
    from core.chat.models import ChatBinding
    from tests import factories
    from tests.core.chat.conftest import commit

    settings.CHAT_BACKEND = "core.chat.backends.LocmemChatBackend"
    backends.reset()
    binding = ChatBinding.objects.create(fieldworker=factories.fieldworker(), telegram_user_id=77, chat_id=77)
    assert browser.get(f"/admin/chat/chatbinding/{binding.pk}/change/").context["has_change_permission"] is False
    response = browser.post("/admin/chat/chatbinding/", {"action": "unlink", "_selected_action": [binding.pk]})
    assert response.status_code == 302
    commit()
    binding.refresh_from_db()
    assert (binding.unlinked_by, binding.unlink_channel) == (root, "admin")
    assert [entry.params["chat_id"] for entry in backends.outbox] == [77]
    backends.reset()
