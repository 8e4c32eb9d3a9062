"""The customer portal and the landings of e-mail links. Server-rendered, no JavaScript needed.

Two ways in, one set of pages:
* ``/b/<token>/...``: a signed link from an e-mail or SMS, scoped to one booking (channel EMAIL_LINK);
* ``/portal/...``: a session opened by a one-time sign-in link (channel PORTAL), showing only the
  customer's own bookings (``visible_bookings``).
Every change goes through a core service; every GET only reads (link scanners and mail previews
follow GETs), every POST carries a CSRF token.
"""

from __future__ import annotations

import functools
import zoneinfo
from datetime import datetime
from decimal import Decimal, InvalidOperation

from django import forms
from django.db import transaction
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from core.actors import Actor, Channel
from core.bookings import services as booking_services
from core.bookings import zones
from core.bookings.models import BookingStatus
from core.bookings.selectors import booking_for, visible_bookings, visible_comments
from core.catalog.models import Service
from core.company.selectors import get_company
from core.complaints import services as complaint_services
from core.complaints.selectors import complaint_types, visible_complaints
from core.crm import services as crm_services
from core.crm.models import Customer, PreferredChannel
from core.crm.selectors import own_inquiries
from core.errors import DomainError
from core.jobdata import services as jobdata
from core.jobdata.forms_selectors import shown_forms
from core.outreach import links
from core.outreach import services as outreach
from core.ratelimit import hit
from core.reviews import links as review_links
from core.reviews.models import Review

from . import custom_fields
from .calendar import booking_ics
from .documents import booking_job_sheet
from .ratelimit import client_ip
from .signing import booking_files

SESSION_KEY = "portal_customer_id"
SIGNIN_LIMIT = (5, 15 * 60)  # per address and per client IP: attempts per window (seconds)
SIGNIN_IP_LIMIT = (20, 15 * 60)
CANCEL_LIMIT = (10, 10 * 60)  # cancel POSTs per booking and client IP
MOVE_LIMIT = (10, 10 * 60)  # move POSTs per booking and client IP
REQUEST_LIMIT = (10, 60 * 60)
INQUIRY_LIMIT = (10, 60 * 60)  # inquiry form POSTs per customer and client IP
MESSAGE_LIMIT = (10, 10 * 60)  # discussion messages per booking and client IP
COMPLAINT_LIMIT = (5, 60 * 60)  # complaint form POSTs per booking and client IP
CONTACT_LIMIT = (10, 10 * 60)  # contact preference POSTs per customer and client IP


def _page(request, template: str, context: dict | None = None, status: int = 200):
    context = {"company": get_company(), **(context or {})}
    booking, quote = context.get("booking"), context.get("quote")
    # Every time on a page is on the wall clock of its booking's zone (a quote's: its property's; else
    # the company's): Django's date filters convert to the zone active while rendering (decision 0620).
    if booking is not None:
        zone = zones.zone_of(booking)
    elif quote is not None and quote.property_id:
        zone = zones.zone(zones.zone_name(prop=quote.property)) or zones.company_zone()
    else:
        zone = zones.company_zone()
    with timezone.override(zone):
        return render(request, f"web/portal/{template}", {**context, "zone_name": zone.key}, status=status)


def _too_many(request):
    return _page(request, "message.html", {"title": "Too many attempts",
                                           "text": "Please wait a few minutes and try again."}, status=429)


def _not_found(request):
    return _page(request, "message.html", {"title": "Booking not found",
                                           "text": "This booking does not exist or is not yours."}, status=404)


def _zone(booking) -> zoneinfo.ZoneInfo:
    """Where the booking's times are read: its own zone, else its property's, else the company's."""
    for name in (booking.time_zone, booking.property.time_zone if booking.property_id else ""):
        if name:
            try:
                return zoneinfo.ZoneInfo(name)
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                continue
    return get_company().tz


