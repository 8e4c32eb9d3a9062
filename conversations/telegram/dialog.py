"""What the bot does with one incoming update, synchronously, through the core services with
``channel=TELEGRAM``. Every reply is queued in the chat outbox (never sent from here).

Button data is untrusted: it only names an action and a booking id, and every press is carried
out as the fieldworker bound to the pressing chat, so the services' own checks (is this person
assigned to this booking?) decide. Every button press is answered (``answerCallbackQuery``),
whatever happens.
"""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass

from django.db import transaction

from core.actors import Actor, Channel
from core.bookings import policy as booking_policy
from core.bookings import services as booking_services
from core.bookings.models import Booking
from core.bookings.selectors import booking_for
from core.chat import outbox, selectors, services, texts
from core.chat.models import ChatBinding, ChatMessage, MessageKind
from core.company.selectors import get_company
from core.errors import DomainError
from core.files import links as file_links

from . import form_dialog

logger = logging.getLogger(__name__)

TELEGRAM = Channel.TELEGRAM
COMMANDS = ("today", "next", "jobs", "help", "unlink")
THREAD_COMMAND = "thread"
WRITE_COMMANDS = ("note", "customer", "tell")  # /note: internal; /customer and /tell: to the customer
PROFILE_COMMAND = "profile"
# /profile <field> <value>: the fields a fieldworker edits for themself (decision 0180)
PROFILE_FIELDS = {"name": "name", "mobile": "mobile", "bio": "bio", "address": "address",
                  "emergency": "emergency_contact"}
MAX_JOB_MESSAGES = 10


@dataclass(frozen=True)
class Incoming:
    update_id: int
    chat_id: int | None
    chat_type: str = "private"
    user_id: int | None = None
    username: str = ""
    text: str = ""
    caption: str = ""
    reply_to_message_id: int | None = None
    callback_query_id: str | None = None
    callback_data: str = ""
    callback_message_id: int | None = None
    photo_file_id: str = ""
    photo_unique_id: str = ""


def _reply(inc: Incoming, text: str, *, binding: ChatBinding | None = None, booking: Booking | None = None,
           buttons: list | None = None, comment_id: int | None = None) -> None:
    if inc.chat_id is None:
        return
    outbox.send(inc.chat_id, text, fieldworker_id=binding.fieldworker_id if binding else None,
                booking_id=booking.pk if booking else None, buttons=buttons, comment_id=comment_id)


def _binding(inc: Incoming) -> ChatBinding | None:
    if inc.chat_id is None or inc.user_id is None or inc.chat_type != "private":
        return None
    binding = selectors.binding_for_chat(chat_id=inc.chat_id, telegram_user_id=inc.user_id)
    if binding is not None:
        services.chat_seen(binding=binding)
    return binding


def _linked(handler):
    """Run ``handler(inc, binding, ...)`` for a linked private chat; any other chat gets no data."""

    @functools.wraps(handler)
    def wrapper(inc: Incoming, *args):
        binding = _binding(inc)
        if binding is None:
            _reply(inc, texts.NOT_LINKED)
            return None
        return handler(inc, binding, *args)

    return wrapper


def _job_buttons(booking: Booking) -> list:
    return texts.job_buttons(booking)


# --- /start and commands ------------------------------------------------------------------------------


@transaction.atomic
def start(inc: Incoming, token: str) -> None:
    if not token:
        binding = _binding(inc)
        if binding is None:
            _reply(inc, texts.NOT_LINKED)
        else:
            _reply(inc, f"Hi {binding.fieldworker.name}, this chat is linked.\n{texts.HELP}", binding=binding)
        return
    try:
        binding = services.chat_link_redeem(actor=Actor.anonymous(), channel=TELEGRAM, token=token,
                                            telegram_user_id=inc.user_id, chat_id=inc.chat_id,
                                            username=inc.username)
    except DomainError as exc:
        _reply(inc, texts.error(exc.code, exc.message))
        return
    _reply(inc, f"Hi {binding.fieldworker.name}, this chat is now linked. Job offers and changes will come here."
                f"\n{texts.HELP}", binding=binding)


