"""Review pages (decisions 0631, 0632). Server-rendered, no JavaScript needed.

* ``/r/<token>/``: the signed link of a review request (channel EMAIL_LINK), and
  ``/portal/bookings/<id>/review`` for the signed-in customer (channel PORTAL): the form while the
  review may be given or changed, the review read-only afterwards, and the thank-you page (with the
  public review link after a good rating). GETs only read; the POST carries a CSRF token.
* ``/reviews/`` and ``/reviews/feed.json``: the published reviews for anyone, from the cache.
"""

from __future__ import annotations

from django.http import HttpResponseRedirect, JsonResponse
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from core.actors import Actor, Channel
from core.bookings.models import BookingStatus
from core.errors import DomainError
from core.ratelimit import hit
from core.reviews import links, selectors
from core.reviews import services as review_services
from core.reviews.services import MAX_COMMENT

from .portal import Where, _by_portal_booking, _link_problem, _page, _too_many
from .ratelimit import client_ip

REVIEW_LIMIT = (10, 10 * 60)  # review POSTs per booking and client IP
PUBLIC_MAX_AGE = 5 * 60
RATINGS = ((5, "5: Excellent"), (4, "4: Good"), (3, "3: OK"), (2, "2: Poor"), (1, "1: Very poor"))
ERRORS = {"out_of_range": "Please choose a rating from 1 to 5.", "required": "Please choose a rating from 1 to 5.",
          "too_long": f"Please keep the comment to {MAX_COMMENT} characters.",
          "invalid_characters": "The comment contains a character we cannot store.",
          "review_locked": "This review can no longer be changed.",
          "not_reviewable": "This job is not completed yet; it can be rated once it is done."}


def _review_page(request, booking, actor: Actor, channel: Channel, here: str, *, signed_in: bool):
    review = selectors.review_of(booking)
    now = timezone.now()
    editable = booking.status == BookingStatus.COMPLETED and (review is None or now <= review.editable_until())
    context = {"booking": booking, "review": review, "editable": editable, "ratings": RATINGS, "here": here,
               "max_comment": MAX_COMMENT, "signed_in": signed_in,
               "back_url": reverse("portal-booking", args=[booking.pk]) if signed_in else ""}
    if request.method == "POST":
        if not hit("review", f"{booking.pk}:{client_ip(request)}", limit=REVIEW_LIMIT[0], window=REVIEW_LIMIT[1]):
            return _too_many(request)
        rating, comment = request.POST.get("rating", ""), request.POST.get("comment", "")
        may_publish = request.POST.get("may_publish") == "1"
        try:
            review_services.review_submit(actor=actor, channel=channel, booking_id=booking.pk, rating=rating,
                                          comment=comment, may_publish=may_publish)
        except DomainError as exc:
            context.update({"error": ERRORS.get(exc.code, exc.message), "error_field": exc.field or "",
                            "form": {"rating": rating, "comment": comment, "may_publish": may_publish}})
            return _page(request, "review.html", context, status=400)
        return HttpResponseRedirect(f"{here}?done=1", status=303)
    if request.GET.get("done") and review is not None:
        context.update({"thanks": True, "public_link": selectors.offers_public_link(review, booking)})
        return _page(request, "review.html", context)
    if review is not None:
        context["form"] = {"rating": str(review.rating), "comment": review.comment, "may_publish": review.may_publish}
    return _page(request, "review.html", context)


@require_http_methods(["GET", "HEAD", "POST"])
def link_review(request, token: str):
    booking = links.read_review_token(token)
    if isinstance(booking, links.LinkProblem):
        return _link_problem(request, booking)
    return _review_page(request, booking, Actor.for_customer(booking.customer), Channel.EMAIL_LINK,
                        reverse("link-review", args=[token]), signed_in=False)


def _portal_review(request, booking, actor: Actor, where: Where):
    return _review_page(request, booking, actor, Channel.PORTAL, reverse("portal-review", args=[booking.pk]),
                        signed_in=True)


portal_review = require_http_methods(["GET", "HEAD", "POST"])(_by_portal_booking(_portal_review))


def _cached(response):
    response["Cache-Control"] = f"public, max-age={PUBLIC_MAX_AGE}"
    return response


@require_http_methods(["GET", "HEAD"])
def public_reviews(request):
    """The published reviews and their average, for anyone (decision 0632)."""
    return _cached(_page(request, "reviews_public.html", {"listing": selectors.public_reviews()}))


@require_http_methods(["GET", "HEAD"])
def public_reviews_feed(request):
    """The same as JSON, for the business's website to show (any origin may read it)."""
    response = _cached(JsonResponse(selectors.public_reviews()))
    response["Access-Control-Allow-Origin"] = "*"
    return response
