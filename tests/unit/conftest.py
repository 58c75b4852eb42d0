"""Shared fixtures for the pure-rule tests: the demo club and its variants."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

import loyalty
from loyalty.program import Program, parse_program

DEMO_TOML = Path(loyalty.__file__).parent / "clubs" / "demo.toml"


@pytest.fixture(scope="session")
def demo_text() -> str:
    return DEMO_TOML.read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def edit_demo(demo_text: str) -> Callable[..., str]:
    """The demo's text with each (old, new) replaced once; a stale `old` fails loudly."""

    def edit(*replacements: tuple[str, str], append: str = "") -> str:
        text = demo_text
        for old, new in replacements:
            assert text.count(old) == 1, f"expected exactly one {old!r} in demo.toml"
            text = text.replace(old, new)
        return text + append

    return edit


@pytest.fixture(scope="session")
def variant(edit_demo: Callable[..., str]) -> Callable[..., Program]:
    """A program parsed from the demo with some edits, as a jeweller would make them."""

    def make(*replacements: tuple[str, str], append: str = "") -> Program:
        return parse_program(edit_demo(*replacements, append=append))

    return make
