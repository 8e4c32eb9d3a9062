"""What an upload is, decided by its bytes, never by its name or the client's content type.

``inspect(upload)`` reads at most the largest cap + 1 bytes and answers a ``Checked`` file or raises
``DomainError``:

* ``file_empty``; ``file_type_refused`` (not a PNG, JPEG or WebP image Pillow opens, verifies and
  decodes, nor a PDF: ``%PDF-`` first and ``%%EOF`` at the end); ``file_over_cap`` (over the cap of
  the type found, ``FIELDOPS_FILE_MAX_BYTES``);
* ``image_too_many_pixels``: the header claims more than ``FIELDOPS_IMAGE_MAX_PIXELS``. It is read
  before anything is decoded and Pillow's decompression-bomb warning is an error, so a small file that
  unpacks to gigabytes is refused undecoded (decision 0921).

``prepare_image`` then makes what is stored: without EXIF (the photo turned upright first, so nothing
looks different) unless the company keeps metadata, and a JPEG thumbnail.
"""

from __future__ import annotations

import io
import re
import warnings
from dataclasses import dataclass
from typing import IO

from django.conf import settings
from PIL import Image, ImageOps, UnidentifiedImageError

from core.errors import DomainError

from .models import FileKind

IMAGE_FORMATS = {"PNG": ("png", "image/png"), "JPEG": ("jpg", "image/jpeg"), "WEBP": ("webp", "image/webp")}
PDF_TAIL = 1024
MAX_NAME = 120
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


@dataclass(frozen=True)
class Checked:
    data: bytes
    kind: str  # FileKind.IMAGE or FileKind.PDF
    extension: str
    content_type: str
    width: int | None = None
    height: int | None = None


@dataclass(frozen=True)
class Prepared:
    data: bytes
    thumbnail: bytes | None
    width: int | None = None  # as stored: a photo turned upright swaps its sides
    height: int | None = None


def cap(kind: str) -> int:
    return int(settings.FIELDOPS_FILE_MAX_BYTES[kind])


def read_upload(upload: IO[bytes] | bytes, limit: int, *, field: str = "file") -> bytes:
    if isinstance(upload, (bytes, bytearray)):
        return bytes(upload[: limit + 1])
    if not hasattr(upload, "read"):  # a GraphQL variable given as JSON, not as a multipart file
        raise DomainError("required", "Send the file in a multipart request.", field=field)
    if hasattr(upload, "seek"):
        upload.seek(0)
    return upload.read(limit + 1)


def clean_name(name: str | None, *, field: str = "file") -> str:
    """The client's file name, to show: refused when it carries a path, a control character or is too
    long (``file_name_invalid``); never used to name what is stored."""
    name = (name or "").strip()
    if not name:
        return "file"
    if ("/" in name or "\\" in name or name in (".", "..") or _CONTROL.search(name)
            or len(name) > MAX_NAME or name.startswith(".")):
        raise DomainError("file_name_invalid", "The file name must be a plain name without a path.", field=field)
    return name


def _over(kind: str, size: int, field: str) -> None:
    limit = cap(kind)
    if size > limit:
        raise DomainError("file_over_cap", f"The file is over {limit} bytes, the most for this type.",
                          field=field, data={"maxBytes": limit})