class Where:
    """The URLs of the pages for one booking, per way in."""

    def __init__(self, *, token: str | None = None, booking_id: int | None = None) -> None:
        self.token, self.booking_id = token, booking_id

    @property
    def channel(self) -> Channel:
        return Channel.EMAIL_LINK if self.token else Channel.PORTAL

    def url(self, page: str) -> str:
        if self.token:
            return reverse(f"link-{page}", args=[self.token])
        if page == "request":
            return reverse("portal-request") + f"?after={self.booking_id}"
        return reverse(f"portal-{page}", args=[self.booking_id])


# --- shared pages ---------------------------------------------------------------------------------


def _booking_page(request, booking, actor: Actor, where: Where, *, notice: str = "", status: int = 200,
                  message: str = "", message_error: str = "", complaint: dict | None = None):
    quote = booking_services.booking_cancellation_quote(actor=actor, channel=where.channel, booking_id=booking.pk)
    if not notice and request.GET.get("sent"):
        notice = "Your message is sent. We will answer here."
    if not notice and request.GET.get("complained"):
        notice = "Thank you for telling us. We will look into it and get back to you."
    complaint = complaint or {}
    return _page(request, "booking.html", {
        "booking": booking, "lines": list(booking.lines.all()),
        "cancelled": booking.status == BookingStatus.CANCELLED,
        "quote": quote, "cancel_url": where.url("cancel") if quote.allowed else "",
        "move_url": where.url("move") if booking_services.booking_reschedule_options(
            actor=actor, channel=where.channel, booking_id=booking.pk, with_slots=False).allowed else "",
        "request_url": where.url("request"), "notice": notice,
        "signed_in": where.token is None,
        # the discussion as the customer may read it: customer-visible messages only
        "thread": list(visible_comments(actor).filter(booking_id=booking.pk).order_by("created_at", "id")
                       .only("author_name", "author_kind", "body", "created_at")),
        "discussion_url": where.url("discussion"), "message": message, "message_error": message_error,
        "pdf_url": where.url("pdf"),
        "calendar_url": where.url("ics"),
        "zone": _zone(booking),
        # complaints (decision 0935): the customer's own on this booking, and the form to raise one
        "complaints": list(visible_complaints(actor).filter(booking_id=booking.pk).select_related("type", "status")
                           .order_by("created_at", "id")),
        "complaint_types": list(complaint_types(actor, active_only=True)),
        "complaint_url": where.url("complaint"), "complaint_text": complaint.get("text", ""),
        "complaint_type": complaint.get("type", ""), "complaint_error": complaint.get("error", ""),
        # signatures and the files marked for the customer, each behind a link made for this viewer
        "files": booking_files(actor, booking.pk),
        "sign_url": reverse("portal-sign", args=[booking.pk])
        if where.token is None and booking.status != BookingStatus.CANCELLED else "",
        "forms": shown_forms(booking.pk),  # submitted and customer-visible only
        "review_url": _review_url(booking, where),
    }, status=status)


def _review_url(booking, where: Where) -> str:
    """'Rate this job' on a completed booking while the company asks for reviews, or once reviewed
    (decision 0631): the portal's review page, or the booking's review link."""
    if booking.status != BookingStatus.COMPLETED:
        return ""
    if not get_company().review_requests_enabled and not Review.objects.filter(booking_id=booking.pk).exists():
        return ""
    if where.token is None:
        return reverse("portal-review", args=[booking.pk])
    return reverse("link-review", args=[review_links.review_token(booking)])


COMPLAINT_FORM_ERRORS = {"required": "Please tell us what went wrong.",
                         "not_found": "Please choose a kind of problem from the list.",
                         "inactive": "Please choose a kind of problem from the list."}


