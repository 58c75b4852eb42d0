"""Who may disable which back-office account: never one's own, never the last owner who can
still sign in."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import pytest

from loyalty.office import last_owner, why_not_disable

NOW = datetime(2026, 12, 6, 9, tzinfo=UTC)


@dataclass
class Account:
    email: str
    role: str
    disabled_at: datetime | None = None
    id: int = 0
    password_hash: str | None = None
    signed_in_at: datetime | None = None


TEAM = [
    Account("ada@shop.example", "owner"),
    Account("bea@shop.example", "owner", NOW),
    Account("cal@shop.example", "staff"),
]


@pytest.mark.parametrize(
    ("email", "by", "why"),
    [
        ("cal@shop.example", "ada@shop.example", None),
        ("cal@shop.example", None, None),
        ("bea@shop.example", "ada@shop.example", None),  # disabled already: no owner lost
        ("cal@shop.example", "cal@shop.example", "one cannot disable one's own account"),
        ("ada@shop.example", None, "the last owner's account stays"),
        ("dan@shop.example", None, "no such account"),
    ],
)
def test_who_may_disable_whom(email: str, by: str | None, why: str | None) -> None:
    assert why_not_disable(TEAM, email, by) == why


def test_a_second_owner_who_can_sign_in_lets_the_first_go() -> None:
    team = [*TEAM, Account("eve@shop.example", "owner")]
    assert not last_owner(team, "ada@shop.example") and last_owner(TEAM, "ada@shop.example")
    assert why_not_disable(team, "ada@shop.example", "eve@shop.example") is None
