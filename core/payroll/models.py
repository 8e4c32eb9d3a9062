"""Payment agreements, the pay of each booking, payroll runs and their statements (issue 20, Pay).

* ``PaymentAgreement``: how one fieldworker is paid between two dates: a fixed amount per booking,
  an amount per service (per unit of the line's quantity), or a commission, a percent of the line
  total per service (``PaymentRate`` rows). A fieldworker's agreements never overlap in time.
* ``PayEntry``: what one fieldworker earned on one booking: a line (per service or commission), the
  booking (fixed), or an adjustment staff made with a reason. Written at completion by a durable
  subscriber; split among the fieldworkers on the booking (decision 0851).
* ``PayrollRun`` (draft -> finalised -> paid) and one ``PayrollStatement`` per fieldworker in it;
  ``PayrollRunItem`` puts an entry in a run, and its entry is unique: an entry, so a booking line's
  pay for a fieldworker, is in one run only, whatever two runs race for it (decision 0853).
* ``PayrollEvent``: the append-only history of all of the above, with who, when and through what.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from core.append_only import AppendOnly

MONEY: dict[str, Any] = {"max_digits": 12, "decimal_places": 2}


class PayBasis(models.TextChoices):
    FIXED = "fixed", "A fixed amount per booking"
    PER_SERVICE = "per_service", "An amount per service"
    COMMISSION = "commission", "A percent of the line total per service"


class PaymentAgreement(models.Model):
    fieldworker = models.ForeignKey("workforce.Fieldworker", on_delete=models.PROTECT,
                                    related_name="payment_agreements",
                                    db_index=False)  # payroll_agreement_fw_from leads with it
    basis = models.CharField(max_length=12, choices=PayBasis.choices)
    fixed_amount = models.DecimalField(**MONEY, null=True, blank=True,
                                       help_text="Fixed basis: paid per booking (split among its fieldworkers).")
    effective_from = models.DateField()
    effective_to = models.DateField(null=True, blank=True, help_text="Inclusive; blank: open-ended.")
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["fieldworker_id", "-effective_from", "-id"]
        indexes = [models.Index(fields=["fieldworker", "effective_from"], name="payroll_agreement_fw_from")]
        constraints = [
            models.CheckConstraint(
                condition=Q(effective_to__isnull=True) | Q(effective_to__gte=models.F("effective_from")),
                name="payroll_agreement_dates_in_order"),
            models.CheckConstraint(condition=Q(fixed_amount__isnull=True) | Q(fixed_amount__gte=0),
                                   name="payroll_agreement_fixed_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.get_basis_display()} from {self.effective_from}"


class PaymentRate(models.Model):
    """One service's rate in an agreement: ``amount`` (per service basis) or ``percent`` (commission)."""

    agreement = models.ForeignKey(PaymentAgreement, on_delete=models.CASCADE, related_name="rates",
                                  db_index=False)  # payroll_rate_unique leads with it
    service = models.ForeignKey("catalog.Service", on_delete=models.PROTECT, related_name="+")
    amount = models.DecimalField(**MONEY, null=True, blank=True)
    percent = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["agreement", "service"], name="payroll_rate_unique"),
            models.CheckConstraint(condition=Q(amount__isnull=True) | Q(amount__gte=0),
                                   name="payroll_rate_amount_not_negative"),
            models.CheckConstraint(condition=Q(percent__isnull=True) | (Q(percent__gte=0) & Q(percent__lte=100)),
                                   name="payroll_rate_percent_in_range"),
        ]

    def __str__(self) -> str:
        return f"{self.service_id}: {self.amount if self.amount is not None else f'{self.percent}%'}"


class EntryKind(models.TextChoices):
    LINE = "line", "A line of the booking"
    BOOKING = "booking", "The booking (fixed)"
    ADJUSTMENT = "adjustment", "An adjustment"


