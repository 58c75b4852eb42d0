"""The committed catalogs are complete, current and compiled: `make translations` was run."""

from __future__ import annotations

from decimal import Decimal
from functools import cache
from gettext import GNUTranslations
from io import BytesIO
from pathlib import Path
from string import Formatter
from zoneinfo import ZoneInfo

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from bot.settings import load_program
from locales import DIRECTORY, DOMAIN, Speaker

ROOT = DIRECTORY.parent
TEMPLATE = DIRECTORY / f"{DOMAIN}.pot"
MAPPING = DIRECTORY / "babel.cfg"
FIX = "run `make translations`, then translate what is new in each .po"

LANGUAGES = load_program(None).club.languages
COMPILED = sorted(DIRECTORY.glob(f"*/LC_MESSAGES/{DOMAIN}.po"))


def po_path(language: str) -> Path:
    return DIRECTORY / language / "LC_MESSAGES" / f"{DOMAIN}.po"


@cache
def read_catalog(path: Path, language: str | None = None) -> Catalog:
    with path.open("rb") as file:
        return read_po(file, locale=language)


def active(catalog: Catalog) -> dict[tuple[str | tuple[str, ...], str | None], Message]:
    """The catalog's messages by (msgid, context), without the header entry."""
    return {(message.id, message.context): message for message in catalog if message.id}


def forms(text: str | tuple[str, ...] | list[str]) -> list[str]:
    return [text] if isinstance(text, str) else list(text)


def placeholders(text: str) -> set[str]:
    """The replacement fields `str.format` fills in: ``{name}``, ``{amount:.2f}``."""
    fields = set()
    for _literal, name, spec, conversion in Formatter().parse(text):
        if name is not None:
            conversion = f"!{conversion}" if conversion else ""
            fields.add("{" + name + conversion + (f":{spec}" if spec else "") + "}")
    return fields


def test_the_club_speaks_only_languages_we_ship() -> None:
    assert LANGUAGES
    for language in LANGUAGES:
        assert po_path(language).is_file(), f"no catalog for {language!r}: {FIX}"
        assert po_path(language).with_suffix(".mo").is_file(), f"{language!r} not compiled: {FIX}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_message_is_translated_keeping_its_placeholders(language: str) -> None:
    template = active(read_catalog(TEMPLATE))
    catalog = read_catalog(po_path(language), language)
    translated = active(catalog)
    assert template.keys() == translated.keys(), f"{language}: catalog not updated: {FIX}"
    problems = []
    for key, source in template.items():
        message = translated[key]
        expected = set().union(*(placeholders(text) for text in forms(source.id)))
        strings = forms(message.string)
        if message.fuzzy:
            problems.append(f"fuzzy: {source.id!r}")
        if len(strings) != (catalog.num_plurals if message.pluralizable else 1):
            problems.append(f"{len(strings)} plural forms: {source.id!r}")
        for text in strings:
            if not text.strip():
                problems.append(f"untranslated: {source.id!r}")
            elif placeholders(text) != expected:
                problems.append(f"placeholders {sorted(placeholders(text))}: {source.id!r}")
    problems += [f"{message.id!r}: {errors}" for message, errors in catalog.check()]
    assert not problems, f"{language}/{DOMAIN}.po:\n" + "\n".join(problems)


def compiled_messages(data: bytes) -> dict[object, str]:
    """What gettext reads from a .mo: every msgid to its translation, and the header's fields
    but the line naming the tool (and its version) that compiled it."""
    messages = dict(GNUTranslations(BytesIO(data))._catalog)
    header = messages.pop("", "")
    messages[""] = "\n".join(
        line for line in header.splitlines() if not line.startswith("Generated-By:")
    )
    return messages


@pytest.mark.parametrize("po", COMPILED, ids=lambda path: path.parts[-3])
def test_each_committed_mo_is_compiled_from_its_po(po: Path) -> None:
    mo = po.with_suffix(".mo")
    assert mo.is_file(), f"{mo.relative_to(ROOT)} is missing: {FIX}"
    compiled = BytesIO()
    write_mo(compiled, read_catalog(po, po.parts[-3]))
    assert compiled_messages(mo.read_bytes()) == compiled_messages(compiled.getvalue()), (
        f"{mo.relative_to(ROOT)} is stale: {FIX}"
    )


def test_the_template_holds_exactly_the_messages_in_the_code() -> None:
    with MAPPING.open(encoding="utf-8") as file:
        method_map, options_map = parse_mapping_cfg(file, filename=str(MAPPING))
    extracted = Catalog()
    for filename, lineno, message, comments, context in extract_from_dir(
        str(ROOT), method_map, options_map
    ):
        extracted.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    in_code = set(active(extracted))
    in_template = set(active(read_catalog(TEMPLATE)))
    assert in_code == in_template, (
        f"{TEMPLATE.name} is stale: {FIX}\n"
        f"new in the code: {sorted(str(msgid) for msgid, _ in in_code - in_template)}\n"
        f"gone from the code: {sorted(str(msgid) for msgid, _ in in_template - in_code)}"
    )


def test_a_french_member_reads_french_and_french_money() -> None:
    speaker = Speaker("fr", ZoneInfo("Europe/Paris"))

    assert speaker.gettext("Points: {points}") == "Points\u00a0: {points}"
    expiring = ("{points} point expires on {date}", "{points} points expire on {date}")
    assert speaker.ngettext(*expiring, 1).startswith("{points} point arrivera")
    assert speaker.ngettext(*expiring, 2).startswith("{points} points arriveront")
    # Babel: narrow no-break space between thousands, no-break space before the sign.
    assert speaker.money(Decimal("1234.50"), "EUR") == "1\u202f234,50\u00a0€"
    assert speaker.number(1234) == "1\u202f234"
