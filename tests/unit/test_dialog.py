"""Options answered as text: by number, by the whole label, or by words only one label holds."""

from __future__ import annotations

import pytest

from handlers.conversation.dialog import Button, Reply
from handlers.conversation.words import options, pick
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
    assert pick(said, OFFERED) == action


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