class PayEntry(models.Model):
    booking = models.ForeignKey("bookings.Booking", on_delete=models.PROTECT, related_name="pay_entries")
    fieldworker = models.ForeignKey("workforce.Fieldworker", on_delete=models.PROTECT, related_name="pay_entries",
                                    db_index=False)  # payroll_entry_fw_earned leads with it
    kind = models.CharField(max_length=10, choices=EntryKind.choices)
    line = models.ForeignKey("bookings.BookingLine", null=True, blank=True, on_delete=models.PROTECT,
                             related_name="pay_entries")
    agreement = models.ForeignKey(PaymentAgreement, null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="entries")
    basis = models.CharField(max_length=12, blank=True, help_text="The agreement's basis when computed.")
    rate = models.CharField(max_length=40, blank=True, help_text="As applied: 15.00 per unit, 20%, 80.00 fixed.")
    gross = models.DecimalField(**MONEY, default=Decimal("0"),
                                help_text="The figure before the split (what one fieldworker alone would earn).")
    share = models.PositiveSmallIntegerField(default=1, help_text="1-based place in the split.")
    shares = models.PositiveSmallIntegerField(default=1, help_text="How many fieldworkers the figure was split among.")
    amount = models.DecimalField(**MONEY)
    reason = models.TextField(blank=True, help_text="An adjustment's reason.")
    earned_on = models.DateField(help_text="Completion day (company time), or the day of an adjustment.")
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")

    class Meta:
        ordering = ["booking_id", "fieldworker_id", "kind", "line_id", "id"]
        verbose_name_plural = "pay entries"
        indexes = [models.Index(fields=["fieldworker", "earned_on"], name="payroll_entry_fw_earned"),
                   models.Index(fields=["earned_on"], name="payroll_entry_earned")]
        constraints = [
            models.UniqueConstraint(fields=["line", "fieldworker"], condition=Q(kind="line"),
                                    name="payroll_line_pay_once"),
            models.UniqueConstraint(fields=["booking", "fieldworker"], condition=Q(kind="booking"),
                                    name="payroll_booking_pay_once"),
            models.CheckConstraint(condition=Q(kind="adjustment") | Q(amount__gte=0),
                                   name="payroll_entry_not_negative"),
            models.CheckConstraint(condition=~Q(kind="adjustment") | ~Q(amount=0),
                                   name="payroll_adjustment_not_zero"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.amount} on booking {self.booking_id}"


class RunStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    FINALISED = "finalised", "Finalised"
    PAID = "paid", "Paid"


class PayrollRun(models.Model):
    period_start = models.DateField()
    period_end = models.DateField()
    status = models.CharField(max_length=10, choices=RunStatus.choices, default=RunStatus.DRAFT)
    total = models.DecimalField(**MONEY, default=Decimal("0"))
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    finalised_at = models.DateTimeField(null=True, blank=True)
    finalised_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+")
    paid_at = models.DateTimeField(null=True, blank=True)
    paid_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="+")
    payment_reference = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["-period_start", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(period_end__gte=models.F("period_start")),
                                   name="payroll_run_period_in_order"),
        ]

    def __str__(self) -> str:
        return f"Payroll {self.period_start} to {self.period_end} ({self.status})"


class PayrollStatement(models.Model):
    run = models.ForeignKey(PayrollRun, on_delete=models.CASCADE, related_name="statements", db_index=False)
    fieldworker = models.ForeignKey("workforce.Fieldworker", on_delete=models.PROTECT,
                                    related_name="payroll_statements")
    bookings = models.PositiveIntegerField(default=0)
    earned = models.DecimalField(**MONEY, default=Decimal("0"), help_text="From bookings.")
    adjustments = models.DecimalField(**MONEY, default=Decimal("0"))
    total = models.DecimalField(**MONEY, default=Decimal("0"))

    class Meta:
        ordering = ["run_id", "fieldworker__name", "id"]
        constraints = [models.UniqueConstraint(fields=["run", "fieldworker"], name="payroll_statement_unique")]

    def __str__(self) -> str:
        return f"Statement of {self.fieldworker_id} in run {self.run_id}"


class PayrollRunItem(models.Model):
    run = models.ForeignKey(PayrollRun, on_delete=models.CASCADE, related_name="items")
    statement = models.ForeignKey(PayrollStatement, on_delete=models.CASCADE, related_name="items")
    # unique: an entry is paid in one run only (decision 0853)
    entry = models.OneToOneField(PayEntry, on_delete=models.PROTECT, related_name="run_item")

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"Entry {self.entry_id} in run {self.run_id}"


class PayrollEvent(AppendOnly):
    """One change of an agreement, a booking's pay or a run: who, when, through what."""

    at = models.DateTimeField(default=timezone.now, db_index=True)
    subject = models.CharField(max_length=10)  # agreement, pay, run
    action = models.CharField(max_length=40)
    agreement_id = models.PositiveBigIntegerField(null=True, blank=True)
    booking_id = models.PositiveBigIntegerField(null=True, blank=True)
    run_id = models.PositiveBigIntegerField(null=True, blank=True)
    fieldworker_id = models.PositiveBigIntegerField(null=True, blank=True)
    actor_kind = models.CharField(max_length=12)
    actor_user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    actor_label = models.CharField(max_length=150, blank=True)
    channel = models.CharField(max_length=12)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["booking_id"], name="payroll_event_booking"),
                   models.Index(fields=["run_id"], name="payroll_event_run")]
