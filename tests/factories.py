"""Plain builders for test data. They write rows directly or through the services; tests of
behaviour always go through the services."""

from __future__ import annotations

import itertools
from datetime import datetime, time, timedelta
from decimal import Decimal

from django.utils import timezone

from core.accounts.models import Role, User
from core.actors import Actor, Channel
from core.bookings import services as booking_services
from core.bookings.models import Booking
from core.catalog.models import Service, ServiceCategory, TaxRate
from core.catalog.pricing import plain
from core.company.selectors import get_company
from core.crm.models import Customer, Property
from core.workforce.models import Fieldworker, WorkingHours

_seq = itertools.count(1)


def staff_user(**extra) -> User:
    n = next(_seq)
    extra.setdefault("role", Role.STAFF)
    return User.objects.create_user(email=f"staff{n}@example.com", password="pw-staff-123", full_name=f"Staff {n}",
                                    **extra)


def customer(*, with_login: bool = False, **extra) -> Customer:
    n = next(_seq)
    user = None
    if with_login:
        user = User.objects.create_user(email=f"cust{n}@example.com", password="pw-cust-123",
                                        full_name=f"Customer {n}", role=Role.CUSTOMER)
    extra.setdefault("mobile", f"+614000{n:05d}")
    extra.setdefault("email", f"cust{n}@example.com")
    return Customer.objects.create(user=user, name=extra.pop("name", f"Customer {n}"), **extra)


def property_for(cust: Customer, **extra) -> Property:
    extra.setdefault("latitude", -33.8688)
    extra.setdefault("longitude", 151.2093)
    return Property.objects.create(customer=cust, address=extra.pop("address", f"{next(_seq)} George St"),
                                   postcode="2000", city="Sydney", **extra)


# Every day, all day ("until 23:59" means until midnight): a fieldworker whom any job fits, so that
# tests about something else can offer them jobs (bookings refuse jobs outside working hours,
# decision 0141). Tests about hours set their own (``hours=()`` for none at all).
ALWAYS = tuple((day, time(0), time(23, 59)) for day in range(7))


def fieldworker(*, hours=ALWAYS, **extra) -> Fieldworker:
    n = next(_seq)
    user = User.objects.create_user(email=f"fw{n}@example.com", password="pw-fw-123", full_name=f"Worker {n}",
                                    role=Role.FIELDWORKER)
    extra.setdefault("mobile", f"+614111{n:05d}")
    fw = Fieldworker.objects.create(user=user, name=extra.pop("name", f"Worker {n}"), **extra)
    WorkingHours.objects.bulk_create([WorkingHours(fieldworker=fw, weekday=day, start_time=lo, end_time=hi)
                                      for day, lo, hi in hours])
    return fw


def tax_rate(percent: Decimal | str = Decimal("10.00"), **extra) -> TaxRate:
    """The active rate of ``percent`` (the default first), else a new one named "Tax <percent>%"."""
    percent = Decimal(percent)
    found = TaxRate.objects.filter(percent=percent, active=True).order_by("-is_default", "id").first()
    if found is not None and not extra:
        return found
    return TaxRate.objects.create(name=extra.pop("name", f"Tax {plain(percent)}%"), percent=percent, **extra)


def service(**extra) -> Service:
    """``tax_rate`` (a percent) names the rate of that percent; without it the service follows the default."""
    category, _ = ServiceCategory.objects.get_or_create(name="Cleaning")
    extra.setdefault("price", Decimal("120.00"))
    if "tax_rate" in extra:
        extra["named_tax_rate"] = tax_rate(extra.pop("tax_rate"))
    extra.setdefault("duration_minutes", 120)
    return Service.objects.create(category=category, name=extra.pop("name", f"Service {next(_seq)}"), **extra)


def staff_actor(user: User | None = None) -> Actor:
    return Actor.from_user(user or staff_user())


def booking(*, cust: Customer | None = None, start: datetime | None = None, hours: float = 2,
            svc: Service | None = None, actor: Actor | None = None, **extra) -> Booking:
    cust = cust or customer()
    prop = extra.pop("prop", None) or property_for(cust)
    start = start or timezone.now() + timedelta(days=3)
    svc = svc or service()
    get_company()
    return booking_services.booking_create(
        actor=actor or Actor.system(), channel=Channel.SYSTEM, customer_id=cust.pk, property_id=prop.pk,
        scheduled_start=start, scheduled_end=start + timedelta(hours=hours),
        lines=[booking_services.LineInput(service_id=svc.pk, quantity=Decimal("1"))], **extra,
    )
