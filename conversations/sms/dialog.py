"""The SMS conversation: from one inbound message to the core service it asks for, and a reply.

Order of reading (each step is a guard; the first that applies answers):

1. carrier keywords (STOP family, START family, HELP): mirror what the carrier did;
2. a number that has opted out: nothing is acted on, the message goes to staff, no reply
   (the carrier would refuse to deliver it);
3. a number that is no customer's but a fieldworker's: filed in that fieldworker's SMS log, no
   reply; an unknown number: an inquiry for staff and a polite answer;
4. an open question we asked on this number pair (which booking? accept the fee? which time?);
5. a booking named in the message ("CANCEL 1042", "MOVE 1042"); free text answering the discussion
   message we texted last (it continues that booking's discussion); else the open prompts on the
   pair, else the sender's open bookings: one -> act, several -> ask which, none -> polite answer +
   inquiry.

Every change goes through a ``core`` service with ``channel=SMS``; every refusal is a
``DomainError`` code rendered as a short reply. Runs inside the webhook's transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.utils import timezone

from core.actors import Actor, Channel
from core.bookings import services as booking_services
from core.bookings.models import OPEN_STATUSES, Booking, BookingStatus
from core.company.models import Company
from core.company.selectors import get_company
from core.complaints import services as complaint_services
from core.crm import services as crm_services
from core.crm.models import Customer, InquiryKind
from core.errors import DomainError
from core.outreach import services as outreach_services
from core.outreach.models import EmailKind
from core.sms import selectors as sms_selectors
from core.sms import services as sms_services
from core.sms.messages import when
from core.sms.models import PromptKind, SmsMessage, SmsPrompt
from core.sms.text import fit
from core.workforce import messaging as fieldworker_messaging

from .intents import Carrier, Intent, Parsed, QuoteAnswer, parse, parse_quote_answer

SMS = Channel.SMS
DIALOG_TTL = timedelta(hours=2)
MAX_LISTED = 4
MOVE_CHOICES = 3  # free times offered in one text
COMPLAINT_WINDOW = timedelta(days=14)  # "COMPLAINT ..." without a number: a job finished this recently (0936)
# What the conversation reads of a booking (the services load the rest under their lock).
BOOKING_FIELDS = ("number", "status", "scheduled_start", "time_zone", "customer_id", "automated_sms_paused",
                  "customer__name", "customer__mobile", "customer__user_id", "customer__email")


@dataclass(frozen=True)
class Outcome:
    reply: str
    intent: str
    booking_id: int | None = None
    customer_id: int | None = None


class Conversation:
    def __init__(self, inbound: SmsMessage) -> None:
        self.inbound = inbound
        self.sender = inbound.from_number
        self.ours = inbound.to_number
        self.body = inbound.body
        self.system = Actor.system()
        self._company: Company | None = None
        self._customers: list[Customer] | None = None
        # what we asked on this pair, in one query (booking prompts and dialog questions)
        self.prompts = sms_selectors.open_prompts(self.sender, self.ours) if self.sender else []

    @property
    def customers(self) -> list[Customer]:
        if self._customers is None:
            from_prompts = {p.booking.customer_id: p.booking.customer for p in self.prompts
                            if p.booking is not None and p.booking.customer.mobile == self.sender}
            self._customers = sorted(from_prompts.values(), key=lambda c: c.pk) or \
                list(Customer.objects.filter(mobile=self.sender).order_by("id"))
        return self._customers

    # -- small helpers -------------------------------------------------------------------------
    @property
    def company(self) -> Company:
        if self._company is None:
            self._company = get_company()
        return self._company

    @property
    def customer(self) -> Customer | None:
        return self.customers[0] if self.customers else None

    def contact_line(self) -> str:
        company = self.company
        if company.phone:
            return f"call {company.name} on {company.phone}"
        if company.email:
            return f"e-mail {company.name} at {company.email}"
        return f"contact {company.name}"

    def out(self, reply: str, intent: str, booking: Booking | None = None) -> Outcome:
        customer_id = booking.customer_id if booking is not None else (self.customer.pk if self.customer else None)
        return Outcome(fit(reply) if reply else "", intent, booking.pk if booking else None, customer_id)

    def actor_for(self, booking: Booking) -> Actor:
        customer = next((c for c in self.customers if c.pk == booking.customer_id), None)
        return Actor.for_customer(customer or booking.customer)

    def inquiry(self, kind: str = InquiryKind.INQUIRY, booking: Booking | None = None, note: str = "",
                bookings: list[Booking] | None = None) -> None:
        """File it for staff, linked to every booking it concerns (``bookings``, else ``booking``)."""
        body = self.body if not note else f"{note}\n\n{self.body}"
        concerned = bookings if bookings is not None else ([booking] if booking is not None else [])
        # bookings of another customer record with this mobile: filed by the system, not as this customer
        mine = self.customer is not None and all(b.customer_id == self.customer.pk for b in concerned)
        actor = Actor.for_customer(self.customer) if mine else self.system
        crm_services.inquiry_open(actor=actor, channel=SMS, kind=kind, body=body,
                                  customer_id=self.customer.pk if self.customer else None,
                                  booking_ids=[b.pk for b in concerned], contact=self.sender)

    def open_bookings(self) -> list[Booking]:
        return list(Booking.objects.filter(customer__mobile=self.sender, status__in=OPEN_STATUSES)
                    .select_related("customer").only(*BOOKING_FIELDS).order_by("scheduled_start", "id")[:10])

    def candidates(self, *, prompted_only: bool = False) -> list[Booking]:
        """Bookings a reply on this pair can be about: the open prompts first, else all open bookings."""
        prompted = {p.booking_id: p.booking for p in self.prompts
                    if p.kind == PromptKind.BOOKING and p.booking is not None and p.booking.is_open
                    and p.booking.customer.mobile == self.sender}
        if prompted or prompted_only:
            return sorted(prompted.values(), key=lambda b: (b.scheduled_start, b.pk))
        return self.open_bookings()

    def discussed(self) -> tuple[Booking, int] | None:
        """When the newest booking text on this pair was a message of a booking's discussion: that
        booking and the message (a free-text answer continues the discussion it came from)."""
        newest = next((p for p in self.prompts if p.kind == PromptKind.BOOKING and p.booking is not None), None)
        comment_id = newest.data.get("comment_id") if newest is not None else None
        if not isinstance(comment_id, int) or newest.booking.customer.mobile != self.sender:
            return None
        return newest.booking, comment_id

    def open_dialog(self) -> SmsPrompt | None:
        return next((p for p in self.prompts if p.kind != PromptKind.BOOKING), None)

    # -- entry ---------------------------------------------------------------------------------
    def handle(self) -> Outcome:
        parsed = parse(self.body, cancel_is_carrier_opt_out=settings.SMS_CANCEL_IS_CARRIER_OPT_OUT)
        opted_out = sms_selectors.is_opted_out(self.sender)
        if parsed.carrier == Carrier.OPT_OUT:
            return self.opt_out(parsed)
        if parsed.carrier == Carrier.OPT_IN or (opted_out and parsed.carrier_word == "YES"):
            sms_services.sms_opt_in(actor=self.system, channel=SMS, number=self.sender, keyword=parsed.carrier_word)
            # The carrier confirms the opt-in itself; a second text would repeat it.
            return self.out("", Intent.OPT_IN)
        if opted_out:
            # The carrier delivers nothing to this number until it opts in again, HELP answers included.
            return self.while_opted_out(parsed)
        if parsed.carrier == Carrier.HELP or parsed.intent == Intent.HELP:
            return self.help()
        quote_answer = parse_quote_answer(self.body)
        if quote_answer is not None:
            return self.answer_quote(quote_answer)
        if not self.customers and fieldworker_messaging.fieldworker_sms_received(
                actor=self.system, channel=SMS, sender=self.sender, body=self.body, sms_message_id=self.inbound.pk):
            # a fieldworker's number: their thread with the office, not the inquiry inbox (decision 0186)
            return self.out("", "fieldworker_message")
        if not self.customers:
            self.inquiry(note="SMS from a number that matches no customer.")
            return self.out(f"Thanks for your message. We could not match this number to a booking, so we "
                            f"passed it to our team. For anything urgent, {self.contact_line()}.", "unknown_sender")
        if parsed.intent == Intent.OPT_OUT:  # "please stop", "unsubscribe me": not a carrier keyword
            sms_services.sms_opt_out(actor=self.system, channel=SMS, number=self.sender, keyword="",
                                     source="message")
            return self.out("You will get no more automated texts from us. Reply START to undo.", Intent.OPT_OUT)
        if parsed.intent == Intent.OPT_IN:
            sms_services.sms_opt_in(actor=self.system, channel=SMS, number=self.sender)
            return self.out("You will get our texts again.", Intent.OPT_IN)

        if parsed.intent == Intent.COMPLAINT:
            return self.complaint(parsed)
        dialog = self.open_dialog()
        if dialog is not None:
            answered = self.answer_dialog(dialog, parsed)
            if answered is not None:
                return answered
        return self.act(parsed)

    # -- quotes sent by text ----------------------------------------------------------------------
    def answer_quote(self, answer: QuoteAnswer) -> Outcome:
        """ACCEPT / DECLINE and a quote number: only from the number the quote was texted to
        (decision 0827); any other number, or a quote not texted, reads as no such quote."""
        from django.db.models import Q

        from core.sales import quotes
        from core.sales.quote_models import Quote

        verb = "accept" if answer.accept else "decline"
        named = Q(number__iexact=answer.number)
        if answer.number.isdigit():  # the number without its prefix ("ACCEPT 1042")
            named |= Q(issued_number__number=int(answer.number))
        quote = (Quote.objects.select_related("customer").filter(named, sms_to=self.sender).exclude(sms_to="")
                 .order_by("-sent_at", "-pk").first())
        if quote is None:
            return self.out(f"We could not find quote {answer.number} for this number. Please check the number, "
                            f"or {self.contact_line()}.", "unknown_quote")
        actor = Actor.for_customer(quote.customer)
        try:
            if answer.accept:
                quotes.quote_accept(actor=actor, channel=SMS, quote_id=quote.pk)
            else:
                quotes.quote_decline(actor=actor, channel=SMS, quote_id=quote.pk, reason="Declined by text.")
        except DomainError as exc:
            quote.refresh_from_db(fields=["status"])
            replies = {
                "illegal_transition": f"Quote {quote.number} is {quote.status} already.",
                "quote_expired": f"Quote {quote.number} has expired. To go ahead, {self.contact_line()}.",
            }
            return Outcome(fit(replies.get(exc.code, f"We could not {verb} quote {quote.number}: {exc.message}")),
                           f"quote_{verb}_refused", None, quote.customer_id)
        reply = (f"Thank you: quote {quote.number} is accepted. We will be in touch about the job." if answer.accept
                 else f"OK, quote {quote.number} is declined. Thank you for letting us know.")
        return Outcome(fit(reply), f"quote_{verb}", None, quote.customer_id)

    # -- carrier keywords and opt-out ------------------------------------------------------------
    def opt_out(self, parsed: Parsed) -> Outcome:
        sms_services.sms_opt_out(actor=self.system, channel=SMS, number=self.sender, keyword=parsed.carrier_word)
        sms_services.prompts_close_dialog(actor=self.system, channel=SMS, customer_number=self.sender,
                                          our_number=self.ours)
        if parsed.carrier_word != "CANCEL" or not self.customers:
            # The carrier has already answered and blocks anything more we would send.
            return self.out("", Intent.OPT_OUT)
        # A bare CANCEL under default carrier rules: the customer is opted out of texts, but
        # probably meant the booking. Never cancel silently: staff get a request, the customer
        # an e-mail with a link to cancel it themselves.
        bookings = [b for b in self.candidates() if b.is_open]
        booking = bookings[0] if len(bookings) == 1 else None
        numbers = ", ".join(f"#{b.number}" for b in bookings) or "none open"
        self.inquiry(InquiryKind.CANCELLATION_REQUEST, bookings=bookings,
                     note=f"Replied a bare CANCEL by SMS (carrier opt-out word). Bookings: {numbers}.")
        customer = self.customer
        if bookings and customer is not None and customer.email:
            # logged and claimed like every customer e-mail (its task row in this transaction, ids
            # only; rendered when sent: the one booking, or the customer's open upcoming ones)
            outreach_services.email_queue(actor=self.system, channel=SMS, kind=EmailKind.CANCEL_LINKS,
                                          customer_id=customer.pk, booking_id=booking.pk if booking else None)
        return self.out("", "opt_out_cancel", booking)

    def while_opted_out(self, parsed: Parsed) -> Outcome:
        if parsed.intent in (Intent.HELP, Intent.OPT_OUT):
            return self.out("", str(parsed.intent))
        bookings = self.candidates() if self.customers else []
        booking = bookings[0] if len(bookings) == 1 else None
        kind = InquiryKind.CANCELLATION_REQUEST if parsed.intent == Intent.CANCEL else InquiryKind.INQUIRY
        self.inquiry(kind, bookings=bookings, note="SMS from a number that has opted out of texts: not acted on, "
                                                 "and no reply can be delivered until they send START.")
        return self.out("", "opted_out", booking)

    def help(self) -> Outcome:
        company = self.company
        details = " ".join(part for part in (
            f"Call {company.phone}." if company.phone else "",
            f"E-mail {company.email}." if company.email else "",
            company.website or "",
        ) if part)
        move = " MOVE and the number to change the time," if company.customers_may_reschedule else ""
        return self.out(f"{company.name}: {details or 'Reply with a message and our team will answer.'} "
                        f"Reply YES to confirm, CANCEL and the booking number to cancel,{move} COMPLAINT and what "
                        "went wrong to report a problem, STOP to opt out.",
                        Intent.HELP)

    # -- questions we asked ----------------------------------------------------------------------
    def answer_dialog(self, dialog: SmsPrompt, parsed: Parsed) -> Outcome | None:
        close = lambda: sms_services.prompt_close(actor=self.system, channel=SMS, prompt_id=dialog.pk)  # noqa: E731
        if dialog.kind == PromptKind.CANCEL_FEE and parsed.number is None:
            booking = dialog.booking  # loaded with the prompt
            if booking is not None and parsed.intent == Intent.CONFIRM:
                close()
                try:
                    fee = Decimal(str(dialog.data.get("fee", "0")))
                except InvalidOperation:
                    fee = Decimal("0")
                return self.cancel(booking, accept_fee=fee)
            if booking is not None and parsed.intent in (Intent.DECLINE, Intent.CANCEL):
                close()
                if parsed.intent == Intent.DECLINE:
                    return self.out(f"OK, booking #{booking.number} stays booked.", "keep", booking)
        if dialog.kind == PromptKind.CHOOSE and parsed.intent == Intent.CHOICE:
            options = list(Booking.objects.filter(pk__in=dialog.data.get("options", []),
                                                  customer__mobile=self.sender))
            ordered = sorted(options, key=lambda b: dialog.data["options"].index(b.pk))
            chosen = None
            if parsed.number is not None and 1 <= parsed.number <= len(ordered):
                chosen = ordered[parsed.number - 1]
            else:
                chosen = next((b for b in ordered if b.number == parsed.number), None)
            if chosen is None:
                return self.out(f"Please reply with a number from 1 to {len(ordered)}.", "choice_invalid")
            close()
            intent = Intent(dialog.data.get("intent", Intent.TEXT))
            return self.apply(intent, chosen, text=dialog.data.get("text", ""))
        if dialog.kind == PromptKind.CHOOSE and parsed.intent not in (Intent.CHOICE,):
            close()
        if dialog.kind == PromptKind.MOVE:
            return self.answer_move(dialog, parsed, close)
        return None

    def answer_move(self, dialog: SmsPrompt, parsed: Parsed, close) -> Outcome | None:
        """The answer to "Reply 1, 2 or 3": move to that time; NO keeps it; anything else is read
        afresh (the question lapses)."""
        booking = dialog.booking  # loaded with the prompt
        starts = dialog.data.get("starts", [])
        if booking is not None and parsed.intent == Intent.CHOICE:
            if not 1 <= (parsed.number or 0) <= len(starts):
                return self.out(f"Please reply with a number from 1 to {len(starts)}.", "choice_invalid", booking)
            close()
            return self.move(booking, datetime.fromisoformat(starts[parsed.number - 1]))
        close()
        if booking is not None and parsed.intent == Intent.DECLINE:
            return self.out(f"OK, booking #{booking.number} stays on {when(booking)}.", "keep", booking)
        return None

    # -- acting on a booking ---------------------------------------------------------------------
    def act(self, parsed: Parsed) -> Outcome:
        intent = parsed.intent
        if intent in (Intent.CHOICE, Intent.DECLINE):
            intent = Intent.TEXT  # a bare number or "no" that answers nothing we asked
        if parsed.number is not None and intent in (Intent.CANCEL, Intent.CONFIRM, Intent.MOVE):
            booking = next((b for b in self.candidates(prompted_only=True) if b.number == parsed.number), None) or (
                Booking.objects.filter(number=parsed.number, customer__mobile=self.sender).select_related("customer")
                .only(*BOOKING_FIELDS).order_by().first())
            if booking is None:
                return self.out(f"We could not find booking #{parsed.number} for this number. "
                                f"Please check the number, or {self.contact_line()}.", "unknown_booking")
            return self.apply(intent, booking, text=parsed.text)
        discussed = self.discussed() if intent == Intent.TEXT else None
        if discussed is not None:
            return self.comment(discussed[0], parsed.text, reply_to_id=discussed[1])
        bookings = self.candidates()
        if not bookings:
            self.inquiry(note="SMS from a customer with no open booking.")
            return self.out(f"Thanks for your message. We could not find an open booking for this number, so we "
                            f"passed it to our team. For anything urgent, {self.contact_line()}.", "no_booking")
        if len(bookings) == 1:
            return self.apply(intent, bookings[0], text=parsed.text)
        return self.ask_which(intent, bookings, parsed.text)

    def ask_which(self, intent: Intent, bookings: list[Booking], text: str) -> Outcome:
        listed = bookings[:MAX_LISTED]
        data = {"intent": str(intent), "options": [b.pk for b in listed], "text": text[:1000]}
        sms_services.prompt_open(actor=self.system, channel=SMS, customer_number=self.sender, our_number=self.ours,
                                 kind=PromptKind.CHOOSE, data=data, expires_at=timezone.now() + DIALOG_TTL)
        choices = "; ".join(f"{i} for #{b.number} {when(b)}" for i, b in enumerate(listed, 1))
        verb = {Intent.CANCEL: "cancel", Intent.CONFIRM: "confirm", Intent.MOVE: "move"}.get(intent, "reply about")
        example = f"{verb.upper()} {listed[0].number}" if intent in (Intent.CANCEL, Intent.CONFIRM, Intent.MOVE) \
            else ""
        more = f" or {example}" if example else ""
        return self.out(f"Which booking do you want to {verb}? Reply {choices}{more}.", "ask_which")

    def apply(self, intent: Intent, booking: Booking, *, text: str) -> Outcome:
        if intent == Intent.CANCEL:
            return self.cancel(booking)
        if intent == Intent.CONFIRM:
            return self.confirm(booking)
        if intent == Intent.MOVE:
            return self.offer_times(booking)
        return self.comment(booking, text)

    def refused(self, exc: DomainError, booking: Booking, intent: str) -> Outcome:
        number = booking.number
        replies = {
            "already_cancelled": f"Booking #{number} is already cancelled.",
            "already_confirmed": f"Booking #{number} on {when(booking)} is already confirmed. See you then!",
            "cancellation_disabled": f"Bookings cannot be cancelled by text. To cancel #{number}, "
                                     f"{self.contact_line()}.",
            "too_late": f"Booking #{number} has already started, so it can no longer be cancelled by text. "
                        f"Please {self.contact_line()}.",
            "fee_changed": f"The cancellation fee for #{number} has changed to {exc.data.get('fee', '')}. "
                           f"Reply CANCEL {number} to see it again.",
            "reschedule_disabled": f"Bookings cannot be moved by text. To move #{number}, {self.contact_line()}.",
            "slot_unavailable": f"Sorry, that time is no longer free. Reply MOVE {number} for the free times.",
        }
        if intent == "move" and exc.code == "too_late":
            return self.out(f"Booking #{number} can no longer be moved by text. Please {self.contact_line()}.",
                            "move_refused", booking)
        if exc.code in replies:
            return self.out(replies[exc.code], f"{intent}_refused", booking)
        if exc.code == "illegal_transition":
            state = booking.get_status_display().lower()
            return self.out(f"Booking #{number} is {state}, so that cannot be done by text. "
                            f"Please {self.contact_line()}.", f"{intent}_refused", booking)
        return self.out(f"Sorry, that cannot be done by text. Please {self.contact_line()}.", f"{intent}_refused",
                        booking)

    def cancel(self, booking: Booking, *, accept_fee: Decimal | None = None) -> Outcome:
        """Cancel, agreeing to no fee unless the customer already accepted one: if the rule
        charges a fee the service refuses with ``fee_not_accepted`` and its amount, and we ask."""
        first_try = accept_fee is None
        try:
            booking = booking_services.booking_cancel(
                actor=self.actor_for(booking), channel=SMS, booking_id=booking.pk,
                reason=f"Cancelled by SMS: {self.body}"[:2000], accept_fee=accept_fee)
        except DomainError as exc:
            if first_try and exc.code == "fee_not_accepted":
                return self.ask_fee(booking, Decimal(str(exc.data.get("fee", "0"))))
            return self.refused(exc, booking, "cancel")
        fee = f" A fee of {booking.cancellation_fee} {self.company.currency} applies." \
            if booking.cancellation_fee else ""
        return self.out(f"Booking #{booking.number} on {when(booking)} is cancelled.{fee} Thank you for letting "
                        "us know.", "cancelled", booking)

    def ask_fee(self, booking: Booking, fee: Decimal) -> Outcome:
        sms_services.prompt_open(
            actor=self.system, channel=SMS, customer_number=self.sender, our_number=self.ours,
            kind=PromptKind.CANCEL_FEE, booking_id=booking.pk, data={"fee": str(fee)},
            expires_at=timezone.now() + DIALOG_TTL)
        return self.out(f"Cancelling booking #{booking.number} now costs a fee of {fee} {self.company.currency}. "
                        "Reply YES to cancel and accept the fee, or NO to keep it.", "cancel_fee_asked", booking)

    def offer_times(self, booking: Booking) -> Outcome:
        """Up to three free times (decision 0420); the answer is read by ``answer_move``."""
        actor = self.actor_for(booking)
        try:
            offer = booking_services.booking_reschedule_options(actor=actor, channel=SMS, booking_id=booking.pk,
                                                                limit=MOVE_CHOICES)
        except DomainError as exc:
            return self.refused(exc, booking, "move")
        if not offer.allowed:
            return self.refused(DomainError(offer.code, offer.message), booking, "move")
        if not offer.slots:
            return self.out(f"Sorry, booking #{booking.number} cannot be moved to another free time by text. "
                            f"Please {self.contact_line()}.", "move_no_times", booking)
        sms_services.prompt_open(
            actor=self.system, channel=SMS, customer_number=self.sender, our_number=self.ours, kind=PromptKind.MOVE,
            booking_id=booking.pk, data={"starts": [slot.start.isoformat() for slot in offer.slots]},
            expires_at=timezone.now() + DIALOG_TTL)
        times = "; ".join(f"{i} {when(Booking(scheduled_start=slot.start, time_zone=booking.time_zone))}"
                          for i, slot in enumerate(offer.slots, 1))
        numbers = [str(i) for i in range(1, len(offer.slots) + 1)]
        pick = numbers[0] if len(numbers) == 1 else f"{', '.join(numbers[:-1])} or {numbers[-1]}"
        return self.out(f"Booking #{booking.number} ({when(booking)}) can move to: {times}. Reply {pick} to move it, "
                        "or NO to keep it.", "move_offered", booking)

    def move(self, booking: Booking, start: datetime) -> Outcome:
        try:
            booking = booking_services.booking_reschedule(actor=self.actor_for(booking), channel=SMS,
                                                          booking_id=booking.pk, new_start=start)
        except DomainError as exc:
            return self.refused(exc, booking, "move")
        return self.out(f"Done: booking #{booking.number} is now on {when(booking)}. Thank you!", "moved", booking)

    def confirm(self, booking: Booking) -> Outcome:
        try:
            booking = booking_services.booking_confirm(actor=self.actor_for(booking), channel=SMS,
                                                       booking_id=booking.pk)
        except DomainError as exc:
            return self.refused(exc, booking, "confirm")
        return self.out(f"Thanks! Booking #{booking.number} on {when(booking)} is confirmed.", "confirmed", booking)

    def comment(self, booking: Booking, text: str, *, reply_to_id: int | None = None) -> Outcome:
        try:
            booking_services.comment_add(actor=self.actor_for(booking), channel=SMS, booking_id=booking.pk,
                                         body=text or self.body, reply_to_id=reply_to_id)
        except DomainError as exc:
            return self.refused(exc, booking, "comment")
        return self.out(f"Thanks, we passed your message on to the team looking after booking #{booking.number}.",
                        "comment", booking)

    # -- complaints (decision 0936) ----------------------------------------------------------------
    def complaint_booking(self, number: int | None) -> Booking | None:
        """The booking named, else the sender's job finished most recently within ``COMPLAINT_WINDOW``."""
        mine = Booking.objects.filter(customer__mobile=self.sender).select_related("customer").only(*BOOKING_FIELDS)
        if number is not None:
            return mine.filter(number=number).order_by().first()
        return (mine.filter(status=BookingStatus.COMPLETED, completed_at__gte=timezone.now() - COMPLAINT_WINDOW)
                .order_by("-completed_at", "-id").first())

    def complaint(self, parsed: Parsed) -> Outcome:
        if not parsed.text:
            return self.out("Sorry to hear something went wrong. Please reply COMPLAINT followed by what happened.",
                            "complaint_empty")
        booking = self.complaint_booking(parsed.number)
        if booking is None:
            if parsed.number is not None:
                return self.out(f"We could not find booking #{parsed.number} for this number. Please check the "
                                f"number, or {self.contact_line()}.", "unknown_booking")
            self.inquiry(note=f"A complaint by SMS, with no job finished in the last {COMPLAINT_WINDOW.days} days "
                              "to file it against.")
            return self.out("Thank you for telling us. We passed your message to our team, who will get back to you.",
                            "complaint_no_booking")
        try:
            complaint_services.complaint_raise(actor=self.actor_for(booking), channel=SMS, booking_id=booking.pk,
                                               description=parsed.text)
        except DomainError as exc:
            if exc.code == "too_many":
                return self.out(f"Thank you. We already have your complaints about booking #{booking.number} and "
                                "will be in touch.", "complaint_refused", booking)
            return self.refused(exc, booking, "complaint")
        return self.out(f"Thank you for telling us, and we are sorry. Your complaint about booking #{booking.number} "
                        "is with our team, who will get back to you.", "complaint", booking)


def handle(inbound: SmsMessage) -> Outcome:
    return Conversation(inbound).handle()
