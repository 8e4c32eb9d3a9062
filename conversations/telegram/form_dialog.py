"""Filling a job's forms in the chat, one question at a time (decision 0915).

The answers are saved through ``core.jobdata.forms_services`` as each one is given, so the form in
the database is the dialog's progress: whatever interrupts it (another job's button, a day's pause,
an expired chat state), pressing "Fill form" again asks the first question still unanswered. The
chat state only remembers which form and question the next message answers.

Buttons carry ``action:booking_id[:extra]``; for an answer ``extra`` is the question's position
times 100 plus the option, so a button of an earlier question is recognised as stale.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from core.actors import Actor, Channel
from core.bookings.models import Booking
from core.chat import outbox, services, texts
from core.chat.models import ChatBinding
from core.errors import DomainError
from core.jobdata import forms_services
from core.jobdata.forms_links import SigningLink, signing_url
from core.jobdata.forms_models import ElementKind
from core.jobdata.forms_selectors import BookingForm, forms_for_viewer
from core.jobdata.forms_values import Element
from core.jobdata.models import CHOICE_TYPES, MULTI_CHOICE_TYPES

TELEGRAM = Channel.TELEGRAM
STATE = "form"
YES, NO = 1, 0
MAX_OPTIONS_IN_CHAT = 99

HINTS = {
    ElementKind.SHORT_TEXT: "Type the answer.",
    ElementKind.LONG_TEXT: "Type the answer.",
    ElementKind.DATE: "Type the date as YYYY-MM-DD.",
    ElementKind.TIME: "Type the time as HH:MM.",
    ElementKind.INCREMENT: "Type a number.",
    ElementKind.PHOTO: "Send the photo.",
}


def _send(binding: ChatBinding, booking: Booking, text: str, buttons: list | None = None) -> None:
    outbox.send(binding.chat_id, text, fieldworker_id=binding.fieldworker_id, booking_id=booking.pk,
                buttons=buttons or None)


def open_forms(actor: Actor, booking: Booking) -> list[BookingForm]:
    return [form for form in forms_for_viewer(actor, booking.pk) if not form.submitted]


def fill_buttons(booking: Booking, forms: list[BookingForm]) -> list:
    return [[[f"Fill: {form.template.name}"[:60], texts.data(texts.FORM_PICK, booking.pk, form.template.pk)]]
            for form in forms]


def start(binding: ChatBinding, actor: Actor, booking: Booking) -> str:
    """"Fill form" on a job: the one open form straight away, or a choice of them."""
    forms = open_forms(actor, booking)
    if not forms:
        _send(binding, booking, f"Job #{booking.number} has no forms left to fill.")
        return "No forms to fill."
    if len(forms) == 1:
        return ask_next(binding, actor, booking, forms[0].template.pk)
    _send(binding, booking, f"Which form of job #{booking.number}?", fill_buttons(booking, forms))
    return ""


def _form(actor: Actor, booking: Booking, template_id: int) -> BookingForm | None:
    return next((form for form in forms_for_viewer(actor, booking.pk) if form.template.pk == template_id), None)


def _next_element(form: BookingForm, skipped: list[str]) -> tuple[int, Element, list[Element]] | None:
    """The first unanswered question not skipped in this sitting, with the headings and instructions
    just before it."""
    layout: list[Element] = []
    for position, element in enumerate(form.elements):
        if not element.answerable:
            layout.append(element)
            continue
        if element.key in form.answers or element.key in skipped:
            layout = []
            continue
        return position, element, layout
    return None


def ask_next(binding: ChatBinding, actor: Actor, booking: Booking, template_id: int, *,
             skipped: list[str] | None = None, picked: list[str] | None = None) -> str:
    form = _form(actor, booking, template_id)
    if form is None or form.submitted:
        _send(binding, booking, f"That form of job #{booking.number} is not open any more.")
        return ""
    skipped = list(skipped or [])
    found = _next_element(form, skipped)
    if found is None:
        services.chat_state_set(binding=binding, kind=STATE, booking_id=booking.pk, template_id=template_id,
                                position=-1, skipped=skipped)
        _send(binding, booking, f"All questions of '{form.template.name}' are answered. Submit it?",
              [[["Submit", texts.data(texts.FORM_SUBMIT, booking.pk, template_id)]]])
        return ""
    position, element, layout = found
    services.chat_state_set(binding=binding, kind=STATE, booking_id=booking.pk, template_id=template_id,
                            position=position, key=element.key, skipped=skipped, picked=list(picked or []))
    answerable = [e for e in form.elements if e.answerable]
    number = answerable.index(element) + 1
    lines = [f"{form.template.name}, job #{booking.number} ({number}/{len(answerable)})"]
    lines += [f"\n{item.label.upper()}" if item.kind == ElementKind.HEADING else item.label for item in layout]
    lines.append(f"\n{element.label}{' (required)' if element.required else ''}")
    if element.help_text:
        lines.append(element.help_text)
    buttons = _question_buttons(booking, position, element, picked or [])
    hint = HINTS.get(element.kind, "")
    if element.kind == ElementKind.SIGNATURE:
        url = signing_url(SigningLink(booking_id=booking.pk, template_id=template_id, key=element.key,
                                      fieldworker_id=binding.fieldworker_id))
        hint = f"Open this link to sign on the phone, then press Signed:\n{url}"
    if element.kind == ElementKind.INCREMENT and (element.min_value is not None or element.max_value is not None):
        hint = f"Type a number from {_num(element.min_value)} to {_num(element.max_value)}."
    if hint:
        lines.append(hint)
    if not element.required:
        buttons.append([["Skip", texts.data(texts.FORM_SKIP, booking.pk, position)]])
    _send(binding, booking, "\n".join(lines), buttons)
    return ""


def _num(value: Any) -> str:
    return "any" if value is None else format(value.normalize(), "f")


def _code(position: int, option: int) -> int:
    return position * 100 + option


def _question_buttons(booking: Booking, position: int, element: Element, picked: list[str]) -> list:
    answer = lambda label, option: [label, texts.data(texts.FORM_ANSWER, booking.pk, _code(position, option))]  # noqa: E731
    if element.kind == ElementKind.CHECKLIST:
        return [[answer("Done", YES), answer("Not done", NO)]]
    if element.kind == ElementKind.TOGGLE:
        return [[answer("Yes", YES), answer("No", NO)]]
    if element.kind == ElementKind.SIGNATURE:
        return [[answer("Signed", YES)]]
    if element.kind in CHOICE_TYPES:
        multi = element.kind in MULTI_CHOICE_TYPES
        rows = [[answer(f"{'✓ ' if multi and option['value'] in picked else ''}{option['label']}"[:60], index)]
                for index, option in enumerate(element.options[:MAX_OPTIONS_IN_CHAT])]
        if multi:
            rows.append([["Done choosing", texts.data(texts.FORM_ANSWER, booking.pk, _code(position, 99))]])
        return rows
    return []


def _state(binding: ChatBinding, booking: Booking) -> dict[str, Any] | None:
    state = services.chat_state_take(binding=binding)
    if state.get("kind") != STATE or state.get("booking_id") != booking.pk:
        return None
    return state


def _save(binding: ChatBinding, actor: Actor, booking: Booking, state: dict[str, Any], value: Any) -> str:
    """Save one answer and ask the next question; a refusal is said and the question asked again."""
    try:
        forms_services.form_answers_save(actor=actor, channel=TELEGRAM, booking_id=booking.pk,
                                         template_id=state["template_id"], answers={state["key"]: value})
    except DomainError as exc:
        _send(binding, booking, exc.message)
        ask_next(binding, actor, booking, state["template_id"], skipped=state.get("skipped"),
                 picked=state.get("picked"))
        return exc.message
    ask_next(binding, actor, booking, state["template_id"], skipped=state.get("skipped"))
    return "Saved."


STALE = "That question is no longer open. Press Fill form on the job to go on."


def answer_press(binding: ChatBinding, actor: Actor, booking: Booking, code: int) -> str:
    state = _state(binding, booking)
    position, option = divmod(code, 100)
    if state is None or state.get("position") != position:
        if state is not None:  # a button of an earlier question: the open one stays open
            services.chat_state_set(binding=binding, **state)
        return STALE
    form = _form(actor, booking, state["template_id"])
    if form is None or position >= len(form.elements):
        return STALE
    element = form.elements[position]
    if element.kind in (ElementKind.CHECKLIST, ElementKind.TOGGLE):
        return _save(binding, actor, booking, state, option == YES)
    if element.kind == ElementKind.SIGNATURE:
        if element.key in form.answers:
            return ask_next(binding, actor, booking, state["template_id"], skipped=state.get("skipped")) or "Signed."
        services.chat_state_set(binding=binding, **state)
        return "Not signed yet: open the link, sign, then press Signed."
    if element.kind in MULTI_CHOICE_TYPES:
        picked = list(state.get("picked") or [])
        if option == 99:
            return _save(binding, actor, booking, state, picked)
        if option >= len(element.options):
            services.chat_state_set(binding=binding, **state)
            return STALE
        value = element.options[option]["value"]
        picked = [item for item in picked if item != value] if value in picked else [*picked, value]
        return ask_next(binding, actor, booking, state["template_id"], skipped=state.get("skipped"),
                        picked=picked) or "Picked."
    if element.kind in CHOICE_TYPES and option < len(element.options):
        return _save(binding, actor, booking, state, element.options[option]["value"])
    services.chat_state_set(binding=binding, **state)
    return STALE


def skip_press(binding: ChatBinding, actor: Actor, booking: Booking, position: int) -> str:
    state = _state(binding, booking)
    if state is None or state.get("position") != position:
        if state is not None:
            services.chat_state_set(binding=binding, **state)
        return STALE
    ask_next(binding, actor, booking, state["template_id"], skipped=[*state.get("skipped", []), state["key"]])
    return "Skipped."


def submit_press(binding: ChatBinding, actor: Actor, booking: Booking, template_id: int) -> str:
    try:
        submission = forms_services.form_submit(actor=actor, channel=TELEGRAM, booking_id=booking.pk,
                                                template_id=template_id)
    except DomainError as exc:
        _send(binding, booking, exc.message, fill_buttons(booking, open_forms(actor, booking)))
        return exc.message
    services.chat_state_take(binding=binding)
    _send(binding, booking, f"Form '{submission.template.name}' of job #{booking.number} is submitted. Thank you!",
          texts.job_buttons(booking) or None)
    return "Submitted."


def answer_text(binding: ChatBinding, actor: Actor, booking: Booking, state: dict[str, Any], text: str) -> None:
    """A typed message while a question is open: the answer to text, date, time and number questions."""
    form = _form(actor, booking, state["template_id"])
    position = state.get("position", -1)
    if form is None or not 0 <= position < len(form.elements):
        _send(binding, booking, STALE)
        return
    element = form.elements[position]
    if element.kind not in HINTS or element.kind == ElementKind.PHOTO:
        services.chat_state_set(binding=binding, **state)
        _send(binding, booking, "Please use the buttons above (or send a photo when a photo is asked).")
        return
    _save(binding, actor, booking, state, text)


def answer_photo(binding: ChatBinding, actor: Actor, booking: Booking, state: dict[str, Any],
                 add_photo: Callable[[], int]) -> None:
    """A photo while a photo question is open: stored as the bot stores photos, then the answer."""
    form = _form(actor, booking, state["template_id"])
    position = state.get("position", -1)
    if form is None or not 0 <= position < len(form.elements) or form.elements[position].kind != ElementKind.PHOTO:
        services.chat_state_set(binding=binding, **state)
        _send(binding, booking, "This question is not asking for a photo.")
        return
    try:
        photo_id = add_photo()
    except DomainError as exc:
        _send(binding, booking, texts.error(exc.code, exc.message))
        services.chat_state_set(binding=binding, **state)
        return
    _save(binding, actor, booking, state, photo_id)
