from __future__ import annotations

import builtins
from decimal import Decimal

from django.conf import settings
from django.db import DatabaseError, models
from django.db.models import F, Q
from django.utils import timezone

from core import rawsql
from core.actors import ActorKind, Channel
from core.append_only import AppendOnly
from core.catalog.pricing import LineAmounts, line_amounts
from core.money import ZERO


class BookingStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    CONFIRMED = "confirmed", "Confirmed"
    IN_PROGRESS = "in_progress", "In progress"
    COMPLETED = "completed", "Completed"
    CANCELLED = "cancelled", "Cancelled"


# The one transition table. Cancelled is reachable from every open state.
TRANSITIONS: dict[str, frozenset[str]] = {
    BookingStatus.PENDING: frozenset({BookingStatus.CONFIRMED, BookingStatus.CANCELLED}),
    BookingStatus.CONFIRMED: frozenset({BookingStatus.IN_PROGRESS, BookingStatus.CANCELLED}),
    BookingStatus.IN_PROGRESS: frozenset({BookingStatus.COMPLETED, BookingStatus.CANCELLED}),
    BookingStatus.COMPLETED: frozenset(),
    BookingStatus.CANCELLED: frozenset(),
}
OPEN_STATUSES = frozenset({BookingStatus.PENDING, BookingStatus.CONFIRMED, BookingStatus.IN_PROGRESS})


class BookingSource(models.TextChoices):
    STAFF = "staff", "Staff"
    PHONE = "phone", "Phone"
    WEBSITE = "website", "Website"
    PORTAL = "portal", "Customer portal"
    SMS = "sms", "SMS"
    RECURRING = "recurring", "Recurring series"
    IMPORT = "import", "Import"


_UNKNOWN = object()


class LocationType(models.Model):
    """Managed list (Settings > Booking Location Types): where at the place the work is done
    (on site, in the workshop, remote ...). Inactive entries stay on old bookings."""

    name = models.CharField(max_length=60, unique=True)
    active = models.BooleanField(default=True)
    position = models.PositiveSmallIntegerField(default=0, help_text="Lists show lower first, then by name.")

    class Meta:
        ordering = ["position", "name"]

    def __str__(self) -> str:
        return self.name


