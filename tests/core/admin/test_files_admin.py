"""Stored files in the admin: listed and shown without a link to the bytes (they have no public URL),
removed through the service; the file settings changed through theirs; a trading name's logo shown by
name."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from core.actors import Actor, Channel
from core.company.selectors import default_trading_name
from core.company.services import trading_name_update
from core.files import services
from core.files.models import FileSettings, StoredFile
from tests import factories
from tests.core.files.conftest import pdf_bytes

from .support import submit

pytestmark = pytest.mark.django_db


def test_files_are_shown_and_removed_through_the_service(browser, media, django_capture_on_commit_callbacks):
    stored = services.file_upload_to_booking(actor=factories.staff_actor(), channel=Channel.GRAPHQL,
                                             booking_id=factories.booking().pk, upload=pdf_bytes(), name="a.pdf")
    assert browser.get("/admin/files/storedfile/").status_code == 200
    page = browser.get(f"/admin/files/storedfile/{stored.pk}/change/")
    assert page.status_code == 200 and b"/media/" not in page.content and stored.file.name.encode() not in page.content
    with django_capture_on_commit_callbacks(execute=True):
        response = browser.post("/admin/files/storedfile/", {"action": "remove", "_selected_action": [stored.pk]})
    assert response.status_code == 302
    assert StoredFile.objects.count() == 0 and list(media.rglob("*.pdf")) == []


def test_the_file_settings_are_changed_through_the_service(browser):
    response = submit(browser, "/admin/files/filesettings/add/", "filesettings_form", keep_image_metadata="on")
    assert response.status_code == 302
    assert FileSettings.objects.get().keep_image_metadata is True


def test_a_trading_name_with_a_logo_opens(browser, media):
    out = io.BytesIO()
    Image.new("RGB", (64, 32), "#123456").save(out, format="PNG")
    target = default_trading_name()
    trading_name_update(actor=Actor.from_user(factories.staff_user()), channel=Channel.GRAPHQL,
                        trading_name_id=target.pk, logo=out.getvalue())
    target.refresh_from_db()
    page = browser.get(f"/admin/company/tradingname/{target.pk}/change/")
    assert page.status_code == 200 and target.logo.name.encode() in page.content
