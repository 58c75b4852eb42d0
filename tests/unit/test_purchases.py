"""parse_purchase: a CSV row or a POS webhook's JSON, checked field by field before storing."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest

from loyalty.program import Program
from loyalty.purchases import (
    InvalidPurchase,
    PurchaseInput,
    Status,
    parse_purchase,
    points_for,
    to_base,
)
from tests.conftest import NOW

from .factories import utc

CSV_ROW = {
    "order_id": "A-1001",
    "phone": "347 123 4567",
    "amount": "1250.50",
    "currency": "EUR",
    "purchased_at": "2024-03-01T10:00:00",
    "name": "Giulia Rossi",
    "email": "giulia@example.com",
    "category": "Ring",
    "limited_edition": "yes",
    "store": "Milano",
    "status": "paid",
}


def row(**changes: Any) -> dict[str, Any]:
    """The CSV row with some fields changed; a value of ... drops the field."""
    fields = {**CSV_ROW, **changes}
    return {key: value for key, value in fields.items() if value is not ...}


def refused(fields: dict[str, Any], program: Program) -> InvalidPurchase:
    with pytest.raises(InvalidPurchase) as caught:
        parse_purchase(fields, program, NOW)
    return caught.value


def test_csv_row_is_read_into_a_purchase(program: Program) -> None:
    assert parse_purchase(row(), program, NOW) == PurchaseInput(
        order_id="A-1001",
        phone="+393471234567",
        amount=Decimal("1250.50"),
        currency="EUR",
        purchased_at=utc(2024, 3, 1, 9),
        name="Giulia Rossi",
        email="giulia@example.com",
        category="ring",
        limited_edition=True,
        store="Milano",
        status=Status.PAID,
    )


def test_json_values_are_read_like_csv_strings(program: Program) -> None:
    fields = {
        "order_id": 1001,
        "phone": "+39 347 123 4567",
        "amount": 1250.5,
        "currency": "eur",
        "purchased_at": "2024-03-01T10:00:00+01:00",
        "limited_edition": False,
        "category": None,
    }
    assert parse_purchase(fields, program, NOW) == PurchaseInput(
        order_id="1001",
        phone="+393471234567",
        amount=Decimal("1250.5"),
        currency="EUR",
        purchased_at=utc(2024, 3, 1, 9),
    )


@pytest.mark.parametrize(
    ("amount", "expected"),
    [("99.99", Decimal("99.99")), (" 12 ", Decimal(12)), (250, Decimal(250)), (0, Decimal(0))],
)
def test_amount_is_read_from_a_string_or_a_number(
    program: Program, amount: Any, expected: Decimal
) -> None:
    assert parse_purchase(row(amount=amount), program, NOW).amount == expected


@pytest.mark.parametrize(
    ("amount", "reason"),
    [
        ("-10.00", "negative (send a refund with status=refunded)"),
        (-1, "negative (send a refund with status=refunded)"),
        ("12.345", "more than two decimals or too large"),
        (0.1 + 0.2, "more than two decimals or too large"),
        ("10000000000", "more than two decimals or too large"),
        ("1e30", "more than two decimals or too large"),
        ("twelve", "not a number"),
        ("NaN", "not a number"),
        ("Infinity", "not a number"),
        (True, "not a number"),
        ([100], "not a number"),
        ("", "missing"),
        (None, "missing"),
        (..., "missing"),
    ],
)
def test_bad_amount_is_refused_naming_the_field(
    program: Program, amount: Any, reason: str
) -> None:
    error = refused(row(amount=amount), program)
    assert (error.field, error.reason) == ("amount", reason)
    assert str(error) == f"amount: {reason}"


@pytest.mark.parametrize("currency", ["JPY", "XYZ"])
def test_currency_without_a_rate_is_refused(program: Program, currency: str) -> None:
    error = refused(row(currency=currency), program)
    assert str(error) == f"currency: unknown currency {currency!r} (no exchange rate)"


@pytest.mark.parametrize("field", ["order_id", "phone", "currency", "purchased_at"])
def test_missing_required_field_is_refused(program: Program, field: str) -> None:
    assert str(refused(row(**{field: ...}), program)) == f"{field}: missing"
    assert str(refused(row(**{field: "   "}), program)) == f"{field}: missing"


def test_invalid_phone_is_refused_masked(program: Program) -> None:
    assert str(refused(row(phone="12345"), program)) == ("phone: not a valid phone number: •••45")


@pytest.mark.parametrize("when", ["01/03/2024 10:00", "1 March 2024", "2024-13-01T10:00:00"])
def test_purchase_time_that_is_not_iso_8601_is_refused(program: Program, when: str) -> None:
    assert str(refused(row(purchased_at=when), program)) == (
        "purchased_at: not an ISO 8601 date and time"
    )


@pytest.mark.parametrize(
    "when",
    [
        "0001-01-01T00:00:00+14:00",  # before year 1 in UTC
        "9999-12-31T23:59:59Z",  # its points would expire after year 9999
        "1899-12-31T23:59:59Z",
        "2200-01-01T00:00:00Z",
    ],
)
def test_purchase_time_out_of_range_is_refused(program: Program, when: str) -> None:
    error = refused(row(purchased_at=when), program)
    assert (error.field, error.reason) == ("purchased_at", "out of range: from 1900-01-01 to now")


@pytest.mark.parametrize(
    "when",
    [
        "2026-11-24T10:05:01Z",  # five minutes and a second ahead of our clock
        "2026-11-24T11:06:00",  # the store's time (Rome, UTC+1): six minutes ahead
        "2026-11-25T10:00:00Z",
        "2200-01-01T00:00:00",  # the store's midnight: 23:00 the day before in UTC
    ],
)
def test_purchase_dated_in_the_future_is_refused(program: Program, when: str) -> None:
    error = refused(row(purchased_at=when), program)
    assert (error.field, error.reason) == (
        "purchased_at", "in the future (more than 5 minutes after the club's clock)",
    )  # fmt: skip


@pytest.mark.parametrize(
    ("when", "in_utc"),
    [
        ("1900-01-01T00:00:00Z", utc(1900, 1, 1, 0)),
        ("2026-11-24T10:05:00Z", NOW + timedelta(minutes=5)),  # a till's clock a little fast
        ("2026-11-24T11:05:00", NOW + timedelta(minutes=5)),  # the store's time
    ],
)
def test_purchase_time_from_1900_to_five_minutes_ahead_is_taken(
    program: Program, when: str, in_utc: Any
) -> None:
    assert parse_purchase(row(purchased_at=when), program, NOW).purchased_at == in_utc


@pytest.mark.parametrize(
    "field", ["order_id", "phone", "currency", "status", "name", "email", "category", "store"]
)
@pytest.mark.parametrize(
    ("bad", "reason"),
    [
        ("\x00", "contains a control character (U+0000)"),
        ("\ud800", "contains a lone surrogate (U+D800)"),
        ("\n", "contains a control character (U+000A)"),
    ],
)
def test_text_the_database_cannot_keep_is_refused_naming_the_field(
    program: Program, field: str, bad: str, reason: str
) -> None:
    error = refused(row(**{field: f"A{bad}1"}), program)
    assert (error.field, error.reason) == (field, reason)


@pytest.mark.parametrize(
    ("when", "in_utc"),
    [
        ("2024-03-01T10:00:00", utc(2024, 3, 1, 9)),  # CET, UTC+1
        ("2024-07-01T10:00:00", utc(2024, 7, 1, 8)),  # CEST, UTC+2
        ("2024-03-01", utc(2024, 2, 29, 23)),
        ("2024-03-01T10:00:00+00:00", utc(2024, 3, 1, 10)),
        ("2024-03-01T10:00:00Z", utc(2024, 3, 1, 10)),
        ("2024-03-01T10:00:00-05:00", utc(2024, 3, 1, 15)),
    ],
)
def test_time_without_offset_is_read_in_the_stores_zone(
    program: Program, when: str, in_utc: Any
) -> None:
    moment = parse_purchase(row(purchased_at=when), program, NOW).purchased_at
    assert moment == in_utc
    assert moment.utcoffset().total_seconds() == 0  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("paid", Status.PAID),
        ("refunded", Status.REFUNDED),
        ("REFUNDED", Status.REFUNDED),
        ("", Status.PAID),
        (None, Status.PAID),
        (..., Status.PAID),
    ],
)
def test_status_is_paid_or_refunded(program: Program, status: Any, expected: Status) -> None:
    assert parse_purchase(row(status=status), program, NOW).status is expected


def test_other_status_is_refused(program: Program) -> None:
    assert str(refused(row(status="cancelled"), program)) == "status: must be paid or refunded"


@pytest.mark.parametrize(
    ("flag", "expected"),
    [
        ("yes", True),
        ("TRUE", True),
        ("1", True),
        ("y", True),
        (True, True),
        (1, True),
        ("no", False),
        ("false", False),
        ("0", False),
        ("", False),
        (None, False),
        (False, False),
        (0, False),
        (..., False),
    ],
)
def test_limited_edition_flag_reads_common_spellings(
    program: Program, flag: Any, expected: bool
) -> None:
    assert parse_purchase(row(limited_edition=flag), program, NOW).limited_edition is expected


@pytest.mark.parametrize("flag", ["maybe", "2", "si"])
def test_limited_edition_flag_that_is_not_true_or_false_is_refused(
    program: Program, flag: str
) -> None:
    assert str(refused(row(limited_edition=flag), program)) == (
        "limited_edition: must be true or false"
    )


@pytest.mark.parametrize(
    "field",
    [
        "order_id",
        "phone",
        "currency",
        "purchased_at",
        "name",
        "email",
        "category",
        "store",
        "status",
        "limited_edition",
    ],
)
def test_field_of_ten_thousand_characters_is_refused(program: Program, field: str) -> None:
    error = refused(row(**{field: "x" * 10_000}), program)
    assert (error.field, error.reason) == (field, "longer than 200 characters")


def test_field_of_two_hundred_characters_is_accepted(program: Program) -> None:
    assert parse_purchase(row(name="x" * 200), program, NOW).name == "x" * 200


def test_structured_value_in_a_text_field_is_refused(program: Program) -> None:
    assert str(refused(row(name={"first": "Giulia"}), program)) == "name: must be text"


def test_blank_optional_fields_are_absent(program: Program) -> None:
    parsed = parse_purchase(row(name="  ", email="", category=" ", store=None), program, NOW)
    assert (parsed.name, parsed.email, parsed.category, parsed.store) == (None, None, None, None)


def test_to_base_converts_at_the_programs_usd_rate(program: Program) -> None:
    assert to_base(Decimal("100.00"), "USD", program) == Decimal("92.00")
    assert to_base(Decimal("19.99"), "USD", program) == Decimal("18.39")  # 18.3908
    assert to_base(Decimal("250"), "EUR", program) == Decimal("250.00")
    assert to_base(Decimal("10"), "GBP", program) == Decimal("11.70")


def test_points_round_down_per_purchase(program: Program) -> None:
    assert points_for(Decimal("99.99"), program) == 99
    assert points_for(Decimal("0.99"), program) == 0
    assert points_for(Decimal("1500.00"), program) == 1500
    assert points_for(to_base(Decimal("19.99"), "USD", program), program) == 18


def test_points_follow_the_programs_earn_rate(variant: Callable[..., Program]) -> None:
    program = variant(("per_unit = 1 ", 'per_unit = "1.5" '))
    assert points_for(Decimal("10.99"), program) == 16  # 16.485
    assert points_for(Decimal("3"), program) == 4  # 4.5


def test_conversion_rounds_half_a_cent_up(program: Program) -> None:
    assert to_base(Decimal("0.50"), "GBP", program) == Decimal("0.59")  # 0.585 at 1.17
