"""The only writers of payroll rows. Keyword-only, with ``actor`` and ``channel``; staff write (the
system too: the pay of a completed booking, the ``payroll_run`` command); every change appends to
the payroll history and publishes its event (``history.record``).

* Agreements: ``agreement_create`` / ``agreement_update`` / ``agreement_delete``. One fieldworker's
  agreements never overlap in time; one that pay was computed under keeps its terms (only its end
  date and notes change) and is not deleted (decision 0850).
* Pay: ``booking_pay_compute`` (at completion, by the durable subscriber in ``handlers``) and
  ``booking_pay_adjust`` (staff, with a reason).
* Runs: ``payroll_run_create`` (draft, with a statement per fieldworker), ``payroll_run_finalise``,
  ``payroll_run_mark_paid``, ``payroll_run_delete`` (drafts only, which frees their entries).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from core.actors import Actor, Channel, ensure_office
from core.bookings.models import Booking, BookingAssignment, BookingStatus
from core.catalog.models import Service
from core.errors import DomainError, NotFound, ValidationFailed
from core.money import ZERO, round_money
from core.text import refuse_nul
from core.workforce.models import Fieldworker

from . import figures
from . import history as ledger  # not "history": that name is the booking timeline's (test_every_timeline_action)
from .models import (
    EntryKind,
    PayBasis,
    PayEntry,
    PaymentAgreement,
    PaymentRate,
    PayrollRun,
    PayrollRunItem,
    PayrollStatement,
    RunStatus,
)
from .selectors import local_day, today

MAX_MONEY = Decimal("99999999")
MAX_RATES = 200
MAX_TEXT = 5000
MAX_PERIOD_DAYS = 366
UNSET: Any = object()


@dataclass(frozen=True)
class RateInput:
    service_id: int
    amount: Any = None
    percent: Any = None


# --- input cleaning -----------------------------------------------------------------------------


def ensure_staff(actor: Actor) -> None:
    ensure_office(actor, "pay")


def _text(value: str | None, field: str, *, required: bool = False) -> str:
    value = refuse_nul((value or "").strip(), field)
    if required and not value:
        raise ValidationFailed(field, "A reason is required.", code="reason_required")
    if len(value) > MAX_TEXT:
        raise ValidationFailed(field, f"At most {MAX_TEXT} characters.", code="too_long")
    return value


def _money(value: Any, field: str, *, lo: Decimal = ZERO, hi: Decimal = MAX_MONEY) -> Decimal:
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise ValidationFailed(field, "Not a number.", code="invalid")
    if not number.is_finite():
        raise ValidationFailed(field, "Not a number.", code="invalid")
    number = round_money(number)  # kept to the cent, half up (decision 0121)
    if number < lo or number > hi:
        raise ValidationFailed(field, f"Must be between {lo} and {hi}.", code="out_of_range")
    return number


def _percent(value: Any, field: str) -> Decimal:
    number = _money(value, field, hi=Decimal("100"))
    return number


def _date(value: Any, field: str) -> date:
    if not isinstance(value, date) or not 2000 <= value.year <= 2999:
        raise ValidationFailed(field, "Not a date between the years 2000 and 2999.", code="invalid_date")
    return value


def _fieldworker(fieldworker_id: int, *, lock: bool = False) -> Fieldworker:
    qs = Fieldworker.objects.select_for_update() if lock else Fieldworker.objects.all()
    fieldworker = qs.filter(pk=fieldworker_id).first()
    if fieldworker is None:
        raise NotFound("fieldworker", field="fieldworkerId")
    return fieldworker


# --- agreements ---------------------------------------------------------------------------------


def _clean_rates(basis: str, rates: Sequence[RateInput]) -> list[RateInput]:
    if basis == PayBasis.FIXED:
        if rates:
            raise ValidationFailed("rates", "A fixed agreement pays per booking: it has no service rates.",
                                   code="invalid")
        return []
    if not rates:
        raise ValidationFailed("rates", "Name at least one service and its rate.", code="required")
    if len(rates) > MAX_RATES:
        raise ValidationFailed("rates", f"At most {MAX_RATES} rates.", code="too_many")
    cleaned: list[RateInput] = []
    seen: set[int] = set()
    known = set(Service.objects.filter(pk__in=[rate.service_id for rate in rates]).values_list("pk", flat=True))
    for place, rate in enumerate(rates):
        field = f"rates.{place}"
        if rate.service_id not in known:
            raise NotFound("service", field=f"{field}.serviceId")
        if rate.service_id in seen:
            raise ValidationFailed(f"{field}.serviceId", "The service has a rate already.", code="duplicate")
        seen.add(rate.service_id)
        if basis == PayBasis.PER_SERVICE:
            if rate.amount is None or rate.percent is not None:
                raise ValidationFailed(f"{field}.amount", "A per-service rate is an amount.", code="required")
            cleaned.append(RateInput(rate.service_id, amount=_money(rate.amount, f"{field}.amount")))
        else:
            if rate.percent is None or rate.amount is not None:
                raise ValidationFailed(f"{field}.percent", "A commission is a percent.", code="required")
            cleaned.append(RateInput(rate.service_id, percent=_percent(rate.percent, f"{field}.percent")))
    return cleaned


def _ensure_no_overlap(fieldworker_id: int, start: date, end: date | None, *, exclude: int | None = None) -> None:
    others = PaymentAgreement.objects.filter(fieldworker_id=fieldworker_id)
    if exclude is not None:
        others = others.exclude(pk=exclude)
    overlapping = others.filter(Q(effective_to__isnull=True) | Q(effective_to__gte=start))
    if end is not None:
        overlapping = overlapping.filter(effective_from__lte=end)
    clash = overlapping.order_by("effective_from").first()
    if clash is not None:
        raise DomainError("agreement_overlap", f"The fieldworker has an agreement from {clash.effective_from} "
                          f"to {clash.effective_to or 'open-ended'} already; end it first.", field="effectiveFrom")


def _dates(start: Any, end: Any) -> tuple[date, date | None]:
    start = _date(start, "effectiveFrom")
    if end is not None:
        end = _date(end, "effectiveTo")
        if end < start:
            raise ValidationFailed("effectiveTo", "The end is before the start.", code="end_before_start")
    return start, end


def _rates_data(agreement: PaymentAgreement) -> list[dict[str, str]]:
    return [{"service_id": rate.service_id, "amount": None if rate.amount is None else str(rate.amount),
             "percent": None if rate.percent is None else str(rate.percent)} for rate in agreement.rates.all()]


@transaction.atomic
def agreement_create(*, actor: Actor, channel: Channel, fieldworker_id: int, basis: str, effective_from: date,
                     effective_to: date | None = None, fixed_amount: Any = None,
                     rates: Sequence[RateInput] = (), notes: str = "") -> PaymentAgreement:
    ensure_staff(actor)
    _fieldworker(fieldworker_id, lock=True)  # one agreement written at a time per fieldworker
    if basis not in PayBasis.values:
        raise ValidationFailed("basis", "Not a pay basis.", code="invalid")
    start, end = _dates(effective_from, effective_to)
    if basis == PayBasis.FIXED:
        if fixed_amount is None:
            raise ValidationFailed("fixedAmount", "A fixed agreement names its amount per booking.", code="required")
        fixed = _money(fixed_amount, "fixedAmount")
    elif fixed_amount is not None:
        raise ValidationFailed("fixedAmount", "Only a fixed agreement has an amount per booking.", code="invalid")
    else:
        fixed = None
    cleaned = _clean_rates(basis, rates)
    notes = _text(notes, "notes")
    _ensure_no_overlap(fieldworker_id, start, end)
    agreement = PaymentAgreement.objects.create(fieldworker_id=fieldworker_id, basis=basis, fixed_amount=fixed,
                                                effective_from=start, effective_to=end, notes=notes)
    PaymentRate.objects.bulk_create([PaymentRate(agreement=agreement, service_id=rate.service_id, amount=rate.amount,
                                                 percent=rate.percent) for rate in cleaned])
    ledger.record(actor=actor, channel=channel, subject="agreement", action="created", agreement_id=agreement.pk,
                   fieldworker_id=fieldworker_id,
                   data={"basis": basis, "fixed_amount": fixed, "effective_from": start, "effective_to": end,
                         "rates": _rates_data(agreement)})
    return agreement


def _locked_agreement(agreement_id: int) -> PaymentAgreement:
    agreement = PaymentAgreement.objects.select_for_update().filter(pk=agreement_id).first()
    if agreement is None:
        raise NotFound("payment agreement")
    return agreement


@transaction.atomic
def agreement_update(*, actor: Actor, channel: Channel, agreement_id: int, effective_from: Any = UNSET,
                     effective_to: Any = UNSET, fixed_amount: Any = UNSET, rates: Any = UNSET,
                     notes: Any = UNSET) -> PaymentAgreement:
    """Change what is given. An agreement pay was computed under keeps its terms: only its end date
    and notes change then (``agreement_in_use``), so an entry always names the terms it was paid by."""
    ensure_staff(actor)
    agreement = _locked_agreement(agreement_id)
    _fieldworker(agreement.fieldworker_id, lock=True)
    before = {"effective_from": agreement.effective_from, "effective_to": agreement.effective_to,
              "fixed_amount": agreement.fixed_amount, "notes": agreement.notes, "rates": _rates_data(agreement)}
    terms = {"effective_from": effective_from, "fixed_amount": fixed_amount, "rates": rates}
    if any(value is not UNSET for value in terms.values()) and agreement.entries.exists():
        raise DomainError("agreement_in_use", "Pay was computed under this agreement: end it and make a new one.",
                          field=next(name for name, value in (("effectiveFrom", effective_from),
                                                              ("fixedAmount", fixed_amount), ("rates", rates))
                                     if value is not UNSET))
    start, end = _dates(agreement.effective_from if effective_from is UNSET else effective_from,
                        agreement.effective_to if effective_to is UNSET else effective_to)
    if end is not None and agreement.entries.filter(earned_on__gt=end).exists():
        raise DomainError("agreement_in_use", "Pay was computed under this agreement after that day: it ends no "
                                              "earlier than its last paid day.", field="effectiveTo")
    if fixed_amount is not UNSET:
        if agreement.basis != PayBasis.FIXED:
            raise ValidationFailed("fixedAmount", "Only a fixed agreement has an amount per booking.", code="invalid")
        if fixed_amount is None:
            raise ValidationFailed("fixedAmount", "A fixed agreement names its amount per booking.", code="required")
        agreement.fixed_amount = _money(fixed_amount, "fixedAmount")
    cleaned = None if rates is UNSET else _clean_rates(agreement.basis, rates or [])
    if notes is not UNSET:
        agreement.notes = _text(notes, "notes")
    _ensure_no_overlap(agreement.fieldworker_id, start, end, exclude=agreement.pk)
    agreement.effective_from, agreement.effective_to = start, end
    agreement.save()
    if cleaned is not None:
        agreement.rates.all().delete()
        PaymentRate.objects.bulk_create([PaymentRate(agreement=agreement, service_id=rate.service_id,
                                                     amount=rate.amount, percent=rate.percent) for rate in cleaned])
    after = {"effective_from": agreement.effective_from, "effective_to": agreement.effective_to,
             "fixed_amount": agreement.fixed_amount, "notes": agreement.notes, "rates": _rates_data(agreement)}
    changes = {key: [before[key], after[key]] for key in before if before[key] != after[key]}
    ledger.record(actor=actor, channel=channel, subject="agreement", action="updated", agreement_id=agreement.pk,
                   fieldworker_id=agreement.fieldworker_id, data={"changes": changes})
    return agreement


@transaction.atomic
def agreement_delete(*, actor: Actor, channel: Channel, agreement_id: int) -> int:
    ensure_staff(actor)
    agreement = _locked_agreement(agreement_id)
    if agreement.entries.exists():
        raise DomainError("agreement_in_use", "Pay was computed under this agreement: end it instead.", field="id")
    data = {"basis": agreement.basis, "effective_from": agreement.effective_from,
            "effective_to": agreement.effective_to, "rates": _rates_data(agreement)}
    pk, fieldworker_id = agreement.pk, agreement.fieldworker_id
    agreement.delete()
    ledger.record(actor=actor, channel=channel, subject="agreement", action="deleted", agreement_id=pk,
                   fieldworker_id=fieldworker_id, data=data)
    return pk


def agreement_in_force(fieldworker_id: int, on: date) -> PaymentAgreement | None:
    return (PaymentAgreement.objects.filter(fieldworker_id=fieldworker_id, effective_from__lte=on)
            .filter(Q(effective_to__isnull=True) | Q(effective_to__gte=on))
            .prefetch_related("rates").order_by("-effective_from").first())


# --- the pay of a booking -----------------------------------------------------------------------


def fieldworkers_on(booking_id: int) -> list[int]:
    """The fieldworkers who accepted the job, in the order they accepted (the split's order)."""
    return list(BookingAssignment.objects.filter(booking_id=booking_id, status="accepted")
                .order_by("responded_at", "id").values_list("fieldworker_id", flat=True))


def booking_pay_compute(*, actor: Actor, channel: Channel, booking_id: int) -> list[PayEntry]:
    """The pay of a completed booking, once: for each fieldworker on it, by the agreement in force on
    the completion day, each figure split among them all (decision 0851). Fieldworkers without an
    agreement then earn nothing here (staff may adjust); lines with no rate pay nothing."""
    ensure_staff(actor)
    with transaction.atomic():
        booking = Booking.objects.select_for_update().filter(pk=booking_id).first()
        if booking is None:
            raise NotFound("booking", field="bookingId")
        if booking.status != BookingStatus.COMPLETED or booking.completed_at is None:
            raise DomainError("booking_not_completed", "Pay is computed when the booking is completed.",
                              field="bookingId")
        if booking.pay_entries.exclude(kind=EntryKind.ADJUSTMENT).exists():
            raise DomainError("pay_computed", "The booking's pay was computed already.", field="bookingId")
        workers = fieldworkers_on(booking.pk)
        if not workers:
            return []
        on = local_day(booking.completed_at)
        lines = list(booking.lines.all())
        shares = len(workers)
        made: list[PayEntry] = []
        for place, fieldworker_id in enumerate(workers):
            agreement = agreement_in_force(fieldworker_id, on)
            entries: list[PayEntry] = []
            if agreement is not None and agreement.basis == PayBasis.FIXED:
                gross = agreement.fixed_amount or ZERO
                entries.append(PayEntry(kind=EntryKind.BOOKING, gross=gross,
                                        rate=figures.rate_label(agreement.basis, amount=gross),
                                        amount=figures.split(gross, shares)[place]))
            elif agreement is not None:
                rates = {rate.service_id: rate for rate in agreement.rates.all()}
                for line in lines:
                    rate = rates.get(line.service_id) if line.service_id is not None else None
                    if rate is None:
                        continue
                    gross = figures.line_figure(agreement.basis, amount=rate.amount, percent=rate.percent,
                                                quantity=line.quantity, line_total=line.total)
                    entries.append(PayEntry(kind=EntryKind.LINE, line=line, gross=gross,
                                            rate=figures.rate_label(agreement.basis, amount=rate.amount,
                                                                    percent=rate.percent),
                                            amount=figures.split(gross, shares)[place]))
            for entry in entries:
                entry.booking, entry.fieldworker_id, entry.agreement = booking, fieldworker_id, agreement
                entry.basis, entry.share, entry.shares, entry.earned_on = agreement.basis, place + 1, shares, on
                entry.created_by = actor.user
            entries = [entry for entry in entries if entry.amount]
            PayEntry.objects.bulk_create(entries)
            made.extend(entries)
            ledger.record(actor=actor, channel=channel, subject="pay", action="computed", booking_id=booking.pk,
                           fieldworker_id=fieldworker_id, agreement_id=agreement.pk if agreement else None,
                           data={"total": sum((entry.amount for entry in entries), ZERO), "entries": len(entries),
                                 "share": f"{place + 1}/{shares}", "earned_on": on,
                                 "agreement": agreement.basis if agreement else None})
        return made


@transaction.atomic
def booking_pay_adjust(*, actor: Actor, channel: Channel, booking_id: int, fieldworker_id: int, amount: Any,
                       reason: str) -> PayEntry:
    """Add to (or take from) what a fieldworker earned on a booking, with a reason. The adjustment is
    earned the day it is made, so a run of that period pays it (a run paid already is never changed)."""
    ensure_staff(actor)
    booking = Booking.objects.select_for_update().filter(pk=booking_id).first()
    if booking is None:
        raise NotFound("booking", field="bookingId")
    _fieldworker(fieldworker_id)
    on_job = (BookingAssignment.objects.filter(booking_id=booking.pk, fieldworker_id=fieldworker_id,
                                               status="accepted").exists()
              or booking.pay_entries.filter(fieldworker_id=fieldworker_id).exists())
    if not on_job:
        raise DomainError("not_on_booking", "The fieldworker did not accept this booking.", field="fieldworkerId")
    value = _money(amount, "amount", lo=-MAX_MONEY)
    if value == 0:
        raise ValidationFailed("amount", "An adjustment is more or less than zero.", code="zero_adjustment")
    reason = _text(reason, "reason", required=True)
    entry = PayEntry.objects.create(booking=booking, fieldworker_id=fieldworker_id, kind=EntryKind.ADJUSTMENT,
                                    amount=value, gross=value, reason=reason, earned_on=today(),
                                    created_by=actor.user)
    ledger.record(actor=actor, channel=channel, subject="pay", action="adjusted", booking_id=booking.pk,
                   fieldworker_id=fieldworker_id, data={"entry_id": entry.pk, "amount": value, "reason": reason})
    return entry


# --- payroll runs -------------------------------------------------------------------------------


def _locked_run(run_id: int) -> PayrollRun:
    run = PayrollRun.objects.select_for_update().filter(pk=run_id).first()
    if run is None:
        raise NotFound("payroll run")
    return run


def payroll_run_create(*, actor: Actor, channel: Channel, period_start: date, period_end: date,
                       notes: str = "", progress=None) -> PayrollRun:
    """A draft run of every entry earned in the period and in no run yet, with a statement per
    fieldworker. Two runs racing for an entry: the unique entry of ``PayrollRunItem`` lets one have
    it and refuses the other with ``already_in_run`` (decision 0853). ``progress(done, total, statement)`` is
    called per statement (the command prints it)."""
    ensure_staff(actor)
    start = _date(period_start, "periodStart")
    end = _date(period_end, "periodEnd")
    if end < start:
        raise ValidationFailed("periodEnd", "The end is before the start.", code="end_before_start")
    if (end - start) >= timedelta(days=MAX_PERIOD_DAYS):
        raise ValidationFailed("periodEnd", f"A run covers at most {MAX_PERIOD_DAYS} days.", code="out_of_range")
    notes = _text(notes, "notes")
    with transaction.atomic():
        clash = PayrollRun.objects.filter(period_start__lte=end, period_end__gte=start).order_by("period_start").first()
        if clash is not None:
            raise DomainError("run_overlap", f"A run covers {clash.period_start} to {clash.period_end} already.",
                              field="periodStart")
        entries = list(PayEntry.objects.filter(earned_on__gte=start, earned_on__lte=end)
                       .filter(~Exists(PayrollRunItem.objects.filter(entry_id=OuterRef("pk"))))
                       .order_by("fieldworker_id", "earned_on", "id"))
        run = PayrollRun.objects.create(period_start=start, period_end=end, notes=notes, created_by=actor.user)
        by_worker: dict[int, list[PayEntry]] = defaultdict(list)
        for entry in entries:
            by_worker[entry.fieldworker_id].append(entry)
        items: list[PayrollRunItem] = []
        for done, (fieldworker_id, own) in enumerate(sorted(by_worker.items()), start=1):
            earned = sum((entry.amount for entry in own if entry.kind != EntryKind.ADJUSTMENT), ZERO)
            adjusted = sum((entry.amount for entry in own if entry.kind == EntryKind.ADJUSTMENT), ZERO)
            statement = PayrollStatement.objects.create(
                run=run, fieldworker_id=fieldworker_id, earned=earned, adjustments=adjusted, total=earned + adjusted,
                bookings=len({entry.booking_id for entry in own if entry.kind != EntryKind.ADJUSTMENT}))
            items.extend(PayrollRunItem(run=run, statement=statement, entry=entry) for entry in own)
            if progress is not None:
                progress(done, len(by_worker), statement)
        try:
            with transaction.atomic():
                PayrollRunItem.objects.bulk_create(items)
        except IntegrityError:
            raise DomainError("already_in_run", "Another run took some of this period's pay meanwhile; "
                                                "read the runs again.", field="periodStart")
        _check_periods_now()
        run.total = sum((entry.amount for entry in entries), ZERO)
        run.save(update_fields=["total"])
        ledger.record(actor=actor, channel=channel, subject="run", action="created", run_id=run.pk,
                       data={"period_start": start, "period_end": end, "entries": len(entries),
                             "statements": len(by_worker), "total": run.total})
        return run


def _check_periods_now() -> None:
    """PostgreSQL: the deferred exclusion constraint on run periods, checked now (after the items, so
    that shared pay is refused as such first); a run of an overlapping period made meanwhile wins."""
    if connection.vendor != "postgresql":
        return
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS payroll_run_no_overlap IMMEDIATE")
    except IntegrityError:
        raise DomainError("run_overlap", "Another run of part of that period was made meanwhile.",
                          field="periodStart")


@transaction.atomic
def payroll_run_finalise(*, actor: Actor, channel: Channel, run_id: int) -> PayrollRun:
    ensure_staff(actor)
    run = _locked_run(run_id)
    if run.status != RunStatus.DRAFT:
        raise DomainError("run_not_draft", f"The run is {run.status}: only a draft is finalised.", field="id")
    run.status, run.finalised_at, run.finalised_by = RunStatus.FINALISED, timezone.now(), actor.user
    run.save(update_fields=["status", "finalised_at", "finalised_by"])
    ledger.record(actor=actor, channel=channel, subject="run", action="finalised", run_id=run.pk,
                   data={"total": run.total})
    return run


@transaction.atomic
def payroll_run_mark_paid(*, actor: Actor, channel: Channel, run_id: int, reference: str = "") -> PayrollRun:
    ensure_staff(actor)
    run = _locked_run(run_id)
    reference = _text(reference, "reference")
    if len(reference) > 100:
        raise ValidationFailed("reference", "At most 100 characters.", code="too_long")
    if run.status != RunStatus.FINALISED:
        raise DomainError("run_not_finalised", f"The run is {run.status}: only a finalised run is paid.", field="id")
    run.status, run.paid_at, run.paid_by, run.payment_reference = RunStatus.PAID, timezone.now(), actor.user, reference
    run.save(update_fields=["status", "paid_at", "paid_by", "payment_reference"])
    ledger.record(actor=actor, channel=channel, subject="run", action="paid", run_id=run.pk,
                   data={"total": run.total, "reference": reference})
    return run


@transaction.atomic
def payroll_run_delete(*, actor: Actor, channel: Channel, run_id: int) -> int:
    """A draft goes; its entries are free for the next run."""
    ensure_staff(actor)
    run = _locked_run(run_id)
    if run.status != RunStatus.DRAFT:
        raise DomainError("run_not_draft", f"The run is {run.status}: only a draft is deleted.", field="id")
    pk = run.pk
    data = {"period_start": run.period_start, "period_end": run.period_end, "total": run.total,
            "entries": run.items.count()}
    run.items.all().delete()
    run.statements.all().delete()
    run.delete()
    ledger.record(actor=actor, channel=channel, subject="run", action="deleted", run_id=pk, data=data)
    return pk