@transaction.atomic
@_linked
def command(inc: Incoming, binding: ChatBinding, name: str) -> None:
    actor = selectors.actor_for(binding)
    if name == "today":
        jobs = selectors.jobs_today(actor)
        if not jobs:
            _reply(inc, "No jobs today.", binding=binding)
            return
        _reply(inc, f"Today you have {len(jobs)} job{'s' if len(jobs) != 1 else ''}:", binding=binding)
        for job in jobs[:MAX_JOB_MESSAGES]:
            _reply(inc, texts.job_summary(job), binding=binding, booking=job, buttons=_job_buttons(job))
    elif name == "next":
        job = selectors.next_job(actor)
        if job is None:
            _reply(inc, "You have no upcoming jobs.", binding=binding)
        else:
            _reply(inc, f"Next: {texts.job_summary(job)}", binding=binding, booking=job, buttons=_job_buttons(job))
    elif name == "jobs":
        jobs = selectors.upcoming_jobs(actor)
        offers = selectors.open_offers(actor)
        if not jobs and not offers:
            _reply(inc, "You have no upcoming jobs or open offers.", binding=binding)
            return
        if jobs:
            _reply(inc, "Your upcoming jobs:\n\n" + "\n\n".join(texts.job_summary(job) for job in jobs),
                   binding=binding)
        for offer in offers[:MAX_JOB_MESSAGES]:
            _reply(inc, texts.offer(offer), binding=binding, booking=offer, buttons=texts.offer_buttons(offer.pk))
    elif name == "unlink":
        services.chat_unlink(actor=actor, channel=TELEGRAM, fieldworker_id=binding.fieldworker_id, notify=False)
        _reply(inc, "This chat is no longer linked. Ask the office for a new link to link it again.")
    else:
        _reply(inc, texts.HELP, binding=binding)


# --- buttons ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Press:
    action: str
    booking_id: int
    extra: int | None = None


def parse_press(data: str) -> Press | None:
    """``action:booking_id[:extra]`` with small integers, or None. Nothing else is believed."""
    if not data or len(data.encode()) > 64:
        return None
    parts = data.split(":")
    if len(parts) not in (2, 3) or parts[0] not in texts.ACTIONS:
        return None
    numbers = parts[1:]
    for number in numbers:
        digits = number[1:] if number.startswith("-") else number
        if not digits.isascii() or not digits.isdigit() or len(digits) > 12:
            return None
    booking_id = int(numbers[0])
    if booking_id <= 0:
        return None
    extra = int(numbers[1]) if len(numbers) == 2 else None
    if (parts[0] in texts.WITH_EXTRA) != (extra is not None):
        return None
    return Press(parts[0], booking_id, extra)


def button(inc: Incoming) -> None:
    answer = ""
    try:
        with transaction.atomic():
            answer = _button(inc)
    except Exception:
        logger.exception("button press %s failed", inc.update_id)
        answer = "Something went wrong. Please try again."
    finally:
        if inc.callback_query_id:
            outbox.answer(inc.callback_query_id, answer or "", chat_id=inc.chat_id)


def _button(inc: Incoming) -> str:
    binding = _binding(inc)
    if binding is None:
        return texts.NOT_LINKED
    press = parse_press(inc.callback_data)
    if press is None:
        return "That button is no longer valid."
    actor = selectors.actor_for(binding)
    booking = booking_for(actor, press.booking_id)
    if booking is None:  # not theirs (forged data) or gone: the same answer, nothing changes
        return texts.error("not_found")
    handler = _PRESSES[press.action]
    return handler(inc, binding, actor, booking, press)


def _edit_or_send(inc: Incoming, binding: ChatBinding, text: str, *, booking: Booking,
                  buttons: list | None = None) -> None:
    if inc.callback_message_id is not None:
        outbox.edit(inc.chat_id, inc.callback_message_id, text, fieldworker_id=binding.fieldworker_id,
                    booking_id=booking.pk, buttons=buttons, kind=MessageKind.OFFER_UPDATE)
    else:
        _reply(inc, text, binding=binding, booking=booking, buttons=buttons)


