"""The only writers of quotes. Keyword-only, with ``actor`` and ``channel``; staff write, the customer
accepts or declines their own sent quote, the system expires them; every change appends to the
quote's history and publishes its event (``quote_history.record``).

Life (decision 0821): ``draft`` -> ``sent`` (e-mailed with its PDF and a signed link, texted when
asked) -> ``accepted`` | ``declined`` | ``expired`` (the periodic job, the day after ``valid_until``).
Only drafts are edited and deleted; a deleted draft's number is retired, never given out again.
Accepting records the terms version and, in the same transaction, books the job when a time was
agreed, else files an appointment request (decision 0823). Lines are priced by the catalogue's
engine exactly as an invoice's are (``invoices.build_lines``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from core.actors import Actor, Channel, ensure_office
from core.bookings import services as booking_services
from core.catalog import quoting
from core.company import numbers
from core.company.models import DocumentKind, Label
from core.company.selectors import get_company, terms_in_force
from core.crm.models import Customer, Inquiry, Property
from core.errors import DomainError, NotFound, PermissionDenied, ValidationFailed
from core.outreach import services as outreach_services
from core.phones import normalise_phone

from . import documents, invoices, quote_history
from .invoice_models import Invoice, InvoiceLine, InvoiceSource, InvoiceStatus
from .invoices import InvoiceLineInput, _date, _text, _trading_name, build_lines, figures
from .quote_events import QuoteSent
from .quote_models import QUOTE_MOVES, Quote, QuoteLine, QuoteStatus

QuoteLineInput = InvoiceLineInput  # the same line, the same rules
VALID_DAYS = 30  # a quote sent without a validity date holds this many days
MAX_LABELS = 20
LINE_FIELDS = ("kind", "description", "quantity", "unit_price", "tax_rate", "tax_name", "tax_inclusive",
               "discount_percent", "service_id", "product_id", "package_id", "list_unit_price", "pricing",
               "price_overridden_by_id", "price_overridden_at", "position")


def today() -> date:
    return timezone.now().astimezone(get_company().tz).date()


def ensure_staff(actor: Actor) -> None:
    ensure_office(actor, "quotes")


def _locked(quote_id: int) -> Quote:
    quote = Quote.objects.select_for_update().filter(pk=quote_id).first()
    if quote is None:
        raise NotFound("quote")
    return quote


def _ensure_draft(quote: Quote) -> None:
    if quote.status != QuoteStatus.DRAFT:
        raise DomainError("quote_not_draft", f"Quote {quote.number} is {quote.status}: only drafts are changed.")


def _move(quote: Quote, new_status: str) -> None:
    if new_status not in QUOTE_MOVES[quote.status]:
        raise DomainError("illegal_transition", f"Quote {quote.number} is {quote.status}; it cannot be {new_status}.")


def _summary(quote: Quote) -> dict[str, str]:
    return {"subtotal": str(quote.subtotal), "tax_total": str(quote.tax_total), "total": str(quote.total)}


def _as_quote_lines(built: Sequence[InvoiceLine]) -> list[QuoteLine]:
    return [QuoteLine(**{name: getattr(line, name) for name in LINE_FIELDS}) for line in built]


def _store_lines(quote: Quote, lines: list[QuoteLine]) -> None:
    """Replace the lines and write the sums beside them: the one writer of the stored totals."""
    found = figures(lines)  # type: ignore[arg-type]
    if found.total < 0:
        raise ValidationFailed("lines", "The discounts come to more than the quote.", code="negative_total")
    quote.lines.all().delete()
    for line in lines:
        line.quote = quote
    QuoteLine.objects.bulk_create(lines)
    quote.subtotal, quote.discount_total = found.subtotal, found.discount_total
    quote.tax_total, quote.total = found.tax_total, found.total
    quote.save(update_fields=["subtotal", "discount_total", "tax_total", "total", "updated_at"])


def _property(customer_id: int, property_id: int | None) -> Property | None:
    if property_id is None:
        return None
    prop = Property.objects.filter(pk=property_id, customer_id=customer_id).first()
    if prop is None:
        raise NotFound("property", field="propertyId")
    return prop


def _labels(label_ids: Sequence[int]) -> list[Label]:
    ids = list(dict.fromkeys(label_ids))
    if len(ids) > MAX_LABELS:
        raise ValidationFailed("labelIds", f"At most {MAX_LABELS} labels.", code="too_many")
    found = {label.pk: label for label in Label.objects.filter(pk__in=ids)}
    for position, pk in enumerate(ids):
        label = found.get(pk)
        if label is None:
            raise NotFound("label", field=f"labelIds.{position}")
        if not label.active or "quote" not in (label.applies_to or []):
            raise DomainError("label_not_for_quotes", f"The label {label.name} does not tag quotes.",
                              field=f"labelIds.{position}")
    return [found[pk] for pk in ids]


def _agreed(value: datetime | None, prop: Property | None) -> datetime | None:
    if value is None:
        return None
    if not isinstance(value, datetime) or not 2000 <= value.year <= 2999:
        raise ValidationFailed("agreedStart", "Not a date and time between 2000 and 2999.", code="invalid_datetime")
    if timezone.is_naive(value):  # wall-clock time at the job (decision 0005)
        from core.bookings import zones

        name = zones.zone_name(prop=prop, company=get_company())
        value = timezone.make_aware(value, zones.zone(name) or zones.UTC)
    return value


# --- create -------------------------------------------------------------------------------------


def quote_create(*, actor: Actor, channel: Channel, customer_id: int, trading_name_id: int | None = None,
                 property_id: int | None = None, lines: Sequence[QuoteLineInput] = (), notes: str = "",
                 valid_until: date | None = None, follow_up_date: date | None = None,
                 agreed_start: datetime | None = None, label_ids: Sequence[int] = (),
                 inquiry_id: int | None = None) -> Quote:
    """A draft quote, numbered now from its trading name's quote sequence (``Q-1042``)."""
    ensure_staff(actor)
    notes = _text(notes, "notes")
    valid_until = _date(valid_until, "validUntil") if valid_until is not None else None
    follow_up_date = _date(follow_up_date, "followUpDate") if follow_up_date is not None else None
    with transaction.atomic():
        customer = Customer.objects.filter(pk=customer_id).first()
        if customer is None:
            raise NotFound("customer", field="customerId")
        prop = _property(customer.pk, property_id)
        start = _agreed(agreed_start, prop)
        labels = _labels(label_ids)
        built = _as_quote_lines(build_lines(lines, place=quoting.place_of(prop), actor=actor))
        trading_name = _trading_name(trading_name_id)
        issued = numbers.allocate_number(trading_name, DocumentKind.QUOTE)
        quote = Quote.objects.create(
            trading_name=trading_name, issued_number=issued, number=issued.text, customer=customer, property=prop,
            inquiry_id=inquiry_id, currency=get_company().currency, notes=notes, valid_until=valid_until,
            follow_up_date=follow_up_date, agreed_start=start, owner=actor.user if actor.is_staff else None)
        if labels:
            quote.labels.set(labels)
        _store_lines(quote, built)
        quote_history.record(quote, actor=actor, channel=channel, action="created",
                             data={"lines": len(built), "inquiry_id": inquiry_id, **_summary(quote)})
    return quote


