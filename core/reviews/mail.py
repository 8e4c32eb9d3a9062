"""The review request e-mail, rendered by outreach's delivery when it is sent (``DOCUMENT_EMAIL_RENDERERS``:
reviews sits above outreach, which imports nothing of it)."""

from __future__ import annotations

from django.conf import settings
from django.template.loader import render_to_string

from core.company.selectors import get_company
from core.outreach import emails
from core.outreach.links import portal_url
from core.outreach.models import EmailMessage

from . import links
from .models import ReviewRequest


def render(message: EmailMessage) -> emails.Rendered | None:
    request = ReviewRequest.objects.select_related("booking__customer").filter(email_id=message.pk).first()
    if request is None:
        return None
    booking, company = request.booking, get_company()
    subject = f"{company.name}: how did job #{booking.number} go?"
    context = {"company": company, "subject": subject, "customer": booking.customer, "booking": booking,
               "done_on": emails.local_time(booking, booking.completed_at or booking.scheduled_start),
               "review_url": links.review_url(booking), "portal_url": portal_url(),
               "logo_url": getattr(settings, "OUTREACH_LOGO_URL", "")}
    return emails.Rendered(subject=subject, text=render_to_string("reviews/email/review_request.txt", context),
                           html=render_to_string("reviews/email/review_request.html", context))
