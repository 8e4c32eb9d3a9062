"""Seed demo data once: a business, staff, fieldworkers, services, customers and a week of bookings.

Everything is written through the core services (channel SYSTEM), so the demo has a real history.
Running it again does nothing unless --force is given on an empty database.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from decimal import Decimal

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from core.accounts.models import Role, User
from core.actors import Actor, Channel
from core.bookings import services as bookings
from core.bookings.models import Booking
from core.catalog import services as catalog
from core.company.models import Counter, FeeType
from core.company.selectors import get_company
from core.company.services import company_update
from core.crm import services as crm
from core.workforce import services as workforce

DEMO_PASSWORD = "fieldops-demo"
MARKER = "demo_seeded"

CUSTOMERS = [
    ("Olivia Chen", "olivia@example.com", "+61412345001", "12 Harbour St", "2000", -33.8688, 151.2093),
    ("Liam Patel", "liam@example.com", "+61412345002", "4 Crown St", "2010", -33.8790, 151.2160),
    ("Ava Nguyen", "ava@example.com", "+61412345003", "88 King St", "2042", -33.8970, 151.1790),
    ("Noah Smith", "noah@example.com", "+61412345004", "3 Beach Rd", "2026", -33.8915, 151.2767),
    ("Mia Jones", "mia@example.com", "+61412345005", "27 Pitt St", "2000", -33.8650, 151.2090),
]
WORKERS = [("Sam Rivera", "sam@fieldops.local", "+61400111001"), ("Kai Morgan", "kai@fieldops.local", "+61400111002"),
           ("Jo Taylor", "jo@fieldops.local", "+61400111003")]


class Command(BaseCommand):
    help = "Seed demo data (once). Prints the demo sign-ins."

    def handle(self, *args, **options) -> None:
        if Counter.objects.filter(name=MARKER).exists() or Booking.objects.exists():
            self.stdout.write("Demo data already present; nothing to do.")
            self._credentials()
            return
        ch = Channel.SYSTEM
        with transaction.atomic():
            get_company()
            system = Actor.from_user(self._user("admin@fieldops.local", "Ada Admin", Role.ADMIN, superuser=True))
            company = company_update(
                actor=system, channel=ch, name="Sparkle & Pest Field Services",
                time_zone="Australia/Sydney", currency="AUD",
                email="office@sparkle.example", phone="+61290000000", customers_may_cancel=True,
                cancellation_fee_type=FeeType.FIXED, cancellation_fee_amount=Decimal("40.00"),
                cancellation_notice_hours=24, customers_may_reschedule=True, reschedule_notice_hours=24,
            )
            self._user("dispatch@fieldops.local", "Dee Dispatcher", Role.STAFF)
            regular = catalog.service_create(actor=system, channel=ch, name="Regular clean", price=Decimal("120.00"),
                                             duration_minutes=120)
            deep = catalog.service_create(actor=system, channel=ch, name="Deep clean", price=Decimal("260.00"),
                                          duration_minutes=240)
            pest = catalog.service_create(actor=system, channel=ch, name="Pest inspection", price=Decimal("180.00"),
                                          duration_minutes=90)
            services = [regular, deep, pest]
            workers = []
            for i, (name, email, mobile) in enumerate(WORKERS):
                fw = workforce.fieldworker_create(actor=system, channel=ch, name=name, email=email, mobile=mobile,
                                                  service_ids=[s.pk for s in services[: 2 + i % 2]])
                fw.user.set_password(DEMO_PASSWORD)
                fw.user.save()
                workforce.working_hours_set(actor=system, channel=ch, fieldworker_id=fw.pk, ranges=[
                    workforce.HoursRange(day, time(7), time(21)) for day in range(7)])
                workers.append(fw)
            kinds = [crm.property_type_create(actor=system, channel=ch, name=name, position=i)
                     for i, name in enumerate(("House", "Apartment", "Office"))]
            on_site, _ = [bookings.location_type_create(actor=system, channel=ch, name=name, position=i)
                          for i, name in enumerate(("On site", "Workshop"))]
            tz = company.tz
            today = timezone.now().astimezone(tz).date()
            count = 0
            for day in range(-1, 6):
                for i, (name, email, mobile, address, postcode, lat, lng) in enumerate(CUSTOMERS):
                    if day == -1:
                        customer = crm.customer_create(actor=system, channel=ch, name=name, email=email, mobile=mobile)
                        crm.property_create(actor=system, channel=ch, customer_id=customer.pk, address=address,
                                            postcode=postcode, city="Sydney", latitude=lat, longitude=lng,
                                            property_type_id=kinds[i % 2].pk,
                                            access_notes="Side gate code 1234; the dog is friendly." if i == 0 else "")
                        if i == 0:
                            crm.dependent_add(actor=system, channel=ch, customer_id=customer.pk, name="May Chen",
                                              relationship="Mother", mobile="+61412345101",
                                              notes="Usually home on weekday mornings.")
                        continue
                    if (day + i) % 2:
                        continue
                    customer = customer_by_email(email)
                    prop = customer.properties.first()
                    start = datetime.combine(today + timedelta(days=day), time(8 + 2 * i % 9), tzinfo=tz)
                    service = services[(day + i) % 3]
                    booking = bookings.booking_create(
                        actor=system, channel=ch, customer_id=customer.pk, property_id=prop.pk, scheduled_start=start,
                        lines=[bookings.LineInput(service_id=service.pk)], location_type_id=on_site.pk,
                    )
                    worker = workers[(day + i) % len(workers)]
                    bookings.booking_assign(actor=system, channel=ch, booking_id=booking.pk, fieldworker_id=worker.pk)
                    if day <= 2:
                        bookings.assignment_respond(actor=Actor.for_fieldworker(worker), channel=Channel.TELEGRAM,
                                                    booking_id=booking.pk, accept=True)
                        bookings.booking_confirm(actor=Actor.for_customer(customer), channel=Channel.SMS,
                                                 booking_id=booking.pk)
                        bookings.comment_add(actor=Actor.for_customer(customer), channel=Channel.SMS,
                                             booking_id=booking.pk, body="The side gate code is 1234.")
                    count += 1
            Counter.objects.create(name=MARKER, value=1)
        self.stdout.write(self.style.SUCCESS(f"Seeded {len(CUSTOMERS)} customers, {len(WORKERS)} fieldworkers, "
                                             f"{count} bookings."))
        self._credentials()

    def _user(self, email: str, name: str, role: str, superuser: bool = False) -> User:
        if superuser:
            return User.objects.create_superuser(email=email, password=DEMO_PASSWORD, full_name=name)
        return User.objects.create_user(email=email, password=DEMO_PASSWORD, full_name=name, role=role, is_staff=True)

    def _credentials(self) -> None:
        self.stdout.write(
            "Demo sign-ins (password for all: fieldops-demo): admin@fieldops.local (admin), "
            "dispatch@fieldops.local (staff), sam@fieldops.local (fieldworker).\n"
            "GraphiQL: http://127.0.0.1:8000/graphql/  Admin: http://127.0.0.1:8000/admin/"
        )


def customer_by_email(email: str):
    from core.crm.models import Customer

    return Customer.objects.get(email=email)