def quote_create_with_values(*, actor: Actor, channel: Channel, values: Mapping[str, Any], **quote: Any) -> Quote:
    """``quote_create`` and the quote's custom field values (``core.jobdata.services.values_set``, checked
    as a booking's) in one transaction: a refused value leaves no quote and uses no number (0942)."""
    from core.jobdata import services as jobdata_services
    from core.jobdata.models import Target

    with transaction.atomic():
        created = quote_create(actor=actor, channel=channel, **quote)
        jobdata_services.values_set(actor=actor, channel=channel, target=Target.QUOTE, object_id=created.pk,
                                    values=values)
    return created


def quote_create_from_inquiry(*, actor: Actor, channel: Channel, inquiry_id: int,
                              trading_name_id: int | None = None) -> Quote:
    """An inquiry (a lead) made into a draft quote in one call: its customer, the services it asked
    for (one each, priced by the engine), its words as the quote's notes; a new or contacted lead
    moves to ``quoted`` (decision 0825)."""
    ensure_staff(actor)
    from core.crm import services as crm_services
    from core.crm.models import LeadStatus

    with transaction.atomic():
        inquiry = Inquiry.objects.select_for_update().filter(pk=inquiry_id, deleted_at__isnull=True).first()
        if inquiry is None:
            raise NotFound("inquiry", field="inquiryId")
        if inquiry.customer_id is None:
            raise DomainError("no_customer", "Link the inquiry to a customer (or convert it) first.",
                              field="inquiryId")
        if Quote.objects.filter(inquiry_id=inquiry.pk).exists():
            raise DomainError("already_quoted", "This inquiry has a quote already.", field="inquiryId")
        services = list(inquiry.wanted_services.filter(active=True).order_by("pk"))
        lines = [QuoteLineInput(service_id=service.pk) for service in services]
        quote = quote_create(actor=actor, channel=channel, customer_id=inquiry.customer_id,
                             trading_name_id=trading_name_id, lines=lines, notes=(inquiry.body or "")[:5000],
                             inquiry_id=inquiry.pk)
        if inquiry.lead_status in (LeadStatus.NEW, LeadStatus.CONTACTED):
            crm_services.inquiry_move(actor=actor, channel=channel, inquiry_id=inquiry.pk,
                                      lead_status=LeadStatus.QUOTED)
    return quote


