from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone

from core.append_only import AppendOnly
from core.phones import PhoneField


class FieldworkerStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    INACTIVE = "inactive", "Inactive"
    BLOCKED = "blocked", "Blocked"


class Fieldworker(models.Model):
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="fieldworker")
    name = models.CharField(max_length=150)
    mobile = PhoneField(blank=True, db_index=True, help_text="Stored as E.164 (+61412345678).")
    status = models.CharField(max_length=10, choices=FieldworkerStatus.choices, default=FieldworkerStatus.ACTIVE,
                              db_index=True)
    services = models.ManyToManyField("catalog.Service", blank=True, related_name="fieldworkers")
    industry_label = models.CharField(max_length=60, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    # scheduling
    time_zone = models.CharField(max_length=64, blank=True, help_text="Blank: the company's time zone.")
    home_latitude = models.FloatField(null=True, blank=True,
                                      validators=[MinValueValidator(-90), MaxValueValidator(90)])
    home_longitude = models.FloatField(null=True, blank=True,
                                       validators=[MinValueValidator(-180), MaxValueValidator(180)])
    service_radius_km = models.FloatField(null=True, blank=True, validators=[MinValueValidator(0),
                                                                              MaxValueValidator(2000)],
                                          help_text="How far from the home base they travel. Blank: no radius.")
    # profile (issue 20)
    bio = models.TextField(blank=True, max_length=2000)
    address = models.CharField(max_length=250, blank=True)
    emergency_contact = models.CharField(max_length=200, blank=True)
    photo = models.ImageField(upload_to="fieldworkers/", blank=True, max_length=200)
    industry_labels = models.ManyToManyField("IndustryLabel", blank=True, related_name="fieldworkers")
    lead = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="subworkers",
                             help_text="The lead fieldworker of this one's team; the lead may accept offers for them.")
    email_verified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_bookable(self) -> bool:
        return self.status == FieldworkerStatus.ACTIVE


# --- scheduling: hours, time off, service areas, settings, change requests -------------------------

class Weekday(models.IntegerChoices):
    MONDAY = 0, "Monday"
    TUESDAY = 1, "Tuesday"
    WEDNESDAY = 2, "Wednesday"
    THURSDAY = 3, "Thursday"
    FRIDAY = 4, "Friday"
    SATURDAY = 5, "Saturday"
    SUNDAY = 6, "Sunday"


class WorkingHours(models.Model):
    """One range of one weekday, wall-clock time in the fieldworker's (else the company's) zone.

    A day may hold several ranges (split shifts); a fieldworker with no rows at all works no hours.
    """

    fieldworker = models.ForeignKey(Fieldworker, on_delete=models.CASCADE, related_name="working_hours",
                                    db_index=False)  # working_hours_fw_day_idx leads with it
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    start_time = models.TimeField()
    end_time = models.TimeField()

    class Meta:
        ordering = ["fieldworker_id", "weekday", "start_time"]
        constraints = [
            models.CheckConstraint(condition=models.Q(end_time__gt=models.F("start_time")),
                                   name="working_hours_end_after_start"),
            models.CheckConstraint(condition=models.Q(weekday__gte=0, weekday__lte=6),
                                   name="working_hours_weekday_range"),
        ]
        indexes = [models.Index(fields=["fieldworker", "weekday"], name="working_hours_fw_day_idx")]

    def __str__(self) -> str:
        return f"{self.fieldworker_id} {self.get_weekday_display()} {self.start_time:%H:%M}-{self.end_time:%H:%M}"


class TimeOffKind(models.TextChoices):
    LEAVE = "leave", "Leave"
    SICK = "sick", "Sick"
    UNAVAILABLE = "unavailable", "Unavailable"


class TimeOff(models.Model):
    fieldworker = models.ForeignKey(Fieldworker, on_delete=models.CASCADE, related_name="time_off",
                                    db_index=False)  # time_off_fw_start_idx leads with it
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    kind = models.CharField(max_length=12, choices=TimeOffKind.choices, default=TimeOffKind.LEAVE)
    reason = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")

    class Meta:
        ordering = ["starts_at", "id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(ends_at__gt=models.F("starts_at")),
                                   name="time_off_end_after_start"),
        ]
        indexes = [models.Index(fields=["fieldworker", "starts_at"], name="time_off_fw_start_idx"),
                   models.Index(fields=["starts_at", "ends_at"], name="time_off_window_idx")]

    def __str__(self) -> str:
        return f"{self.fieldworker_id} off {self.starts_at:%Y-%m-%d %H:%M} - {self.ends_at:%Y-%m-%d %H:%M}"


