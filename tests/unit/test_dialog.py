"""Options answered as text: by number, by the whole label, or by words only one label holds,
even with a typo."""

from __future__ import annotations

import pytest

from handlers.conversation.dialog import Button, Reply
from handlers.conversation.words import options, pick, pick_nearly, pick_within, says_nearly
from storage.outbox import moves_forward, provider_status

OFFERED = [
    ["My card", "card"],
    ["My points history", "history"],
    ["Preferences", "prefs"],
    ["✓ Birthday wishes · WhatsApp", "prefs:c:birthday:whatsapp"],
    ["✗ Birthday wishes · Telegram", "prefs:c:birthday:telegram"],
]


@pytest.mark.parametrize(
    ("said", "action"),
    [
        ("1", "card"),
        (" 3 ", "prefs"),
        ("3.", "prefs"),
        ("my card", "card"),
        ("MY CARD!", "card"),
        ("points history", "history"),
        ("préférences", "prefs"),
        ("birthday wishes whatsapp", "prefs:c:birthday:whatsapp"),
        ("birthday wishes", None),  # two options hold these words: not a choice
        ("my", None),
        ("0", None),
        ("6", None),
        ("card please", None),
        ("", None),
        ("²", None),  # a number in another dress is no option, nor the words "2"
        ("١", None),
        ("፩", None),
        ("a²", None),
        ("-1", None),
        ("99999999999999999999", None),
        ("01", None),
    ],
)
def test_an_option_is_picked_by_number_or_words(said: str, action: str | None) -> None:
    assert (pick(said, OFFERED) or pick_within(said, OFFERED)) == action


def test_only_a_number_or_a_whole_label_is_an_exact_pick() -> None:
    assert pick("my card", OFFERED) == "card"
    assert pick("card", OFFERED) is None  # words within a label come after "menu", "back"
    assert pick_within("card", OFFERED) == "card"


@pytest.mark.parametrize(
    ("said", "action"),
    [
        ("crad", "card"),
        ("my crad", "card"),
        ("histroy", "history"),
        ("prefrences", "prefs"),
        ("whatsap", "prefs:c:birthday:whatsapp"),
        ("birthdya", None),  # two options come as near: not a choice
        ("car", None),  # under four letters a word must be exact
        ("cardigan", None),
        ("1", None),
        ("", None),
        ("please could you show me my crad", None),  # a sentence is not guessed at
    ],
)
def test_an_option_is_picked_despite_a_typo_when_one_alone_comes_nearest(
    said: str, action: str | None
) -> None:
    found = pick_nearly(said, OFFERED)
    assert (found[0] if found else None) == action


@pytest.mark.parametrize(
    ("said", "typos"),
    [
        ("appointment", 0),
        ("appointmnet", 1),
        ("book an apointmnet", 2),
        ("previwes", None),
        ("hi", None),
        ("a very long message about an appointmnet", None),
    ],
)
def test_keywords_are_heard_with_as_many_typos_as_their_length_allows(
    said: str, typos: int | None
) -> None:
    assert says_nearly(said, "appointment, book a visit") == typos


def test_options_are_counted_across_replies_in_reading_order() -> None:
    replies = [
        Reply("a", ((Button("1", "one"), Button("2", "two")), (Button("3", "three"),))),
        Reply("b"),
        Reply("c", ((Button("4", "four"),),)),
    ]
    assert [b.action for b in options(replies)] == ["one", "two", "three", "four"]


@pytest.mark.parametrize(
    ("current", "new", "forward"),
    [
        ("pending", "queued", True),
        ("sending", "queued", True),
        ("queued", "sent", True),
        ("sent", "delivered", True),
        ("delivered", "read", True),
        ("read", "delivered", False),
        ("delivered", "sent", False),
        ("sent", "failed", True),
        ("sent", "undelivered", True),
        ("delivered", "undelivered", False),
        ("read", "read", False),
    ],
)
def test_a_status_moves_forward_only(current: str, new: str, forward: bool) -> None:
    assert moves_forward(current, new) is forward


def test_twilios_statuses_are_read_as_ours() -> None:
    assert [provider_status(s) for s in ("accepted", "scheduled", "sending", "queued")] == [
        "queued"
    ] * 4
    assert provider_status("delivered") == "delivered"
    assert provider_status("receiving") is None
    assert provider_status("pending") is None  # ours, never the provider's
