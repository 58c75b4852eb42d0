"""The staff group's side of a conversation with a person: topics, relays, /claim /close /note.

Everything posted to the staff group goes through the outbox (channel "staff"), so the
group's budget of about 20 messages a minute queues a burst instead of dropping it. Staff
read the club's default language; members read theirs.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from handlers.card import render_card
from handlers.dialog import (
    CARRIES,
    CONTACT,
    FILES,
    LOCATION,
    OTHER,
    Attachment,
    Gettext,
    Inbound,
    Turn,
    channel_name,
)
from locales import Speaker
from loyalty.events import HOLDING, WAITING
from loyalty.program import Program
from loyalty.text import split_text, unstorable
from services import members
from services.handoffs import CLOSE, post
from services.wording import first_name, speaker_for
from storage.models import Event, Handoff, Member, Staff
from storage.unit_of_work import UnitOfWork

log = logging.getLogger("concierge.desk")
MAX_RELAY = 1600  # the smallest message a member's channel takes (WhatsApp)
RECENT_LINES = 8  # lines of the conversation with the bot kept for the context card
COMMANDS = ("claim", "close", "note")


MAP = "https://www.google.com/maps/search/?api=1&query={latitude:.6f},{longitude:.6f}"


@dataclass(frozen=True)
class StaffMessage:
    """Something written in the staff group, as the adapter read it."""

    user_id: int | None  # None: an anonymous admin of the group, who signs as "the team"
    thread_id: int | None  # the topic; None in the group's General
    text: str | None = None
    attachment: Attachment | None = None


def staff_speaker(program: Program) -> Speaker:
    return speaker_for(program.club.default_language, None, program)


def gist(inbound: Inbound) -> str:
    """What a message said, for staff reading the conversation so far."""
    if inbound.text:
        return inbound.text
    return f"[{inbound.attachment.kind}]" if inbound.attachment else f"[{inbound.action}]"


def spoken(attachment: Attachment, _: Gettext) -> str | None:
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


def remember(turn: Turn, who: str, text: str) -> None:
    """Keep the last lines of the conversation with the bot, for a person who takes over."""
    turn.recent = [*turn.recent, [who, text[:300]]][-RECENT_LINES:]


async def topic_name(uow: UnitOfWork, turn: Turn, speaker: Speaker) -> str:
    """ "Giulia · WhatsApp · Gold": who, where, and how much they matter to the club."""
    _ = speaker.gettext
    channel = channel_name(turn.inbound.channel)
    if turn.member is None:
        who = turn.inbound.first_name or _("Guest")
        return f"{who} · {channel} · {_('not a member')}"[:128]
    tier = await uow.tiers.current(turn.member.id) or turn.program.tiers.public[0].key
    who = first_name(turn.member.name) or _("Member")
    level = turn.program.tiers.level(tier).name[speaker.language]
    return f"{who} · {channel} · {level}"[:128]


async def announce(turn: Turn, handoff: Handoff) -> None:
    """Open the conversation's topic with a context card: who, their standing, the talk so far."""
    uow, program = turn.uow, turn.program
    speaker = staff_speaker(program)
    _ = speaker.gettext
    lines = [
        _("Asked to talk to a person.")
        if handoff.reason == "asked"
        else _("The concierge did not understand twice and called for a person."),
        "",
    ]
    if turn.member is not None:
        card = await members.card(uow, turn.member, turn.now, program)
        lines.append(render_card(card, program, speaker, staff=True))
        bought = [p for p in await uow.purchases.for_member(turn.member.id) if p.status == "paid"]
        if bought:
            lines += ["", _("Last purchases:")]
            for purchase in reversed(bought[-3:]):
                lines.append(
                    f"• {speaker.date(purchase.purchased_at)} · "
                    f"{speaker.money(purchase.amount, purchase.currency)}"
                    + (f" · {purchase.category}" if purchase.category else "")
                )
        coming = await upcoming(uow, turn.member.id, turn.now)
        if coming:
            lines += ["", _("Coming up:")]
            lines += [f"• {speaker.day(event.starts_at)} · {event.title} · {status}"
                      for event, status in coming]  # fmt: skip
    else:
        lines.append(
            _("Not a member. Wrote from {channel}.").format(
                channel=channel_name(turn.inbound.channel)
            )
        )
    if turn.recent:
        lines += ["", _("Last messages with the concierge:")]
        for who, text in turn.recent:
            said = _("Member") if who == "member" else _("Concierge")
            lines.append(f"{said}: {text}")
            await uow.transcripts.add(handoff.id, who, text, turn.now)
        turn.recent = []  # from now on the transcript keeps them
    lines += [
        "",
        _("Answer in this topic: the member receives it under your first name. "
          "/claim takes the conversation, /note adds a note the member never sees, "
          "/close gives the member back to the concierge."),
    ]  # fmt: skip
    name = await topic_name(uow, turn, speaker)
    await post(uow, turn.now, handoff, "\n".join(lines), variables={"topic": name})


async def upcoming(uow: UnitOfWork, member_id: int, now: datetime) -> list[tuple[Event, str]]:
    """The member's answers to events still to come (going, offered a seat, waiting)."""
    answers = await uow.rsvps.of_member(member_id)
    return [
        (event, answers[event.id].status)
        for event in await uow.events.upcoming(now)
        if event.id in answers and answers[event.id].status in (*HOLDING, WAITING)
    ]