def complaint_from_form(request, *, actor: Actor, channel: Channel, about: dict[str, int], missing, page,
                        done_url: str):
    """The customer's complaint posted from a booking's or a quote's page (``about``: ``{"booking_id": ..}``
    or ``{"quote_id": ..}``). ``page(status=..., complaint=...)`` renders that page again with the form's
    error; ``missing(request)`` answers when the booking or quote is not the customer's."""
    [(key, pk)] = about.items()
    if not hit("complaint", f"{'q' if key == 'quote_id' else ''}{pk}:{client_ip(request)}",
               limit=COMPLAINT_LIMIT[0], window=COMPLAINT_LIMIT[1]):
        return _too_many(request)
    text, raw_type = request.POST.get("description", ""), request.POST.get("type", "")
    type_id = int(raw_type) if raw_type.isdigit() and len(raw_type) < 10 else None
    try:
        if raw_type and type_id is None:
            raise DomainError("invalid", "Please choose a kind of problem from the list.", field="typeId")
        complaint_services.complaint_raise(actor=actor, channel=channel, description=text, type_id=type_id, **about)
    except DomainError as exc:
        if exc.code == "not_found" and exc.field == ("quoteId" if key == "quote_id" else "bookingId"):
            return missing(request)
        return page(status=400, complaint={"text": text, "type": raw_type,
                                           "error": COMPLAINT_FORM_ERRORS.get(exc.code, exc.message)})
    return HttpResponseRedirect(done_url, status=303)


def _complaint(request, booking, actor: Actor, where: Where):
    """The customer raises a complaint about this booking (POST only: the booking page shows the form)."""
    return complaint_from_form(
        request, actor=actor, channel=where.channel, about={"booking_id": booking.pk}, missing=_not_found,
        page=lambda **form: _booking_page(request, booking, actor, where, **form),
        done_url=where.url("booking") + "?complained=1#complaints")


def _discussion(request, booking, actor: Actor, where: Where):
    """The customer's message in the booking's discussion (POST only: the page shows the form)."""
    if not hit("message", f"{booking.pk}:{client_ip(request)}", limit=MESSAGE_LIMIT[0], window=MESSAGE_LIMIT[1]):
        return _too_many(request)
    body = request.POST.get("body", "")
    try:
        booking_services.comment_add(actor=actor, channel=where.channel, booking_id=booking.pk, body=body)
    except DomainError as exc:
        if exc.code == "not_found":
            return _not_found(request)
        error = "Please write a message." if exc.code == "required" else exc.message
        return _booking_page(request, booking, actor, where, message=body, message_error=error, status=400)
    return HttpResponseRedirect(where.url("booking") + "?sent=1#discussion", status=303)


def _disabled(request):
    return _page(request, "cancel_disabled.html", status=403)


def _confirm_page(request, booking, quote, where: Where, *, error: str = "", reason: str = "", status: int = 200):
    return _page(request, "cancel_confirm.html", {
        "booking": booking, "fee": quote.fee, "inside_window": quote.inside_window,
        "cancel_url": where.url("cancel"), "view_url": where.url("booking"), "error": error, "reason": reason,
    }, status=status)


def _parse_fee(raw: str | None) -> Decimal | None:
    try:
        fee = Decimal(raw or "")
    except InvalidOperation:
        return None
    return fee if fee.is_finite() else None


def _cancel(request, booking, actor: Actor, where: Where):
    quote = booking_services.booking_cancellation_quote(actor=actor, channel=where.channel, booking_id=booking.pk)
    if request.method != "POST":
        if quote.code == "cancellation_disabled":
            return _disabled(request)
        if not quote.allowed:
            return _booking_page(request, booking, actor, where, notice=quote.message)
        return _confirm_page(request, booking, quote, where)

    if not hit("cancel", f"{booking.pk}:{client_ip(request)}", limit=CANCEL_LIMIT[0], window=CANCEL_LIMIT[1]):
        return _too_many(request)
    if quote.code == "cancellation_disabled":
        return _disabled(request)
    reason = request.POST.get("reason", "")
    accept_fee = _parse_fee(request.POST.get("accept_fee"))
    if accept_fee is None and quote.allowed:
        # Nobody pays a fee they were not shown: a POST must carry the fee from the page.
        return _confirm_page(request, booking, quote, where, reason=reason, status=400,
                             error="Please review the cancellation fee and confirm again.")
    try:
        booking_services.booking_cancel(actor=actor, channel=where.channel, booking_id=booking.pk, reason=reason,
                                        accept_fee=accept_fee)
    except DomainError as exc:
        if exc.code == "cancellation_disabled":
            return _disabled(request)
        if exc.code == "not_found":
            return _not_found(request)
        if exc.code in ("reason_required", "too_long", "invalid_characters"):
            msg = "Please tell us why you are cancelling." if exc.code == "reason_required" else exc.message
            return _confirm_page(request, booking, quote, where, error=msg, reason=reason, status=400)
        if exc.code in ("fee_changed", "fee_not_accepted"):
            fresh = booking_services.booking_cancellation_quote(actor=actor, channel=where.channel,
                                                                booking_id=booking.pk)
            return _confirm_page(request, booking, fresh, where, reason=reason, status=409,
                                 error="The cancellation fee has changed since you opened this page. "
                                       "Please review it and confirm again.")
        booking.refresh_from_db()
        return _booking_page(request, booking, actor, where, notice=exc.message, status=409)
    return HttpResponseRedirect(where.url("booking") + "?cancelled=1", status=303)


