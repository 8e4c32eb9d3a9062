from __future__ import annotations

import io

from PIL import Image

from core.actors import Actor, Channel
from core.bookings import services as booking_services
from tests import factories


def jpeg_with_gps(width: int = 400, height: int = 300, orientation: int | None = None) -> bytes:
    """A JPEG photo as a phone makes it: EXIF with a camera model and a GPS position."""
    image = Image.new("RGB", (width, height), "#3b82f6")
    image.paste(Image.new("RGB", (width // 4, height // 4), "#ef4444"), (0, 0))
    exif = Image.Exif()
    exif[0x0110] = "FieldPhone 9"  # Model
    if orientation:
        exif[0x0112] = orientation
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2], gps[3], gps[4] = "S", (33.0, 51.0, 54.0), "E", (151.0, 12.0, 36.0)
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif, quality=90)
    return out.getvalue()


def pdf_bytes() -> bytes:
    return (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
            b"trailer<</Root 1 0 R>>\n%%EOF\n")


def bomb_png(side: int = 12_000) -> bytes:
    """A PNG of ``side`` x ``side`` pixels of one colour: a few hundred kB that decode to gigabytes."""
    out = io.BytesIO()
    Image.new("1", (side, side), 0).save(out, format="PNG", optimize=True)
    return out.getvalue()


def signature_png(ink: bool = True) -> bytes:
    image = Image.new("RGBA", (300, 100), (0, 0, 0, 0))
    if ink:
        for x in range(40, 260):
            image.putpixel((x, 50 + (x % 20) - 10), (17, 17, 17, 255))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def accepted_job(fieldworker=None, **booking_extra):
    """A booking offered to and accepted by a fieldworker: (booking, fieldworker)."""
    fieldworker = fieldworker or factories.fieldworker()
    booking = factories.booking(**booking_extra)
    staff = factories.staff_actor()
    booking_services.booking_assign(actor=staff, channel=Channel.GRAPHQL, booking_id=booking.pk,
                                    fieldworker_id=fieldworker.pk, override_availability=True)
    booking_services.assignment_respond(actor=Actor.for_fieldworker(fieldworker), channel=Channel.TELEGRAM,
                                        booking_id=booking.pk, accept=True)
    return booking, fieldworker
