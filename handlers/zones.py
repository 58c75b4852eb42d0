"""The member's time zone, from the city they live in or near: the store's city offered
first, a place known by the names people write in any language, a typo's nearest name to
confirm, and a skip that keeps the zone they have."""

from __future__ import annotations

from zoneinfo import available_timezones

from babel import Locale
from babel.dates import get_timezone_location

from handlers.conversation.dialog import Button, Reply, Turn
from handlers.conversation.router import Router
from handlers.conversation.words import says_any, yes_or_no
from handlers.preferences import overview
from loyalty.places import Place, find_place
from services import members
from services.wording import speaker_for

router = Router()
STATE = "tz"
SUGGESTED_ZONES = ("Europe/London", "Europe/Paris", "America/New_York", "Asia/Dubai")


def _city(zone: str, language: str) -> str:
    """A zone's city in the member's language, as Babel (CLDR) names it: "Londra"."""
    return get_timezone_location(zone, locale=language, return_city=True)


def _store_city(turn: Turn) -> str:
    names = turn.program.store.city
    zone = turn.program.club.timezone
    return names[turn.speaker.language] if names else _city(zone, turn.speaker.language)


def _where(place: Place, language: str) -> str:
    """ "Milan (Italy)", in the member's language; a zone's id alone."""
    country = Locale.parse(language).territories.get(place.country) if place.country else None
    return f"{place.name} ({country})" if country else place.name


def _current(turn: Turn) -> str:
    assert turn.member is not None
    return turn.member.timezone or turn.program.club.timezone


def _ways_on(turn: Turn) -> tuple[tuple[Button, ...], ...]:
    _ = turn._
    return ((Button(_("Skip"), "tz:skip"), Button(_("Back"), "prefs")),)


async def ask(turn: Turn, lead: str | None = None) -> list[Reply]:
    """The question, with the store's city first and a few others as buttons."""
    _ = turn._
    turn.goto(STATE)
    store = turn.program.club.timezone
    cities = [Button(_store_city(turn), f"tz:{store}")]
    cities += [
        Button(_city(zone, turn.speaker.language), f"tz:{zone}")
        for zone in SUGGESTED_ZONES
        if zone != store
    ]
    text = _(
        "Which city do you live in, or near? Write its name in any language, or choose one "
        "below. Skip keeps your time zone as it is ({zone})."
    ).format(zone=_current(turn))
    rows = (tuple(cities[:3]), tuple(cities[3:]), *_ways_on(turn))
    return [Reply("\n".join(filter(None, [lead, text])), rows)]


async def _set(turn: Turn, zone: str, place: str) -> list[Reply]:
    assert turn.member is not None
    await members.set_zone(turn.uow, turn.member, turn.program, zone)
    turn.speaker = speaker_for(turn.member.locale, zone, turn.program)
    turn.done()
    done = turn._("{place}: your time zone is now {zone}.").format(place=place, zone=zone)
    return await overview(turn, done)


async def _skip(turn: Turn) -> list[Reply]:
    turn.done()
    kept = turn._("Nothing changed: your time zone stays {zone}.").format(zone=_current(turn))
    return await overview(turn, kept)


def _did_you_mean(turn: Turn, place: Place) -> list[Reply]:
    _ = turn._
    where = _where(place, turn.speaker.language)
    turn.goto(STATE, zone=place.zone, place=where)
    text = _("Did you mean {place}?").format(place=where)
    answer = (Button(_("Yes"), "tz:yes"), Button(_("No"), "tz:no"))
    return [Reply(text, (answer, *_ways_on(turn)))]


async def _written(turn: Turn, text: str) -> list[Reply]:
    """A place written: set when known, confirmed when it is a typo's nearest name."""
    found = find_place(text, turn.program.club.default_country)
    if found is None:
        turn.goto(STATE)
        unknown = turn._("I do not know that place. Please write a large city near you.")
        return turn.reask([Reply(unknown, _ways_on(turn))])
    if not found.exact:  # a guess: a capability's own words ("card") answer instead
        return turn.reask(_did_you_mean(turn, found.place))
    return await _set(turn, found.place.zone, _where(found.place, turn.speaker.language))


async def _answered(turn: Turn, yes: bool) -> list[Reply] | None:
    """Yes or no to "Did you mean ...?"; None once the question is gone."""
    data = turn.state.data
    if turn.state.name != STATE or "zone" not in data:
        return None
    if yes:
        return await _set(turn, data["zone"], data["place"])
    return await ask(turn, turn._("Then please write the city's name again."))


@router.action("tz")
async def zone_chosen(turn: Turn) -> list[Reply] | None:
    if turn.member is None:
        return None
    choice = (turn.inbound.action or "").partition(":")[2]
    if choice in ("yes", "no"):
        return await _answered(turn, choice == "yes")
    if choice == "skip":
        return await _skip(turn)
    if choice == turn.program.club.timezone:
        return await _set(turn, choice, _store_city(turn))
    if choice in available_timezones():
        return await _set(turn, choice, _city(choice, turn.speaker.language))
    return await ask(turn) if not choice else None


@router.state(STATE)
async def zone_written(turn: Turn) -> list[Reply] | None:
    text = turn.inbound.text or ""
    if text.startswith("/") or turn.member is None:
        return None
    answer = yes_or_no(text, turn._)
    if answer is not None and "zone" in turn.state.data:
        return await _answered(turn, answer)
    if answer is False or says_any(text, turn._("skip, keep, no change") + ", skip"):
        return await _skip(turn)  # "no" to the question itself: nothing changes
    return await _written(turn, text)
