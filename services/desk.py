"""The staff desk's rules: a conversation handed to a person, what passes between the member
and the conversation's topic in the staff group, and what staff do there (take it, take it
over, note, close).

Everything posted to the staff group goes through the outbox (channel "staff"), so the
group's budget of about 20 messages a minute queues a burst instead of dropping it. Staff
read the club's default language; members read theirs.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

from locales import Speaker
from loyalty.attachments import CONTACT, FILES, LOCATION, OTHER, Attachment
from loyalty.consent import channel_name
from loyalty.events import HOLDING, WAITING
from loyalty.program import Program
from loyalty.records import Appointment, Event, Handoff, Member, Purchase, Staff
from loyalty.stores import UnitOfWork
from loyalty.text import split_text, unstorable
from services.handoffs import CLOSE, post
from services.members import member_number
from services.wording import first_name, service_name, speaker_for

log = logging.getLogger("concierge.desk")
COMMANDS = ("claim", "close", "note")
ERASED = "erased"  # a booking cancelled because the member's data was erased
MAP = "https://www.google.com/maps/search/?api=1&query={latitude:.6f},{longitude:.6f}"


@dataclass(frozen=True)
class StaffMessage:
    """Something written in the staff group, as the adapter read it."""

    user_id: int | None  # None: an anonymous admin of the group, who signs as "the team"
    thread_id: int | None  # the topic; None in the group's General
    text: str | None = None
    attachment: Attachment | None = None


@dataclass(frozen=True)
class MemberChannels:
    """What the members' channels take, as their adapters say (bot/channels)."""

    carries: Mapping[str, frozenset[str]]  # the kinds of file each can show a member
    longest: int  # the longest text every one of them takes in one message


def staff_speaker(program: Program) -> Speaker:
    return speaker_for(program.club.default_language, None, program)


def spoken(attachment: Attachment, _: Callable[[str], str]) -> str | None:
    """A place or a contact card in words anyone can read, on any channel (files are passed
    on as they are)."""
    if attachment.kind == LOCATION and attachment.coordinates is not None:
        latitude, longitude = attachment.coordinates
        where = f"{latitude:.5f}, {longitude:.5f}"
        place = f"{attachment.caption} ({where})" if attachment.caption else where
        link = MAP.format(latitude=latitude, longitude=longitude)
        return _("Location: {place}").format(place=place) + "\n" + link
    if attachment.kind == CONTACT and (attachment.caption or attachment.phone):
        card = ", ".join(filter(None, [attachment.caption, attachment.phone]))
        return _("Contact: {card}").format(card=card)
    return None


def _file(attachment: Attachment | None) -> str | None:
    """The reference of a file to pass on (a contact card WhatsApp keeps is read out later)."""
    if attachment is None or attachment.ref is None:
        return None
    return attachment.ref if attachment.kind in FILES or attachment.kind == CONTACT else None


# -- the member's side ---------------------------------------------------------------------


async def open_for(uow: UnitOfWork, channel: str, address: str) -> Handoff | None:
    """The chat's conversation with staff, while one is open."""
    return await uow.handoffs.open_for(channel, address)


async def hand_over(
    uow: UnitOfWork, member_id: int | None, channel: str, address: str, reason: str,
    now: datetime,
) -> tuple[Handoff, bool]:  # fmt: skip
    """The chat's conversation with staff, opened unless it is; whether it is new."""
    return await uow.handoffs.open(member_id, channel, address, reason, now)


@dataclass(frozen=True)
class Standing:
    """What staff are shown of a member when a conversation opens, beside their card."""

    tier: str
    purchases: list[Purchase]  # the last paid ones, newest first
    coming: list[tuple[Event, str]]  # events still to come, and the member's answer


async def standing(uow: UnitOfWork, member_id: int, now: datetime, program: Program) -> Standing:
    tier = await uow.tiers.current(member_id) or program.tiers.public[0].key
    bought = [p for p in await uow.purchases.for_member(member_id) if p.status == "paid"]
    return Standing(tier, list(reversed(bought[-3:])), await upcoming(uow, member_id, now))


async def upcoming(uow: UnitOfWork, member_id: int, now: datetime) -> list[tuple[Event, str]]:
    """The member's answers to events still to come (going, offered a seat, waiting)."""
    answers = await uow.rsvps.of_member(member_id)
    return [
        (event, answers[event.id].status)
        for event in await uow.events.upcoming(now)
        if event.id in answers and answers[event.id].status in (*HOLDING, WAITING)
    ]


async def announce(
    uow: UnitOfWork, now: datetime, handoff: Handoff, card: str, topic: str,
    recent: list[list[str]],
) -> None:  # fmt: skip
    """Open the conversation's topic with its context card; the lines with the concierge so
    far go into the transcript."""
    for who, text in recent:
        await uow.transcripts.add(handoff.id, who, text, now)
    await post(uow, now, handoff, card, variables={"topic": topic})


