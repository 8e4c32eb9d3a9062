"""Talk to the product by SMS without a phone: sign a message as Twilio would, post it to a
running server, print the reply.

    manage.py sms_simulate --from +61400000000 "CANCEL 1042"
"""

from __future__ import annotations

import secrets
import urllib.error
import urllib.parse
import urllib.request
from xml.etree import ElementTree

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from conversations.sms.signing import SIGNATURE_HEADER, sign

PATH = "/webhooks/twilio/sms/"


class Command(BaseCommand):
    help = "Send a signed inbound SMS to a running server and print the reply."

    def add_arguments(self, parser):
        parser.add_argument("body", help="The message text, e.g. 'CANCEL 1042'.")
        parser.add_argument("--from", dest="sender", required=True, help="The customer's number (E.164).")
        parser.add_argument("--to", default="", help="Our number (default TWILIO_FROM_NUMBER).")
        parser.add_argument("--server", default="", help="Where the server listens (default FIELDOPS_PUBLIC_URL).")
        parser.add_argument("--sid", default="", help="MessageSid (default: a new one; repeat one to test replays).")
        parser.add_argument("--token", default="", help="Sign with this auth token (default TWILIO_AUTH_TOKEN).")
        parser.add_argument("--public-url", default="",
                            help="The URL the server believes it is reached at (default FIELDOPS_PUBLIC_URL).")

    def handle(self, *args, **options):
        token = options["token"] or settings.TWILIO_AUTH_TOKEN
        if not token:
            raise CommandError("Set TWILIO_AUTH_TOKEN or pass --token (the server must use the same one).")
        params = {
            "MessageSid": options["sid"] or "SM" + secrets.token_hex(16),
            "AccountSid": settings.TWILIO_ACCOUNT_SID or "AC" + "0" * 32,
            "From": options["sender"],
            "To": options["to"] or settings.TWILIO_FROM_NUMBER or "+61400999999",
            "Body": options["body"],
            "NumMedia": "0",
        }
        public = (options["public_url"] or settings.FIELDOPS_PUBLIC_URL).rstrip("/")
        signature = sign(f"{public}{PATH}", params, token=token)
        server = (options["server"] or settings.FIELDOPS_PUBLIC_URL).rstrip("/")
        if urllib.parse.urlsplit(server).scheme not in ("http", "https"):
            raise CommandError("--server must be an http(s) URL.")
        request = urllib.request.Request(  # noqa: S310 (scheme checked above)
            server + PATH, data=urllib.parse.urlencode(params).encode(), method="POST",
            headers={SIGNATURE_HEADER: signature, "Content-Type": "application/x-www-form-urlencoded"})
        try:
            with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
                payload = response.read()
        except urllib.error.HTTPError as exc:
            raise CommandError(f"The server answered {exc.code}: {exc.read()[:200]!r}")
        except urllib.error.URLError as exc:
            raise CommandError(f"No server at {server}: {exc.reason}")
        replies = [node.text or "" for node in ElementTree.fromstring(payload).iter("Message")]  # noqa: S314
        if not replies:
            self.stdout.write("(no reply)")
        for reply in replies:
            self.stdout.write(reply)
