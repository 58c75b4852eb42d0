"""Ids from outside are ASCII digits, spelled one way, within the column's range."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from loyalty.ids import INT4_MAX, INT8_MAX, parse_id

# What members, links and staff may send: digits of other scripts, superscripts, signs,
# numbers beyond PostgreSQL's integer columns, nothing at all.
HOSTILE = ["²", "١", "፩", "a²", "-1", "99999999999999999999", "", "４", "+1", " 1", "1_0", "0"]


@pytest.mark.parametrize("text", HOSTILE)
def test_anything_but_ascii_digits_in_range_is_no_id(text: str) -> None:
    assert parse_id(text) is None


@pytest.mark.parametrize(
    ("text", "high", "expected"),
    [
        ("1", INT4_MAX, 1),
        ("2147483647", INT4_MAX, INT4_MAX),
        ("2147483648", INT4_MAX, None),
        ("9223372036854775807", INT8_MAX, INT8_MAX),
        ("9223372036854775808", INT8_MAX, None),
        ("007", INT4_MAX, None),  # one spelling per number
        ("3", 2, None),
    ],
)
def test_the_range_ends_where_the_column_does(text: str, high: int, expected: int | None) -> None:
    assert parse_id(text, high) == expected


def test_zero_is_a_number_only_where_the_range_holds_it() -> None:
    assert parse_id("0", 5, low=0) == 0
    assert parse_id("00", 5, low=0) is None


@settings(database=None)
@given(st.data(), st.integers(min_value=0, max_value=INT8_MAX))
def test_every_number_in_range_reads_back_from_its_digits(data: st.DataObject, high: int) -> None:
    low = data.draw(st.integers(min_value=0, max_value=high))
    number = data.draw(st.integers(min_value=low, max_value=high))
    assert parse_id(str(number), high, low) == number


@settings(database=None)
@given(st.text(), st.integers(min_value=0, max_value=INT8_MAX))
def test_whatever_is_read_is_in_range_and_spelled_as_given(text: str, high: int) -> None:
    number = parse_id(text, high, low=0)
    assert number is None or (0 <= number <= high and str(number) == text)


@settings(database=None)
@given(st.text(st.characters(categories=["Nd", "No", "Nl"]), min_size=1))
def test_digits_of_other_scripts_are_never_read(text: str) -> None:
    if not text.isascii():
        assert parse_id(text, INT8_MAX, low=0) is None
