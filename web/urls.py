from django.urls import path

from . import (
               calendar,
               dashboard,
               documents,
               fieldworkers,
               files,
               form_signature,
               invoices,
               leads,
               portal,
               quotes,
               reviews,
               signing,
               views,
)

urlpatterns = [
    path("healthz", views.health, name="health"),
    path("forms/sign/<str:token>/", form_signature.form_signature, name="form-signature"),
    path("dashboard/", dashboard.dashboard, name="dashboard"),
    path("dashboard/login/", dashboard.DashboardLoginView.as_view(), name="dashboard-login"),
    path("dashboard/logout/", dashboard.DashboardLogoutView.as_view(), name="dashboard-logout"),
    # customer portal and e-mail link landings (issue 6)
    path("b/<str:token>/", portal.link_booking, name="link-booking"),
    path("b/<str:token>/cancel", portal.link_cancel, name="link-cancel"),
    path("b/<str:token>/move", portal.link_move, name="link-move"),
    path("b/<str:token>/request", portal.link_request, name="link-request"),
    path("b/<str:token>/discussion", portal.link_discussion, name="link-discussion"),
    path("b/<str:token>/complaint", portal.link_complaint, name="link-complaint"),
    path("b/<str:token>/pdf", portal.link_pdf, name="link-pdf"),
    path("b/<str:token>/calendar.ics", portal.link_ics, name="link-ics"),
    path("again/<str:token>/", portal.link_book_again, name="link-book-again"),  # a reminder to book again (0625)
    # reviews after a completed job (decisions 0631, 0632)
    path("r/<str:token>/", reviews.link_review, name="link-review"),
    path("portal/bookings/<int:booking_id>/review", reviews.portal_review, name="portal-review"),
    path("reviews/", reviews.public_reviews, name="reviews-public"),
    path("reviews/feed.json", reviews.public_reviews_feed, name="reviews-feed"),
    path("portal/", portal.portal_home, name="portal-home"),
    path("portal/login/", portal.portal_login, name="portal-login"),
    path("portal/login/<str:token>/", portal.portal_login_token, name="portal-login-token"),
    path("portal/logout/", portal.portal_logout, name="portal-logout"),
    path("portal/bookings/<int:booking_id>/", portal.portal_booking, name="portal-booking"),
    path("portal/bookings/<int:booking_id>/cancel", portal.portal_cancel, name="portal-cancel"),
    path("portal/bookings/<int:booking_id>/discussion", portal.portal_discussion, name="portal-discussion"),
    path("portal/bookings/<int:booking_id>/complaint", portal.portal_complaint, name="portal-complaint"),
    path("portal/bookings/<int:booking_id>/move", portal.portal_move, name="portal-move"),
    path("portal/bookings/<int:booking_id>/pdf", portal.portal_pdf, name="portal-pdf"),
    path("portal/bookings/<int:booking_id>/calendar.ics", portal.portal_ics, name="portal-ics"),
    # a fieldworker's calendar subscription (decision 0143)
    path("calendar/<str:secret>.ics", calendar.feed, name="calendar-feed"),
    # short-lived signed PDF links (GraphQL Booking.pdfUrl; quotes and invoices later)
    path("documents/<str:token>/", documents.document, name="document"),
    # stored files behind short-lived links made per viewer; signatures drawn on a canvas (issue 19)
    path("files/<str:token>/", files.download, name="file-download"),
    path("portal/bookings/<int:booking_id>/sign", signing.portal_sign, name="portal-sign"),
    path("sign/<str:token>/", signing.link_sign, name="link-sign"),
    path("portal/request/", portal.portal_request, name="portal-request"),
    # invoices (issue 18): the portal's pages and the signed link an invoice e-mail carries
    path("portal/invoices/", invoices.portal_invoices, name="portal-invoices"),
    path("portal/invoices/<int:invoice_id>/", invoices.portal_invoice, name="portal-invoice"),
    path("portal/invoices/<int:invoice_id>/pdf", invoices.portal_invoice_pdf, name="portal-invoice-pdf"),
    path("i/<str:token>/", invoices.link_invoice, name="link-invoice"),
    path("i/<str:token>/pdf", invoices.link_invoice_pdf, name="link-invoice-pdf"),
    # quotes (issue 18): the signed link a quote e-mail or text carries (GET shows, POST answers) and the portal's
    path("q/<str:token>/", quotes.link_quote, name="link-quote"),
    path("q/<str:token>/pdf", quotes.link_quote_pdf, name="link-quote-pdf"),
    path("q/<str:token>/complaint", quotes.link_quote_complaint, name="link-quote-complaint"),
    path("portal/quotes/", quotes.portal_quotes, name="portal-quotes"),
    path("portal/quotes/<int:quote_id>/", quotes.portal_quote, name="portal-quote"),
    path("portal/quotes/<int:quote_id>/pdf", quotes.portal_quote_pdf, name="portal-quote-pdf"),
    path("portal/quotes/<int:quote_id>/complaint", quotes.portal_quote_complaint, name="portal-quote-complaint"),
    path("portal/inquiry/", portal.portal_inquiry, name="portal-inquiry"),
    path("portal/contact/", portal.portal_contact, name="portal-contact"),
    # website lead capture (issue 20)
    path("leads/form/", leads.lead_form, name="lead-form"),
    path("fieldworker/verify/<str:uid>/<str:token>/", fieldworkers.verify, name="fieldworker-verify"),
    path("fieldworker/photo/<str:token>/", fieldworkers.photo, name="fieldworker-photo"),
    path("leads/form/snippet.html", leads.lead_form_snippet, name="lead-form-snippet"),
    path("leads/api/", leads.lead_api, name="lead-api"),
]