# --- edit while draft ---------------------------------------------------------------------------


def quote_set_lines(*, actor: Actor, channel: Channel, quote_id: int, lines: Sequence[QuoteLineInput]) -> Quote:
    """Replace a draft's lines: items priced by the engine at the quote's property (overrides kept),
    fees and discounts, each with its tax rate."""
    ensure_staff(actor)
    with transaction.atomic():
        quote = _locked(quote_id)
        _ensure_draft(quote)
        before = _summary(quote)
        prop = Property.objects.filter(pk=quote.property_id).first() if quote.property_id else None
        built = _as_quote_lines(build_lines(lines, place=quoting.place_of(prop), actor=actor))
        _store_lines(quote, built)
        after = _summary(quote)
        quote_history.record(quote, actor=actor, channel=channel, action="lines_set",
                             changes={key: (before[key], after[key]) for key in before if before[key] != after[key]},
                             data={"lines": len(built)})
    return quote


ANY_TIME = {"follow_up_date", "label_ids"}  # the office's own notes on a quote, in any state
WHILE_OPEN = {"valid_until"}  # a sent quote's validity may still be extended
DRAFT_ONLY = {"notes", "property_id", "agreed_start", "trading_name_id"}


def quote_update(*, actor: Actor, channel: Channel, quote_id: int, **changes: Any) -> Quote:
    """Change what is sent: ``changes`` of ``notes``, ``property_id``, ``agreed_start``,
    ``trading_name_id`` (a new number from its sequence, the old one retired) on a draft;
    ``valid_until`` on a draft or a sent quote; ``follow_up_date`` and ``label_ids`` at any time."""
    ensure_staff(actor)
    unknown = set(changes) - ANY_TIME - WHILE_OPEN - DRAFT_ONLY
    if unknown:
        raise ValidationFailed(sorted(unknown)[0], "Not a field of a quote.", code="invalid")
    clean: dict[str, Any] = {}
    if "notes" in changes:
        clean["notes"] = _text(changes["notes"], "notes")
    for key, field in (("valid_until", "validUntil"), ("follow_up_date", "followUpDate")):
        if key in changes:
            clean[key] = None if changes[key] is None else _date(changes[key], field)
    with transaction.atomic():
        quote = _locked(quote_id)
        if set(changes) & DRAFT_ONLY:
            _ensure_draft(quote)
        if set(changes) & WHILE_OPEN and quote.status not in (QuoteStatus.DRAFT, QuoteStatus.SENT):
            raise DomainError("illegal_transition", f"Quote {quote.number} is {quote.status}; its validity is over.")
        if quote.status == QuoteStatus.SENT and "valid_until" in clean and (
                clean["valid_until"] is None or clean["valid_until"] < today()):
            raise ValidationFailed("validUntil", "A sent quote is valid until today or later.", code="in_past")
        diff: dict[str, tuple[Any, Any]] = {}
        if "property_id" in changes:
            prop = _property(quote.customer_id, changes["property_id"])
            clean["property_id"] = prop.pk if prop else None
        if "agreed_start" in changes:
            prop = Property.objects.filter(pk=clean.get("property_id", quote.property_id)).first()
            clean["agreed_start"] = _agreed(changes["agreed_start"], prop)
        if "label_ids" in changes:
            labels = _labels(changes["label_ids"] or [])
            before = sorted(quote.labels.values_list("pk", flat=True))
            after = sorted(label.pk for label in labels)
            if before != after:
                quote.labels.set(labels)
                diff["labels"] = (before, after)
        if changes.get("trading_name_id") is not None and changes["trading_name_id"] != quote.trading_name_id:
            trading_name = _trading_name(changes["trading_name_id"])
            old_number = quote.number
            numbers.retire_number(quote.issued_number_id)
            issued = numbers.allocate_number(trading_name, DocumentKind.QUOTE)
            diff["trading_name"] = (quote.trading_name_id, trading_name.pk)
            diff["number"] = (old_number, issued.text)
            quote.trading_name, quote.issued_number, quote.number = trading_name, issued, issued.text
        for key, value in clean.items():
            if getattr(quote, key) != value:
                diff[key] = (getattr(quote, key), value)
                setattr(quote, key, value)
        if "follow_up_date" in diff:
            quote.follow_up_reminded_for = None  # a new date: one reminder on it
        if not diff:
            return quote
        quote.save()
        quote_history.record(quote, actor=actor, channel=channel, action="updated", changes=diff)
    return quote


