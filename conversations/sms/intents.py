"""Read an inbound SMS as an intent, tolerant of case, punctuation, filler words and small typos.

Two readings are kept apart on purpose:

* the *carrier keyword*: the whole message is one of the words Twilio itself acts on (STOP,
  START, HELP, ...). Twilio matches single-word messages exactly; so do we, because what the
  carrier did (blocked the number, sent its own answer) is a fact we mirror, not a guess.
* the *intent*: what the customer meant, read generously ("pls cancel booking #1042",
  "Confrim", "yes!").
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass


class Intent(enum.StrEnum):
    CANCEL = "cancel"
    CONFIRM = "confirm"
    DECLINE = "decline"  # "no": only meaningful as the answer to a question we asked
    HELP = "help"
    OPT_OUT = "opt_out"
    OPT_IN = "opt_in"
    CHOICE = "choice"  # a bare number: an answer to "which booking?" or "which time?"
    MOVE = "move"  # move a booking to another time ("MOVE 1042")
    COMPLAINT = "complaint"  # "COMPLAINT <what went wrong>", optionally with a booking number (decision 0936)
    TEXT = "text"


class Carrier(enum.StrEnum):
    OPT_OUT = "opt_out"
    OPT_IN = "opt_in"
    HELP = "help"


# Twilio's default keyword lists (Messaging > Opt-Out Management).
CARRIER_OPT_OUT = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT"})
CARRIER_OPT_IN = frozenset({"START", "UNSTOP", "YES"})
CARRIER_HELP = frozenset({"HELP", "INFO"})

VOCABULARY: dict[str, Intent] = {
    "CANCEL": Intent.CANCEL,
    "MOVE": Intent.MOVE, "RESCHEDULE": Intent.MOVE,
    "CONFIRM": Intent.CONFIRM, "CONFIRMED": Intent.CONFIRM, "YES": Intent.CONFIRM, "Y": Intent.CONFIRM,
    "YEP": Intent.CONFIRM, "YEAH": Intent.CONFIRM, "YUP": Intent.CONFIRM, "OK": Intent.CONFIRM,
    "OKAY": Intent.CONFIRM, "SURE": Intent.CONFIRM,
    "NO": Intent.DECLINE, "N": Intent.DECLINE, "NOPE": Intent.DECLINE,
    "HELP": Intent.HELP, "INFO": Intent.HELP,
    "STOP": Intent.OPT_OUT, "STOPALL": Intent.OPT_OUT, "UNSUBSCRIBE": Intent.OPT_OUT, "END": Intent.OPT_OUT,
    "QUIT": Intent.OPT_OUT, "REVOKE": Intent.OPT_OUT, "OPTOUT": Intent.OPT_OUT,
    "START": Intent.OPT_IN, "UNSTOP": Intent.OPT_IN,
}

# Words that do not change what a short message means ("please cancel my booking").
FILLERS = frozenset({
    "PLEASE", "PLS", "PLZ", "I", "ID", "IM", "WANT", "WOULD", "LIKE", "TO", "MY", "THE", "THIS", "THAT", "A",
    "BOOKING", "JOB", "APPOINTMENT", "APPT", "IT", "THANKS", "THANK", "YOU", "THX", "TY", "HI", "HELLO", "HEY",
    "NUMBER", "NR", "CAN", "U", "KINDLY", "JUST", "FOR", "ME", "US", "OF", "ON", "DEAR",
})

_SPLIT = re.compile(r"[^A-Z0-9]+")
# The keyword first, then an optional booking number, then the customer's words (kept as written).
_COMPLAINT = re.compile(r"^\s*complain(?:t|ts)?\b[\s:,.!-]*(?:#?(\d{1,9})\b)?[\s:,.!-]*(.*)$",
                        re.IGNORECASE | re.DOTALL)


@dataclass(frozen=True)
class Parsed:
    intent: Intent
    number: int | None = None  # a booking number named in the message ("CANCEL 1042")
    carrier: Carrier | None = None
    carrier_word: str = ""
    text: str = ""


def _distance(a: str, b: str) -> int:
    """Damerau-Levenshtein (optimal string alignment): a swap of two letters counts once."""
    rows = [list(range(len(b) + 1))]
    for i in range(1, len(a) + 1):
        row = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            row[j] = min(rows[i - 1][j] + 1, row[j - 1] + 1, rows[i - 1][j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                row[j] = min(row[j], rows[i - 2][j - 2] + 1)
        rows.append(row)
    return rows[-1][-1]


def _allowed_typos(word: str) -> int:
    # Short words are matched exactly: "STEP" must not read as STOP, nor "NOW" as NO.
    if len(word) < 5:
        return 0
    return 1 if len(word) < 7 else 2


def match_word(word: str) -> Intent | None:
    if word in VOCABULARY:
        return VOCABULARY[word]
    allowed = _allowed_typos(word)
    if not allowed:
        return None
    best: list[tuple[int, Intent]] = []
    for known, intent in VOCABULARY.items():
        if len(known) < 5 or abs(len(known) - len(word)) > allowed:
            continue
        distance = _distance(word, known)
        if distance <= allowed:
            best.append((distance, intent))
    if not best:
        return None
    best.sort(key=lambda item: item[0])
    closest = [intent for distance, intent in best if distance == best[0][0]]
    return closest[0] if len(set(closest)) == 1 else None  # a tie between meanings is no match


def carrier_word(body: str) -> str:
    """The single word a carrier would act on, or ''. Trailing punctuation is forgiven."""
    word = body.strip().strip(".!?").strip().upper()
    return word if word and " " not in word else ""


@dataclass(frozen=True)
class QuoteAnswer:
    accept: bool
    number: str  # as typed, prefix and all ("Q-1042"); matched without regard to case


# "ACCEPT Q-1042", "decline q-1042.", "Accept #Q-1042 please": the word, then a quote number that has
# at least one digit. A bare "ACCEPT" names nothing and is left to the booking intents.
_QUOTE_ANSWER = re.compile(r"^\s*(ACCEPT|DECLINE)\s+#?([A-Z0-9][A-Z0-9/_-]{0,39})[\s.!]*(?:PLEASE|PLS|THANKS)?[\s.!]*$",
                           re.IGNORECASE)


def parse_quote_answer(body: str) -> QuoteAnswer | None:
    """The answer to a quote sent by text, or None when the message is not one."""
    found = _QUOTE_ANSWER.match(body or "")
    if found is None or not any(char.isdigit() for char in found.group(2)):
        return None
    return QuoteAnswer(accept=found.group(1).upper() == "ACCEPT", number=found.group(2).upper())


def parse(body: str, *, cancel_is_carrier_opt_out: bool = True) -> Parsed:
    text = (body or "").strip()
    word = carrier_word(text)
    opt_out_words = CARRIER_OPT_OUT if cancel_is_carrier_opt_out else CARRIER_OPT_OUT - {"CANCEL"}
    if word in opt_out_words:
        return Parsed(Intent.OPT_OUT, carrier=Carrier.OPT_OUT, carrier_word=word, text=text)
    if word in CARRIER_OPT_IN - {"YES"}:
        return Parsed(Intent.OPT_IN, carrier=Carrier.OPT_IN, carrier_word=word, text=text)
    if word in CARRIER_HELP:
        return Parsed(Intent.HELP, carrier=Carrier.HELP, carrier_word=word, text=text)

    complaint = _COMPLAINT.match(text)
    if complaint is not None:
        number = complaint.group(1)
        return Parsed(Intent.COMPLAINT, number=int(number) if number else None, text=complaint.group(2).strip())

    upper = text.upper().replace("OPT OUT", "OPTOUT").replace("OPT-OUT", "OPTOUT")
    tokens = [token for token in _SPLIT.split(upper) if token and token not in FILLERS]
    numbers = [int(token) for token in tokens if token.isdigit() and len(token) <= 9]
    words = [token for token in tokens if not token.isdigit()]
    if not tokens:
        return Parsed(Intent.TEXT, text=text)
    if not words and len(numbers) == 1:
        return Parsed(Intent.CHOICE, number=numbers[0], text=text)
    if len(words) == 1 and len(numbers) <= 1 and len(tokens) == len(words) + len(numbers):
        intent = match_word(words[0])
        if intent is not None:
            return Parsed(intent, number=numbers[0] if numbers else None, text=text,
                          carrier_word=word if intent == Intent.CONFIRM and word == "YES" else "")
    return Parsed(Intent.TEXT, text=text)
