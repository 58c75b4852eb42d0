"""Talk to a person: the member's side of a conversation with staff.

While the conversation is with staff the bot is silent: what the member sends goes to the
topic in the staff group (services/desk.py), until staff close it. STOP is still obeyed.
"""

from __future__ import annotations

from collections.abc import Callable

from handlers.card import render_card
from handlers.conversation.dialog import MAX_TEXT, Reply, Turn
from handlers.conversation.menu import with_menu
from handlers.conversation.router import Router
from locales import Speaker
from loyalty.attachments import OTHER
from loyalty.consent import channel_name
from loyalty.events import GOING, OFFERED, WAITING
from loyalty.records import Handoff
from services import desk, members
from services.wording import first_name, opening_hours, staff_speaker

router = Router()


@router.command("person")
@router.action("person")
@router.intent(
    lambda _: _(
        "person, human, someone, staff, advisor, talk to, talk to a person, speak to, "
        "call me, agent, operator, assistant, sales assistant"
    )
)
async def talk_to_a_person(turn: Turn) -> list[Reply]:
    return await hand_over(turn, "asked")


@router.confused
async def after_two_misunderstandings(turn: Turn) -> list[Reply] | None:
    """A member the concierge failed twice gets a person (a stranger gets the menu again)."""
    if turn.member is None or not turn.staff_desk:
        return None
    return await hand_over(turn, "confused")


async def hand_over(turn: Turn, reason: str) -> list[Reply]:
    _ = turn._
    if not turn.staff_desk:
        return [_call_the_store(turn)]
    inbound = turn.inbound
    member_id = turn.member.id if turn.member else None
    handoff, new = await desk.hand_over(
        turn.uow, member_id, inbound.channel, inbound.address, reason, turn.now
    )
    if new:
        await _announce(turn, handoff)
    turn.done()
    if reason == "confused":
        text = _(
            "I am sorry, I still do not understand. I have asked a member of our team to help: "
            "they will answer you here."
        )
    else:
        text = _("Thank you. A member of our team will answer you here as soon as possible.")
    opens = turn.program.opening_hours.next_open(turn.now)
    if opens is not None and opens > turn.now:
        text += "\n" + _(
            "Our team is away at the moment: they will answer you from {day} at {time}."
        ).format(day=turn.speaker.day(opens), time=turn.speaker.time(opens))
    return [Reply(text, alone=True)]  # from now on what they write goes to the team


def _call_the_store(turn: Turn) -> Reply:
    """Without a staff group nobody would read a handoff: the store's phone and hours."""
    _ = turn._
    phone = turn.program.store.phone
    lines = [
        _("Our team does not answer in this chat: please call the store at {phone}.").format(
            phone=phone
        )
        if phone
        else _("Our team does not answer in this chat: please visit the store.")
    ]
    hours = opening_hours(turn.program, turn.speaker)
    if hours:
        lines += [_("Opening hours:"), *hours]
    return with_menu(turn, "\n".join(lines))


async def _announce(turn: Turn, handoff: Handoff) -> None:
    """Open the conversation's topic with a context card: who, their standing, the talk so far."""
    program = turn.program
    speaker = staff_speaker(program)
    _ = speaker.gettext
    lines = [
        _("Asked to talk to a person.")
        if handoff.reason == "asked"
        else _("The concierge did not understand twice and called for a person."),
        "",
    ]
    channel = channel_name(turn.inbound.channel)
    if turn.member is not None:
        card = await members.card(turn.uow, turn.member, turn.now, program)
        lines.append(render_card(card, program, speaker, staff=True))
        found = await desk.standing(turn.uow, turn.member.id, turn.now, program)
        lines += _standing(found, speaker)
        who = first_name(turn.member.name) or _("Member")
        level = program.tiers.level(found.tier).name[speaker.language]
        topic = f"{who} · {channel} · {level}"
    else:
        lines.append(_("Not a member. Wrote from {channel}.").format(channel=channel))
        who = turn.inbound.first_name or _("Guest")
        topic = " · ".join((who, channel, _("not a member")))
    if turn.recent:
        lines += ["", _("Last messages with the concierge:")]
        for who, text in turn.recent:
            said = _("Member") if who == "member" else _("Concierge")
            lines.append(f"{said}: {text}")
    lines += [
        "",
        _("Answer in this topic: the member receives it under your first name. "
          "/claim takes the conversation, /note adds a note the member never sees, "
          "/close gives the member back to the concierge."),
    ]  # fmt: skip
    await desk.announce(turn.uow, turn.now, handoff, "\n".join(lines), topic[:128], turn.recent)
    turn.recent = []  # from now on the transcript keeps them


def _standing(found: desk.Standing, speaker: Speaker) -> list[str]:
    """The member's last purchases and the events they answered, for the context card."""
    _ = speaker.gettext
    lines = []
    if found.purchases:
        lines += ["", _("Last purchases:")]
        for purchase in found.purchases:
            lines.append(
                f"• {speaker.date(purchase.purchased_at)} · "
                f"{speaker.money(purchase.amount, purchase.currency)}"
                + (f" · {purchase.category}" if purchase.category else "")
            )
    if found.coming:
        lines += ["", _("Coming up:")]
        lines += [f"• {speaker.day(event.starts_at)} · {event.title} · {_answer(status, _)}"
                  for event, status in found.coming]  # fmt: skip
    return lines


def _answer(status: str, _: Callable[[str], str]) -> str:
    """A member's answer to an event, as staff read it."""
    return {
        GOING: _("coming"), OFFERED: _("offered a freed seat"), WAITING: _("on the waitlist"),
    }.get(status, status)  # fmt: skip


@router.during_handoff
async def relay(turn: Turn) -> list[Reply]:
    """The bot stays silent: what the member sends goes to the staff topic (words, files, a
    place, a contact card); what cannot be passed on is said plainly to both."""
    _ = turn._
    inbound, handoff = turn.inbound, turn.handoff
    assert handoff is not None
    text = (inbound.text or "").strip()
    if not text and inbound.attachment is None:  # a button from before
        return [Reply(_("You are talking with our team: write your message here."))]
    if len(text) > MAX_TEXT:
        return [Reply(_("That message is too long. Could you send it in a few parts?"))]
    who = first_name(turn.member.name if turn.member else inbound.first_name)
    if not text and inbound.attachment is not None and inbound.attachment.kind == OTHER:
        await desk.not_passed_on(turn.uow, turn.program, turn.now, handoff, who)
        return [Reply(_("This kind of message cannot be passed on; please write it in words."))]
    await desk.from_member(
        turn.uow, turn.program, turn.now, handoff, inbound.text or "", inbound.attachment, who
    )
    return []