def quote_update_with_values(*, actor: Actor, channel: Channel, quote_id: int, values: Mapping[str, Any],
                             **changes: Any) -> Quote:
    """``quote_update`` and the quote's custom field values in one transaction, all or nothing. The values
    are the office's notes on the quote and change in any state (decision 0942)."""
    from core.jobdata import services as jobdata_services
    from core.jobdata.models import Target

    with transaction.atomic():
        quote = quote_update(actor=actor, channel=channel, quote_id=quote_id, **changes)
        jobdata_services.values_set(actor=actor, channel=channel, target=Target.QUOTE, object_id=quote.pk,
                                    values=values)
    return quote


# --- life ---------------------------------------------------------------------------------------


def quote_send(*, actor: Actor, channel: Channel, quote_id: int, send_email: bool = True,
               send_sms: bool = False) -> Quote:
    """Draft -> sent, under the terms in force now, valid until its date (``VALID_DAYS`` from today
    when none is set). The handler of ``QuoteSent`` e-mails it with its PDF and signed link and, with
    ``send_sms``, texts the link and the words that accept it to the customer's mobile, whose number
    is kept: replies from it may accept (decision 0824)."""
    ensure_staff(actor)
    with transaction.atomic():
        quote = _locked(quote_id)
        _move(quote, QuoteStatus.SENT)
        if not quote.lines.exists():
            raise DomainError("no_lines", "A quote needs at least one line.", field="lines")
        valid_until = quote.valid_until or today() + timedelta(days=VALID_DAYS)
        if valid_until < today():
            raise ValidationFailed("validUntil", "The quote would be expired already.", code="in_past")
        sms_to = ""
        if send_sms:
            mobile = Customer.objects.filter(pk=quote.customer_id).values_list("mobile", flat=True).first() or ""
            try:
                sms_to = normalise_phone(mobile, field="sendSms") if mobile else ""
            except ValidationFailed:
                sms_to = ""
            if not sms_to:
                raise DomainError("no_mobile", "The customer has no mobile number to text.", field="sendSms")
        terms = terms_in_force(quote.trading_name)
        changes: dict[str, tuple[Any, Any]] = {"status": (quote.status, QuoteStatus.SENT)}
        if quote.valid_until != valid_until:
            changes["valid_until"] = (quote.valid_until, valid_until)
        quote.status, quote.valid_until, quote.terms_version = QuoteStatus.SENT, valid_until, terms
        quote.sent_at, quote.sms_to = timezone.now(), sms_to
        quote.save()
        quote_history.record(quote, actor=actor, channel=channel, action="sent", changes=changes,
                             data={**_summary(quote), "terms_version": terms.version if terms else None,
                                   "send_email": send_email, "send_sms": send_sms},
                             event=QuoteSent, send_email=send_email, send_sms=send_sms)
    return quote


