"""Every ``DomainError`` code, by area: the one list that the GraphQL enums (``BookingErrorCode``,
``AccountErrorCode``, ...) are made from (docs/decisions/0108).

A code belongs to exactly one area. A code that one area's services alone raise is that area's; a
code that several areas raise (``required``, ``too_long``) or that the API itself raises
(``invalid_id``, ``unauthenticated``) is ``Common``. ``tests/core/test_error_codes.py`` reads the
source of every ``DomainError`` (and its subclasses) and fails on a code raised that is listed
nowhere, and on a code listed that nothing raises. A new code is added here, with what it means.
"""

from __future__ import annotations

AREAS: dict[str, dict[str, str]] = {
    "Common": {
        "not_found": "No such object, or none the caller may see.",
        "forbidden": "The caller may not do that.",
        "unauthenticated": "Sign in first.",
        "access_revoked": "The caller lost access to what they were watching.",
        "resync_required": "The live stream missed changes (a Redis reconnect): read again and subscribe anew.",
        "realtime_unavailable": "Live updates are unavailable for now (Redis is down); try again shortly.",
        "invalid": "The value is malformed.",
        "invalid_id": "Not an id of the expected type.",
        "invalid_cursor": "Not a cursor of this list.",
        "page_size": "Too many rows asked for in one page.",
        "required": "A value is required.",
        "too_long": "The text is too long.",
        "too_many": "Too many items.",
        "out_of_range": "The number is outside the allowed range.",
        "duplicate": "Such a record exists already.",
        "ambiguous": "Two inputs that exclude each other, or more than one record matches.",
        "end_before_start": "The end is not after the start.",
        "invalid_datetime": "Not a date and time.",
        "invalid_time": "Not a time of day.",
        "invalid_time_zone": "Not a known time zone.",
        "invalid_email": "Not an e-mail address.",
        "invalid_phone": "Not a phone number.",
        "illegal_transition": "The record cannot move to that status from its current one.",
        "not_open": "The job is no longer open.",
        "not_accepted": "The fieldworker has not accepted the job.",
        "already_resolved": "The inquiry or request was resolved already.",
        "reason_required": "A reason is required.",
        "service_inactive": "The service is no longer offered.",
        "fieldworker_inactive": "The fieldworker is inactive.",
        "inactive": "The record chosen is no longer offered (a lead source, a trading name).",
    },
    "Account": {
        "invalid_credentials": "Wrong e-mail address or password.",
        "invalid_role": "Not a role.",
        "own_access": "Users cannot take away their own access.",
        "role_locked": "A fieldworker's or a customer's account keeps its role.",
        "weak_password": "The password is too weak.",
        "rate_limited": "Too many sign-in attempts; try again later.",
    },
    "Booking": {
        "already_assigned": "The fieldworker is on the job already.",
        "already_cancelled": "The booking is cancelled already.",
        "already_confirmed": "The booking is confirmed already.",
        "already_responded": "The offer was answered already.",
        "cancellation_disabled": "The company does not let customers cancel online.",
        "decline_not_allowed": "Declining jobs is switched off.",
        "fee_changed": "The cancellation fee changed since it was quoted.",
        "fee_not_accepted": "Cancelling now costs a fee that was not accepted.",
        "fieldworker_blocked": "The fieldworker is blocked.",
        "fieldworker_conflict": "The fieldworker is on another job then.",
        "invalid_fee": "Not a cancellation fee.",
        "invalid_price": "Not a price.",
        "invalid_quantity": "Not a quantity.",
        "invalid_rule": "Not a recurrence rule.",
        "job_taken": "Enough fieldworkers accepted the job already.",
        "no_list_price": "A line typed by hand has no list price to return to.",
        "package_inactive": "The package is no longer offered.",
        "product_inactive": "The product is no longer offered.",
        "no_location": "The place has no coordinates.",
        "no_occurrences": "The series gives no dates.",
        "nonexistent_time": "That local time does not exist (clocks change).",
        "not_in_series": "The booking is not part of that series.",
        "on_time_off": "The fieldworker is on time off then.",
        "outside_working_hours": "The fieldworker does not work then.",
        "reschedule_disabled": "The company does not let customers move bookings.",
        "same_time": "The booking is at that time already.",
        "slot_unavailable": "That time is no longer free.",
        "too_late": "The booking has started or is too close to change.",
    },
    "Catalog": {
        "tiers_overlap": "Two volume tiers of a product overlap.",
    },
    "Chat": {
        "already_requested": "The fieldworker asked the office about this job already.",
        "link_expired": "The chat link expired.",
        "link_unknown": "No such chat link.",
        "link_used": "The chat link was used already.",
    },
    "Company": {
        "before_latest": "A new terms version starts no earlier than the latest one.",
        "default_inactive": "The default trading name stays active.",
        "duplicate_prefix": "Quotes and invoices need different prefixes.",
        "file_too_large": "The file is too large.",
        "image_dimensions": "The logo is too small or too large in pixels.",
        "in_the_past": "A new terms version cannot start in the past.",
        "not_an_image": "The file is empty or not an image.",
        "number_retired": "The document number is retired.",
        "number_used": "The number was used before and is never reused.",
        "numbers_exhausted": "The number sequence has no numbers left.",
        "unsupported_image": "A logo is a PNG, JPEG or WebP image.",
    },
    "Crm": {
        "already_converted": "The inquiry is converted; its booking carries on.",
        "archived": "The dependent is archived; it is no longer edited.",
        "convert_instead": "Convert the inquiry into a customer and booking instead.",
        "door_source": "The lead source a door files with stays active.",
        "duplicate_customer": "Customers with this e-mail or mobile exist: merge or choose to create one.",
        "in_use": "The lead source, property type or location type is in use; deactivate it instead.",
        "invalid_characters": "The text contains a NUL character.",
        "invalid_date": "Not a date (YYYY-MM-DD).",
        "invalid_move": "The lead cannot move to that stage from its current one.",
        "lead_lost": "The lead is lost; move it to another stage to revive it.",
        "inquiry_resolved": "The inquiry is resolved.",
        "no_contact": "No phone number or e-mail address to answer the sender.",
        "not_resolved": "The inquiry is not resolved.",
        "not_staff": "Only a staff member can answer an inquiry.",
        "other_customer": "The bookings belong to another customer.",
    },
    "Invoice": {
        "already_invoiced": "The booking has a live invoice already (void it to invoice again).",
        "due_before_issue": "The due date is before the issue date.",
        "has_payments": "Payments are recorded on the invoice: remove them first.",
        "in_future": "A payment is not dated in the future.",
        "invalid_amount": "An amount is above zero and within range.",
        "negative_total": "The discounts come to more than the invoice.",
        "no_fee": "The booking was not cancelled with a fee.",
        "no_lines": "An invoice needs at least one line.",
        "not_completed": "The booking is not completed.",
        "not_draft": "Only a draft invoice is changed or deleted.",
        "not_issued": "Payments are recorded against issued invoices only.",
    },
    "JobData": {
        "duplicate_choice": "An option is chosen twice.",
        "empty_condition": "A filter condition says nothing to match.",
        "group_not_empty": "Move or archive the group's fields first.",
        "immutable": "This part of a custom field cannot be changed.",
        "invalid_choice": "Not one of the field's options.",
        "invalid_condition": "The field cannot be filtered that way.",
        "invalid_key": "A key is lower-case letters, digits and _, starting with a letter.",
        "invalid_profile": "Not a profile.",
        "invalid_signature": "Not a PNG image as a data URL.",
        "invalid_target": "Not a kind of record custom fields belong to.",
        "invalid_type": "Not a custom field type.",
        "mismatch": "Name every active item exactly once.",
        "not_allowed": "Only booking fields are asked per service.",
        "not_applicable": "The field is not asked for this booking's services.",
        "not_shown": "The field is not on the profile.",
        "off_step": "The number is not on the field's step.",
        "one_value": "Set one member of the value, or none to clear it.",
        "option_in_use": "Values use an option that was removed.",
        "required_hidden": "A hidden field cannot be required.",
        "too_large": "The signature image is too large.",
        "unknown_field": "No such field.",
        "wrong_target": "The group belongs to another kind of record.",
        "wrong_type": "The value is not of the field's type.",
    },
    "Outreach": {
        "cannot_retry": "This e-mail cannot be sent again.",
        "in_past": "The date is in the past.",
        "invalid_link": "The sign-in link is used, expired or not valid.",
        "invalid_status": "Not a status the booking request can be given.",
        "not_failed": "Only a failed e-mail can be sent again.",
        "too_far": "The date is more than a year ahead.",
    },
    "Workforce": {
        "already_decided": "The change request was decided already.",
        "already_verified": "The fieldworker's e-mail address is verified already.",
        "bank_key_missing": "No bank key is configured, or the details were stored under a key no longer listed "
                            "(FIELDOPS_BANK_KEYS).",
        "invalid_team": "A lead cannot have a lead, lead themself, or be put in a team while leading one.",
        "overlapping_ranges": "Working-hour ranges of one day overlap.",
    },
}


def _area_of() -> dict[str, str]:
    out: dict[str, str] = {}
    for area, codes in AREAS.items():
        for code in codes:
            if code in out:
                raise ValueError(f"error code {code!r} is listed in {out[code]} and {area}")
            out[code] = area
    return out


AREA_OF: dict[str, str] = _area_of()  # code -> area