def _move_page(request, booking, actor: Actor, where: Where, *, error: str = "", status: int = 200):
    offer = booking_services.booking_reschedule_options(actor=actor, channel=where.channel, booking_id=booking.pk)
    if offer.code == "reschedule_disabled":
        return _page(request, "message.html", {"title": "Bookings cannot be moved online", "text": offer.message,
                                               "show_contact": True}, status=403)
    if not offer.allowed:
        return _booking_page(request, booking, actor, where, notice=offer.message, status=409 if error else 200)
    return _page(request, "move.html", {
        "booking": booking, "slots": offer.slots, "move_url": where.url("move"), "view_url": where.url("booking"),
        "error": error,
    }, status=status)


def _parse_start(raw: str | None) -> datetime | None:
    try:
        moment = datetime.fromisoformat((raw or "")[:64])
    except ValueError:
        return None
    return moment if timezone.is_aware(moment) else None


def _move(request, booking, actor: Actor, where: Where):
    """GET lists the free times (and changes nothing); POST moves the booking to the one picked."""
    if request.method != "POST":
        return _move_page(request, booking, actor, where)
    if not hit("move", f"{booking.pk}:{client_ip(request)}", limit=MOVE_LIMIT[0], window=MOVE_LIMIT[1]):
        return _too_many(request)
    start = _parse_start(request.POST.get("start"))
    if start is None:
        return _move_page(request, booking, actor, where, error="Please pick one of the times.", status=400)
    try:
        booking_services.booking_reschedule(actor=actor, channel=where.channel, booking_id=booking.pk,
                                            new_start=start)
    except DomainError as exc:
        if exc.code == "not_found":
            return _not_found(request)
        if exc.code == "slot_unavailable":
            return _move_page(request, booking, actor, where, status=409,
                              error="That time is no longer free. Please pick another.")
        booking.refresh_from_db()
        return _move_page(request, booking, actor, where, error=exc.message, status=409)
    return HttpResponseRedirect(where.url("booking"), status=303)


class RequestForm(forms.Form):
    service = forms.ModelChoiceField(queryset=Service.objects.filter(active=True).order_by("name"),
                                     required=False, empty_label="Any / not sure")
    preferred_date = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    preferred_time = forms.TimeField(required=False, widget=forms.TimeInput(attrs={"type": "time"}))
    notes = forms.CharField(required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 4}))


