"""Message catalogs (gettext, compiled by Babel) and the member's-locale formatting."""

from __future__ import annotations

from datetime import datetime, tzinfo
from decimal import Decimal
from functools import lru_cache
from pathlib import Path

from babel.dates import format_date, format_skeleton, format_time
from babel.numbers import format_currency, format_decimal
from babel.support import NullTranslations, Translations

DIRECTORY = Path(__file__).parent
DOMAIN = "messages"


@lru_cache(maxsize=32)
def translations(language: str) -> NullTranslations:
    """The catalog for `language`; English (the source text) when there is none."""
    return Translations.load(str(DIRECTORY), [language], DOMAIN)


class Speaker:
    """Everything a reply needs to talk in one member's language and zone."""

    def __init__(self, language: str, zone: tzinfo) -> None:
        self.language = language
        self.zone = zone
        catalog = translations(language)
        self.gettext = catalog.gettext
        self.ngettext = catalog.ngettext

    def money(self, amount: Decimal, currency: str) -> str:
        return format_currency(amount, currency, locale=self.language)

    def number(self, value: int | Decimal) -> str:
        return format_decimal(value, locale=self.language)

    def date(self, moment: datetime) -> str:
        return format_date(moment.astimezone(self.zone), format="medium", locale=self.language)

    def day(self, moment: datetime) -> str:
        """The weekday and date, short: "Wed, Nov 25", "mer. 25 nov."."""
        return format_skeleton("MMMEd", moment, tzinfo=self.zone, locale=self.language)

    def time(self, moment: datetime) -> str:
        return format_time(moment, format="short", tzinfo=self.zone, locale=self.language)

    def day_and_time(self, moment: datetime) -> str:
        """ "Tue, Nov 24 at 10:00 AM", in the member's language and zone."""
        return self.gettext("{day} at {time}").format(day=self.day(moment), time=self.time(moment))
