"""Text the database can store: what is refused where text comes in, and why.

PostgreSQL refuses NUL in text (CharacterNotInRepertoireError) and UTF-8 cannot encode a
lone surrogate (UnicodeEncodeError), which JSON's "\\ud800" and a broken client can send.
Other control characters are stored but break what reads them: a name, an order id, a CSV.
What a person or a till sends is refused, not cleaned: an order id or a name quietly
changed would name something else, and whoever is asked to write it again knows what we
kept. What nobody can write again (the profile name a platform gives us) is cleaned.
"""

from __future__ import annotations

import re
import unicodedata

# C0 controls and DEL, except tab, line feed and carriage return; any surrogate (in a str,
# a surrogate is always alone: a valid pair decodes to one code point).
_UNSTORABLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
_LINE_BREAKS = re.compile(r"[\t\n\r]")


def unstorable(text: str, lines: bool = False) -> str | None:
    """Why `text` cannot be stored as it is, naming the first character at fault; None when it
    can. With `lines`, tabs and line breaks are welcome (a note, a message), else refused too
    (a name, an id)."""
    found = _UNSTORABLE.search(text) or (None if lines else _LINE_BREAKS.search(text))
    if found is None:
        return None
    char = found.group()
    what = "a lone surrogate" if "\ud800" <= char <= "\udfff" else "a control character"
    return f"contains {what} (U+{ord(char):04X})"


def storable(text: str) -> str:
    """`text` without what `unstorable` refuses in a line: for names a platform gives us."""
    return _LINE_BREAKS.sub(" ", _UNSTORABLE.sub("", text))


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


def normalize(text: str) -> str:
    """Lower case, accents and punctuation gone: "Arrêt!" and "arret" read the same."""
    plain = text.casefold()
    if not plain.isascii():  # ASCII has no accents to take off
        decomposed = unicodedata.normalize("NFKD", plain)
        plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return re.sub(r"[^\w\s]", " ", plain).strip()
