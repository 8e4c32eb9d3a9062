"""Filled forms where people read them: the customer's portal booking page and the booking's job
sheet PDF show the submitted customer-visible forms (a signature as an image), never internal ones
nor forms still being filled."""

from __future__ import annotations

import io

import pypdf
import pytest

from core.actors import Actor, Channel
from core.bookings import services as booking_services
from core.bookings.job_sheet import job_sheet
from core.jobdata import forms_services
from tests import factories
from tests.core.jobdata.conftest import png_data_url

from .support import portal_client

pytestmark = pytest.mark.django_db
G = Channel.GRAPHQL


@pytest.fixture
def filled(company):
    staff = factories.staff_actor()
    customer = factories.customer(with_login=True)
    service = factories.service(name="Boiler service")
    booking = factories.booking(cust=customer, svc=service)
    worker = factories.fieldworker()
    booking_services.booking_assign(actor=staff, channel=G, booking_id=booking.pk, fieldworker_id=worker.pk)
    booking_services.assignment_respond(actor=Actor.for_fieldworker(worker), channel=G, booking_id=booking.pk,
                                        accept=True)
    make = lambda name, visible, elements: forms_services.form_template_create(  # noqa: E731
        actor=staff, channel=G, name=name, elements=elements, service_ids=[service.pk], customer_visible=visible)
    shown = make("Service report", True, [{"kind": "heading", "label": "Checks"},
                                          {"kind": "checklist", "label": "Flue checked"},
                                          {"kind": "radio", "label": "Pressure", "options": [
                                              {"value": "ok", "label": "Within range"}, {"value": "low"}]},
                                          {"kind": "signature", "label": "Customer signature"}])
    internal = make("Internal notes", False, [{"kind": "short_text", "label": "Margin note"}])
    draft = make("Visible draft", True, [{"kind": "short_text", "label": "Half done"}])
    actor = Actor.for_fieldworker(worker)
    forms_services.form_submit(actor=actor, channel=G, booking_id=booking.pk, template_id=shown.pk,
                               answers={"flue_checked": True, "pressure": "ok", "customer_signature": png_data_url()})
    forms_services.form_submit(actor=actor, channel=G, booking_id=booking.pk, template_id=internal.pk,
                               answers={"margin_note": "secret margin"})
    forms_services.form_answers_save(actor=actor, channel=G, booking_id=booking.pk, template_id=draft.pk,
                                     answers={"half_done": "not yet"})
    return customer, booking


def test_the_portal_booking_page_shows_submitted_customer_visible_forms(filled):
    customer, booking = filled
    page = portal_client(customer).get(f"/portal/bookings/{booking.pk}/")
    html = page.content.decode()
    assert page.status_code == 200
    assert "Service report" in html and "Flue checked" in html and "Within range" in html
    assert 'src="data:image/png;base64,' in html
    assert "Internal notes" not in html and "secret margin" not in html
    assert "Visible draft" not in html and "not yet" not in html


def test_the_job_sheet_prints_them_with_the_signature(filled):
    _customer, booking = filled
    data = job_sheet(booking).render()
    reader = pypdf.PdfReader(io.BytesIO(data))
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert "Service report" in text and "Flue checked" in text and "Done" in text and "Within range" in text
    assert "secret margin" not in text and "Visible draft" not in text
    assert sum(len(page.images) for page in reader.pages) >= 1


def test_a_photo_answer_shows_the_chat_photo_on_the_page_and_in_the_job_sheet(company, media):
    """A photo question is answered with a photo the fieldworker sent in the chat; its bytes are the
    booking's stored file (0926), which the page and the job sheet show as an image."""
    from PIL import Image

    from core.chat.models import AttachmentStatus, BookingAttachment
    from core.files import services as file_services

    staff = factories.staff_actor()
    customer = factories.customer(with_login=True)
    service = factories.service(name="Boiler service")
    booking = factories.booking(cust=customer, svc=service)
    worker = factories.fieldworker()
    booking_services.booking_assign(actor=staff, channel=G, booking_id=booking.pk, fieldworker_id=worker.pk)
    actor = Actor.for_fieldworker(worker)
    booking_services.assignment_respond(actor=actor, channel=G, booking_id=booking.pk, accept=True)
    buffer = io.BytesIO()
    Image.new("RGB", (60, 40), (200, 30, 30)).save(buffer, format="JPEG")
    stored = file_services.file_upload_to_booking(actor=actor, channel=G, booking_id=booking.pk,
                                                  upload=buffer.getvalue(), name="boiler.jpg")
    photo = BookingAttachment.objects.create(booking=booking, stored_file=stored, status=AttachmentStatus.STORED,
                                             content_type="image/jpeg", author_kind="fieldworker", channel="telegram")
    pending = BookingAttachment.objects.create(booking=booking, telegram_file_id="f2", telegram_file_unique_id="u2",
                                               author_kind="fieldworker", channel="telegram")
    template = forms_services.form_template_create(
        actor=staff, channel=G, name="Site photos", service_ids=[service.pk], customer_visible=True,
        elements=[{"kind": "photo", "label": "The boiler"}, {"kind": "photo", "label": "The flue"}])
    forms_services.form_submit(actor=actor, channel=G, booking_id=booking.pk, template_id=template.pk,
                               answers={"the_boiler": photo.pk, "the_flue": pending.pk})

    page = portal_client(customer).get(f"/portal/bookings/{booking.pk}/")
    html = page.content.decode()
    assert page.status_code == 200
    assert "The boiler" in html and 'src="data:image/jpeg;base64,' in html
    assert "The flue" in html and "Photo (not available)" in html  # its bytes have not arrived yet

    reader = pypdf.PdfReader(io.BytesIO(job_sheet(booking).render()))
    assert "The boiler" in "\n".join(page.extract_text() for page in reader.pages)
    assert sum(len(page.images) for page in reader.pages) >= 1