async def from_member(turn: Turn, handoff: Handoff) -> None:
    """What the member sent goes to the topic and into the transcript: words, files by
    reference, a place or a contact card read out."""
    shown = turn.inbound.attachment
    said = spoken(shown, staff_speaker(turn.program).gettext) if shown else None
    text = "\n".join(filter(None, [(turn.inbound.text or "").strip(), said]))
    file = _file(shown)
    await turn.uow.transcripts.add(handoff.id, "member", text, turn.now, photo=file)
    who = _member_name(turn)
    body = f"{who}: {text}" if who and text else text
    await post(turn.uow, turn.now, handoff, body, photo=file)


async def not_passed_on(turn: Turn, handoff: Handoff) -> None:
    """The member sent what cannot be passed on (a poll, a game): staff are told."""
    _ = staff_speaker(turn.program).gettext
    await turn.uow.transcripts.add(handoff.id, "member", f"[{OTHER}]", turn.now)
    notice = _(
        "{name} sent a kind of message that cannot be passed on here; they were asked to "
        "write it in words."
    ).format(name=_member_name(turn) or _("The member"))
    await post(turn.uow, turn.now, handoff, notice)


def _member_name(turn: Turn) -> str:
    return first_name(turn.member.name if turn.member else turn.inbound.first_name)


async def member_left(turn: Turn, handoff: Handoff) -> None:
    """The member wrote STOP: the conversation ends and staff are told why."""
    _ = staff_speaker(turn.program).gettext
    await turn.uow.transcripts.add(handoff.id, "member", turn.inbound.text or "", turn.now)
    await turn.uow.handoffs.close(handoff, None, turn.now)
    notice = _(
        "The member wrote STOP: they receive nothing more on this channel. Conversation closed."
    )
    await post(turn.uow, turn.now, handoff, notice, kind=CLOSE)


def _command(text: str) -> tuple[str | None, str]:
    """("note", "rest") for "/note rest" (or "/note@ourbot rest"); (None, text) otherwise."""
    if not text.startswith("/"):
        return None, text
    word, _, rest = text[1:].partition(" ")
    name = word.split("@")[0].lower()
    return (name, rest.strip()) if name in COMMANDS else (None, text)


async def from_staff(uow: UnitOfWork, program: Program, now: datetime, said: StaffMessage) -> bool:
    """Act on a message in the staff group; False when it was not for us to act on.

    Registered staff act under their name; an anonymous admin of the group may do all they
    do, under the name "the team" (a claim leaves the conversation with the whole team).
    """
    staff = await uow.staff.acting(said.user_id) if said.user_id is not None else None
    if said.user_id is not None and staff is None:
        log.info("staff group: message from %s ignored: not registered staff", said.user_id)
        return False
    _ = staff_speaker(program).gettext
    staff_id = staff.id if staff is not None else None
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
        await uow.transcripts.add(handoff.id, "note", text, now, staff_id=staff_id)
        return True
    if command == "claim":
        await _claim(uow, now, handoff, staff, program)
        return True
    member = await uow.members.get(handoff.member_id) if handoff.member_id else None
    speaker = _member_speaker(program, member)
    signature = first_name(staff.name) if staff else speaker.gettext("The team")
    if command == "close":
        await uow.handoffs.close(handoff, staff_id, now)
        await uow.transcripts.add(handoff.id, "staff", "/close", now, staff_id=staff_id)
        goodbye = speaker.gettext(
            '{name} has closed our conversation. You are back with the concierge: write "menu" '
            "to see what I can do."
        ).format(name=signature)
        await _to_member(uow, now, handoff, goodbye, None)
        closer = staff.name if staff else _("the team")
        await post(uow, now, handoff, _("Closed by {name}.").format(name=closer), kind=CLOSE)
        return True
    shown = said.attachment
    if shown is not None and shown.kind == OTHER:
        await post(uow, now, handoff, _(
            "This kind of message cannot be passed on to the member: please write it in words."
        ))  # fmt: skip
        return True
    said_aloud = spoken(shown, speaker.gettext) if shown else None
    text = "\n".join(filter(None, [text, said_aloud]))
    file = _file(shown)
    if file is not None and shown is not None and shown.kind not in CARRIES[handoff.channel]:
        await post(uow, now, handoff, _(
            "{channel} cannot show this kind of file: it was not passed on to the member. "
            "Describe it in words, or send it as a photo or a document."
        ).format(channel=channel_name(handoff.channel)))  # fmt: skip
        file = None
    if not text and file is None:
        return shown is not None
    if handoff.claimed_by is None and staff is not None:
        handoff.claimed_by = staff.id  # the first to answer takes the conversation
    await uow.transcripts.add(handoff.id, "staff", text, now, staff_id=staff_id, photo=file)
    body = f"{signature}: {text}" if text else signature
    await _to_member(uow, now, handoff, body, file)
    return True


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


def _member_speaker(program: Program, member: Member | None) -> Speaker:
    if member is None:
        return staff_speaker(program)
    return speaker_for(member.locale, member.timezone, program)


async def _to_member(
    uow: UnitOfWork, now: datetime, handoff: Handoff, body: str, photo: str | None
) -> None:
    """Queue a message to the member on their channel; long texts in several parts."""
    for part in split_text(body, MAX_RELAY):
        await uow.outbox.add(
            now, member_id=handoff.member_id, channel=handoff.channel, address=handoff.address,
            kind="reply", body=part, photo=photo, handoff_id=handoff.id, variables={},
        )  # fmt: skip
        photo = None
