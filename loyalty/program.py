"""The club as data: the program file a jeweller edits instead of the code."""

from __future__ import annotations

import tomllib
from datetime import time
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers
from babel import Locale, UnknownLocaleError
from babel.numbers import list_currencies
from pydantic import (
    AfterValidator,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from loyalty.hours import DAYS, Opening, OpeningHours, parse_day
from loyalty.occasions import QuietHours
from loyalty.phones import dialled
from loyalty.rewards import Reward, check
from loyalty.strict import Names, Strict
from loyalty.templates import Template, WhatsApp

# Months the rules may count ahead or back: a hundred years, so that dates from
# loyalty.dates.EARLIEST to LATEST stay within what datetime holds.
MAX_MONTHS = 1200


class ProgramError(ValueError):
    """The program file is unusable; the message names the key and the reason."""


def _check_currency(code: str) -> str:
    code = code.upper()
    if code not in list_currencies():
        raise ValueError(f"unknown currency {code!r}")
    return code


class Club(Strict):
    name: str
    base_currency: str
    languages: list[str] = Field(min_length=1)
    default_language: str
    default_country: str
    timezone: str
    staff_language: str | None = None  # what the staff group reads; None: default_language

    _currency = field_validator("base_currency")(_check_currency)

    @field_validator("languages")
    @classmethod
    def _known_languages(cls, value: list[str]) -> list[str]:
        for lang in value:
            try:
                Locale.parse(lang)
            except (UnknownLocaleError, ValueError) as exc:
                raise ValueError(f"unknown language {lang!r}") from exc
        return value

    @field_validator("default_country")
    @classmethod
    def _known_country(cls, value: str) -> str:
        value = value.upper()
        if value not in phonenumbers.SUPPORTED_REGIONS:
            raise ValueError(f"unknown phone country {value!r}")
        return value

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @model_validator(mode="after")
    def _default_is_spoken(self) -> Club:
        for key, language in (("default", self.default_language), ("staff", self.staff_language)):
            if language not in (None, *self.languages):
                raise ValueError(f"{key}_language {language!r} is not in languages")
        return self

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


class Points(Strict):
    per_unit: Decimal = Field(gt=0)
    expiry_months: int | None = Field(default=None, gt=0, le=MAX_MONTHS)


class QualifyOn(StrEnum):
    POINTS = "points"
    SPEND = "spend"


class TierLevel(Strict):
    key: str
    name: Names
    threshold: Decimal | None = Field(default=None, ge=0)
    invite_only: bool = False

    @model_validator(mode="after")
    def _threshold_or_invite(self) -> TierLevel:
        if self.invite_only == (self.threshold is not None):
            raise ValueError("give a threshold, or invite_only = true, not both")
        return self


class Tiers(Strict):
    qualify_on: QualifyOn
    window_months: int = Field(gt=0, le=MAX_MONTHS)
    grace_months: int = Field(default=0, ge=0, le=MAX_MONTHS)
    levels: list[TierLevel] = Field(min_length=1)

    @model_validator(mode="after")
    def _ladder(self) -> Tiers:
        keys = [level.key for level in self.levels]
        if len(set(keys)) != len(keys):
            raise ValueError("tier keys must be unique")
        public = self.public
        if not public or public[0].threshold != 0:
            raise ValueError("the first public tier must have threshold = 0")
        thresholds = [level.threshold for level in public]
        if thresholds != sorted(set(thresholds)):  # type: ignore[type-var]
            raise ValueError("public tier thresholds must rise strictly, in order")
        return self

    @property
    def public(self) -> list[TierLevel]:
        return [level for level in self.levels if not level.invite_only]

    def level(self, key: str) -> TierLevel:
        for level in self.levels:
            if level.key == key:
                return level
        raise KeyError(key)


class PurchasesRule(Strict):
    kind: Literal["purchases"]
    count: int = Field(gt=0)
    categories: list[str] | None = None
    limited_edition: bool | None = None
    within_months: int | None = Field(default=None, gt=0, le=MAX_MONTHS)


class MembershipRule(Strict):
    kind: Literal["membership"]
    years: int = Field(gt=0, le=MAX_MONTHS // 12)


class EventsRule(Strict):
    kind: Literal["events"]
    count: int = Field(gt=0)


BadgeRule = Annotated[PurchasesRule | MembershipRule | EventsRule, Field(discriminator="kind")]


class Badge(Strict):
    name: Names
    rule: BadgeRule


class Segments(Strict):
    recent_days: int = Field(gt=0)
    new_repeat_max_purchases: int = Field(ge=2)
    high_value_spend: Decimal = Field(gt=0)
    high_value_categories: int = Field(ge=1)
    occasion_categories: list[str]
    custom_categories: list[str]
    dormant_days: int = Field(gt=0)
    dormant_min_spend: Decimal = Field(ge=0)


class Occasions(Strict):
    """When the club writes for birthdays and anniversaries, and how often at most."""

    send_hour: int = Field(default=10, ge=0, le=23)  # in each member's own zone
    quiet_start: time = time(21)  # nothing is sent from here ...
    quiet_end: time = time(9)  # ... to here, in the member's zone
    cap_messages: int = Field(default=3, gt=0)  # at most this many messages ...
    cap_days: int = Field(default=7, gt=0)  # ... in this many days (service reminders aside)
    birthday_points: int = Field(default=0, ge=0)  # a gift, credited once with the wishes

    @model_validator(mode="after")
    def _send_hour_outside_quiet_hours(self) -> Occasions:
        if self.quiet.contains(time(self.send_hour)):
            raise ValueError(f"send_hour {self.send_hour} falls in the quiet hours")
        return self

    @property
    def quiet(self) -> QuietHours:
        return QuietHours(self.quiet_start, self.quiet_end)


class Store(Strict):
    """Where the club is: opening hours by weekday in the store's zone ("10:00-19:00",
    "10:00-13:00, 14:00-19:00" or "closed"; a day left out is closed); its address and
    e-mail, for calendar files and members who ask; the phone members call when no one reads
    the chat; its city."""

    hours: dict[str, str] = Field(default_factory=dict)
    address: str = ""  # told to members who ask; the calendar files' LOCATION
    email: str = ""  # the club's address: the calendar files' ORGANIZER
    # with its +country; kept as people dial it: "+39 02 7601 2345"
    phone: Annotated[str | None, AfterValidator(lambda v: v and dialled(v))] = None
    city: Names | None = None  # offered first for a member's zone; None: Babel's zone city

    @field_validator("hours")
    @classmethod
    def _days(cls, value: dict[str, str]) -> dict[str, str]:
        for day, text in value.items():
            if day not in DAYS:
                raise ValueError(f"unknown day {day!r} (known: {', '.join(DAYS)})")
            try:
                parse_day(text)
            except ValueError as exc:
                raise ValueError(f"{day}: {exc}") from exc
        return value

    def week(self) -> tuple[tuple[Opening, ...], ...]:
        return tuple(parse_day(self.hours.get(day, "closed")) for day in DAYS)


class Handoffs(Strict):
    """Conversations with staff: how long their transcripts are kept after they close."""

    retention_days: int = Field(default=365, gt=0)


class Service(Strict):
    """A concierge appointment members can book."""

    name: Names
    minutes: int = Field(gt=0, le=8 * 60)
    buffer_minutes: int = Field(default=0, ge=0)  # kept free after it (clean-up, notes)
    notice_hours: int = Field(default=24, ge=0)  # booked at least this long before
    ahead_days: int = Field(default=30, gt=0)  # ...and at most this far ahead
    tiers: list[str] = Field(default_factory=list)  # who may book it (empty: every member)
    staff: list[str] = Field(default_factory=list)  # who does it, by name (empty: anyone)
    custom: bool = False  # a booking makes the member a "custom client"


class EventRules(Strict):
    """How the club runs its invitation-only events."""

    priority_tiers: list[str] = Field(default_factory=list)  # these tiers may answer first...
    priority_hours: int = Field(default=0, ge=0)  # ...and everyone else this much later
    offer_hours: int = Field(default=24, gt=0)  # a freed seat waits this long for an answer
    conversion_days: int = Field(default=30, gt=0)  # purchases after an event that count


class Program(Strict):
    club: Club
    points: Points
    exchange_rates: dict[str, Decimal] = Field(default_factory=dict)
    tiers: Tiers
    badges: dict[str, Badge] = Field(default_factory=dict)
    segments: Segments
    whatsapp: WhatsApp = Field(default_factory=WhatsApp)
    occasions: Occasions = Field(default_factory=Occasions)
    store: Store = Field(default_factory=Store)
    handoff: Handoffs = Field(default_factory=Handoffs)
    events: EventRules = Field(default_factory=EventRules)
    services: dict[str, Service] = Field(default_factory=dict)
    rewards: dict[str, Reward] = Field(default_factory=dict)

    @field_validator("exchange_rates")
    @classmethod
    def _rates(cls, value: dict[str, Decimal]) -> dict[str, Decimal]:
        checked = {}
        for code, rate in value.items():
            if rate <= 0:
                raise ValueError(f"rate for {code} must be positive")
            checked[_check_currency(code)] = rate
        return checked

    @model_validator(mode="after")
    def _names_in_every_language(self) -> Program:
        languages = set(self.club.languages)
        named = [(f"tiers.levels.{level.key}.name", level.name) for level in self.tiers.levels]
        named += [(f"badges.{key}.name", badge.name) for key, badge in self.badges.items()]
        named += [(f"services.{key}.name", s.name) for key, s in self.services.items()]
        named += [("store.city", self.store.city)] if self.store.city else []
        for where, names in named:
            missing = languages - names.keys()
            if missing:
                raise ValueError(f"{where}: no name in {', '.join(sorted(missing))}")
        tiers = {level.key for level in self.tiers.levels}
        unknown = set(self.events.priority_tiers) - tiers
        if unknown:
            raise ValueError(f"events.priority_tiers: unknown tier {sorted(unknown)[0]!r}")
        for key, service in self.services.items():
            if set(service.tiers) - tiers:
                wrong = sorted(set(service.tiers) - tiers)[0]
                raise ValueError(f"services.{key}.tiers: unknown tier {wrong!r}")
        check(self.rewards, languages, tiers, self.badges, self.services)
        for kind, templates in self.whatsapp.templates.items():
            foreign = templates.keys() - languages
            if foreign:
                raise ValueError(
                    f"whatsapp.templates.{kind}: {sorted(foreign)[0]!r} is not a club language"
                )
        return self

    @property
    def opening_hours(self) -> OpeningHours:
        return OpeningHours(self.store.week(), self.club.zone)

    def template(self, kind: str, language: str) -> Template | None:
        """The approved template for `kind` in `language`, else in the club's default one."""
        templates = self.whatsapp.templates.get(kind, {})
        return templates.get(language) or templates.get(self.club.default_language)

    def rate(self, currency: str) -> Decimal:
        """Base-currency value of one unit of `currency`; KeyError if the club has no rate."""
        if currency == self.club.base_currency:
            return Decimal(1)
        return self.exchange_rates[currency]

    def knows_currency(self, currency: str) -> bool:
        return currency == self.club.base_currency or currency in self.exchange_rates

    def language(self, wanted: str | None) -> str:
        """The club language closest to `wanted` (``fr_CH`` -> ``fr``), else the default."""
        if wanted:
            base = wanted.replace("-", "_").split("_")[0].lower()
            if base in self.club.languages:
                return base
        return self.club.default_language


def parse_program(text: str, source: str = "program") -> Program:
    """Parse and validate a program file's text; errors name the key and the reason."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ProgramError(f"{source}: not valid TOML: {exc}") from exc
    try:
        return Program.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        key = ".".join(str(part) for part in first["loc"])
        reason = "missing" if first["type"] == "missing" else first["msg"]
        reason = reason.removeprefix("Value error, ")
        raise ProgramError(f"{source}: {key}: {reason}" if key else f"{source}: {reason}") from exc
