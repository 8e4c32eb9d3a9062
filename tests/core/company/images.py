"""Image files made in the test, by Pillow, as a client would upload them."""

from __future__ import annotations

import io

from PIL import Image


def png(width: int = 120, height: int = 60, colour: str = "#1d4ed8") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(out, format="PNG")
    return out.getvalue()


def noisy_png(width: int, height: int) -> bytes:
    """A PNG that compresses badly: its size grows with its area."""
    import os

    image = Image.frombytes("RGB", (width, height), os.urandom(width * height * 3))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def gif(width: int = 40, height: int = 40) -> bytes:
    out = io.BytesIO()
    Image.new("P", (width, height)).save(out, format="GIF")
    return out.getvalue()
