from __future__ import annotations

from collections.abc import Iterable

from django.db.models import QuerySet

from core.actors import Actor

from .models import Customer, Dependent, Inquiry, InquiryStatus, LeadSource, Property, PropertyType


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


def visible_dependents(actor: Actor, *, archived: bool | None = False) -> QuerySet[Dependent]:
    """The people under a customer: staff see everyone's, a customer their own, nobody else any
    (decision 0170). ``archived``: False active only, True archived only, None both."""
    if actor.is_staff:
        qs = Dependent.objects.all()
    elif actor.is_customer and actor.customer_id is not None:
        qs = Dependent.objects.filter(customer_id=actor.customer_id)
    else:
        return Dependent.objects.none()
    return qs if archived is None else qs.filter(archived_at__isnull=not archived)


def property_types(actor: Actor, *, active_only: bool = False) -> QuerySet[PropertyType]:
    """The property type list, for anyone signed in (a customer picks one for their own property)."""
    qs = PropertyType.objects.all() if actor.is_authenticated else PropertyType.objects.none()
    return qs.filter(active=True) if active_only else qs


def may_see_contact_details(actor: Actor, customer: Customer) -> bool:
    """Staff and the customer themself; a fieldworker only for customers of their own jobs."""
    if actor.is_staff or (actor.is_customer and actor.customer_id == customer.pk):
        return True
    if actor.is_fieldworker:
        return visible_customers(actor).filter(pk=customer.pk).exists()
    return False


def visible_inquiries(actor: Actor, *, deleted: bool = False) -> QuerySet[Inquiry]:
    """The staff inbox: staff see every inquiry but the soft-deleted ones (``deleted``: only those);
    for anyone else there are none."""
    qs = Inquiry.objects.filter(deleted_at__isnull=not deleted)
    return qs if actor.is_staff else qs.none()


def own_inquiries(actor: Actor, *, limit: int = 50) -> list[Inquiry]:
    """What a signed-in customer asked (their own inquiries, not deleted), newest first; nothing for
    anyone else. Staff read the inbox instead (``visible_inquiries``)."""
    if not actor.is_customer or actor.customer_id is None:
        return []
    return list(Inquiry.objects.filter(customer_id=actor.customer_id, deleted_at__isnull=True)
                .order_by("-created_at", "-id")[:limit])


def duplicate_customers(actor: Actor, *, email: str = "", mobile: str = "", limit: int = 20) -> list[Customer]:
    """Customers a prospect may already be: the same e-mail address (any case) or the same E.164
    mobile. Staff only; nobody else is told who our customers are."""
    from django.db.models import Q

    from core.errors import ValidationFailed
    from core.phones import normalise_phone

    if not actor.is_staff:
        return []
    email = (email or "").strip().lower()
    try:
        mobile = normalise_phone(mobile) if mobile else ""
    except ValidationFailed:  # not a number: nothing can match it
        mobile = ""
    match = Q()
    if email:
        match |= Q(email__iexact=email)
    if mobile:
        match |= Q(mobile=mobile)
    if not match:
        return []
    return list(Customer.objects.filter(match).order_by("name", "id")[:limit])


def lead_sources(actor: Actor, *, active_only: bool = False) -> QuerySet[LeadSource]:
    qs = LeadSource.objects.all() if actor.is_staff else LeadSource.objects.none()
    return qs.filter(active=True) if active_only else qs


def open_inquiries(actor: Actor, *, limit: int = 50) -> list[Inquiry]:
    """Open inquiries, newest first, with what a list shows (customer, assignee, bookings)."""
    return list(visible_inquiries(actor).filter(status=InquiryStatus.OPEN)
                .select_related("customer", "assignee").prefetch_related("bookings")
                .order_by("-created_at", "-id")[:limit])


def inquiry_time_zone(booking_zones: Iterable[str], company_zone: str | None = None) -> str:
    """Where an inquiry's times are shown: the zone of the (first) booking it concerns, else the
    company's (an inquiry has no property of its own). The company is read only when needed and
    not given."""
    found = next((zone for zone in booking_zones if zone), "")
    if found:
        return found
    if company_zone is None:
        from core.company.selectors import get_company

        company_zone = get_company().time_zone
    return company_zone
