"""Phone numbers as the club stores them: E.164, parsed by `phonenumbers`."""

from __future__ import annotations

from functools import lru_cache

import phonenumbers
from phonenumbers import UNKNOWN_REGION


class InvalidPhone(ValueError):
    """The text is not a phone number that could reach someone."""


@lru_cache(maxsize=32768)  # an import meets the same numbers again and again: 40 µs each
def normalize_phone(raw: str, default_country: str) -> str:
    """E.164 form of `raw`; a number without ``+`` takes the club's default country."""
    text = raw.strip()
    if text.startswith("00"):
        text = "+" + text[2:]
    try:
        number = phonenumbers.parse(text, default_country)
    except phonenumbers.NumberParseException:
        raise InvalidPhone(f"not a phone number: {mask_phone(raw)}") from None
    if not phonenumbers.is_valid_number(number):
        raise InvalidPhone(f"not a valid phone number: {mask_phone(raw)}")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def dialled(raw: str) -> str:
    """A number written with its +country, as people dial it from anywhere: "+39 02 7601
    2345"."""
    number = phonenumbers.parse(normalize_phone(raw, UNKNOWN_REGION))
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def mask_phone(phone: str) -> str:
    """What a log may show of a number: its last two digits."""
    digits = [c for c in phone if c.isdigit()]
    return "•" * max(len(digits) - 2, 0) + "".join(digits[-2:])
