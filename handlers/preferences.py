"""Preferences: what we may send, on which channel, in which language and zone; and STOP."""

from __future__ import annotations

from collections.abc import Callable

from babel import Locale
from babel.lists import format_list

from handlers.conversation.dialog import Button, Reply, Turn
from handlers.conversation.menu import link_first, with_menu
from handlers.conversation.router import Router
from loyalty.consent import MARKETING, STOP_SOURCE, Channel, Purpose, allows, channel_name
from services import desk, members
from services.wording import first_name, speaker_for

router = Router()


def purpose_name(purpose: Purpose, _: Callable[[str], str]) -> str:
    return {
        Purpose.BIRTHDAY: _("Birthday wishes"),
        Purpose.ANNIVERSARY: _("Anniversaries"),
        Purpose.EVENTS: _("Private previews and events"),
        Purpose.NEWS: _("New collections"),
        Purpose.ACCOUNT: _("News of your points"),
        Purpose.SERVICE: _("News of your appointments and RSVPs"),
    }[purpose]


def language_name(code: str) -> str:
    name = Locale.parse(code).get_display_name(code)  # None only for a language Babel lacks
    return name.capitalize() if name else code


async def overview(turn: Turn, lead: str | None = None) -> list[Reply]:
    """The member's preferences at a glance, after `lead` (what just changed)."""
    _ = turn._
    member = turn.member
    assert member is not None
    standing = await members.consents(turn.uow, member)
    granted = []
    for purpose in Purpose:
        where = [channel_name(c) for c in Channel if allows(standing, purpose, c)]
        if where:
            granted.append(f"{purpose_name(purpose, _)} ({', '.join(where)})")
    lines = [lead] if lead else []
    lines += [
        _("Your preferences"),
        _("Language: {language}").format(language=language_name(turn.speaker.language)),
        _("Time zone: {zone}").format(zone=member.timezone or turn.program.club.timezone),
        _("Preferred channel: {channel}").format(
            channel=channel_name(member.preferred_channel or turn.consent_channel)
        ),
        _("We may send you: {list}").format(list=", ".join(granted) if granted else _("nothing")),
    ]
    buttons = (
        (Button(_("Messages we may send"), "prefs:msgs"),),
        (Button(_("Language"), "prefs:lang"), Button(_("Time zone"), "tz")),
        (Button(_("Preferred channel"), "prefs:ch"), Button(_("Stop everything"), "prefs:stop")),
        (Button(_("Menu"), "menu"),),
    )
    return [Reply("\n".join(lines), buttons)]


async def _messages(turn: Turn) -> list[Reply]:
    _ = turn._
    assert turn.member is not None
    standing = await members.consents(turn.uow, turn.member)
    rows = []
    for purpose in Purpose:
        row = []
        for channel in Channel:
            mark = "✓" if allows(standing, purpose, channel) else "✗"
            label = f"{mark} {purpose_name(purpose, _)} · {channel_name(channel)}"
            row.append(Button(label, f"prefs:c:{purpose.value}:{channel.value}"))
        rows.append(tuple(row))
    rows.append((Button(_("Back"), "prefs"),))
    text = _(
        "Tap a line to switch it on or off. News of what you book or answer comes where you "
        "asked for it until you switch it off; nothing else comes without your yes."
    )
    return [Reply(text, tuple(rows))]


async def _toggle(turn: Turn, purpose: str, channel: str) -> list[Reply] | None:
    try:
        which, where = Purpose(purpose), Channel(channel)
    except ValueError:
        return None
    assert turn.member is not None
    standing = await members.consents(turn.uow, turn.member)
    switch_on = not allows(standing, which, where)
    wording = (
        turn._("Switched on in Preferences: {purpose} on {channel}")
        if switch_on
        else turn._("Switched off in Preferences: {purpose} on {channel}")
    ).format(purpose=purpose_name(which, turn._), channel=channel_name(where))
    await members.set_consent(
        turn.uow, turn.member, which, where, switch_on, turn.now, f"chat:{turn.inbound.channel}",
        wording,
    )  # fmt: skip
    return await _messages(turn)


async def _languages(turn: Turn) -> list[Reply]:
    row = tuple(
        Button(language_name(code), f"prefs:lang:{code}") for code in turn.program.club.languages
    )
    return [
        Reply(turn._("Which language would you like?"), (row, (Button(turn._("Back"), "prefs"),)))
    ]


async def _set_language(turn: Turn, code: str) -> list[Reply] | None:
    if code not in turn.program.club.languages:
        return None
    assert turn.member is not None
    members.set_profile(turn.member, turn.program, locale=code)
    turn.speaker = speaker_for(code, turn.member.timezone, turn.program)
    return await overview(turn, turn._("From now on I will write to you in this language."))


async def _channels(turn: Turn) -> list[Reply]:
    row = tuple(Button(channel_name(c), f"prefs:ch:{c.value}") for c in Channel)
    text = turn._("Where would you like to hear from us?")
    return [Reply(text, (row, (Button(turn._("Back"), "prefs"),)))]


