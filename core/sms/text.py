"""SMS text helpers: keep every message inside the GSM-7 alphabet and at most two segments."""

from __future__ import annotations

import unicodedata

GSM7_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENDED = set("^{}\\[~]|€")  # each costs two septets
SINGLE_SEGMENT = 160
MULTI_SEGMENT = 153  # septets per part once a user-data header is needed
MAX_SEGMENTS = 2

_REPLACEMENTS = {
    "\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u2013": "-", "\u2014": "-",
    "\u2026": "...", "\u00a0": " ", "\u2022": "-", "\t": " ",
}


def to_gsm7(text: str) -> str:
    """Replace what GSM-7 cannot carry (curly quotes, dashes, accents it lacks) with close forms."""
    out = []
    for char in text:
        char = _REPLACEMENTS.get(char, char)
        for piece in char:
            if piece in GSM7_BASIC or piece in GSM7_EXTENDED:
                out.append(piece)
                continue
            stripped = unicodedata.normalize("NFKD", piece).encode("ascii", "ignore").decode("ascii")
            out.append(stripped if stripped else "?")
    return "".join(out)


def septets(text: str) -> int:
    return sum(2 if char in GSM7_EXTENDED else 1 for char in text)


def is_gsm7(text: str) -> bool:
    return all(char in GSM7_BASIC or char in GSM7_EXTENDED for char in text)


def segments(text: str) -> int:
    """How many GSM-7 segments ``text`` takes (it must already be GSM-7)."""
    length = septets(text)
    if length <= SINGLE_SEGMENT:
        return 1
    return -(-length // MULTI_SEGMENT)


def fit(text: str, max_segments: int = MAX_SEGMENTS) -> str:
    """GSM-7 text cut (with an ellipsis) to fit ``max_segments``."""
    text = to_gsm7(text.strip())
    limit = SINGLE_SEGMENT if max_segments == 1 else MULTI_SEGMENT * max_segments
    if septets(text) <= limit:
        return text
    while septets(text) > limit - 3:
        text = text[:-1]
    return text.rstrip() + "..."