def _open_image(data: bytes, field: str) -> tuple[str, int, int]:
    """(format, width, height) of a well-formed image, checked before and while decoding."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        with Image.open(io.BytesIO(data)) as image:
            kind, (width, height) = image.format, image.size
            if kind not in IMAGE_FORMATS:
                raise DomainError("file_type_refused", "Images are PNG, JPEG or WebP.", field=field)
            if width * height > int(settings.FIELDOPS_IMAGE_MAX_PIXELS) or width < 1 or height < 1:
                raise DomainError("image_too_many_pixels", f"The image has too many pixels ({width}x{height}).",
                                  field=field, data={"width": width, "height": height})
            image.verify()
        with Image.open(io.BytesIO(data)) as image:
            if kind == "JPEG":  # every coefficient is still read; the inverse DCT runs at 1/8 scale
                image.draft(image.mode, (max(1, width // 8), max(1, height // 8)))
            image.load()  # a truncated or corrupt body fails here
    return kind, width, height


def inspect(upload: IO[bytes] | bytes, *, field: str = "file") -> Checked:
    data = read_upload(upload, max(cap(FileKind.IMAGE), cap(FileKind.PDF)), field=field)
    if not data:
        raise DomainError("file_empty", "The file is empty.", field=field)
    if data.startswith(b"%PDF-"):
        _over(FileKind.PDF, len(data), field)
        if b"%%EOF" not in data[-PDF_TAIL:]:
            raise DomainError("file_type_refused", "The PDF is incomplete.", field=field)
        return Checked(data=data, kind=FileKind.PDF, extension="pdf", content_type="application/pdf")
    _over(FileKind.IMAGE, len(data), field)  # anything but a PDF is an image or refused: no bigger
    try:
        image_format, width, height = _open_image(data, field)
    except DomainError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise DomainError("image_too_many_pixels", "The image has too many pixels.", field=field)
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise DomainError("file_type_refused", "The file is not an image or a PDF we accept.", field=field)
    extension, content_type = IMAGE_FORMATS[image_format]
    return Checked(data=data, kind=FileKind.IMAGE, extension=extension, content_type=content_type,
                   width=width, height=height)


def _encode(image: Image.Image, image_format: str) -> bytes:
    out = io.BytesIO()
    options: dict = {"quality": 90} if image_format in ("JPEG", "WEBP") else {}
    icc = image.info.get("icc_profile")
    if icc:
        options["icc_profile"] = icc  # colours, not metadata about the place or the person
    image.save(out, format=image_format, **options)
    return out.getvalue()


def thumbnail_of(image: Image.Image) -> bytes:
    side = int(settings.FIELDOPS_THUMBNAIL_SIDE)
    small = image.copy()
    small.thumbnail((side, side))
    if small.mode in ("RGBA", "LA", "P"):
        small = small.convert("RGBA")
        background = Image.new("RGB", small.size, "white")
        background.paste(small, mask=small.getchannel("A"))
        small = background
    elif small.mode != "RGB":
        small = small.convert("RGB")
    out = io.BytesIO()
    small.save(out, format="JPEG", quality=80)
    return out.getvalue()


def has_metadata(data: bytes) -> bool:
    with Image.open(io.BytesIO(data)) as image:
        return bool(image.getexif()) or any(key in image.info for key in ("exif", "xmp", "XML:com.adobe.xmp"))


# JPEG segments kept when metadata goes: JFIF (APP0), the colour profile (APP2 "ICC_PROFILE") and Adobe's
# colour transform (APP14). EXIF and XMP (APP1), IPTC (APP13), comments and every other APPn go.
_ICC = b"ICC_PROFILE\x00"


def strip_jpeg(data: bytes) -> bytes:
    """The JPEG without its metadata segments, the compressed image copied as it is (no re-encoding)."""
    if data[:2] != b"\xff\xd8":
        raise ValueError("not a JPEG")
    out, i = bytearray(b"\xff\xd8"), 2
    while i + 4 <= len(data):
        if data[i] != 0xFF:
            raise ValueError("bad JPEG marker")
        marker = data[i + 1]
        if marker == 0xFF:  # fill byte
            i += 1
            continue
        if marker == 0xDA:  # start of scan: the rest is the image
            out += data[i:]
            return bytes(out)
        length = int.from_bytes(data[i + 2:i + 4], "big")
        segment = data[i:i + 2 + length]
        keep = not (0xE0 <= marker <= 0xEF or marker == 0xFE) or marker in (0xE0, 0xEE) or (
            marker == 0xE2 and segment[4:4 + len(_ICC)] == _ICC)
        if keep:
            out += segment
        i += 2 + length
    raise ValueError("no image data")


def _orientation(image: Image.Image) -> int:
    try:
        return int(image.getexif().get(0x0112) or 1)
    except (ValueError, TypeError, OSError):
        return 1


def prepare_image(checked: Checked, *, keep_metadata: bool) -> Prepared:
    """The bytes to store and a thumbnail. Unless ``keep_metadata``, EXIF (GPS included), XMP and text
    chunks go: a JPEG loses its metadata segments without being re-encoded, unless its EXIF turns it (it
    is then turned upright and encoded once); PNG and WebP are encoded again from their pixels."""
    image_format = {"png": "PNG", "jpg": "JPEG", "webp": "WEBP"}[checked.extension]
    with Image.open(io.BytesIO(checked.data)) as image:
        orientation = _orientation(image)
        if image_format == "JPEG" and (keep_metadata or orientation == 1):
            side = int(settings.FIELDOPS_THUMBNAIL_SIDE)
            image.draft("RGB", (side, side))  # decode at the smallest scale still at least the thumbnail's size
            thumbnail = thumbnail_of(ImageOps.exif_transpose(image))
            return Prepared(data=checked.data if keep_metadata else strip_jpeg(checked.data), thumbnail=thumbnail,
                            width=checked.width, height=checked.height)
        image.load()
        upright = ImageOps.exif_transpose(image)
        thumbnail = thumbnail_of(upright)
        if keep_metadata or not has_metadata(checked.data):
            return Prepared(data=checked.data, thumbnail=thumbnail, width=checked.width, height=checked.height)
        clean = Image.frombytes(upright.mode, upright.size, upright.tobytes())  # pixels only, no info
        if "icc_profile" in image.info:
            clean.info["icc_profile"] = image.info["icc_profile"]
        if upright.mode == "P":
            clean.putpalette(upright.getpalette())
        return Prepared(data=_encode(clean, image_format), thumbnail=thumbnail, width=clean.width, height=clean.height)


def check_signature(data: bytes, *, field: str = "signature") -> Checked:
    """A drawn signature: a PNG within the signature cap and 2000 pixels a side, with ink on it."""
    if not data:
        raise DomainError("signature_blank", "Draw your signature first.", field=field)
    _over(FileKind.SIGNATURE, len(data), field)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                if image.format != "PNG" or image.width > 2000 or image.height > 2000:
                    raise DomainError("file_type_refused", "A signature is a PNG drawing.", field=field)
                image.load()
                flat = Image.new("RGBA", image.size, "white")
                flat.alpha_composite(image.convert("RGBA"))
                ink = ImageOps.invert(flat.convert("L")).getbbox()
                width, height = image.size
    except DomainError:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError,
            Image.DecompressionBombWarning):
        raise DomainError("file_type_refused", "A signature is a PNG drawing.", field=field)
    if ink is None:
        raise DomainError("signature_blank", "Draw your signature first.", field=field)
    return Checked(data=data, kind=FileKind.SIGNATURE, extension="png", content_type="image/png",
                   width=width, height=height)