def _request(request, actor: Actor, where: Where | None, follows_id: int | None, *,
             service_id: int | None = None, channel: Channel | None = None):
    form = RequestForm(request.POST or None, initial={"service": service_id} if service_id else None)
    asked = custom_fields.attach(form, actor)
    if request.method == "POST":
        if not hit("request", f"{actor.customer_id}:{client_ip(request)}", limit=REQUEST_LIMIT[0],
                   window=REQUEST_LIMIT[1]):
            return _too_many(request)
        if form.is_valid():
            data = form.cleaned_data
            channel = channel or (where.channel if where else Channel.PORTAL)
            service_id = data["service"].pk if data["service"] else None
            try:
                with transaction.atomic():  # the request and its answers, or neither
                    made = outreach.booking_request_create(
                        actor=actor, channel=channel, service_id=service_id,
                        preferred_date=data["preferred_date"], preferred_time=data["preferred_time"],
                        notes=data["notes"], follows_booking_id=follows_id)
                    if asked:
                        jobdata.request_values_set(actor=actor, channel=channel, request_id=made.pk,
                                                   values=custom_fields.answers(form, asked, service_id))
            except DomainError as exc:
                form.add_error(custom_fields.field_for(exc.field, form), exc.message)
            else:
                return _page(request, "request_done.html", {
                    "back_url": where.url("booking") if where else reverse("portal-home")})
    return _page(request, "request_form.html", {"form": form, "custom": [
        (item.group, form[item.name]) for item in asked]}, status=400 if form.errors else 200)


# --- signed e-mail links ------------------------------------------------------------------------------


def _link_problem(request, problem: links.LinkProblem):
    expired = problem.code == "expired"
    return _page(request, "message.html", {
        "title": "This link has expired" if expired else "This link is not valid",
        "text": "Sign in to the customer portal to see your bookings, or contact us.",
        "show_contact": True, "show_login": True}, status=410 if expired else 400)


def _from_token(request, token: str):
    found = links.read_booking_token(token)
    if isinstance(found, links.LinkProblem):
        return None, None, _link_problem(request, found)
    return found, Actor.for_customer(found.customer), None


def _by_token(handler):
    """A view over a signed booking link: ``handler(request, booking, actor, where)`` for the link's
    booking and customer, or the page that says why the link does not work."""

    @functools.wraps(handler)
    def view(request, token: str):
        booking, actor, problem = _from_token(request, token)
        if problem:
            return problem
        return handler(request, booking, actor, Where(token=token))

    return view


def _show(request, booking, actor: Actor, where: Where):
    notice = "Your booking is cancelled." if request.GET.get("cancelled") and booking.status == "cancelled" else ""
    return _booking_page(request, booking, actor, where, notice=notice)


def _request_after(request, booking, actor: Actor, where: Where):
    return _request(request, actor, where, booking.pk)


link_booking = require_http_methods(["GET", "HEAD"])(_by_token(_show))
link_cancel = require_http_methods(["GET", "HEAD", "POST"])(_by_token(_cancel))
link_move = require_http_methods(["GET", "HEAD", "POST"])(_by_token(_move))
link_request = require_http_methods(["GET", "HEAD", "POST"])(_by_token(_request_after))
link_discussion = require_POST(_by_token(_discussion))
link_complaint = require_POST(_by_token(_complaint))
link_pdf = require_http_methods(["GET", "HEAD"])(_by_token(booking_job_sheet))
link_ics = require_http_methods(["GET", "HEAD"])(_by_token(booking_ics))


@require_http_methods(["GET", "HEAD", "POST"])
def link_book_again(request, token: str):
    """The link of a reminder to book a service again (decision 0625): the appointment request form,
    the service chosen, following the booking it was last done in."""
    reminder = links.read_book_again_token(token)
    if isinstance(reminder, links.LinkProblem):
        return _link_problem(request, reminder)
    return _request(request, Actor.for_customer(reminder.customer), None, reminder.booking_id,
                    service_id=reminder.service_id, channel=Channel.EMAIL_LINK)


# --- portal: sign-in -------------------------------------------------------------------------------


def _portal_actor(request) -> Actor | None:
    customer_id = request.session.get(SESSION_KEY)
    customer = Customer.objects.filter(pk=customer_id).first() if customer_id else None
    return Actor.for_customer(customer) if customer is not None else None


def _login_redirect():
    return HttpResponseRedirect(reverse("portal-login"))


