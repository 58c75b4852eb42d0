"""What every part of the program file is made of: strict (an unknown key is refused, so a
typo never passes for a default) and frozen (the program is read once, then only read)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


Names = dict[str, str]  # a name per language: {"en": "Ring resizing", "fr": ...}
