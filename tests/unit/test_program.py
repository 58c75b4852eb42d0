"""parse_program: the club as data, and errors that name the key and the reason."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import pytest

from loyalty.program import Program, ProgramError, QualifyOn, parse_program


def test_demo_program_describes_the_club(program: Program) -> None:
    assert program.club.name == "Maison Aurelia"
    assert program.club.base_currency == "EUR"
    assert program.club.languages == ["en", "fr", "it"]
    assert program.club.default_country == "IT"
    assert program.club.zone.key == "Europe/Rome"
    assert program.points.per_unit == Decimal(1)
    assert program.points.expiry_months == 24
    assert program.exchange_rates == {
        "USD": Decimal("0.92"),
        "GBP": Decimal("1.17"),
        "CHF": Decimal("1.05"),
    }
    assert program.tiers.qualify_on is QualifyOn.POINTS
    assert (program.tiers.window_months, program.tiers.grace_months) == (12, 3)
    assert [level.key for level in program.tiers.public] == ["silver", "gold", "platinum"]
    assert [level.threshold for level in program.tiers.public] == [0, 1500, 5000]
    assert program.tiers.level("ambassador").invite_only is True
    assert list(program.badges) == [
        "first_purchase",
        "first_repair",
        "collector",
        "anniversary",
        "community_builder",
    ]


def test_error_names_the_source_file(edit_demo: Callable[..., str]) -> None:
    text = edit_demo(('name = "Maison Aurelia"\n', ""))
    with pytest.raises(ProgramError) as caught:
        parse_program(text, "clubs/aurelia.toml")
    assert str(caught.value) == "clubs/aurelia.toml: club.name: missing"


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        pytest.param(
            'timezone = "Europe/Rome" ', "", "program: club.timezone: missing", id="missing-key"
        ),
        pytest.param(
            "[segments]\n",
            "[nothing]\n",
            "program: segments: missing",
            id="missing-table",
        ),
        pytest.param(
            'base_currency = "EUR"',
            'base_currency = "XYZ"',
            "program: club.base_currency: unknown currency 'XYZ'",
            id="unknown-base-currency",
        ),
        pytest.param(
            'USD = "0.92"',
            'XYZ = "0.92"',
            "program: exchange_rates: unknown currency 'XYZ'",
            id="unknown-rate-currency",
        ),
        pytest.param(
            'USD = "0.92"',
            'USD = "0"',
            "program: exchange_rates: rate for USD must be positive",
            id="zero-rate",
        ),
        pytest.param(
            "threshold = 5000",
            "threshold = 1500",
            "program: tiers: public tier thresholds must rise strictly, in order",
            id="thresholds-equal",
        ),
        pytest.param(
            "threshold = 1500",
            "threshold = 6000",
            "program: tiers: public tier thresholds must rise strictly, in order",
            id="thresholds-fall",
        ),
        pytest.param(
            "threshold = 0\n",
            "threshold = 10\n",
            "program: tiers: the first public tier must have threshold = 0",
            id="entry-tier-not-free",
        ),
        pytest.param(
            "threshold = 1500",
            "threshold = -1",
            "program: tiers.levels.1.threshold: Input should be greater than or equal to 0",
            id="negative-threshold",
        ),
        pytest.param(
            'key = "platinum"',
            'key = "gold"',
            "program: tiers: tier keys must be unique",
            id="duplicate-tier",
        ),
        pytest.param(
            "invite_only = true ",
            "invite_only = true\nthreshold = 9000 ",
            "program: tiers.levels.3: give a threshold, or invite_only = true, not both",
            id="invite-only-with-threshold",
        ),
        pytest.param(
            ', it = "Oro" ',
            " ",
            "program: tiers.levels.gold.name: no name in it",
            id="tier-name-missing-language",
        ),
        pytest.param(
            'fr = "Collectionneur", ',
            "",
            "program: badges.collector.name: no name in fr",
            id="badge-name-missing-language",
        ),
        pytest.param(
            'default_language = "en"',
            'default_language = "de"',
            "program: club: default_language 'de' is not in languages",
            id="default-language-not-spoken",
        ),
        pytest.param(
            'languages = ["en", "fr", "it"]',
            'languages = ["en", "fr", "it", "xx"]',
            "program: club.languages: unknown language 'xx'",
            id="unknown-language",
        ),
        pytest.param(
            'timezone = "Europe/Rome"',
            'timezone = "Mars/Olympus"',
            "program: club.timezone: unknown time zone 'Mars/Olympus'",
            id="unknown-zone",
        ),
        pytest.param(
            'default_country = "IT"',
            'default_country = "ZZ"',
            "program: club.default_country: unknown phone country 'ZZ'",
            id="unknown-country",
        ),
        pytest.param(
            'qualify_on = "points"',
            'qualify_on = "visits"',
            "program: tiers.qualify_on: Input should be 'points' or 'spend'",
            id="unknown-qualify-on",
        ),
        pytest.param(
            "window_months = 12",
            "window_months = 0",
            "program: tiers.window_months: Input should be greater than 0",
            id="empty-window",
        ),
        pytest.param(
            "expiry_months = 24 ",
            "expiry_months = 1000000 ",
            "program: points.expiry_months: Input should be less than or equal to 1200",
            id="points-expiring-after-year-9999",
        ),
        pytest.param(
            "grace_months = 3 ",
            "grace_months = 99999 ",
            "program: tiers.grace_months: Input should be less than or equal to 1200",
            id="reviews-after-year-9999",
        ),
        pytest.param(
            "years = 1 }",
            "years = 101 }",
            "program: badges.anniversary.rule.membership.years: Input should be less than or "
            "equal to 100",
            id="membership-beyond-a-century",
        ),
        pytest.param(
            "recent_days = 90 ",
            "recent_days = 90\nrecnet_days = 30 ",
            "program: segments.recnet_days: Extra inputs are not permitted",
            id="misspelt-key",
        ),
        pytest.param(
            'kind = "events"',
            'kind = "visits"',
            "program: badges.community_builder.rule: Input tag 'visits' found using 'kind' "
            "does not match any of the expected tags: 'purchases', 'membership', 'events'",
            id="unknown-badge-kind",
        ),
        pytest.param(
            "[whatsapp.templates.reopen]",
            "[whatsapp.templates.gala]",
            "program: whatsapp.templates: unknown message kind 'gala' "
            "(known: anniversary, appointment_cancelled, appointment_reminder, badge_earned, "
            "birthday, event_cancelled, event_moved, invitation, points_earned, "
            "points_earned_reach, points_expiring, reminder, reopen, reward_within_reach, "
            "seat_offered, tier_reached)",
            id="unknown-template-kind",
        ),
        pytest.param(
            'en = { sid = "HX00000000000000000000000000000e01", variables = ["first_name", '
            '"club"]',
            'en = { sid = "HX00000000000000000000000000000e01", variables = ["points"]',
            "program: whatsapp.templates: reopen.en: unknown variable 'points' "
            "(known: club, first_name)",
            id="unknown-template-variable",
        ),
        pytest.param(
            'sid = "HX00000000000000000000000000000f01"',
            'sid = "SM00000000000000000000000000000f01"',
            "program: whatsapp.templates.reopen.fr.sid: String should match pattern "
            "'^HX[0-9a-fA-F]{32}$'",
            id="not-a-content-sid",
        ),
        pytest.param(
            'it = { sid = "HX00000000000000000000000000000101"',
            'de = { sid = "HX00000000000000000000000000000101"',
            "program: whatsapp.templates.reopen: 'de' is not a club language",
            id="template-in-a-language-the-club-does-not-speak",
        ),
        pytest.param(
            'staff_language = "en"',
            'staff_language = "de"',
            "program: club: staff_language 'de' is not in languages",
            id="staff-language-the-club-does-not-speak",
        ),
        pytest.param(
            'phone = "+39 02 7601 2345"',
            'phone = "02 7601 2345"',
            "program: store.phone: not a phone number: ••••••••45",
            id="store-phone-without-its-country",
        ),
        pytest.param(
            'city = { en = "Milan", fr = "Milan", it = "Milano" }',
            'city = { en = "Milan", fr = "Milan" }',
            "program: store.city: no name in it",
            id="store-city-without-a-name-in-a-club-language",
        ),
        pytest.param(
            "send_hour = 10",
            "send_hour = 22",
            "program: occasions: send_hour 22 falls in the quiet hours",
            id="send-hour-in-quiet-hours",
        ),
        pytest.param(
            'sat = "10:00-13:00, 14:00-19:00"',
            'sat = "10:00-13:00, 12:00-19:00"',
            "program: store.hours: sat: '12:00-19:00': ranges must run forward and not overlap",
            id="overlapping-opening-hours",
        ),
        pytest.param(
            'sun = "closed"',
            'sunday = "closed"',
            "program: store.hours: unknown day 'sunday' "
            "(known: mon, tue, wed, thu, fri, sat, sun)",
            id="unknown-day",
        ),
        pytest.param(
            "retention_days = 365",
            "retention_days = 0",
            "program: handoff.retention_days: Input should be greater than 0",
            id="no-retention",
        ),
        pytest.param(
            "send_hour = 10",
            "send_hour = 24",
            "program: occasions.send_hour: Input should be less than or equal to 23",
            id="no-such-hour",
        ),
    ],
)
def test_invalid_program_is_refused_naming_key_and_reason(
    edit_demo: Callable[..., str], old: str, new: str, message: str
) -> None:
    with pytest.raises(ProgramError) as caught:
        parse_program(edit_demo((old, new)))
    assert str(caught.value) == message


def test_invalid_toml_is_refused_with_its_position(edit_demo: Callable[..., str]) -> None:
    with pytest.raises(ProgramError) as caught:
        parse_program(edit_demo(("[club]", "[club")))
    assert str(caught.value) == (
        "program: not valid TOML: Expected ']' at the end of a table declaration "
        "(at line 4, column 6)"
    )


def test_program_error_is_a_value_error() -> None:
    with pytest.raises(ValueError, match=r"^program: not valid TOML"):
        parse_program("club = ")


def test_currency_codes_are_read_in_any_case(variant: Callable[..., Program]) -> None:
    program = variant(
        ('base_currency = "EUR"', 'base_currency = "eur"'), ('USD = "0.92"', 'usd = "0.92"')
    )
    assert program.club.base_currency == "EUR"
    assert program.exchange_rates["USD"] == Decimal("0.92")


def test_rate_of_base_currency_is_one_and_unknown_currency_has_none(program: Program) -> None:
    assert program.rate("EUR") == Decimal(1)
    assert program.rate("GBP") == Decimal("1.17")
    with pytest.raises(KeyError):
        program.rate("JPY")
    assert [program.knows_currency(c) for c in ("EUR", "USD", "JPY")] == [True, True, False]


@pytest.mark.parametrize(
    ("wanted", "language"),
    [("fr_CH", "fr"), ("fr-CH", "fr"), ("IT", "it"), ("de", "en"), ("", "en"), (None, "en")],
)
def test_language_is_the_closest_club_language_else_the_default(
    program: Program, wanted: str | None, language: str
) -> None:
    assert program.language(wanted) == language


def test_a_language_without_its_template_uses_the_default_languages(
    variant: Callable[..., Program],
) -> None:
    program = variant(('it = { sid = "HX00000000000000000000000000000101"', '# it = { sid = "'))
    assert program.template("reopen", "it") == program.template("reopen", "en")
    assert program.template("reopen", "fr") != program.template("reopen", "en")
    assert program.template("reopen", "en") is not None
    assert program.template("gala", "en") is None
