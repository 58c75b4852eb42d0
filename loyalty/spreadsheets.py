"""What the club's CSV downloads may hold: a spreadsheet opening them must read text as
text, never run it (formula injection: a member named "=HYPERLINK(...)")."""

from __future__ import annotations

import re
from collections.abc import Iterable

# what makes a spreadsheet read a cell as a formula (Excel, LibreOffice, Google Sheets)
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?\d+(\.\d+)?")  # a signed number is read as a number, harmlessly


def safe_cell(text: str) -> str:
    """The cell as written: a leading apostrophe, which spreadsheets hide, before anything
    that would start a formula; plain numbers (-12.5) as they are."""
    if text.startswith(FORMULA_STARTS) and _NUMBER.fullmatch(text) is None:
        return "'" + text
    return text


def safe_row(cells: Iterable[str]) -> list[str]:
    return [safe_cell(cell) for cell in cells]
