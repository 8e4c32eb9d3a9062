"""The SMTP e-mail backend that DKIM-signs (decision 0640).

``EMAIL_BACKEND = "core.outreach.mailer.SmtpBackend"``: Django's SMTP backend, except that a message
whose From is on a verified sending domain leaves with a DKIM-Signature made with that domain's key.
Every e-mail goes through the backend (confirmations, reminders, quotes and invoices with their PDF,
staff notices), so every kind is covered without each knowing of it. Any other From leaves unsigned,
as before.
"""

from __future__ import annotations

import smtplib

from django.conf import settings
from django.core.mail import EmailMessage
from django.core.mail.backends import smtp
from django.core.mail.message import sanitize_address

from . import mailauth


class SmtpBackend(smtp.EmailBackend):
    def _send(self, email_message: EmailMessage) -> bool:
        """Build the message once, sign it when its From domain is verified, hand it to the server."""
        if not email_message.recipients():
            return False
        encoding = email_message.encoding or settings.DEFAULT_CHARSET
        envelope_from = sanitize_address(email_message.from_email, encoding)
        recipients = [sanitize_address(address, encoding) for address in email_message.recipients()]
        message = email_message.message()
        # Django's SafeMIME messages take linesep (the stubs type message() as the stdlib's Message)
        raw = message.as_bytes(linesep="\r\n")  # type: ignore[call-arg]
        key = mailauth.signing_key(str(message["From"] or ""))
        if key is not None:
            raw = mailauth.sign(raw, key)
        assert self.connection is not None  # send_messages opened it
        try:
            self.connection.sendmail(envelope_from, recipients, raw)
        except smtplib.SMTPException:
            if not self.fail_silently:
                raise
            return False
        return True