class Booking(models.Model):
    number = models.PositiveIntegerField(unique=True, editable=False)
    customer = models.ForeignKey("crm.Customer", on_delete=models.PROTECT, related_name="bookings")
    property = models.ForeignKey("crm.Property", null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="bookings")
    scheduled_start = models.DateTimeField(db_index=True)
    scheduled_end = models.DateTimeField()
    time_zone = models.CharField(max_length=64)
    # indexed by booking_status_start_idx, which leads with it
    status = models.CharField(max_length=12, choices=BookingStatus.choices, default=BookingStatus.PENDING)
    workers_required = models.PositiveSmallIntegerField(default=1)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="owned_bookings")
    source = models.CharField(max_length=10, choices=BookingSource.choices, default=BookingSource.STAFF)
    location_type = models.ForeignKey(LocationType, null=True, blank=True, on_delete=models.PROTECT,
                                      related_name="bookings")
    dependent = models.ForeignKey("crm.Dependent", null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="bookings",
                                  help_text="The person under the customer the job is for (\"the visit is for Mum\").")
    notes = models.TextField(blank=True)
    automated_email_paused = models.BooleanField(default=False)
    automated_sms_paused = models.BooleanField(default=False)

    confirmed_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+")
    cancelled_by_kind = models.CharField(max_length=12, choices=ActorKind.choices, blank=True)
    cancel_channel = models.CharField(max_length=12, choices=Channel.choices, blank=True)
    cancel_reason = models.TextField(blank=True)
    cancellation_fee = models.DecimalField(max_digits=10, decimal_places=2, default=Decimal("0"))
    # the staff member who waived the fee or set another amount than the rule's (decision 0140)
    cancellation_fee_set_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                                on_delete=models.SET_NULL, related_name="+")
    series = models.ForeignKey("bookings.BookingSeries", null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="bookings", db_index=False)  # booking_one_per_series_date leads with it
    series_date = models.DateField(null=True, blank=True,
                                   help_text="The local date of the series occurrence this booking materialises.")
    # Where the job is: the property's coordinates, copied on save and kept in step when the property
    # moves (core.bookings.places, from property_update), so the nearby locator filters one indexed table (0304).
    latitude = models.FloatField(null=True, blank=True, editable=False)
    longitude = models.FloatField(null=True, blank=True, editable=False)

    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["scheduled_start", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(scheduled_end__gt=F("scheduled_start")), name="booking_end_after_start"),
            models.CheckConstraint(condition=Q(cancellation_fee__gte=0), name="booking_fee_not_negative"),
            models.UniqueConstraint(fields=["series", "series_date"], name="booking_one_per_series_date"),
        ]
        indexes = [
            models.Index(fields=["status", "scheduled_start"], name="booking_status_start_idx"),
            # the nearby locator: a day's open bookings inside a bounding box, from the index alone
            models.Index(fields=["scheduled_start", "latitude", "longitude"], name="booking_open_place_idx",
                         condition=Q(status__in=sorted(OPEN_STATUSES))),
        ]

    _located_for: object = None  # the property_id that latitude/longitude were copied from

    def __str__(self) -> str:
        return f"#{self.number}"

    def save(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        property_id = self.__dict__.get("property_id", _UNKNOWN)  # not read when deferred and untouched
        if property_id is not _UNKNOWN and property_id != self._located_for:
            place = self.property if self.property_id else None  # cached when set as an object
            self.latitude = place.latitude if place else None
            self.longitude = place.longitude if place else None
            if kwargs.get("update_fields") is not None:
                kwargs["update_fields"] = {*kwargs["update_fields"], "latitude", "longitude"}
        super().save(*args, **kwargs)
        self._located_for = self.__dict__.get("property_id", _UNKNOWN)

    def save_columns(self, *names: str) -> None:
        """``save(update_fields=[*names, "updated_at"])`` with the UPDATE built once (decision 0409):
        the status and cancellation columns that every confirm and cancel writes. With a changed
        property it is ``save`` itself, which moves latitude and longitude along."""
        if self.__dict__.get("property_id", _UNKNOWN) != self._located_for:
            self.save(update_fields=[*names, "updated_at"])
            return
        self.updated_at = timezone.now()  # what auto_now does on save
        attnames = [self._meta.get_field(name).attname for name in (*names, "updated_at")]
        if not rawsql.update(Booking, self.pk, {attname: getattr(self, attname) for attname in attnames}):
            raise DatabaseError("Save with update_fields did not affect any rows.")

    @classmethod
    def from_db(cls, db, field_names, values):  # type: ignore[no-untyped-def]
        booking = super().from_db(db, field_names, values)
        booking._located_for = booking.__dict__.get("property_id", _UNKNOWN)
        return booking

    @builtins.property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    def can_move_to(self, status: str) -> bool:
        return status in TRANSITIONS[self.status]

    # Totals come from the lines; with lines prefetched they cost no query.
    @builtins.property
    def subtotal(self) -> Decimal:
        return sum((line.subtotal for line in self.lines.all()), ZERO)

    @builtins.property
    def tax_total(self) -> Decimal:
        return sum((line.tax for line in self.lines.all()), ZERO)

    @builtins.property
    def total(self) -> Decimal:
        return self.subtotal + self.tax_total


class BookingLine(models.Model):
    booking = models.ForeignKey(Booking, on_delete=models.CASCADE, related_name="lines")
    service = models.ForeignKey("catalog.Service", null=True, blank=True, on_delete=models.PROTECT,
                                related_name="+")
    description = models.CharField(max_length=200)
    quantity = models.DecimalField(max_digits=8, decimal_places=2, default=Decimal("1"))
    unit_price = models.DecimalField(max_digits=10, decimal_places=2)
    tax_rate = models.DecimalField(max_digits=5, decimal_places=2, default=Decimal("0"))
    tax_name = models.CharField(max_length=60, blank=True, help_text="The tax rate's name when priced (0871).")
    position = models.PositiveSmallIntegerField(default=0)
    product = models.ForeignKey("catalog.Product", null=True, blank=True, on_delete=models.PROTECT,
                                related_name="+")
    package = models.ForeignKey("catalog.ServicePackage", null=True, blank=True, on_delete=models.PROTECT,
                                related_name="+")
    # how the line was priced (core.catalog.pricing): the tax mode it was priced in, the engine's unit
    # price (null for a line with no catalogue item) and the rules that made it
    tax_inclusive = models.BooleanField(default=False)
    list_unit_price = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    pricing = models.JSONField(default=list, blank=True)
    # a staff override of the unit price: who and when (decision 0804); null when not overridden
    price_overridden_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                            on_delete=models.SET_NULL, related_name="+")
    price_overridden_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="line_quantity_positive"),
            models.CheckConstraint(condition=Q(unit_price__gte=0), name="line_price_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} x {self.description}"

    @property
    def amounts(self) -> LineAmounts:
        """Net, tax and total by the one rule of ``core.catalog.pricing`` (decisions 0121, 0800)."""
        return line_amounts(self.quantity, self.unit_price, self.tax_rate, tax_inclusive=self.tax_inclusive)

    @property
    def subtotal(self) -> Decimal:
        """Before tax."""
        return self.amounts.net

    @property
    def tax(self) -> Decimal:
        return self.amounts.tax

    @property
    def total(self) -> Decimal:
        return self.amounts.total

    @property
    def price_overridden(self) -> bool:
        return self.price_overridden_at is not None


class AssignmentStatus(models.TextChoices):
    OFFERED = "offered", "Offered"
    ACCEPTED = "accepted", "Accepted"
    DECLINED = "declined", "Declined"


ACTIVE_ASSIGNMENT = (AssignmentStatus.OFFERED, AssignmentStatus.ACCEPTED)


class BookingAssignment(models.Model):
    # indexed by assignment_unique_per_booking and assignment_fw_*_idx, which lead with them
    booking = models.ForeignKey(Booking, on_delete=models.CASCADE, related_name="assignments", db_index=False)
    fieldworker = models.ForeignKey("workforce.Fieldworker", on_delete=models.PROTECT, related_name="assignments",
                                    db_index=False)
    status = models.CharField(max_length=10, choices=AssignmentStatus.choices, default=AssignmentStatus.OFFERED)
    decline_reason = models.TextField(blank=True)
    offered_at = models.DateTimeField(default=timezone.now)
    responded_at = models.DateTimeField(null=True, blank=True)
    responded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+")
    # The time this assignment holds the fieldworker: the booking's window plus the travel buffer,
    # copied here so that one table can forbid overlaps (core.bookings.conflicts keeps it in step;
    # NULL once the booking is cancelled or the offer declined).
    busy_from = models.DateTimeField(null=True, blank=True, editable=False)
    busy_until = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["offered_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["booking", "fieldworker"], name="assignment_unique_per_booking"),
        ]
        indexes = [models.Index(fields=["fieldworker", "status"], name="assignment_fw_status_idx"),
                   models.Index(fields=["fieldworker", "busy_from"], name="assignment_fw_busy_idx")]

    def __str__(self) -> str:
        return f"{self.fieldworker} on {self.booking} ({self.status})"


class BookingEvent(AppendOnly):
    """Append-only history: the booking timeline. One row per change, with actor and channel."""

    booking = models.ForeignKey(Booking, on_delete=models.CASCADE, related_name="history")
    at = models.DateTimeField(default=timezone.now, db_index=True)
    action = models.CharField(max_length=40)
    actor_kind = models.CharField(max_length=12, choices=ActorKind.choices)
    actor_user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    actor_label = models.CharField(max_length=150, blank=True)
    channel = models.CharField(max_length=12, choices=Channel.choices)
    changes = models.JSONField(default=dict, blank=True, help_text="field -> [before, after]")
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.booking} {self.action} by {self.actor_label or self.actor_kind} via {self.channel}"

    refused = "Booking history is append-only."


