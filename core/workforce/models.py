from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class FieldworkerStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    INACTIVE = "inactive", "Inactive"
    BLOCKED = "blocked", "Blocked"


class Fieldworker(models.Model):
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="fieldworker")
    name = models.CharField(max_length=150)
    mobile = models.CharField(max_length=20, blank=True, db_index=True)
    status = models.CharField(max_length=10, choices=FieldworkerStatus.choices, default=FieldworkerStatus.ACTIVE,
                              db_index=True)
    services = models.ManyToManyField("catalog.Service", blank=True, related_name="fieldworkers")
    industry_label = models.CharField(max_length=60, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_bookable(self) -> bool:
        return self.status == FieldworkerStatus.ACTIVE
