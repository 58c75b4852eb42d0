"""The formula guard of every CSV the club writes."""

from __future__ import annotations

import pytest

from loyalty.spreadsheets import safe_cell, safe_row


@pytest.mark.parametrize(
    "given",
    ['=HYPERLINK("http://x.example","Click")', "+1+cmd|'/c calc'!A0", "-2+3", "@SUM(A1:A9)",
     "\t=1", "\r=1", "=", "-"],
)  # fmt: skip
def test_what_would_start_a_formula_gets_a_leading_apostrophe(given: str) -> None:
    assert safe_cell(given) == "'" + given


@pytest.mark.parametrize("given", ["Giulia Rossi", "", "M00042", "12", "-12.5", "+3", "a=b"])
def test_text_and_plain_numbers_stay_as_they_are(given: str) -> None:
    assert safe_cell(given) == given


def test_a_row_is_guarded_cell_by_cell() -> None:
    assert safe_row(["M00001", "=1+1", "going"]) == ["M00001", "'=1+1", "going"]
