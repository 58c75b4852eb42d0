"""Ids and numbers that come from outside: a button, a link, a status callback, a command line.

`str.isdigit`, `str.isdecimal` and `int()` all take digits of other scripts ("١", "²", "፩"),
and the database's integer columns end where Python's ints do not; so every id from
outside is read by `parse_id`: ASCII digits, one spelling per number, within range.
"""

from __future__ import annotations

INT2_MAX = 2**15 - 1  # PostgreSQL `smallint`: counts such as a member's guests
INT4_MAX = 2**31 - 1  # PostgreSQL `integer`: our Integer primary keys
INT8_MAX = 2**63 - 1  # PostgreSQL `bigint`: BigInteger keys, Telegram ids


def parse_id(text: str, high: int = INT4_MAX, low: int = 1) -> int | None:
    """The number `text` spells in ASCII digits, from `low` to `high`; None for anything else.

    No sign, space, underscore or leading zero ("007"): one spelling per number, so a signed
    or stored id reads back exactly as it was written. `text` is never longer than `high`
    needs before it is converted.
    """
    if not (0 < len(text) <= len(str(high)) and text.isascii() and text.isdigit()):
        return None
    if len(text) > 1 and text.startswith("0"):
        return None
    number = int(text)
    return number if low <= number <= high else None
