"""Reviews and review requests in the back office: read-only lists; publishing, unpublishing and
withdrawing go through the services (decision 0632)."""

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from core.actors import Channel
from core.service_admin import ReadOnlyAdmin, service_action

from . import services
from .models import Review, ReviewRequest


@admin.register(Review)
class ReviewAdmin(ReadOnlyAdmin):
    list_display = ("submitted_at", "booking", "customer", "rating", "may_publish", "published_at", "channel")
    list_filter = ("rating", "may_publish", ("published_at", admin.EmptyFieldListFilter), "channel")
    search_fields = ("customer__name", "comment", "booking__number")
    list_select_related = ("booking", "customer")
    raw_id_fields = ("booking", "customer")
    date_hierarchy = "submitted_at"
    actions = ("publish", "unpublish")

    @admin.action(description="Publish the selected reviews (those the customer allowed)")
    def publish(self, request: HttpRequest, queryset: QuerySet[Review]) -> None:
        service_action(request, queryset, lambda actor, pk: services.review_publish(
            actor=actor, channel=Channel.ADMIN, review_id=pk), "review(s) published", admin_obj=self)

    @admin.action(description="Take the selected reviews off the public page")
    def unpublish(self, request: HttpRequest, queryset: QuerySet[Review]) -> None:
        service_action(request, queryset, lambda actor, pk: services.review_unpublish(
            actor=actor, channel=Channel.ADMIN, review_id=pk), "review(s) unpublished", admin_obj=self)


@admin.register(ReviewRequest)
class ReviewRequestAdmin(ReadOnlyAdmin):
    list_display = ("due_at", "booking", "customer", "status", "channel", "reason", "email", "sms")
    list_filter = ("status", "channel", "reason")
    search_fields = ("customer__name", "customer__email", "booking__number")
    list_select_related = ("booking", "customer", "email", "sms")
    raw_id_fields = ("booking", "customer", "email", "sms")
    date_hierarchy = "due_at"
    actions = ("withdraw",)

    @admin.action(description="Withdraw the selected pending review requests")
    def withdraw(self, request: HttpRequest, queryset: QuerySet[ReviewRequest]) -> None:
        service_action(request, queryset, lambda actor, pk: services.review_request_withdraw(
            actor=actor, channel=Channel.ADMIN, request_id=pk), "review request(s) withdrawn", admin_obj=self)
