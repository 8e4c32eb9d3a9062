"""The live staff dashboard: today's bookings board, one booking's discussion, the inbox and the open
complaints.

The page is rendered from the selectors, then kept current by the same GraphQL subscriptions
any client uses (``bookingEvents``, ``bookingDiscussion``, ``inboxEvents``, ``complaintEvents``) over the session
cookie; the comment box and the inbox buttons post mutations (``addBookingComment``,
``resolveInquiry``, ``assignInquiry``) over HTTP. No build step: one template, one inline script.
"""

from __future__ import annotations

import base64
import zoneinfo
from datetime import datetime, time, timedelta

from django.contrib.auth.views import LoginView, LogoutView
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.csrf import ensure_csrf_cookie

from core.accounts.forms import ThrottledAuthenticationForm
from core.actors import Actor, Channel
from core.bookings import zones
from core.bookings.models import ACTIVE_ASSIGNMENT
from core.bookings.selectors import booking_for, visible_bookings, visible_comments
from core.company.selectors import get_company
from core.complaints.models import Complaint
from core.complaints.selectors import open_complaints
from core.crm.models import Inquiry, InquiryKind
from core.crm.selectors import inquiry_time_zone, open_inquiries


def global_id(type_name: str, pk: int) -> str:
    """A Relay global id, as the GraphQL API spells it (base64 of ``Type:pk``)."""
    return base64.b64encode(f"{type_name}:{pk}".encode()).decode()


def today_window(zone_name: str, now: datetime | None = None) -> tuple[datetime, datetime]:
    zone = zoneinfo.ZoneInfo(zone_name)
    local = (now or timezone.now()).astimezone(zone)
    start = datetime.combine(local.date(), time.min, tzinfo=zone)
    end = datetime.combine(local.date() + timedelta(days=1), time.min, tzinfo=zone)
    return start, end


class DashboardAuthenticationForm(ThrottledAuthenticationForm):
    error_messages = {**ThrottledAuthenticationForm.error_messages, "invalid_login": "E-mail or password is wrong."}


def local_time(value: datetime, zone_name: str) -> str:
    """A person-facing time in ``zone_name``, e.g. 'Mon 7 Dec 14:05'."""
    local = value.astimezone(zoneinfo.ZoneInfo(zone_name))
    return f"{local:%a} {local.day} {local:%b %H:%M}"


def inbox_rows(inquiries: list[Inquiry], company_zone: str) -> list[dict]:
    """What the inbox panel shows of each open inquiry; times in its booking's zone, else the company's."""
    rows = []
    for inquiry in inquiries:
        bookings = sorted(inquiry.bookings.all(), key=lambda b: (b.scheduled_start, b.pk))
        rows.append({
            "gid": global_id("Inquiry", inquiry.pk),
            "kind": inquiry.kind,
            "kind_label": inquiry.get_kind_display(),
            "channel": inquiry.get_channel_display(),
            "who": (inquiry.customer.name if inquiry.customer is not None
                    else inquiry.prospect_name or inquiry.contact),
            "contact": inquiry.contact,
            "body": inquiry.body,
            "at": local_time(inquiry.created_at, inquiry_time_zone((b.time_zone for b in bookings), company_zone)),
            "created_at": inquiry.created_at.isoformat(),
            "bookings": ", ".join(f"#{b.number}" for b in bookings),
            "assignee": inquiry.assignee.display_name if inquiry.assignee is not None else "",
            "assignee_gid": global_id("User", inquiry.assignee_id) if inquiry.assignee_id else "",
        })
    return rows


def complaint_rows(complaints: list[Complaint], company_zone: str) -> list[dict]:
    """What the complaints panel shows of each open complaint; times in its booking's zone, else the company's."""
    return [{
        "gid": global_id("Complaint", c.pk),
        "type": c.type.name if c.type is not None else "Complaint",
        "customer": c.customer.name,
        "booking": f"#{c.booking.number}" if c.booking is not None else "",
        "at": local_time(c.created_at, (c.booking.time_zone if c.booking is not None else "") or company_zone),
        "created_at": c.created_at.isoformat(),
        "status": c.status.name,
        "owner": c.owner.display_name if c.owner is not None else "",
        "description": c.description,
        "internal": not c.visible_to_customer,
    } for c in complaints]


class DashboardLoginView(LoginView):
    template_name = "web/dashboard_login.html"
    form_class = DashboardAuthenticationForm  # the one password rule: throttled like the login mutation
    redirect_authenticated_user = True

    def get_default_redirect_url(self) -> str:
        return reverse("dashboard")


class DashboardLogoutView(LogoutView):
    next_page = "dashboard-login"


@ensure_csrf_cookie
def dashboard(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect(f"{reverse('dashboard-login')}?next={request.get_full_path()}")
    actor = Actor.from_user(request.user)
    if not actor.is_staff:
        return render(request, "web/dashboard_forbidden.html", status=403)

    company = get_company()
    start, end = today_window(company.time_zone)
    todays = (
        visible_bookings(actor)
        .filter(scheduled_end__gt=start, scheduled_start__lt=end)
        .select_related("customer", "property")
        .prefetch_related("assignments__fieldworker")
        .order_by("scheduled_start", "id")
    )
    rows = [
        {
            "gid": global_id("Booking", b.pk),
            "pk": b.pk,
            "number": b.number,
            "status": b.status,
            "start": b.scheduled_start,
            "end": b.scheduled_end,
            "customer": b.customer.name,
            "fieldworkers": ", ".join(a.fieldworker.name for a in b.assignments.all()
                                      if a.status in ACTIVE_ASSIGNMENT),
        }
        for b in todays
    ]

    selected = None
    comments: list = []
    raw = request.GET.get("booking", "")
    if raw.isdigit() and len(raw) < 19:
        selected = booking_for(actor, int(raw))
    if selected is None and rows:
        selected = booking_for(actor, rows[0]["pk"])
    if selected is not None:
        comments = list(visible_comments(actor).filter(booking=selected).order_by("created_at", "id"))

    live_config = {
        "socketPath": "/graphql/",
        "graphqlPath": reverse("graphql"),
        "from": start.isoformat(),
        "to": end.isoformat(),
        "timeZone": company.time_zone,
        "booking": global_id("Booking", selected.pk) if selected else "",
        "channels": {member.name: member.label for member in Channel},
        "me": global_id("User", request.user.pk),
        "kinds": {member.name: member.label for member in InquiryKind},
    }
    # The board is the company's day: its times are on the company's wall clock, as the live script
    # renders them (``timeZone``), not in the server's UTC.
    with timezone.override(zones.company_zone()):
        return render(request, "web/dashboard.html", {
            "company": company,
            "live_config": live_config,
            "rows": rows,
            "selected": selected,
            "comments": [
                {"gid": global_id("BookingComment", c.pk), "author": c.author_name,
                 "channel": c.get_channel_display(), "body": c.body, "internal": not c.visible_to_customer,
                 "at": c.created_at}
                for c in comments
            ],
            "inquiries": inbox_rows(open_inquiries(actor), company.time_zone),
            "complaints": complaint_rows(open_complaints(actor), company.time_zone),
        })
