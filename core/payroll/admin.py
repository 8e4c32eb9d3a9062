"""The payroll admin shows; the services write (decision 0040): agreements are made and changed
through GraphQL (their rates are a list), runs move on by actions that call the services."""

from __future__ import annotations

from django.contrib import admin

from core.service_admin import CHANNEL, ReadOnlyAdmin, ReadOnlyInline, service_action

from . import services
from .models import PayEntry, PaymentAgreement, PaymentRate, PayrollEvent, PayrollRun, PayrollStatement


class RateInline(ReadOnlyInline):
    model = PaymentRate
    fields = ("service", "amount", "percent")
    readonly_fields = fields


@admin.register(PaymentAgreement)
class PaymentAgreementAdmin(ReadOnlyAdmin):
    list_display = ("fieldworker", "basis", "fixed_amount", "effective_from", "effective_to")
    list_filter = ("basis",)
    search_fields = ("fieldworker__name",)
    list_select_related = ("fieldworker",)
    inlines = [RateInline]
    actions = ["delete_unused"]

    @admin.action(description="Delete the selected agreements (only those no pay was computed under)")
    def delete_unused(self, request, queryset):
        service_action(request, queryset, lambda actor, pk: services.agreement_delete(
            actor=actor, channel=CHANNEL, agreement_id=pk), "deleted", admin_obj=self)


@admin.register(PayEntry)
class PayEntryAdmin(ReadOnlyAdmin):
    list_display = ("booking", "fieldworker", "kind", "rate", "share", "shares", "amount", "earned_on")
    list_filter = ("kind",)
    search_fields = ("fieldworker__name",)
    list_select_related = ("booking", "fieldworker")


class StatementInline(ReadOnlyInline):
    model = PayrollStatement
    fields = ("fieldworker", "bookings", "earned", "adjustments", "total")
    readonly_fields = fields


@admin.register(PayrollRun)
class PayrollRunAdmin(ReadOnlyAdmin):
    list_display = ("period_start", "period_end", "status", "total", "created_at", "paid_at")
    list_filter = ("status",)
    inlines = [StatementInline]
    actions = ["finalise", "mark_paid", "delete_drafts"]

    @admin.action(description="Finalise the selected draft runs")
    def finalise(self, request, queryset):
        service_action(request, queryset, lambda actor, pk: services.payroll_run_finalise(
            actor=actor, channel=CHANNEL, run_id=pk), "finalised", admin_obj=self)

    @admin.action(description="Mark the selected finalised runs paid")
    def mark_paid(self, request, queryset):
        service_action(request, queryset, lambda actor, pk: services.payroll_run_mark_paid(
            actor=actor, channel=CHANNEL, run_id=pk), "marked paid", admin_obj=self)

    @admin.action(description="Delete the selected draft runs (their pay goes to the next run)")
    def delete_drafts(self, request, queryset):
        service_action(request, queryset, lambda actor, pk: services.payroll_run_delete(
            actor=actor, channel=CHANNEL, run_id=pk), "deleted", admin_obj=self)


@admin.register(PayrollEvent)
class PayrollEventAdmin(ReadOnlyAdmin):
    list_display = ("at", "subject", "action", "booking_id", "run_id", "fieldworker_id", "actor_label", "channel")
    list_filter = ("subject", "action", "channel")
