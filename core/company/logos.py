"""Checking an uploaded logo by what it is, not by what it is called.

A logo is read once, at most ``FIELDOPS_UPLOAD_MAX_BYTES`` + 1 bytes, and must be a PNG, JPEG or WebP
image that Pillow can open and verify, between ``MIN_SIDE`` and ``FIELDOPS_LOGO_MAX_SIDE`` pixels on
each side. The dimensions are read from the header before any decoding, so a small file that claims
a huge image (a decompression bomb) is refused without being decoded. SVG is refused: it may carry
script and external references (decision 0811). Nothing is stored here: the caller stores the bytes
only after they passed.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass
from typing import IO

from django.conf import settings
from PIL import Image, UnidentifiedImageError

from core.errors import DomainError

FORMATS = {"PNG": ("png", "image/png"), "JPEG": ("jpg", "image/jpeg"), "WEBP": ("webp", "image/webp")}
MIN_SIDE = 16


@dataclass(frozen=True)
class CheckedImage:
    data: bytes
    extension: str
    content_type: str
    width: int
    height: int


def max_bytes() -> int:
    return int(settings.FIELDOPS_UPLOAD_MAX_BYTES)


def max_side() -> int:
    return int(settings.FIELDOPS_LOGO_MAX_SIDE)


def check_logo(upload: IO[bytes] | bytes, *, field: str = "logo") -> CheckedImage:
    """The image's bytes and facts, or ``DomainError`` (``file_too_large``, ``not_an_image``,
    ``unsupported_image``, ``image_dimensions``)."""
    limit = max_bytes()
    if isinstance(upload, (bytes, bytearray)):
        data = bytes(upload[: limit + 1])
    else:
        if hasattr(upload, "seek"):
            upload.seek(0)
        data = upload.read(limit + 1)
    if len(data) > limit:
        raise DomainError("file_too_large", f"The file is over {limit} bytes.", field=field,
                          data={"maxBytes": limit})
    if not data:
        raise DomainError("not_an_image", "The file is empty.", field=field)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                kind, (width, height) = image.format, image.size
                if kind not in FORMATS:
                    raise DomainError("unsupported_image", "A logo is a PNG, JPEG or WebP image.", field=field)
                side = max_side()
                if not (MIN_SIDE <= width <= side and MIN_SIDE <= height <= side):
                    raise DomainError("image_dimensions",
                                      f"A logo is {MIN_SIDE} to {side} pixels on each side; this is {width}x{height}.",
                                      field=field, data={"width": width, "height": height})
                image.verify()  # the whole file is a well-formed image, not only its header
            with Image.open(io.BytesIO(data)) as image:
                image.load()  # decodes: a truncated or corrupt body fails here
    except DomainError:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError,
            Image.DecompressionBombWarning):
        raise DomainError("not_an_image", "The file is not an image we can read.", field=field)
    extension, content_type = FORMATS[kind]
    return CheckedImage(data=data, extension=extension, content_type=content_type, width=width, height=height)