async def from_member(
    uow: UnitOfWork, program: Program, now: datetime, handoff: Handoff, text: str,
    shown: Attachment | None, who: str,
) -> None:  # fmt: skip
    """What the member sent goes to the topic and into the transcript: words, files by
    reference, a place or a contact card read out."""
    said = spoken(shown, staff_speaker(program).gettext) if shown else None
    text = "\n".join(filter(None, [text.strip(), said]))
    file = _file(shown)
    await uow.transcripts.add(handoff.id, "member", text, now, photo=file)
    body = f"{who}: {text}" if who and text else text
    await post(uow, now, handoff, body, photo=file)


async def not_passed_on(
    uow: UnitOfWork, program: Program, now: datetime, handoff: Handoff, who: str
) -> None:
    """The member sent what cannot be passed on (a poll, a game): staff are told."""
    _ = staff_speaker(program).gettext
    await uow.transcripts.add(handoff.id, "member", f"[{OTHER}]", now)
    notice = _(
        "{name} sent a kind of message that cannot be passed on here; they were asked to "
        "write it in words."
    ).format(name=who or _("The member"))
    await post(uow, now, handoff, notice)


async def member_left(
    uow: UnitOfWork, program: Program, now: datetime, handoff: Handoff, text: str
) -> None:
    """The member wrote STOP: the conversation ends and staff are told why."""
    _ = staff_speaker(program).gettext
    await uow.transcripts.add(handoff.id, "member", text, now)
    await uow.handoffs.close(handoff, None, now)
    notice = _(
        "The member wrote STOP: they receive nothing more on this channel. Conversation closed."
    )
    await post(uow, now, handoff, notice, kind=CLOSE)


# -- the staff's side ----------------------------------------------------------------------


def _command(text: str) -> tuple[str | None, str]:
    """("note", "rest") for "/note rest" (or "/note@ourbot rest"); (None, text) otherwise."""
    if not text.startswith("/"):
        return None, text
    word, _, rest = text[1:].partition(" ")
    name = word.split("@")[0].lower()
    return (name, rest.strip()) if name in COMMANDS else (None, text)


async def from_staff(
    uow: UnitOfWork, program: Program, now: datetime, said: StaffMessage,
    channels: MemberChannels,
) -> bool:  # fmt: skip
    """Act on a message in the staff group; False when it was not for us to act on.

    Registered staff act under their name; an anonymous admin of the group may do all they
    do, under the name "the team" (a claim leaves the conversation with the whole team).
    """
    staff = await uow.staff.acting(said.user_id) if said.user_id is not None else None
    if said.user_id is not None and staff is None:
        log.info("staff group: message from %s ignored: not registered staff", said.user_id)
        return False
    _ = staff_speaker(program).gettext
    command, text = _command((said.text or "").strip())
    handoff = await uow.handoffs.by_thread(said.thread_id) if said.thread_id else None
    if handoff is None:
        if command is not None:  # chatter in General is the staff's own
            await post(
                uow, now, None, _("Use /claim, /note and /close in a conversation's topic.")
            )
            return True
        return False
    if handoff.status != "open":
        await post(
            uow, now, handoff, _("This conversation is closed: the member is with the concierge.")
        )
        return True
    if unstorable(text, lines=True) is not None:  # NUL, a lone surrogate: nothing kept
        again = _("I could not read that message. Could you write it again?")
        await post(uow, now, handoff, again)
        return True
    if command == "note":
        staff_id = staff.id if staff is not None else None
        await uow.transcripts.add(handoff.id, "note", text, now, staff_id=staff_id)
        return True
    if command == "claim":
        await _claim(uow, now, handoff, staff, program)
        return True
    if command == "close":
        await _close(uow, program, now, handoff, staff, channels.longest)
        return True
    return await _relay(uow, program, now, handoff, staff, text, said.attachment, channels)


async def _claim(
    uow: UnitOfWork, now: datetime, handoff: Handoff, staff: Staff | None, program: Program
) -> None:
    _ = staff_speaker(program).gettext
    before = await uow.staff.get(handoff.claimed_by) if handoff.claimed_by else None
    handoff.claimed_by = staff.id if staff is not None else None
    name = staff.name if staff is not None else _("The team")
    if before is not None and (staff is None or before.id != staff.id):
        text = _("{name} takes over from {before}.").format(name=name, before=before.name)
    else:
        text = _("{name} takes this conversation.").format(name=name)
    await post(uow, now, handoff, text)