class ServiceArea(models.Model):
    """A named area made of postcodes ("Inner West": 2040, 2041, ...). Fieldworkers cover areas."""

    name = models.CharField(max_length=80, unique=True)
    fieldworkers = models.ManyToManyField(Fieldworker, blank=True, related_name="service_areas")

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ServiceAreaPostcode(models.Model):
    area = models.ForeignKey(ServiceArea, on_delete=models.CASCADE, related_name="postcodes",
                             db_index=False)  # service_area_postcode_unique leads with it
    postcode = models.CharField(max_length=12, db_index=True)

    class Meta:
        ordering = ["postcode"]
        constraints = [models.UniqueConstraint(fields=["area", "postcode"], name="service_area_postcode_unique")]

    def __str__(self) -> str:
        return self.postcode


class SchedulingSettings(models.Model):
    """The business's scheduling rules. One row (pk=1); read with ``selectors.scheduling_settings()``.

    Kept beside the workforce rather than on ``company.Company`` so scheduling changes do not
    need migrations in the company app (see docs/decisions/0300).
    """

    travel_buffer_minutes = models.PositiveSmallIntegerField(
        default=0, validators=[MaxValueValidator(240)],
        help_text="Minimum gap between two jobs of one fieldworker.",
    )
    fieldworkers_may_edit_hours = models.BooleanField(
        default=False, help_text="Fieldworkers change their own hours and time off directly; otherwise they file "
                                 "a change request for staff.",
    )
    slot_step_minutes = models.PositiveSmallIntegerField(default=30, validators=[MinValueValidator(5),
                                                                                  MaxValueValidator(240)])
    series_horizon_days = models.PositiveSmallIntegerField(default=90, validators=[MinValueValidator(1),
                                                                                    MaxValueValidator(730)])

    class Meta:
        verbose_name_plural = "scheduling settings"

    def __str__(self) -> str:
        return "Scheduling settings"


class ChangeRequestStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
    WITHDRAWN = "withdrawn", "Withdrawn"


class ChangeRequest(models.Model):
    """A change a fieldworker asked for that needs staff approval.

    ``kind`` names a registered applier (see ``core.workforce.change_requests``); ``payload`` is the
    plain-JSON input the applier gets on approval. Other areas (bookings, chat) register kinds too.
    """

    fieldworker = models.ForeignKey(Fieldworker, on_delete=models.CASCADE, related_name="change_requests")
    kind = models.CharField(max_length=40)
    payload = models.JSONField(default=dict, blank=True)
    summary = models.CharField(max_length=300, blank=True)
    booking = models.ForeignKey("bookings.Booking", null=True, blank=True, on_delete=models.CASCADE,
                                related_name="change_requests")
    status = models.CharField(max_length=10, choices=ChangeRequestStatus.choices,
                              default=ChangeRequestStatus.PENDING)  # change_request_status_idx leads with it
    channel = models.CharField(max_length=12, blank=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(blank=True)
    result = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "created_at"], name="change_request_status_idx")]

    def __str__(self) -> str:
        return f"{self.kind} for {self.fieldworker_id} ({self.status})"


class IndustryLabel(models.Model):
    """Managed list (Settings > Fieldworker Industry Label); written through ``core.managed_lists``."""

    name = models.CharField(max_length=60, unique=True)
    active = models.BooleanField(default=True)
    position = models.PositiveSmallIntegerField(default=0, help_text="Lists show lower first, then by name.")

    class Meta:
        ordering = ["position", "name"]

    def __str__(self) -> str:
        return self.name