def _accept(inc: Incoming, binding: ChatBinding, actor: Actor, booking: Booking, press: Press) -> str:
    try:
        booking_services.assignment_respond(actor=actor, channel=TELEGRAM, booking_id=booking.pk, accept=True)
    except DomainError as exc:
        if exc.code == "job_taken":
            _edit_or_send(inc, binding, f"Job #{booking.number} has already been taken.", booking=booking)
        return texts.error(exc.code, exc.message)
    booking.refresh_from_db()
    _edit_or_send(inc, binding, f"Accepted. {texts.job_summary(booking)}", booking=booking,
                  buttons=_job_buttons(booking))
    return "Accepted. The job is yours."


def _decline(inc: Incoming, binding: ChatBinding, actor: Actor, booking: Booking, press: Press) -> str:
    reasons = selectors.decline_reasons()
    needs = "" if get_company().fieldworkers_may_decline else " (the office has to approve it)"
    _edit_or_send(inc, binding, f"Why are you declining job #{booking.number}{needs}?\n{texts.when(booking)}",
                  booking=booking, buttons=texts.decline_buttons(booking.pk, reasons))
    return ""


def _decline_reason(inc: Incoming, binding: ChatBinding, actor: Actor, booking: Booking, press: Press) -> str:
    label = selectors.decline_reason_label(press.extra)
    if label is None:
        return "That reason is no longer offered. Pick another or type one."
    return decline_with(inc, binding, actor, booking, label)


def decline_with(inc: Incoming, binding: ChatBinding, actor: Actor, booking: Booking, reason: str) -> str:
    try:
        booking_services.assignment_respond(actor=actor, channel=TELEGRAM, booking_id=booking.pk, accept=False,
                                            reason=reason)
    except DomainError as exc:
        if exc.code != "decline_not_allowed":
            return _said(inc, binding, booking, texts.error(exc.code, exc.message))
        return _request(inc, binding, actor, booking, services.DECLINE_KIND, reason)
    _edit_or_send(inc, binding, f"Declined job #{booking.number} ({reason}).", booking=booking)
    return "Declined."


def _request(inc: Incoming, binding: ChatBinding, actor: Actor, booking: Booking, kind: str, reason: str) -> str:
    try:
        services.booking_change_request(actor=actor, channel=TELEGRAM, booking_id=booking.pk, kind=kind,
                                        reason=reason)
    except DomainError as exc:
        return _said(inc, binding, booking, texts.error(exc.code, exc.message))
    verb = "Declining" if kind == services.DECLINE_KIND else "Cancelling"
    _reply(inc, f"{verb} job #{booking.number} needs the office's approval. I have asked them; you will hear back "
                f"here.", binding=binding, booking=booking)
    return "Sent to the office."


def _said(inc: Incoming, binding: ChatBinding, booking: Booking, text: str) -> str:
    """Tell the outcome in the chat when the answer is not a button press (typed reasons)."""
    if inc.callback_query_id is None:
        _reply(inc, text, binding=binding, booking=booking)
    return text


def _ask(kind: str, prompt: str):
    def handler(inc: Incoming, binding: ChatBinding, actor: Actor, booking: Booking, press: Press) -> str:
        services.chat_state_set(binding=binding, kind=kind, booking_id=booking.pk)
        _reply(inc, prompt.format(number=booking.number), binding=binding, booking=booking)
        return ""

    return handler


def _on_my_way(inc: Incoming, binding: ChatBinding, actor: Actor, booking: Booking, press: Press) -> str:
    try:
        services.booking_on_my_way(actor=actor, channel=TELEGRAM, booking_id=booking.pk)
    except DomainError as exc:
        return texts.error(exc.code, exc.message)
    return "The customer has been told you are on the way."


def _transition(service, done: str):
    def handler(inc: Incoming, binding: ChatBinding, actor: Actor, booking: Booking, press: Press) -> str:
        try:
            changed = service(actor=actor, channel=TELEGRAM, booking_id=booking.pk)
        except DomainError as exc:
            if exc.code == "form_required":  # said in the chat too, with the forms to fill
                _reply(inc, exc.message, binding=binding, booking=booking,
                       buttons=form_dialog.fill_buttons(booking, form_dialog.open_forms(actor, booking)) or None)
            return texts.error(exc.code, exc.message)
        _edit_or_send(inc, binding, f"{done.format(number=changed.number)}\n{texts.job_summary(changed)}",
                      booking=changed, buttons=_job_buttons(changed) or None)
        return done.format(number=changed.number)

    return handler


