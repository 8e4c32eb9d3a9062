"""Trading names, their logos and terms, and the label list, through the services."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.utils import timezone
from PIL import Image

from core.actors import Actor, Channel
from core.company import services
from core.company.models import CompanyLog, Label, TermsVersion, TradingName
from core.company.selectors import default_trading_name, get_company, labels_for, terms_in_force
from tests.core.support import assert_refused
from tests.media import stored_files

from .images import gif, noisy_png, png

G = Channel.GRAPHQL


def create(actor, **values):
    values.setdefault("name", "Sparkle Windows")
    return services.trading_name_create(actor=actor, channel=G, **values)


def test_the_migration_made_a_default_trading_name_from_the_company(db):
    row = TradingName.objects.get(is_default=True)
    assert row.name == get_company().name
    assert default_trading_name() == row


def test_staff_create_a_trading_name_with_a_logo_stored_through_the_storage_api(staff_actor, media, company_events):
    row = create(staff_actor, email="hello@sparkle.test", phone="0412 345 678", sender_name="Sparkle",
                 quote_prefix="SQ-", invoice_prefix="SI-", logo=io.BytesIO(png(200, 80)))
    row.refresh_from_db()
    assert (row.phone, row.quote_prefix, row.invoice_prefix, row.is_default) == ("+61412345678", "SQ-", "SI-", False)
    assert row.logo.name.startswith(f"trading-names/{row.pk}/logo-") and row.logo.name.endswith(".png")
    assert stored_files(media) == [row.logo.name]
    with row.logo.open("rb") as stored, Image.open(stored) as image:
        assert image.size == (200, 80)
    assert company_events.names == ["TradingNameCreated"]
    log = CompanyLog.objects.get(subject="trading_name", subject_id=row.pk)
    assert (log.action, log.actor_kind, log.channel, log.data["logo"]) == ("created", "staff", "graphql", row.logo.name)


@pytest.mark.parametrize("content, code", [
    (b"%PDF-1.4 not an image at all", "not_an_image"),
    (b"", "not_an_image"),
    (png()[:60], "not_an_image"),  # a PNG header with its body cut off
    (b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>", "not_an_image"),
    (gif(), "unsupported_image"),
    (png(8, 8), "image_dimensions"),
    (png(2100, 50), "image_dimensions"),
])
def test_a_bad_logo_is_refused_and_nothing_is_stored(staff_actor, media, company_events, content, code):
    existing = create(staff_actor, name="Existing", logo=png())
    company_events.clear()
    files = stored_files(media)
    assert_refused(lambda: create(staff_actor, logo=io.BytesIO(content)), code, field="logo")
    assert_refused(lambda: services.trading_name_update(actor=staff_actor, channel=G, trading_name_id=existing.pk,
                                                        logo=content, name="Renamed"), code, field="logo")
    assert stored_files(media) == files
    assert company_events.names == []


def test_an_oversized_logo_is_refused_by_its_size(staff_actor, media, settings):
    settings.FIELDOPS_UPLOAD_MAX_BYTES = 20_000
    big = noisy_png(200, 200)
    assert len(big) > 20_000
    error = assert_refused(lambda: create(staff_actor, logo=big), "file_too_large", field="logo")
    assert error.data == {"maxBytes": 20_000}
    assert stored_files(media) == []


def test_a_decompression_bomb_is_refused_without_decoding_it(staff_actor, media, settings):
    settings.FIELDOPS_LOGO_MAX_SIDE = 100_000
    bomb = io.BytesIO()
    Image.new("1", (30_000, 30_000)).save(bomb, format="PNG")  # 900 megapixels in a small file
    assert len(bomb.getvalue()) < 1024 * 1024
    assert_refused(lambda: create(staff_actor, logo=bomb.getvalue()), "not_an_image", field="logo")
    assert stored_files(media) == []


def test_replacing_and_removing_the_logo_deletes_the_old_file_after_commit(staff_actor, media, company_events):
    row = create(staff_actor, logo=png())
    first = row.logo.name
    row = services.trading_name_update(actor=staff_actor, channel=G, trading_name_id=row.pk, logo=png(64, 64))
    company_events.all()  # commit: the old file goes
    assert stored_files(media) == [row.logo.name] != [first]
    services.trading_name_update(actor=staff_actor, channel=G, trading_name_id=row.pk, remove_logo=True)
    company_events.all()
    assert stored_files(media) == []
    assert TradingName.objects.get(pk=row.pk).logo.name == ""
    assert [log.changes["logo"] for log in CompanyLog.objects.filter(subject_id=row.pk, action="updated")] == [
        [first, row.logo.name], [row.logo.name, ""]]


@pytest.mark.parametrize("values, code, field", [
    ({"name": "  "}, "invalid", "name"),
    ({"email": "not-an-address"}, "invalid", "email"),
    ({"phone": "call me"}, "invalid_phone", "phone"),
    ({"website": "nope"}, "invalid", "website"),
    ({"sender_name": "Way too long sender"}, "invalid", "senderName"),
    ({"sender_name": "1234"}, "invalid", "senderName"),
    ({"quote_prefix": "Q<script>"}, "invalid", "quotePrefix"),
    ({"quote_prefix": "X-", "invoice_prefix": "x-"}, "duplicate_prefix", "invoicePrefix"),
    ({"number_start": 0}, "out_of_range", "numberStart"),
    ({"name": "FIELDOPS DEMO SERVICES"}, "duplicate", "name"),
])
def test_bad_details_are_refused(staff_actor, values, code, field):
    get_company()
    values = {"name": "Sparkle", **values}
    assert_refused(lambda: services.trading_name_create(actor=staff_actor, channel=G, **values), code, field=field)


@pytest.mark.parametrize("kind", ["customer", "fieldworker", "anonymous"])
def test_only_staff_manage_trading_names_terms_and_labels(kind, customer_actor, fieldworker_actor):
    actor = {"customer": customer_actor, "fieldworker": fieldworker_actor, "anonymous": Actor.anonymous()}[kind]
    default = default_trading_name()
    assert_refused(lambda: create(actor), "forbidden")
    assert_refused(lambda: services.trading_name_update(actor=actor, channel=G, trading_name_id=default.pk,
                                                        name="X"), "forbidden")
    assert_refused(lambda: services.terms_publish(actor=actor, channel=G, trading_name_id=default.pk,
                                                  text="Mine"), "forbidden")
    assert_refused(lambda: services.label_create(actor=actor, channel=G, name="VIP", applies_to=["quote"]),
                   "forbidden")


def test_one_default_at_a_time_and_it_stays_active(staff_actor, company_events):
    old = default_trading_name()
    new = create(staff_actor)
    services.trading_name_set_default(actor=staff_actor, channel=G, trading_name_id=new.pk)
    assert list(TradingName.objects.filter(is_default=True)) == [new]
    assert default_trading_name() == new
    assert_refused(lambda: services.trading_name_update(actor=staff_actor, channel=G, trading_name_id=new.pk,
                                                        active=False), "default_inactive", field="active")
    services.trading_name_update(actor=staff_actor, channel=G, trading_name_id=old.pk, active=False)
    assert_refused(lambda: services.trading_name_set_default(actor=staff_actor, channel=G, trading_name_id=old.pk),
                   "inactive")


def test_terms_versions_number_up_and_the_one_in_force_is_the_latest_started(staff_actor, company_events):
    row = default_trading_name()
    assert terms_in_force(row) is None
    first = services.terms_publish(actor=staff_actor, channel=G, trading_name_id=row.pk, text="Pay in 14 days.")
    later = timezone.now() + timedelta(days=10)
    second = services.terms_publish(actor=staff_actor, channel=G, trading_name_id=row.pk, text="Pay in 7 days.",
                                    in_force_from=later)
    assert (first.version, second.version) == (1, 2)
    assert terms_in_force(row) == first
    assert terms_in_force(row, later) == second
    assert company_events.names == ["TermsPublished", "TermsPublished"]
    with pytest.raises(RuntimeError):
        first.text = "Pay whenever."
        first.save()
    assert TermsVersion.objects.get(pk=first.pk).text == "Pay in 14 days."


@pytest.mark.parametrize("when, code", [
    (lambda now: now - timedelta(days=1), "in_the_past"),
    (lambda now: (now + timedelta(days=1)).replace(tzinfo=None), "invalid"),
])
def test_terms_cannot_start_in_the_past_or_without_an_offset(staff_actor, when, code):
    row = default_trading_name()
    assert_refused(lambda: services.terms_publish(actor=staff_actor, channel=G, trading_name_id=row.pk, text="T",
                                                  in_force_from=when(timezone.now())), code, field="inForceFrom")


def test_a_version_never_starts_before_the_latest(staff_actor):
    row = default_trading_name()
    services.terms_publish(actor=staff_actor, channel=G, trading_name_id=row.pk, text="A",
                           in_force_from=timezone.now() + timedelta(days=5))
    assert_refused(lambda: services.terms_publish(actor=staff_actor, channel=G, trading_name_id=row.pk, text="B",
                                                  in_force_from=timezone.now() + timedelta(days=1)),
                   "before_latest", field="inForceFrom")
    assert_refused(lambda: services.terms_publish(actor=staff_actor, channel=G, trading_name_id=row.pk, text="  "),
                   "invalid", field="text")


def test_labels_are_a_managed_list_per_kind(staff_actor, company_events):
    vip = services.label_create(actor=staff_actor, channel=G, name=" VIP  customer ", colour="#AA0000",
                                applies_to=["quote", "customer", "quote"])
    urgent = services.label_create(actor=staff_actor, channel=G, name="Urgent", applies_to=["booking", "invoice"])
    assert (vip.name, vip.colour, vip.applies_to) == ("VIP customer", "#aa0000", ["quote", "customer"])
    assert labels_for("quote") == [vip]
    assert labels_for("invoice") == [urgent]
    services.label_update(actor=staff_actor, channel=G, label_id=vip.pk, active=False)
    assert labels_for("quote") == []
    assert labels_for("quote", include_inactive=True) == [vip]
    assert company_events.names == ["LabelCreated", "LabelCreated", "LabelUpdated"]
    assert_refused(lambda: services.label_create(actor=staff_actor, channel=G, name="vip CUSTOMER",
                                                 applies_to=["quote"]), "duplicate", field="name")
    assert_refused(lambda: services.label_create(actor=staff_actor, channel=G, name="X", colour="red",
                                                 applies_to=["quote"]), "invalid", field="colour")
    assert_refused(lambda: services.label_create(actor=staff_actor, channel=G, name="X", applies_to=["planet"]),
                   "invalid", field="appliesTo")
    assert_refused(lambda: services.label_update(actor=staff_actor, channel=G, label_id=urgent.pk, applies_to=[]),
                   "invalid", field="appliesTo")
    assert Label.objects.count() == 2