class SavedFieldworkerList(models.Model):
    """A named filter of fieldworkers staff reuse ("Plumbers in the Inner West"). ``filters`` holds
    plain JSON: ``status``, ``service_ids``, ``industry_label_ids``, ``area_ids``, ``search``."""

    name = models.CharField(max_length=80, unique=True)
    filters = models.JSONField(default=dict, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ProfileSettings(models.Model):
    """How fieldworkers' own profile edits are handled. One row (pk=1)."""

    profile_edits_need_approval = models.BooleanField(
        default=True, help_text="A fieldworker's own profile edits wait for staff approval; otherwise they apply "
                                "at once.")

    class Meta:
        verbose_name_plural = "fieldworker profile settings"

    def __str__(self) -> str:
        return "Fieldworker profile settings"


class BankDetails(models.Model):
    """A fieldworker's bank account, encrypted at rest (``core.workforce.bank``, MultiFernet with the
    keys of ``FIELDOPS_BANK_KEYS``). ``ciphertext`` holds the JSON of the fields; ``last4`` is kept
    in the clear for the masked view."""

    fieldworker = models.OneToOneField(Fieldworker, on_delete=models.CASCADE, related_name="bank_details")
    ciphertext = models.TextField()
    last4 = models.CharField(max_length=4, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")

    class Meta:
        verbose_name_plural = "bank details"
        permissions = [("read_bank_details", "Can read fieldworkers' bank details in the clear")]

    def __str__(self) -> str:
        return f"bank details of {self.fieldworker_id} (****{self.last4})"


class BankDetailsRead(AppendOnly):
    """Every read of a fieldworker's bank details in the clear: who and when."""

    fieldworker = models.ForeignKey(Fieldworker, on_delete=models.CASCADE, related_name="bank_reads")
    reader = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="+")
    at = models.DateTimeField(default=timezone.now, db_index=True)
    channel = models.CharField(max_length=12)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.reader_id} read bank details of {self.fieldworker_id}"

    refused = "The bank details read log is append-only."


class MessageMedium(models.TextChoices):
    EMAIL = "email", "E-mail"
    SMS = "sms", "SMS"
    CHAT = "chat", "Chat"


class MessageKind(models.TextChoices):
    VERIFICATION = "verification", "E-mail verification"
    MESSAGE = "message", "Message from staff"
    RECEIVED = "received", "Message from the fieldworker"


class MessageStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    SENDING = "sending", "Sending"
    RECEIVED = "received", "Received"
    SENT = "sent", "Sent"
    DELIVERED = "delivered", "Delivered"
    FAILED = "failed", "Failed"
    SKIPPED = "skipped", "Skipped"


class FieldworkerMessage(models.Model):
    """One message to one fieldworker (the delivery row): by e-mail, SMS or chat, about a booking or
    not, sent by a task. The per-fieldworker e-mail and SMS logs read these rows. A transient failure
    puts it back in ``queued`` with ``next_attempt_at`` and a deferred task; after the last attempt it
    is ``failed``, and staff may send it again (decision 0196)."""

    # indexed by fw_message_log_idx, which leads with it
    fieldworker = models.ForeignKey(Fieldworker, on_delete=models.CASCADE, related_name="messages", db_index=False)
    inbound = models.BooleanField(default=False, help_text="From the fieldworker (an SMS they sent us).")
    medium = models.CharField(max_length=8, choices=MessageMedium.choices)
    kind = models.CharField(max_length=16, choices=MessageKind.choices, default=MessageKind.MESSAGE)
    subject = models.CharField(max_length=200, blank=True)
    body = models.TextField(blank=True)
    booking = models.ForeignKey("bookings.Booking", null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="+")
    saved_list = models.ForeignKey(SavedFieldworkerList, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    to = models.CharField(max_length=254, blank=True)
    status = models.CharField(max_length=12, choices=MessageStatus.choices, default=MessageStatus.QUEUED)
    error = models.CharField(max_length=255, blank=True)
    external_id = models.CharField(max_length=64, blank=True, help_text="The SMS or chat message row it went as.")
    claim = models.CharField(max_length=64, blank=True,
                             help_text="The task that claimed it for sending (core/delivery.py).")
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True,
                                           help_text="Queued again after a transient failure: tried then.")
    updated_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["fieldworker", "medium", "created_at"], name="fw_message_log_idx"),
                   # the SMS status webhook finds the message a text carried (decision 0196)
                   models.Index(fields=["external_id"], name="fw_message_external_idx")]

    def __str__(self) -> str:
        return f"{self.medium} to {self.fieldworker_id} ({self.status})"


class FieldworkerLog(AppendOnly):
    """Append-only history of schedule changes to a fieldworker (hours, time off, areas, requests)."""

    fieldworker = models.ForeignKey(Fieldworker, on_delete=models.CASCADE, related_name="log")
    at = models.DateTimeField(default=timezone.now, db_index=True)
    action = models.CharField(max_length=40)
    actor_kind = models.CharField(max_length=12)
    actor_user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    channel = models.CharField(max_length=12)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.fieldworker_id} {self.action} via {self.channel}"

    refused = "The fieldworker log is append-only."