def _cancel(inc: Incoming, binding: ChatBinding, actor: Actor, booking: Booking, press: Press) -> str:
    services.chat_state_set(binding=binding, kind="cancel_reason", booking_id=booking.pk)
    needs = "" if get_company().fieldworkers_may_cancel else " (the office has to approve it)"
    _reply(inc, f"Why cancel job #{booking.number}{needs}? Type the reason.", binding=binding, booking=booking)
    return ""


def _signing_link(inc: Incoming, binding: ChatBinding, actor: Actor, booking: Booking, press: Press) -> str:
    """A link to a signing page for this job, to hand the phone to the customer (it works for a few hours)."""
    if not booking_policy.is_assigned(booking, actor, accepted_only=True):
        return texts.error("not_accepted", "Accept the job first.")
    url = file_links.signing_url(fieldworker_id=actor.fieldworker_id, booking_id=booking.pk)
    _reply(inc, f"Hand the phone to the customer to sign for job #{booking.number}:\n{url}", binding=binding,
           booking=booking)
    return ""


def _thread_press(inc: Incoming, binding: ChatBinding, actor: Actor, booking: Booking, press: Press) -> str:
    return _show_thread(inc, binding, actor, booking)


_PRESSES = {
    texts.ACCEPT: _accept,
    texts.DECLINE: _decline,
    texts.DECLINE_REASON: _decline_reason,
    texts.DECLINE_OTHER: _ask("decline_reason", "Type the reason for declining job #{number}."),
    texts.ON_MY_WAY: _on_my_way,
    texts.START: _transition(booking_services.booking_start, "Started job #{number}."),
    texts.COMPLETE: _transition(booking_services.booking_complete, "Completed job #{number}. Thank you!"),
    texts.NOTE: _ask("note", texts.NOTE_PROMPT),
    texts.PHOTO: _ask("photo", "Send the photo for job #{number}."),
    texts.CANCEL: _cancel,
    texts.THREAD: _thread_press,
    texts.SIGN: _signing_link,
    texts.FORM: lambda inc, binding, actor, booking, press: form_dialog.start(binding, actor, booking),
    texts.FORM_PICK: lambda inc, binding, actor, booking, press: form_dialog.ask_next(binding, actor, booking,
                                                                                      press.extra),
    texts.FORM_ANSWER: lambda inc, binding, actor, booking, press: form_dialog.answer_press(binding, actor, booking,
                                                                                            press.extra),
    texts.FORM_SKIP: lambda inc, binding, actor, booking, press: form_dialog.skip_press(binding, actor, booking,
                                                                                        press.extra),
    texts.FORM_SUBMIT: lambda inc, binding, actor, booking, press: form_dialog.submit_press(binding, actor, booking,
                                                                                            press.extra),
}


# --- text, photos, replies --------------------------------------------------------------------------------


def _replied_message(inc: Incoming) -> ChatMessage | None:
    if inc.reply_to_message_id is None:
        return None
    return (ChatMessage.objects.filter(chat_id=inc.chat_id, telegram_message_id=inc.reply_to_message_id)
            .exclude(booking__isnull=True).order_by("-id").first())


def _cancel_with(inc: Incoming, binding: ChatBinding, actor: Actor, booking: Booking, reason: str) -> None:
    if not get_company().fieldworkers_may_cancel:
        _request(inc, binding, actor, booking, services.CANCEL_KIND, reason)
        return
    try:
        booking_services.booking_cancel(actor=actor, channel=TELEGRAM, booking_id=booking.pk, reason=reason)
    except DomainError as exc:
        _reply(inc, texts.error(exc.code, exc.message), binding=binding, booking=booking)
        return
    _reply(inc, f"Job #{booking.number} is cancelled. The office and the customer are told.", binding=binding,
           booking=booking)


