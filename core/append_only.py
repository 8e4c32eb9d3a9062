"""Rows written once and never changed: logs, timelines, published versions."""

from __future__ import annotations

from django.db import models


class AppendOnly(models.Model):
    """A model whose rows are inserted and never updated; ``refused`` says why an update is refused."""

    refused = "These rows are append-only."

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise RuntimeError(self.refused)
        super().save(*args, **kwargs)
