"""Complaints in the Django admin: listed with their history, assigned by action through the service;
the type and status lists saved by theirs, a refusal shown on its field and changing nothing."""

from __future__ import annotations

import pytest

from core.actors import Actor, Channel
from core.complaints import services
from core.complaints.defaults import ensure_lists
from core.complaints.models import ComplaintEvent, ComplaintStatus, ComplaintType
from tests import factories

from .support import errors_of, submit, whole_state

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _lists(db) -> None:
    ensure_lists()


def test_complaints_are_listed_and_assigned_by_action(browser, root):
    complaint = services.complaint_raise(actor=Actor.system(), channel=Channel.SMS,
                                         booking_id=factories.booking().pk, description="Mud on the rug")
    page = browser.get("/admin/complaints/complaint/")
    assert page.status_code == 200 and f"Complaint {complaint.pk}" in page.content.decode()
    detail = browser.get(f"/admin/complaints/complaint/{complaint.pk}/change/")
    assert detail.status_code == 200 and "Mud on the rug" in detail.content.decode()
    response = browser.post("/admin/complaints/complaint/", {"action": "assign_to_me",
                                                             "_selected_action": [complaint.pk]})
    assert response.status_code == 302
    complaint.refresh_from_db()
    assert complaint.owner == root
    assert ComplaintEvent.objects.get(complaint=complaint, action="assigned").channel == "admin"


def test_the_lists_are_saved_by_their_services(browser):
    response = submit(browser, "/admin/complaints/complaintstatus/add/", "complaintstatus_form",
                      name="Refunded", is_resolved="on", position="7")
    assert response.status_code == 302
    assert ComplaintStatus.objects.get(name="Refunded").is_resolved is True
    response = submit(browser, "/admin/complaints/complainttype/add/", "complainttype_form", name="Noise")
    assert response.status_code == 302 and ComplaintType.objects.filter(name="Noise").exists()
    services.complaint_raise(actor=Actor.system(), channel=Channel.SMS, booking_id=factories.booking().pk,
                             description="x")
    open_status = ComplaintStatus.objects.get(name="Open")
    before = whole_state()
    response = submit(browser, f"/admin/complaints/complaintstatus/{open_status.pk}/change/", "complaintstatus_form",
                      is_resolved="on")
    assert "is_resolved" in errors_of(response)
    assert whole_state() == before