def _decider(actor: Actor, quote: Quote) -> None:
    """Staff record a customer's answer; a customer answers their own quote; nobody else."""
    if actor.is_staff or actor.is_system:
        return
    if actor.is_customer and actor.customer_id == quote.customer_id:
        return
    raise NotFound("quote")  # another customer's quote answers as a missing one


def _decide(quote_id: int, actor: Actor, channel: Channel, status: str) -> Quote:
    quote = _locked(quote_id)
    _decider(actor, quote)
    if quote.status == QuoteStatus.DRAFT and not (actor.is_staff or actor.is_system):
        raise NotFound("quote")  # a draft is the office's
    _move(quote, status)
    if status == QuoteStatus.ACCEPTED and quote.valid_until is not None and quote.valid_until < today():
        raise DomainError("quote_expired", f"Quote {quote.number} expired on {quote.valid_until:%d %b %Y}.")
    return quote


def _active_owner(quote: Quote) -> int | None:
    """The quote's owner, to own the booking too, while they are active staff."""
    from core.accounts.models import User

    owner = User.objects.filter(pk=quote.owner_id, is_active=True).first() if quote.owner_id else None
    return owner.pk if owner is not None and owner.is_staff_member else None


def quote_accept(*, actor: Actor, channel: Channel, quote_id: int) -> Quote:
    """Sent -> accepted, with the terms version the customer accepted (the one printed on the quote),
    and in the same transaction the job: a booking at the agreed time with the quote's item lines
    (as quoted), or, with no time agreed, an appointment request for the office to schedule."""
    if not actor.is_authenticated and not actor.is_system:
        raise DomainError("unauthenticated", "Sign in first.")
    with transaction.atomic():
        quote = _decide(quote_id, actor, channel, QuoteStatus.ACCEPTED)
        lines = list(quote.lines.all())
        data: dict[str, Any] = {}
        if quote.agreed_start is not None:
            items = [booking_services.LineInput(
                service_id=line.service_id, product_id=line.product_id, package_id=line.package_id,
                quantity=line.quantity, unit_price=line.unit_price, description=line.description,
                tax_rate=line.tax_rate, tax_name=line.tax_name) for line in lines if line.kind == "item"]
            booking = booking_services.booking_create(
                actor=Actor.system(), channel=channel, customer_id=quote.customer_id,
                scheduled_start=quote.agreed_start, property_id=quote.property_id, lines=items,
                owner_id=_active_owner(quote),
                notes=f"From quote {quote.number}.")
            quote.booking = booking
            data["booking_id"], data["booking_number"] = booking.pk, booking.number
        else:
            listed = "; ".join(f"{line.quantity.normalize()} x {line.description}" for line in lines)
            first_service = next((line.service_id for line in lines if line.service_id), None)
            customer = Customer.objects.get(pk=quote.customer_id)
            request = outreach_services.booking_request_create(
                actor=Actor.for_customer(customer), channel=channel, preferred_date=today(),
                service_id=first_service, notes=f"Quote {quote.number} accepted: {listed}"[:2000])
            quote.booking_request = request
            data["booking_request_id"] = request.pk
        quote.status, quote.decided_at, quote.decided_channel = QuoteStatus.ACCEPTED, timezone.now(), str(channel)
        quote.accepted_terms_version = quote.terms_version
        quote.save()
        terms = quote.accepted_terms_version
        quote_history.record(quote, actor=actor, channel=channel, action="accepted",
                             changes={"status": (QuoteStatus.SENT, QuoteStatus.ACCEPTED)},
                             data={**data, "terms_version": terms.version if terms else None})
    return quote


