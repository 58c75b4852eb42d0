"""What the database cannot store is refused where text comes in, naming the character."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from loyalty.text import storable, unstorable

# Any text, most often with one troublemaker in it: NUL, a lone surrogate (hypothesis leaves
# surrogates out unless asked), another control character, or a line break.
ANY_TEXT = st.builds(
    lambda head, odd, tail: head + odd + tail,
    st.text(),
    st.one_of(
        st.just(""), st.sampled_from("\x00\x1b\x7f\t\n\r"), st.characters(categories=["Cs"])
    ),
    st.text(),
)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("Giulia\x00", "contains a control character (U+0000)"),
        ("POS-\ud800", "contains a lone surrogate (U+D800)"),
        ("\udfffGiulia", "contains a lone surrogate (U+DFFF)"),
        ("ring\x1b[31m", "contains a control character (U+001B)"),
        ("ring\x7f", "contains a control character (U+007F)"),
        ("Giulia\nRossi", "contains a control character (U+000A)"),
        ("Giulia\tRossi", "contains a control character (U+0009)"),
    ],
)
def test_a_line_with_what_cannot_be_stored_is_refused_naming_it(text: str, reason: str) -> None:
    assert unstorable(text) == reason


@pytest.mark.parametrize(
    "text", ["Giulia Rossi", "Zoë O'Brien-Łukasz", "안녕 😀", "\u200b", "\ufeffPOS-1", ""]
)
def test_any_other_text_is_kept_as_written(text: str) -> None:
    assert unstorable(text) is None


def test_a_note_may_run_over_lines_but_not_hold_nul_or_surrogates() -> None:
    assert unstorable("size 52\r\n\tthe gold band", lines=True) is None
    assert unstorable("size 52\n\x00", lines=True) == "contains a control character (U+0000)"
    assert unstorable("😀\ud83d", lines=True) == "contains a lone surrogate (U+D83D)"


@settings(database=None)
@given(ANY_TEXT, st.booleans())
def test_whatever_is_accepted_encodes_as_utf8_without_nul(text: str, lines: bool) -> None:
    if unstorable(text, lines) is None:
        assert "\x00" not in text
        text.encode("utf-8")  # no lone surrogate: UnicodeEncodeError otherwise


@settings(database=None)
@given(ANY_TEXT)
def test_a_cleaned_name_is_always_accepted_and_clean_names_are_kept(text: str) -> None:
    assert unstorable(storable(text)) is None
    if unstorable(text) is None:
        assert storable(text) == text
