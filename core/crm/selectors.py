from __future__ import annotations

from django.db.models import QuerySet

from core.actors import Actor

from .models import Customer, Property


def visible_customers(actor: Actor) -> QuerySet[Customer]:
    qs = Customer.objects.all()
    if actor.is_staff:
        return qs
    if actor.is_customer:
        return qs.filter(pk=actor.customer_id)
    if actor.is_fieldworker:
        return qs.filter(
            bookings__assignments__fieldworker_id=actor.fieldworker_id,
            bookings__assignments__status__in=("offered", "accepted"),
        ).distinct()
    return qs.none()


def visible_properties(actor: Actor) -> QuerySet[Property]:
    qs = Property.objects.all()
    if actor.is_staff:
        return qs
    if actor.is_customer:
        return qs.filter(customer_id=actor.customer_id)
    if actor.is_fieldworker:
        return qs.filter(
            bookings__assignments__fieldworker_id=actor.fieldworker_id,
            bookings__assignments__status__in=("offered", "accepted"),
        ).distinct()
    return qs.none()


def may_see_contact_details(actor: Actor, customer: Customer) -> bool:
    """Staff and the customer themself; a fieldworker only for customers of their own jobs."""
    if actor.is_staff or (actor.is_customer and actor.customer_id == customer.pk):
        return True
    if actor.is_fieldworker:
        return visible_customers(actor).filter(pk=customer.pk).exists()
    return False
