"""Phone numbers: E.164, the club's default country for national numbers, masked in logs."""

from __future__ import annotations

import pytest

from loyalty.phones import InvalidPhone, mask_phone, normalize_phone


@pytest.mark.parametrize(
    ("raw", "e164"),
    [
        ("347 123 4567", "+393471234567"),
        ("06 1234 5678", "+390612345678"),
        ("  347-123-4567  ", "+393471234567"),
    ],
)
def test_national_number_takes_the_default_country(raw: str, e164: str) -> None:
    assert normalize_phone(raw, "IT") == e164


@pytest.mark.parametrize(
    ("raw", "e164"),
    [
        ("0039 347 1234567", "+393471234567"),
        ("0044 20 7946 0958", "+442079460958"),
        ("+44 20 7946 0958", "+442079460958"),
        ("+1 202 555 0143", "+12025550143"),
    ],
)
def test_international_number_keeps_its_own_country(raw: str, e164: str) -> None:
    assert normalize_phone(raw, "IT") == e164


def test_same_national_digits_read_in_another_default_country() -> None:
    assert normalize_phone("020 7946 0958", "GB") == "+442079460958"


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("12345", "not a valid phone number: •••45"),
        ("+39 347", "not a valid phone number: •••47"),
        ("hello", "not a phone number: "),
        ("", "not a phone number: "),
    ],
)
def test_invalid_number_is_refused_without_showing_it(raw: str, message: str) -> None:
    with pytest.raises(InvalidPhone) as caught:
        normalize_phone(raw, "IT")
    assert str(caught.value) == message
    assert isinstance(caught.value, ValueError)


@pytest.mark.parametrize(
    ("phone", "masked"),
    [
        ("+393471234567", "••••••••••67"),
        ("+39 347 123 4567", "••••••••••67"),
        ("42", "42"),
        ("7", "7"),
        ("", ""),
    ],
)
def test_mask_shows_only_the_last_two_digits(phone: str, masked: str) -> None:
    assert mask_phone(phone) == masked