class BookingComment(models.Model):
    """The booking discussion."""

    booking = models.ForeignKey(Booking, on_delete=models.CASCADE, related_name="comments")
    author_user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    author_kind = models.CharField(max_length=12, choices=ActorKind.choices)
    author_name = models.CharField(max_length=150)
    channel = models.CharField(max_length=12, choices=Channel.choices)
    body = models.TextField()
    visible_to_customer = models.BooleanField(default=False)
    reply_to = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="replies")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.author_name} on {self.booking}: {self.body[:40]}"


class SeriesStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    ENDED = "ended", "Ended"
    CANCELLED = "cancelled", "Cancelled"


class BookingSeries(models.Model):
    """A recurring booking: an RFC 5545 rule expanded in local wall-clock time.

    Occurrences are materialised as ordinary bookings up to a horizon (``materialised_until``)
    by ``core.bookings.series``; the rule never stores DTSTART, which is ``start_date`` +
    ``start_time`` in ``time_zone``.
    """

    customer = models.ForeignKey("crm.Customer", on_delete=models.PROTECT, related_name="booking_series")
    property = models.ForeignKey("crm.Property", null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="booking_series")
    rule = models.CharField(max_length=300, help_text="RRULE body, e.g. FREQ=WEEKLY;INTERVAL=2;BYDAY=MO;COUNT=10")
    start_date = models.DateField()
    start_time = models.TimeField()
    duration_minutes = models.PositiveIntegerField()
    time_zone = models.CharField(max_length=64)
    lines = models.JSONField(default=list, blank=True)
    fieldworker_ids = models.JSONField(default=list, blank=True)
    workers_required = models.PositiveSmallIntegerField(default=1)
    notes = models.TextField(blank=True)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="+")
    status = models.CharField(max_length=10, choices=SeriesStatus.choices, default=SeriesStatus.ACTIVE,
                              db_index=True)
    ends_on = models.DateField(null=True, blank=True, help_text="Hard last date, besides the rule's own end "
                                                                 "(set when the series is cut short).")
    materialised_until = models.DateField(null=True, blank=True)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="splits",
                               help_text="The series this one was split from ('this and following').")
    created_at = models.DateTimeField(default=timezone.now)
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        verbose_name_plural = "booking series"

    def __str__(self) -> str:
        return f"Series {self.pk}: {self.rule}"


class CalendarFeed(models.Model):
    """A fieldworker's calendar subscription (an iCalendar feed a calendar app polls). The URL's secret is
    shown once; only its SHA-256 is kept. One live feed per fieldworker: a new one retires the last
    (decision 0143)."""

    fieldworker = models.ForeignKey("workforce.Fieldworker", on_delete=models.CASCADE, related_name="calendar_feeds")
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Calendar feed of fieldworker #{self.fieldworker_id}"
