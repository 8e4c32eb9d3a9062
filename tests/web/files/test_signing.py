"""Signing pages without a browser: what a POST stores, what it refuses (changing nothing), who may
open which page; and the signature on the job sheet PDF and the portal booking page."""

from __future__ import annotations

import base64
import io

import pypdf
import pytest
from django.test import Client

from core.bookings import job_sheet
from core.files import links
from core.files.models import Signature, StoredFile
from tests import factories
from tests.core.files.conftest import accepted_job, jpeg_with_gps, signature_png
from tests.core.support import _touch_singletons, db_state
from tests.media import stored_files
from tests.web.portal.support import portal_client


def data_url(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode()


def test_a_customer_signs_on_the_portal_and_sees_it_on_the_booking_page_and_the_job_sheet(db, media):
    booking = factories.booking()
    client = portal_client(booking.customer)
    page = client.get(f"/portal/bookings/{booking.pk}/sign")
    assert page.status_code == 200 and b'id="signature-pad"' in page.content
    response = client.post(f"/portal/bookings/{booking.pk}/sign",
                           {"signer_name": "Ada Lovelace", "signature": data_url(signature_png())})
    assert response.status_code == 302 and response["Location"].endswith("?signed=1")
    signature = Signature.objects.select_related("file").get()
    assert (signature.signer_name, signature.signer_kind, signature.file.booking_id, signature.file.channel) == (
        "Ada Lovelace", "customer", booking.pk, "portal")
    shown = client.get(f"/portal/bookings/{booking.pk}/")
    assert b"Signed by <strong class=\"signer\">Ada Lovelace</strong>" in shown.content
    src = shown.content.split(b'<figure class="signature"><img src="', 1)[1].split(b'"', 1)[0].decode()
    assert src.startswith("/files/")
    image = Client().get(src)
    assert image.status_code == 200 and image["Content-Type"] == "image/png"
    sheet = job_sheet.job_sheet(booking).render()
    reader = pypdf.PdfReader(io.BytesIO(sheet))
    text = "\n".join(p.extract_text() for p in reader.pages)
    assert "Signed by Ada Lovelace on" in text
    assert sum(len(p.images) for p in reader.pages) >= 1


@pytest.mark.parametrize("form, error", [
    ({"signer_name": "Ada", "signature": ""}, b"Draw your signature first."),
    ({"signer_name": "Ada", "signature": data_url(signature_png(ink=False))}, b"Draw your signature first."),
    ({"signer_name": "", "signature": data_url(signature_png())}, b"Type the signer"),
    ({"signer_name": "Ada", "signature": data_url(jpeg_with_gps())}, b"A signature is a PNG drawing."),
    ({"signer_name": "Ada", "signature": "data:image/png;base64,@@@"}, b"A signature is a PNG drawing."),
    ({"signer_name": "Ada", "signature": "x" * 400_000}, b"The drawing is too large."),
])
def test_a_bad_signature_post_shows_why_and_changes_nothing(db, media, form, error):
    booking = factories.booking()
    client = portal_client(booking.customer)
    _touch_singletons()
    before, files = db_state(), stored_files(media)
    response = client.post(f"/portal/bookings/{booking.pk}/sign", form)
    assert response.status_code == 400 and error in response.content
    assert db_state() == before and stored_files(media) == files


def test_another_customers_booking_is_not_found(db, media):
    booking = factories.booking()
    client = portal_client(factories.customer())
    _touch_singletons()
    before = db_state()
    assert client.get(f"/portal/bookings/{booking.pk}/sign").status_code == 404
    response = client.post(f"/portal/bookings/{booking.pk}/sign", {"signer_name": "Eve",
                                                                   "signature": data_url(signature_png())})
    assert response.status_code == 404 and db_state() == before


def test_a_fieldworkers_signing_link(db, media, settings):
    booking, fieldworker = accepted_job()
    url = links.signing_url(fieldworker_id=fieldworker.pk, booking_id=booking.pk)
    path = url[len(settings.FIELDOPS_PUBLIC_URL):]
    assert Client().get(path).status_code == 200
    response = Client().post(path, {"signer_name": "Grace Hopper", "signature": data_url(signature_png())})
    assert response.status_code == 302
    stored = StoredFile.objects.get()
    assert (stored.signature.signer_name, stored.author_kind, stored.channel) == (
        "Grace Hopper", "fieldworker", "telegram")
    stranger = factories.fieldworker()
    other = links.signing_url(fieldworker_id=stranger.pk, booking_id=booking.pk)[len(settings.FIELDOPS_PUBLIC_URL):]
    assert Client().get(other).status_code == 404
    assert Client().get("/sign/forged/").status_code == 404
    settings.FIELDOPS_SIGNING_LINK_SECONDS = -1
    assert Client().get(path).status_code == 410
