"""Fitting text into a channel's message size."""

from __future__ import annotations


def split_text(text: str, limit: int) -> list[str]:
    """Pieces of at most `limit` characters, cut at line ends where possible, never lost."""
    pieces: list[str] = []
    while len(text) > limit:
        cut = text.rfind("\n", 0, limit + 1)
        if cut <= 0:
            cut = text.rfind(" ", 0, limit + 1)
        if cut <= 0:
            pieces.append(text[:limit])  # no line end or space: cut the word
            text = text[limit:]
            continue
        pieces.append(text[:cut])
        text = text[cut:].lstrip("\n ")  # the separator may sit right at the limit
    if text or not pieces:
        pieces.append(text)  # never a blank last piece: Telegram refuses empty messages
    return pieces
