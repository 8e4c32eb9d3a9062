"""Materialise recurring bookings up to the horizon, printing progress per series."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from core.actors import Actor, Channel
from core.bookings.series import SeriesResult, series_extend_all


class Command(BaseCommand):
    help = "Create the bookings of every active series up to the scheduling horizon."

    def handle(self, *args, **options) -> None:
        totals = {"created": 0, "conflicts": 0}

        def progress(index: int, count: int, result: SeriesResult) -> None:
            totals["created"] += len(result.created)
            totals["conflicts"] += len(result.conflicts)
            self.stdout.write(f"[{index}/{count}] series {result.series.pk}: {len(result.created)} new, "
                              f"{len(result.conflicts)} conflicts")
            for conflict in result.conflicts:
                self.stdout.write(f"    {conflict.date} fieldworker {conflict.fieldworker_id}: {conflict.message}")

        results = series_extend_all(actor=Actor.system(), channel=Channel.SYSTEM, progress=progress)
        self.stdout.write(self.style.SUCCESS(
            f"{len(results)} series extended, {totals['created']} bookings created, "
            f"{totals['conflicts']} conflicts reported."))
