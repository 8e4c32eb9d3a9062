from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone

from core.actors import Channel
from core.append_only import AppendOnly
from core.phones import PhoneField


class PreferredChannel(models.TextChoices):
    """How the customer asked to be reached (decision 0615). Blank: no preference, the channel they last
    wrote through leads (0610). The values are those of ``core.sms.models.DeliveryChannel``."""

    NONE = "", "No preference"
    SMS = "sms", "SMS"
    EMAIL = "email", "E-mail"


class Customer(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="customer"
    )
    name = models.CharField(max_length=150)
    email = models.EmailField(blank=True, db_index=True)
    mobile = PhoneField(blank=True, db_index=True, help_text="Stored as E.164 (+61412345678); 0412 345 678 is read as "
                                                             "an Australian number.")
    notes = models.TextField(blank=True)
    automated_email_paused = models.BooleanField(default=False)
    automated_sms_paused = models.BooleanField(default=False)
    preferred_channel = models.CharField(
        max_length=5, choices=PreferredChannel.choices, blank=True, default=PreferredChannel.NONE,
        help_text="How the customer asked to be reached; the other channel is the fallback when this one "
                  "cannot be used. Blank: the channel they last wrote through.")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class CustomerLog(AppendOnly):
    """Append-only history of a customer: details changed, properties added or changed. Written with
    its event by ``core.crm.customer_log.record`` only."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="log",
                                 db_index=False)  # customer_log_customer_at_idx leads with it
    at = models.DateTimeField(default=timezone.now)
    action = models.CharField(max_length=40)
    actor_kind = models.CharField(max_length=12)
    actor_user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    actor_label = models.CharField(max_length=150, blank=True)
    channel = models.CharField(max_length=12)
    changes = models.JSONField(default=dict, blank=True, help_text="field: [before, after]")
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["customer", "at"], name="customer_log_customer_at_idx")]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.action} via {self.channel}"

    refused = "The customer log is append-only."


class PropertyType(models.Model):
    """Managed list (Settings > Property Type List). Inactive entries stay on the properties that
    have them and are not offered for new ones."""

    name = models.CharField(max_length=60, unique=True)
    active = models.BooleanField(default=True)
    position = models.PositiveSmallIntegerField(default=0, help_text="Lists show lower first, then by name.")

    class Meta:
        ordering = ["position", "name"]

    def __str__(self) -> str:
        return self.name


class GeocodeStatus(models.TextChoices):
    """Blank: nothing to find (coordinates typed in, or no address)."""

    PENDING = "pending", "Waiting for the geocoder"
    FOUND = "found", "Found"
    NOT_FOUND = "not_found", "Address not found"
    FAILED = "failed", "Geocoder failed (attempts used up)"


class GeocodeCacheEntry(models.Model):
    """What the geocoder answered for one address (decision 0193): asked once per address, whatever
    the number of properties, imports and retries. ``found`` False: the geocoder knows no such place."""

    key = models.CharField(max_length=400, unique=True, help_text="The normalised address asked for.")
    found = models.BooleanField()
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    formatted_address = models.CharField(max_length=255, blank=True)
    fetched_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name_plural = "geocode cache entries"

    def __str__(self) -> str:
        return self.key


class Property(models.Model):
    """A place where jobs happen, belonging to one customer (also used for dependents' homes)."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="properties")
    label = models.CharField(max_length=80, blank=True)
    address = models.CharField(max_length=255)
    postcode = models.CharField(max_length=12, blank=True, db_index=True)
    city = models.CharField(max_length=80, blank=True)
    latitude = models.FloatField(
        null=True, blank=True, validators=[MinValueValidator(-90), MaxValueValidator(90)]
    )
    longitude = models.FloatField(
        null=True, blank=True, validators=[MinValueValidator(-180), MaxValueValidator(180)]
    )
    property_type = models.ForeignKey(PropertyType, null=True, blank=True, on_delete=models.SET_NULL)
    time_zone = models.CharField(max_length=64, blank=True, help_text="Blank: the company's time zone.")
    access_notes = models.TextField(blank=True, help_text="How to get in: gate codes, keys, pets, parking.")
    geocode_status = models.CharField(max_length=10, choices=GeocodeStatus.choices, blank=True,
                                      help_text="Finding the coordinates of the address (decision 0193).")
    geocode_attempts = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["customer_id", "id"]
        verbose_name_plural = "properties"
        indexes = [models.Index(fields=["latitude", "longitude"], name="property_latlng_idx")]

    def __str__(self) -> str:
        return self.label or self.address


class Dependent(models.Model):
    """A person under a customer (a child, a parent in care, a tenant): who they are to the customer
    and how to reach them. Written by ``core.crm.services`` only; archived, never deleted, so the
    customer's history keeps naming them."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="dependents")
    name = models.CharField(max_length=150)
    relationship = models.CharField(max_length=60, blank=True, help_text="What they are to the customer.")
    mobile = PhoneField(blank=True, help_text="E.164.")
    email = models.EmailField(blank=True)
    notes = models.TextField(blank=True)
    archived_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["customer_id", "name", "id"]

    def __str__(self) -> str:
        return self.name


class InquiryKind(models.TextChoices):
    INQUIRY = "inquiry", "Inquiry"
    CANCELLATION_REQUEST = "cancellation_request", "Cancellation request"


class InquiryStatus(models.TextChoices):
    """Does staff still have to act on it? (The work item; the lead's stage is ``LeadStatus``.)"""

    OPEN = "open", "Open"
    RESOLVED = "resolved", "Resolved"


class LeadStatus(models.TextChoices):
    """How far the inquiry has come as a lead: new -> contacted -> quoted -> converted | lost
    (decision 0160). Converted and lost are final; a lost lead may be revived."""

    NEW = "new", "New"
    CONTACTED = "contacted", "Contacted"
    QUOTED = "quoted", "Quoted"
    CONVERTED = "converted", "Converted"
    LOST = "lost", "Lost"


class LeadSourceDoor(models.TextChoices):
    """The doors that file inquiries by themselves; each files with the lead source bearing its door."""

    WEBSITE = "website", "Website form"
    PORTAL = "portal", "Customer portal"
    SMS = "sms", "SMS"
    EMAIL = "email", "E-mail"
    STAFF = "staff", "Entered by staff"


class LeadSource(models.Model):
    """Managed list (Settings > Lead Sources List): where a lead came from. The rows bearing a
    ``door`` are the ones the doors file with; staff may rename them, not remove them."""

    name = models.CharField(max_length=80, unique=True)
    door = models.CharField(max_length=12, choices=LeadSourceDoor.choices, unique=True, null=True, blank=True,
                            help_text="The door that files with this source by itself, if any.")
    active = models.BooleanField(default=True, help_text="Inactive: kept on old inquiries, not offered for new.")

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Inquiry(models.Model):
    """Something a customer (or an unknown sender) asked that staff must answer: a message we
    could not tie to one booking, or a cancellation request we could not carry out ourselves.
    The staff inbox: open until someone resolves it; written by ``core.crm.services`` only."""

    kind = models.CharField(max_length=24, choices=InquiryKind.choices, default=InquiryKind.INQUIRY)
    status = models.CharField(max_length=8, choices=InquiryStatus.choices, default=InquiryStatus.OPEN,
                              db_index=True)
    customer = models.ForeignKey(Customer, null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="inquiries")
    bookings = models.ManyToManyField("bookings.Booking", blank=True, related_name="inquiries",
                                      help_text="Every booking it concerns (a bare CANCEL: each open one).")
    channel = models.CharField(max_length=12, choices=Channel.choices, help_text="Through what it came.")
    contact = models.CharField(max_length=254, blank=True, help_text="Phone number or e-mail it came from.")
    body = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="assigned_inquiries", help_text="The staff member answering it.")
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    resolution_note = models.TextField(blank=True)
    # --- the lead (decision 0160) ---
    lead_status = models.CharField(max_length=10, choices=LeadStatus.choices, default=LeadStatus.NEW,
                                   db_index=True)
    lost_reason = models.CharField(max_length=255, blank=True)
    lead_source = models.ForeignKey(LeadSource, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="inquiries")
    prospect_name = models.CharField(max_length=150, blank=True, help_text="Who asked, when not yet a customer.")
    prospect_email = models.EmailField(blank=True, db_index=True)
    prospect_mobile = PhoneField(blank=True, db_index=True, help_text="E.164.")
    wanted_services = models.ManyToManyField("catalog.Service", blank=True, related_name="+")
    preferred_dates = models.JSONField(default=list, blank=True, help_text="ISO dates, earliest first.")
    address = models.CharField(max_length=255, blank=True)
    postcode = models.CharField(max_length=12, blank=True)
    city = models.CharField(max_length=80, blank=True)
    converted_booking = models.ForeignKey("bookings.Booking", null=True, blank=True, on_delete=models.SET_NULL,
                                          related_name="+", help_text="The booking it was converted into.")
    converted_at = models.DateTimeField(null=True, blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True, db_index=True,
                                      help_text="Soft deleted: out of the inbox, kept with its history.")
    deleted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    labels = models.ManyToManyField("company.Label", blank=True, related_name="+",
                                    help_text="From the company's label list: labels that tag inquiries.")

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "inquiries"

    def __str__(self) -> str:
        return f"{self.get_kind_display()} from {self.contact or self.customer_id}"

    @property
    def is_open(self) -> bool:
        return self.status == InquiryStatus.OPEN


class InquiryAction(models.TextChoices):
    OPENED = "opened", "Received"
    ASSIGNED = "assigned", "Assigned"
    REPLIED = "replied", "Replied"
    RESOLVED = "resolved", "Resolved"
    REOPENED = "reopened", "Reopened"
    LINKED = "linked", "Linked"
    UPDATED = "updated", "Edited"
    MOVED = "moved", "Lead status changed"
    CONVERTED = "converted", "Converted"
    DELETED = "deleted", "Deleted"
    RESTORED = "restored", "Restored"


class DeliveryStatus(models.TextChoices):
    """What became of a reply when it was handed to the SMS or e-mail service."""

    QUEUED = "queued", "Queued"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    SKIPPED = "skipped", "Not sent"
    FAILED = "failed", "Failed"


class InquiryEntry(models.Model):
    """One line of an inquiry's history: who did what, through what. Append-only, like the booking
    timeline; a reply also says how it went out (``via``, ``to``) and what became of it."""

    inquiry = models.ForeignKey(Inquiry, on_delete=models.CASCADE, related_name="entries")
    at = models.DateTimeField(default=timezone.now)
    action = models.CharField(max_length=12, choices=InquiryAction.choices)
    actor_kind = models.CharField(max_length=12)
    actor_user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    actor_label = models.CharField(max_length=150, blank=True)
    channel = models.CharField(max_length=12, choices=Channel.choices)
    body = models.TextField(blank=True, help_text="The reply's text, or the resolution note.")
    data = models.JSONField(default=dict, blank=True)
    delivery_status = models.CharField(max_length=8, choices=DeliveryStatus.choices, blank=True)
    delivery_error = models.CharField(max_length=255, blank=True)
    sms_message = models.ForeignKey("sms.SmsMessage", null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")

    class Meta:
        ordering = ["at", "id"]
        verbose_name_plural = "inquiry entries"

    def __str__(self) -> str:
        return f"{self.get_action_display()} by {self.actor_label or self.actor_kind}"