def _write(inc: Incoming, binding: ChatBinding, actor: Actor, booking: Booking, body: str, *,
           to_customer: bool | None, reply_to_id: int | None = None) -> None:
    """Add the message to the job's discussion, to the customer or internal (None: the default for a
    reply, decision 0520), and say plainly which it was."""
    try:
        comment = services.chat_comment_add(actor=actor, channel=TELEGRAM, booking_id=booking.pk, body=body,
                                            to_customer=to_customer, reply_to_id=reply_to_id)
    except DomainError as exc:
        _reply(inc, texts.comment_refused(booking, exc.code, exc.message, exc.field), binding=binding,
               booking=booking)
        return
    _reply(inc, texts.comment_added(booking, comment), binding=binding, booking=booking)


def _job_number(token: str) -> int | None:
    token = token[1:] if token.startswith("#") else token
    if not token.isascii() or not token.isdigit() or len(token) > 9:
        return None
    return int(token)


def _job_from(inc: Incoming, actor: Actor, rest: str) -> tuple[Booking | None, str, ChatMessage | None, bool]:
    """The job a command with text is about: the replied-to message's, else a leading job number.
    Returns (booking, the rest of the text, the replied-to message, whether a job was named at all)."""
    replied = _replied_message(inc)
    words = rest.split(maxsplit=1)
    number = _job_number(words[0]) if words else None
    if replied is not None:
        booking = booking_for(actor, replied.booking_id)
        if booking is not None and number == booking.number:  # "/tell 1042 ..." in a reply about #1042
            rest = words[1] if len(words) > 1 else ""
        return booking, rest, replied, True
    if number is None:
        return None, rest, None, False
    return selectors.job_by_number(actor, number), words[1] if len(words) > 1 else "", None, True


@transaction.atomic
@_linked
def write(inc: Incoming, binding: ChatBinding, name: str, rest: str) -> None:
    """``/note``, ``/customer``, ``/tell``: in a reply to a job's message or with the job number first."""
    actor = selectors.actor_for(binding)
    booking, body, replied, named = _job_from(inc, actor, rest)
    if not named:
        _reply(inc, f"Which job? Reply to the job's message with /{name} and your text, or start with the job "
                    f"number: /{name} 1042 your text.", binding=binding)
        return
    if booking is None:
        _reply(inc, texts.error("not_found"), binding=binding)
        return
    _write(inc, binding, actor, booking, body, to_customer=name != "note",
           reply_to_id=replied.comment_id if replied is not None else None)


def _show_thread(inc: Incoming, binding: ChatBinding, actor: Actor, booking: Booking) -> str:
    discussion = selectors.discussion(actor, booking)
    may_tell = selectors.on_job(actor, booking)
    # replying to the thread answers its latest customer-visible message, so it goes to the customer
    answers = discussion.with_customer[-1].pk if may_tell and discussion.with_customer else None
    _reply(inc, texts.thread(booking, discussion, viewer_user_id=binding.fieldworker.user_id, may_tell=may_tell,
                             answers=answers is not None),
           binding=binding, booking=booking, comment_id=answers)
    return ""


@transaction.atomic
@_linked
def thread(inc: Incoming, binding: ChatBinding, rest: str) -> None:
    """``/thread 1042`` (or ``/thread`` in a reply to a job's message): the job's discussion."""
    actor = selectors.actor_for(binding)
    booking, _rest, _replied, named = _job_from(inc, actor, rest)
    if not named:
        _reply(inc, "Which job? Send /thread with the job number (/thread 1042), or reply to the job's message "
                    "with /thread.", binding=binding)
        return
    if booking is None:
        _reply(inc, texts.error("not_found"), binding=binding)
        return
    _show_thread(inc, binding, actor, booking)