def quote_decline(*, actor: Actor, channel: Channel, quote_id: int, reason: str = "") -> Quote:
    """Sent -> declined, by the customer (or staff recording their answer)."""
    if not actor.is_authenticated and not actor.is_system:
        raise DomainError("unauthenticated", "Sign in first.")
    reason = _text(reason, "reason", limit=2000)
    with transaction.atomic():
        quote = _decide(quote_id, actor, channel, QuoteStatus.DECLINED)
        quote.status, quote.decided_at, quote.decided_channel = QuoteStatus.DECLINED, timezone.now(), str(channel)
        quote.save()
        quote_history.record(quote, actor=actor, channel=channel, action="declined",
                             changes={"status": (QuoteStatus.SENT, QuoteStatus.DECLINED)}, data={"reason": reason})
    return quote


def quote_expire_due(*, actor: Actor, channel: Channel, on: date | None = None, limit: int = 500) -> int:
    """Sent quotes whose validity ended before ``on`` (today, company time) -> expired. The system's."""
    if not actor.is_system:
        raise PermissionDenied("Quotes expire on their own.")
    on = on or today()
    count = 0
    due = list(Quote.objects.filter(status=QuoteStatus.SENT, valid_until__lt=on).order_by("valid_until", "pk")
               .values_list("pk", flat=True)[:limit])
    for pk in due:
        with transaction.atomic():
            quote = Quote.objects.select_for_update().filter(pk=pk, status=QuoteStatus.SENT,
                                                             valid_until__lt=on).first()
            if quote is None:  # answered in between
                continue
            quote.status, quote.decided_at, quote.decided_channel = QuoteStatus.EXPIRED, timezone.now(), str(channel)
            quote.save(update_fields=["status", "decided_at", "decided_channel", "updated_at"])
            quote_history.record(quote, actor=actor, channel=channel, action="expired",
                                 changes={"status": (QuoteStatus.SENT, QuoteStatus.EXPIRED)},
                                 data={"valid_until": quote.valid_until})
            count += 1
    return count


def quote_delete(*, actor: Actor, channel: Channel, quote_id: int) -> int:
    """Delete a draft; its number is retired, never given out again. A sent quote is declined or
    expires instead. Its attachments and custom field values go with it (a draft has no complaints:
    they name sent quotes). Returns the deleted id."""
    ensure_staff(actor)
    with transaction.atomic():
        quote = _locked(quote_id)
        _ensure_draft(quote)
        pk, issued_id = quote.pk, quote.issued_number_id
        from core.files.services import quote_files_discard
        from core.jobdata.services import values_discard

        files = quote_files_discard(quote_id=pk)  # the bytes after commit
        values = values_discard(target="quote", object_id=pk)  # no foreign key holds them (decision 0900)
        quote_history.record(quote, actor=actor, channel=channel, action="deleted",
                             changes={"status": (quote.status, "deleted")},
                             data={**_summary(quote), "files": files, "custom_fields": values})
        quote.delete()
        numbers.retire_number(issued_id)
    return pk


