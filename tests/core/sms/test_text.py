"""SMS text: GSM-7 only, at most two segments."""

from __future__ import annotations

from core.sms.text import fit, is_gsm7, segments, septets, to_gsm7


def test_curly_quotes_dashes_and_foreign_accents_become_gsm7():
    assert to_gsm7("It\u2019s \u201cdone\u201d \u2013 caf\u00e9 \u0107") == "It's \"done\" - café c"
    assert is_gsm7(to_gsm7("Zoë\u2026 \U0001F600"))


def test_segments_count_septets_with_extension_characters_as_two():
    assert segments("a" * 160) == 1
    assert segments("a" * 161) == 2
    assert septets("[]") == 4
    assert segments("a" * 306) == 2 and segments("a" * 307) == 3


def test_fit_cuts_long_text_to_two_segments_with_an_ellipsis():
    text = fit("word " * 200)
    assert segments(text) == 2 and text.endswith("...")
    assert fit("short") == "short"