async def _member_speaker(uow: UnitOfWork, program: Program, handoff: Handoff) -> Speaker:
    member = await uow.members.get(handoff.member_id) if handoff.member_id else None
    if member is None:
        return staff_speaker(program)
    return speaker_for(member.locale, member.timezone, program)


def _signature(staff: Staff | None, speaker: Speaker) -> str:
    """How staff sign to the member: their first name, or "the team"."""
    return first_name(staff.name) if staff else speaker.gettext("The team")


async def _close(
    uow: UnitOfWork, program: Program, now: datetime, handoff: Handoff, staff: Staff | None,
    longest: int,
) -> None:  # fmt: skip
    """The member goes back to the concierge, told by whom."""
    _ = staff_speaker(program).gettext
    speaker = await _member_speaker(uow, program, handoff)
    staff_id = staff.id if staff is not None else None
    await uow.handoffs.close(handoff, staff_id, now)
    await uow.transcripts.add(handoff.id, "staff", "/close", now, staff_id=staff_id)
    goodbye = speaker.gettext(
        '{name} has closed our conversation. You are back with the concierge: write "menu" '
        "to see what I can do."
    ).format(name=_signature(staff, speaker))
    await _to_member(uow, now, handoff, goodbye, None, longest)
    closer = staff.name if staff else _("the team")
    await post(uow, now, handoff, _("Closed by {name}.").format(name=closer), kind=CLOSE)


async def _relay(
    uow: UnitOfWork, program: Program, now: datetime, handoff: Handoff, staff: Staff | None,
    text: str, shown: Attachment | None, channels: MemberChannels,
) -> bool:  # fmt: skip
    """What staff wrote goes to the member, signed, when their channel can show it; the
    first to answer takes the conversation."""
    _ = staff_speaker(program).gettext
    speaker = await _member_speaker(uow, program, handoff)
    if shown is not None and shown.kind == OTHER:
        await post(uow, now, handoff, _(
            "This kind of message cannot be passed on to the member: please write it in words."
        ))  # fmt: skip
        return True
    said_aloud = spoken(shown, speaker.gettext) if shown else None
    text = "\n".join(filter(None, [text, said_aloud]))
    file = _file(shown)
    carried = channels.carries[handoff.channel]
    if file is not None and shown is not None and shown.kind not in carried:
        await post(uow, now, handoff, _(
            "{channel} cannot show this kind of file: it was not passed on to the member. "
            "Describe it in words, or send it as a photo or a document."
        ).format(channel=channel_name(handoff.channel)))  # fmt: skip
        file = None
    if not text and file is None:
        return shown is not None
    if handoff.claimed_by is None and staff is not None:
        handoff.claimed_by = staff.id  # the first to answer takes the conversation
    staff_id = staff.id if staff is not None else None
    await uow.transcripts.add(handoff.id, "staff", text, now, staff_id=staff_id, photo=file)
    signature = _signature(staff, speaker)
    body = f"{signature}: {text}" if text else signature
    await _to_member(uow, now, handoff, body, file, channels.longest)
    return True


async def _to_member(
    uow: UnitOfWork, now: datetime, handoff: Handoff, body: str, photo: str | None,
    longest: int,
) -> None:  # fmt: skip
    """Queue a message to the member on their channel; long texts in several parts."""
    for part in split_text(body, longest):
        await uow.outbox.add(
            now, member_id=handoff.member_id, channel=handoff.channel, address=handoff.address,
            kind="reply", body=part, photo=photo, handoff_id=handoff.id, variables={},
        )  # fmt: skip
        photo = None


# -- bookings ------------------------------------------------------------------------------


async def tell_staff(
    uow: UnitOfWork, program: Program, now: datetime, booking: Appointment, member: Member,
    what: str,
) -> list[int]:  # fmt: skip
    """New, moved and cancelled bookings are posted in the staff group's General topic; one
    cancelled by erasing the member's data names them by number only. Returns the posts."""
    speaker = staff_speaker(program)
    _ = speaker.gettext
    staff = await uow.staff.get(booking.staff_id)
    number = member_number(member.id)
    who = number if what == ERASED else f"{member.name or ''} ({number})"
    details = (
        f"{service_name(program, booking.service, speaker)} · "
        f"{speaker.day_and_time(booking.starts_at)} · {who} · {staff.name if staff else '?'}"
    )
    heading = {
        "new": _("New booking: {details}"), "moved": _("Booking moved: {details}"),
        "cancelled": _("Booking cancelled: {details}"),
        ERASED: _("Booking cancelled, the member's data erased: {details}"),
    }[what]  # fmt: skip
    line = heading.format(details=details)
    if booking.note and what == "new":
        line += "\n" + _("Note: {note}").format(note=booking.note)
    return await post(
        uow, now, None, line, photo=booking.photo if what == "new" else None, member_id=member.id
    )