def quote_change_number(*, actor: Actor, channel: Channel, quote_id: int, number: int) -> Quote:
    """Another number of its trading name's quote sequence, never used before; the old one retired."""
    ensure_staff(actor)
    with transaction.atomic():
        quote = _locked(quote_id)
        documents.renumber(quote, number, record=lambda **change: quote_history.record(
            quote, actor=actor, channel=channel, **change))
    return quote


def quote_claim(*, actor: Actor, channel: Channel, quote_id: int) -> Quote:
    """The staff member calling becomes the quote's owner (who gets its follow-up reminders)."""
    if not actor.is_staff:
        ensure_staff(actor)
        raise PermissionDenied("Only staff own quotes.")
    with transaction.atomic():
        quote = _locked(quote_id)
        documents.claim(quote, actor, record=lambda **change: quote_history.record(
            quote, actor=actor, channel=channel, **change))
    return quote


def quote_invoice(*, actor: Actor, channel: Channel, quote_id: int) -> Invoice:
    """A draft invoice of an accepted quote: its lines as priced, its trading name, the booking it
    made (decision 0838). One live invoice per quote; a void one may be made again."""
    ensure_staff(actor)
    with transaction.atomic():
        quote = _locked(quote_id)
        if quote.status != QuoteStatus.ACCEPTED:
            raise DomainError("quote_not_accepted", f"Quote {quote.number} is {quote.status}; only an accepted "
                                                    "quote is invoiced.")
        if Invoice.objects.filter(quote_id=quote.pk, status__in=(InvoiceStatus.DRAFT, InvoiceStatus.ISSUED)).exists():
            raise DomainError("quote_invoiced", f"Quote {quote.number} has an invoice already.")
        lines = [InvoiceLine(**{name: getattr(line, name) for name in LINE_FIELDS}) for line in quote.lines.all()]
        invoice = invoices.invoice_create_from_lines(
            actor=actor, channel=channel, customer_id=quote.customer_id, lines=lines, source=InvoiceSource.QUOTE,
            trading_name_id=quote.trading_name_id, booking_id=quote.booking_id, quote_id=quote.pk,
            notes=f"From quote {quote.number}.")
        quote_history.record(quote, actor=actor, channel=channel, action="invoiced",
                             data={"invoice_id": invoice.pk, "invoice_number": invoice.number})
    return invoice


# --- follow-ups ---------------------------------------------------------------------------------


def follow_ups_due(*, on: date | None = None, limit: int = 500) -> list[int]:
    """Quotes whose follow-up date has come and whose owner has not been reminded of it yet."""
    on = on or today()
    from django.db.models import F, Q

    return list(Quote.objects.filter(follow_up_date__lte=on, owner__isnull=False)
                .filter(Q(follow_up_reminded_for__isnull=True) | ~Q(follow_up_reminded_for=F("follow_up_date")))
                .order_by("follow_up_date", "pk").values_list("pk", flat=True)[:limit])


def quote_follow_up_mark(*, actor: Actor, channel: Channel, quote_id: int) -> Quote | None:
    """Mark a quote's follow-up as reminded (the reminder task is enqueued in the same transaction
    by the caller), or None when another run did it first."""
    if not actor.is_system:
        raise PermissionDenied("Follow-up reminders are the system's.")
    quote = Quote.objects.select_for_update().filter(pk=quote_id, follow_up_date__isnull=False,
                                                     owner__isnull=False).first()
    if quote is None or quote.follow_up_reminded_for == quote.follow_up_date:
        return None
    quote.follow_up_reminded_for = quote.follow_up_date
    quote.save(update_fields=["follow_up_reminded_for", "updated_at"])
    quote_history.record(quote, actor=actor, channel=channel, action="follow_up_reminded",
                         data={"follow_up_date": quote.follow_up_date, "owner_id": quote.owner_id})
    return quote