async def _set_channel(turn: Turn, channel: str) -> list[Reply] | None:
    try:
        chosen = Channel(channel)
    except ValueError:
        return None
    assert turn.member is not None
    members.set_profile(turn.member, turn.program, preferred_channel=chosen)
    return await overview(turn)


@router.command("preferences", "settings")
@router.action("prefs")
@router.intent(
    lambda _: _(
        "preferences, settings, consent, language, privacy, time zone, timezone, "
        "notifications, my data, change language"
    )
)
async def preferences(turn: Turn) -> list[Reply] | None:
    if turn.member is None:
        return link_first(turn)
    parts = (turn.inbound.action or "prefs").split(":")[1:]
    match parts:
        case []:
            turn.done()  # "Back" from a question
            return await overview(turn)
        case ["msgs"]:
            return await _messages(turn)
        case ["c", purpose, channel]:
            return await _toggle(turn, purpose, channel)
        case ["lang"]:
            return await _languages(turn)
        case ["lang", code]:
            return await _set_language(turn, code)
        case ["ch"]:
            return await _channels(turn)
        case ["ch", channel]:
            return await _set_channel(turn, channel)
        case ["stop"]:
            return await stop_everything(turn)
    return None


def _listed(purposes: list[Purpose], turn: Turn) -> str:
    return format_list([purpose_name(p, turn._) for p in purposes], locale=turn.speaker.language)


def _here(turn: Turn) -> Channel:
    return Channel(turn.consent_channel)


async def stop_everything(turn: Turn) -> list[Reply]:
    """The Preferences button: every consent on every channel revoked at once."""
    _ = turn._
    assert turn.member is not None
    await members.stop(
        turn.uow,
        turn.member,
        turn.now,
        f"chat:{turn.inbound.channel}{STOP_SOURCE}",
        _("Stop everything"),
    )
    turn.done()
    text = _(
        "Done: we will send you nothing more, on any channel. You can still write to me, and "
        "choose again in Preferences at any time."
    )
    return [with_menu(turn, text)]


@router.command("stop")
@router.intent(lambda _: _("stop, unsubscribe, stop all"), urgent=True, alone=True)
async def stop(turn: Turn) -> list[Reply]:
    """STOP in any of the club's languages: nothing more on this channel, at once (a
    conversation with staff ends too)."""
    _ = turn._
    turn.done()
    if turn.handoff is not None:
        who = first_name(turn.member.name) if turn.member else turn.inbound.first_name
        await desk.member_left(
            turn.uow, turn.program, turn.now, turn.handoff, turn.inbound.text or "", who or ""
        )
    if turn.member is None:
        return [Reply(_("We have nothing to stop: we send you nothing."))]  # the menu follows
    here = _here(turn)
    await members.stop(
        turn.uow, turn.member, turn.now, f"chat:{turn.inbound.channel}{STOP_SOURCE}",
        _("STOP written on {channel}").format(channel=channel_name(here)), channels=[here],
    )  # fmt: skip
    text = _(
        "You will receive nothing more from us on {channel}. Write START to receive it again."
    )
    return [Reply(text.format(channel=channel_name(here)), alone=True)]


@router.intent(
    lambda _: _(
        "stop, unsubscribe, stop sending, stop messages, no more messages, do not send, "
        "don't send, leave me alone, too many messages, opt out"
    ),
    first=True,
)
async def wish_to_stop(turn: Turn) -> list[Reply]:
    """Stopping asked for in a sentence: how STOP works, and the preferences to choose
    from. Only STOP written alone withdraws consent; words in a sentence never do."""
    _ = turn._
    how = _(
        "To receive nothing more from us here, write STOP alone. Or choose below what we may "
        "send you."
    )
    if turn.member is None:
        return [with_menu(turn, _("We have nothing to stop: we send you nothing."))]
    return await overview(turn, how)


@router.command("resume")
@router.intent(lambda _: _("start, unstop, resume"), urgent=True, alone=True)
async def start_again(turn: Turn) -> list[Reply]:
    """START: what the last STOP on this channel revoked is granted again, and said."""
    _ = turn._
    if turn.member is None:
        return link_first(turn)
    turn.done()
    here = _here(turn)
    restored = await members.restart(
        turn.uow, turn.member, here, turn.now, f"chat:{turn.inbound.channel}:start",
        _("START written on {channel}").format(channel=channel_name(here)),
    )  # fmt: skip
    if restored:
        text = _("Welcome back: on {channel} we will again send you {purposes}.")
        purposes = _listed(restored, turn)
        return [Reply(text.format(channel=channel_name(here), purposes=purposes), alone=True)]
    standing = await members.consents(turn.uow, turn.member)
    granted = [p for p in Purpose if allows(standing, p, here)]
    if set(granted) & set(MARKETING):  # news of their own requests alone is no choice made
        text = _("You already receive from us on {channel}: {purposes}.")
        purposes = _listed(granted, turn)
        return [Reply(text.format(channel=channel_name(here), purposes=purposes), alone=True)]
    return [
        Reply(
            _('You have not chosen any messages yet: write "preferences" to choose.'), alone=True
        )
    ]
