"""A member's points history in words: a gift reads as a gift, a redemption as one."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest

from handlers.history import reason_text, render_history
from locales import Speaker
from loyalty.points import Entry, Kind, Reason, gift_entry, redeem_entry

from .factories import earn, utc

ROME = ZoneInfo("Europe/Rome")
AT = utc(2026, 11, 24, 9)


def test_the_birthday_gift_reads_as_a_gift_and_a_redemption_as_a_redemption() -> None:
    entries = [earn("A1", 500, utc(2026, 1, 5))]
    spent = redeem_entry(entries, 100, AT, "voucher-7", "gift box")
    gift = gift_entry("birthday:1:2026", 100, AT, "birthday")
    lines = render_history([gift, spent], Speaker("en", ROME))
    assert [line.split("  ")[-1] for line in lines] == ["Birthday gift", "Redeemed: gift box"]
    assert lines[0].split()[-3] == "+100"


def test_a_gift_recorded_before_gifts_had_their_own_reason_reads_as_a_gift() -> None:
    stored = Entry(Kind.ADJUST, 100, AT, "gift:birthday:1:2025", Reason.REWARD,
                   {"note": "birthday"})  # fmt: skip  # as the ledger holds it since then
    assert reason_text(stored, Speaker("en", ROME)) == "Birthday gift"


@pytest.mark.parametrize(
    ("language", "words"),
    [("en", "Birthday gift"), ("fr", "Cadeau d'anniversaire"), ("it", "Regalo di compleanno")],
)
def test_the_gift_is_named_in_the_members_language(language: str, words: str) -> None:
    gift = gift_entry("birthday:1:2026", 100, AT, "birthday")
    assert reason_text(gift, Speaker(language, ROME)) == words
