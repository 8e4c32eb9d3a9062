"""Reading messages: case, punctuation, filler words and small typos; carrier keywords exact."""

from __future__ import annotations

import pytest

from conversations.sms.intents import Carrier, Intent, parse


@pytest.mark.parametrize(("body", "intent", "number"), [
    ("CANCEL 1042", Intent.CANCEL, 1042),
    ("cancel #1042", Intent.CANCEL, 1042),
    ("Please cancel booking 1042, thanks!", Intent.CANCEL, 1042),
    ("cancle 1042", Intent.CANCEL, 1042),
    ("CANCELL my booking please", Intent.CANCEL, None),
    ("Canecl it pls", Intent.CANCEL, None),
    ("yes", Intent.CONFIRM, None),
    ("Yes!!", Intent.CONFIRM, None),
    ("Y", Intent.CONFIRM, None),
    ("confrim", Intent.CONFIRM, None),
    ("Confirmed, thank you", Intent.CONFIRM, None),
    ("CONFIRM 1042", Intent.CONFIRM, 1042),
    ("ok", Intent.CONFIRM, None),
    ("no", Intent.DECLINE, None),
    ("Nope.", Intent.DECLINE, None),
    ("MOVE 1042", Intent.MOVE, 1042),
    ("move #1042 please", Intent.MOVE, 1042),
    ("Can I reschedule my appointment?", Intent.MOVE, None),
    ("reshedule 1042", Intent.MOVE, 1042),
    ("I moved house", Intent.TEXT, None),
    ("2", Intent.CHOICE, 2),
    ("#1042", Intent.CHOICE, 1042),
    ("please stop", Intent.OPT_OUT, None),
    ("opt out", Intent.OPT_OUT, None),
    ("Unsubscibe", Intent.OPT_OUT, None),
    ("I can't make it, cancel", Intent.TEXT, None),
    ("please don't cancel", Intent.TEXT, None),
    ("Running 10 min late, gate code 4411", Intent.TEXT, None),
    ("cancel 1042 and 1043", Intent.TEXT, None),
    ("step", Intent.TEXT, None),
    ("now", Intent.TEXT, None),
    ("", Intent.TEXT, None),
])
def test_intent(body, intent, number):
    parsed = parse(body)
    assert (parsed.intent, parsed.number) == (intent, number)


@pytest.mark.parametrize("body", ["STOP", "stop", " Stop. ", "STOPALL", "unsubscribe", "END", "QUIT", "REVOKE",
                                  "OPTOUT", "CANCEL", "cancel", "Cancel!"])
def test_carrier_opt_out_words_are_single_words(body):
    parsed = parse(body, cancel_is_carrier_opt_out=True)
    assert parsed.carrier == Carrier.OPT_OUT
    assert parsed.intent == Intent.OPT_OUT


def test_bare_cancel_is_a_cancel_intent_when_the_business_removed_it_from_the_opt_out_list():
    parsed = parse("Cancel", cancel_is_carrier_opt_out=False)
    assert parsed.carrier is None
    assert parsed.intent == Intent.CANCEL
    assert parse("STOP", cancel_is_carrier_opt_out=False).carrier == Carrier.OPT_OUT


@pytest.mark.parametrize("body", ["CANCEL 1042", "please cancel", "STOP PLEASE", "stop it"])
def test_more_than_one_word_is_never_a_carrier_keyword(body):
    assert parse(body).carrier is None


@pytest.mark.parametrize(("body", "carrier"), [("START", Carrier.OPT_IN), ("unstop", Carrier.OPT_IN),
                                               ("HELP", Carrier.HELP), ("info", Carrier.HELP)])
def test_carrier_opt_in_and_help(body, carrier):
    assert parse(body).carrier == carrier


def test_yes_is_a_confirmation_that_remembers_it_was_the_carrier_word_yes():
    parsed = parse("Yes.")
    assert parsed.intent == Intent.CONFIRM
    assert parsed.carrier_word == "YES"
    assert parse("yes please").carrier_word == ""