@require_http_methods(["GET", "HEAD", "POST"])
def portal_login(request):
    if request.method != "POST":
        return _page(request, "login.html")
    email = request.POST.get("email", "").strip().lower()
    if not (hit("signin-ip", client_ip(request), limit=SIGNIN_IP_LIMIT[0], window=SIGNIN_IP_LIMIT[1])
            and hit("signin", email[:254], limit=SIGNIN_LIMIT[0], window=SIGNIN_LIMIT[1])):
        return _too_many(request)
    try:
        outreach.portal_link_request(actor=Actor.anonymous(), channel=Channel.PORTAL, email=email)
    except DomainError as exc:
        return _page(request, "login.html", {"error": exc.message, "email": email}, status=400)
    # The same answer whether or not the address is known.
    return _page(request, "message.html", {"title": "Check your e-mail",
                                           "text": "If we have that address, a sign-in link is on its way. "
                                                   "It works once and expires in "
                                                   f"{outreach.PORTAL_LINK_MINUTES} minutes."})


@require_http_methods(["GET", "HEAD", "POST"])
def portal_login_token(request, token: str):
    if request.method != "POST":
        # Only a look: mail scanners open links, and a one-time link must survive them.
        if outreach.portal_link_check(token) is None:
            return _page(request, "message.html", {"title": "This sign-in link is used, expired or not valid",
                                                   "text": "Ask for a new one.", "show_login": True}, status=410)
        return _page(request, "login_confirm.html", {"action": request.path})
    if not hit("signin-ip", client_ip(request), limit=SIGNIN_IP_LIMIT[0], window=SIGNIN_IP_LIMIT[1]):
        return _too_many(request)
    try:
        customer = outreach.portal_link_redeem(actor=Actor.anonymous(), channel=Channel.PORTAL, raw=token)
    except DomainError as exc:
        return _page(request, "message.html", {"title": "This sign-in link is used, expired or not valid",
                                               "text": exc.message, "show_login": True}, status=410)
    request.session.cycle_key()
    request.session[SESSION_KEY] = customer.pk
    return HttpResponseRedirect(reverse("portal-home"), status=303)


@require_POST
def portal_logout(request):
    request.session.flush()
    return _login_redirect()


# --- portal: pages -------------------------------------------------------------------------------


@require_http_methods(["GET", "HEAD"])
def portal_home(request):
    actor = _portal_actor(request)
    if actor is None:
        return _login_redirect()
    bookings = visible_bookings(actor).order_by("-scheduled_start")[:100]
    return _page(request, "home.html", {"bookings": bookings, "customer": Customer.objects.get(pk=actor.customer_id),
                                        "request_url": reverse("portal-request"), "signed_in": True,
                                        "inquiry_url": reverse("portal-inquiry"), "inquiries": own_inquiries(actor)})


def _by_portal_booking(handler):
    """A portal view of one booking: ``handler(request, booking, actor, where)`` for the signed-in
    customer's booking; the sign-in page without a session, and "not found" for a booking that is
    not theirs, the same as for one that does not exist."""

    @functools.wraps(handler)
    def view(request, booking_id: int):
        actor = _portal_actor(request)
        if actor is None:
            return _login_redirect()
        booking = booking_for(actor, booking_id)
        if booking is None:
            return _not_found(request)
        return handler(request, booking, actor, Where(booking_id=booking.pk))

    return view


portal_booking = require_http_methods(["GET", "HEAD"])(_by_portal_booking(_show))
portal_cancel = require_http_methods(["GET", "HEAD", "POST"])(_by_portal_booking(_cancel))
portal_move = require_http_methods(["GET", "HEAD", "POST"])(_by_portal_booking(_move))
portal_discussion = require_POST(_by_portal_booking(_discussion))
portal_complaint = require_POST(_by_portal_booking(_complaint))
portal_pdf = require_http_methods(["GET", "HEAD"])(_by_portal_booking(booking_job_sheet))
portal_ics = require_http_methods(["GET", "HEAD"])(_by_portal_booking(booking_ics))


@require_http_methods(["GET", "HEAD", "POST"])
def portal_request(request):
    actor = _portal_actor(request)
    if actor is None:
        return _login_redirect()
    follows = request.GET.get("after", "")
    follows_id = int(follows) if follows.isdigit() and len(follows) < 12 else None
    if follows_id is not None and booking_for(actor, follows_id) is None:
        follows_id = None
    return _request(request, actor, None, follows_id)