@transaction.atomic
@_linked
def text(inc: Incoming, binding: ChatBinding) -> None:
    actor = selectors.actor_for(binding)
    replied = _replied_message(inc)
    if replied is not None:
        booking = booking_for(actor, replied.booking_id)
        if booking is None:
            _reply(inc, texts.error("not_found"), binding=binding)
            return
        _write(inc, binding, actor, booking, inc.text, to_customer=None, reply_to_id=replied.comment_id)
        return
    state = services.chat_state_take(binding=binding)
    booking = booking_for(actor, state["booking_id"]) if state.get("booking_id") else None
    if not state or booking is None:
        _reply(inc, "I did not understand that.\n" + texts.HELP, binding=binding)
        return
    kind = state.get("kind")
    if kind == "decline_reason":
        decline_with(inc, binding, actor, booking, inc.text)
    elif kind == "cancel_reason":
        _cancel_with(inc, binding, actor, booking, inc.text)
    elif kind == "note":
        _write(inc, binding, actor, booking, inc.text, to_customer=False)
    elif kind == form_dialog.STATE:
        form_dialog.answer_text(binding, actor, booking, state, inc.text)
    else:
        _reply(inc, "Please send a photo, or /help.", binding=binding, booking=booking)


@transaction.atomic
@_linked
def photo(inc: Incoming, binding: ChatBinding) -> None:
    actor = selectors.actor_for(binding)
    replied = _replied_message(inc)
    booking_id = replied.booking_id if replied is not None else None
    state: dict = {}
    if booking_id is None:
        state = services.chat_state_take(binding=binding)
        booking_id = state.get("booking_id") if state.get("kind") in ("photo", "note", form_dialog.STATE) else None
    booking = booking_for(actor, booking_id) if booking_id else None
    if booking is None:
        _reply(inc, "Which job is this for? Press Photo on the job first, or reply to the job's message with the "
                    "photo.", binding=binding)
        return

    def add() -> int:
        return services.attachment_add(actor=actor, channel=TELEGRAM, booking_id=booking.pk,
                                       telegram_file_id=inc.photo_file_id, telegram_file_unique_id=inc.photo_unique_id,
                                       caption=inc.caption).pk

    if state.get("kind") == form_dialog.STATE:  # the answer to a photo question of a form
        form_dialog.answer_photo(binding, actor, booking, state, add)
        return
    try:
        add()
    except DomainError as exc:
        _reply(inc, texts.error(exc.code, exc.message), binding=binding, booking=booking)
        return
    _reply(inc, f"Photo saved to job #{booking.number}.", binding=binding, booking=booking)


@transaction.atomic
@_linked
def other(inc: Incoming, binding: ChatBinding) -> None:
    _reply(inc, "I can take text and photos.\n" + texts.HELP, binding=binding)


def _profile_text(worker) -> str:
    lines = [f"Name: {worker.name}", f"Mobile: {worker.mobile or '-'}", f"Address: {worker.address or '-'}",
             f"Emergency contact: {worker.emergency_contact or '-'}", f"About you: {worker.bio or '-'}"]
    return "\n".join(lines)


@transaction.atomic
@_linked
def profile(inc: Incoming, binding: ChatBinding, rest: str) -> None:
    """``/profile``: your profile; ``/profile bio I do roofs too``: change one field (applied at once or
    sent to the office for approval, as the company's setting says)."""
    from core.workforce import profile as workforce_profile
    from core.workforce.models import Fieldworker

    actor = selectors.actor_for(binding)
    words = rest.strip().split(maxsplit=1)
    if not words:
        worker = Fieldworker.objects.get(pk=binding.fieldworker_id)
        _reply(inc, _profile_text(worker) + "\n\nChange one with /profile " + "|".join(PROFILE_FIELDS)
               + " and the new text.", binding=binding)
        return
    field = PROFILE_FIELDS.get(words[0].lower())
    if field is None:
        _reply(inc, "Which field? /profile " + "|".join(PROFILE_FIELDS) + " and the new text.", binding=binding)
        return
    value = words[1] if len(words) > 1 else ""
    try:
        with transaction.atomic():
            change = workforce_profile.fieldworker_profile_update(
                actor=actor, channel=TELEGRAM, fieldworker_id=binding.fieldworker_id, **{field: value})
    except DomainError as exc:
        _reply(inc, texts.error(exc.code, exc.message), binding=binding)
        return
    _reply(inc, "Saved." if change.applied else "Sent to the office for approval.", binding=binding)