# --- portal: the inquiry form (issue 20) ----------------------------------------------------------


class InquiryForm(forms.Form):
    services = forms.ModelMultipleChoiceField(queryset=Service.objects.filter(active=True).order_by("name"),
                                              required=False, widget=forms.CheckboxSelectMultiple)
    preferred_date_1 = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    preferred_date_2 = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    address = forms.CharField(required=False, max_length=255)
    postcode = forms.CharField(required=False, max_length=12)
    city = forms.CharField(required=False, max_length=80)
    message = forms.CharField(required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 5}))


# the service's field names -> the form's
INQUIRY_FIELDS = {"body": "message", "wantedServiceIds": "services", "preferredDates": "preferred_date_1"}


@require_http_methods(["GET", "HEAD", "POST"])
def portal_inquiry(request):
    """A signed-in customer asks for something: it files into the staff inbox as their own inquiry,
    with the portal's lead source (``core.crm.services.inquiry_create``)."""
    actor = _portal_actor(request)
    if actor is None:
        return _login_redirect()
    form = InquiryForm(request.POST or None)
    if request.method == "POST":
        if not hit("portal-inquiry", f"{actor.customer_id}:{client_ip(request)}", limit=INQUIRY_LIMIT[0],
                   window=INQUIRY_LIMIT[1]):
            return _too_many(request)
        if form.is_valid():
            data = form.cleaned_data
            try:
                crm_services.inquiry_create(
                    actor=actor, channel=Channel.PORTAL, body=data["message"],
                    wanted_service_ids=[s.pk for s in data["services"]],
                    preferred_dates=[d for d in (data["preferred_date_1"], data["preferred_date_2"]) if d],
                    address=data["address"], postcode=data["postcode"], city=data["city"])
            except DomainError as exc:
                name = INQUIRY_FIELDS.get(exc.field or "", exc.field)
                form.add_error(name if name in form.fields else None, exc.message)
            else:
                return _page(request, "message.html", {
                    "title": "Thank you", "text": "We have your inquiry and will be in touch soon.",
                    "back_url": reverse("portal-home"), "signed_in": True})
    return _page(request, "inquiry_form.html", {"form": form, "signed_in": True},
                 status=400 if form.errors else 200)


# --- portal: how we reach the customer (decision 0615) ----------------------------------------------


class ContactPreferenceForm(forms.Form):
    preferred_channel = forms.ChoiceField(
        label="How should we reach you?", required=False, widget=forms.RadioSelect,
        choices=[(PreferredChannel.NONE, "No preference"), (PreferredChannel.SMS, "By text message (SMS)"),
                 (PreferredChannel.EMAIL, "By e-mail")])


@require_http_methods(["GET", "HEAD", "POST"])
def portal_contact(request):
    """The signed-in customer chooses the channel our messages about their bookings come by
    (``core.crm.services.customer_update``, with its history row, like staff's change)."""
    actor = _portal_actor(request)
    if actor is None:
        return _login_redirect()
    customer = Customer.objects.get(pk=actor.customer_id)
    form = ContactPreferenceForm(request.POST or None, initial={"preferred_channel": customer.preferred_channel})
    notice = ""
    if request.method == "POST":
        if not hit("portal-contact", f"{actor.customer_id}:{client_ip(request)}", limit=CONTACT_LIMIT[0],
                   window=CONTACT_LIMIT[1]):
            return _too_many(request)
        if form.is_valid():
            try:
                customer = crm_services.customer_update(actor=actor, channel=Channel.PORTAL, customer_id=customer.pk,
                                                        preferred_channel=form.cleaned_data["preferred_channel"])
            except DomainError as exc:
                form.add_error("preferred_channel" if exc.field == "preferredChannel" else None, exc.message)
            else:
                form = ContactPreferenceForm(initial={"preferred_channel": customer.preferred_channel})
                notice = "Saved."
    return _page(request, "contact.html", {"form": form, "customer": customer, "notice": notice, "signed_in": True},
                 status=400 if form.errors else 200)
