"""Start, link and join: how a chat account becomes a club member's."""

from __future__ import annotations

import re
from collections.abc import Callable

from handlers.conversation.dialog import Button, Reply, Turn
from handlers.conversation.menu import with_menu
from handlers.conversation.router import Router
from handlers.conversation.words import yes_or_no
from handlers.help import menu
from loyalty.consent import MARKETING, Channel, Purpose
from loyalty.dates import Birthday
from loyalty.phones import InvalidPhone, normalize_phone
from loyalty.records import Member
from services import chats, members

router = Router()
TOKEN = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
MAX_NAME = 100


def consent_question(purpose: Purpose, _: Callable[[str], str]) -> str:
    """The plain words a member agrees to, one marketing purpose at a time (recorded as the
    wording); news of their own bookings and replies needs no question."""
    return {
        Purpose.BIRTHDAY: _("May we send you our wishes on your birthday?"),
        Purpose.ANNIVERSARY: _(
            "May we remember your anniversaries with you (wedding, engagement)?"
        ),
        Purpose.EVENTS: _("May we invite you to private previews and trunk shows?"),
        Purpose.NEWS: _("May we tell you about new collections?"),
        Purpose.ACCOUNT: _(
            "May we tell you what your purchases earn, your new tier or badge, and points "
            "about to expire?"
        ),
    }[purpose]


async def _welcome_linked(turn: Turn, member: Member | None) -> list[Reply]:
    turn.done()
    name = member.name if member is not None else None
    text = (
        turn._("Welcome, {name}. Your membership is now linked to this chat.").format(name=name)
        if name
        else turn._("Welcome. Your membership is now linked to this chat.")
    )
    return [with_menu(turn, text)]


async def _link(turn: Turn, member_id: int) -> list[Reply]:
    inbound = turn.inbound
    member = await chats.link(
        turn.uow, member_id, inbound.channel, inbound.address, inbound.language, turn.now
    )
    turn.member = member
    return await _welcome_linked(turn, member)


@router.command("start")
async def start(turn: Turn) -> list[Reply]:
    _ = turn._
    parts = (turn.inbound.text or "").split(maxsplit=1)
    token = parts[1].strip() if len(parts) > 1 else None
    if token is not None:
        member_id = None
        if TOKEN.match(token):
            member_id = await chats.invited(turn.uow, token, turn.now)
        if member_id is not None:
            return await _link(turn, member_id)
        if turn.member is None:
            return [with_menu(turn, _(
                "This invitation link is no longer valid. Share your phone number to link "
                "your membership, or join the club."
            ))]  # fmt: skip
    return await menu(turn)


@router.contact
async def contact(turn: Turn) -> list[Reply] | None:
    """A shared phone number links the member it belongs to, or starts joining."""
    _ = turn._
    shared = turn.inbound.contact
    assert shared is not None
    if shared.user_id != turn.inbound.address:  # a phone-book card has no owner: not proof
        return [with_menu(turn, _("Please share your own phone number, with the button below."))]
    try:
        phone = normalize_phone(shared.phone, turn.program.club.default_country)
    except InvalidPhone:
        return [with_menu(turn, _("I could not read that phone number."))]
    member = await chats.linkable(turn.uow, phone)
    if member is not None:
        return await _link(turn, member.id)
    turn.goto("join:name", phone=phone)
    return [
        _ask_name(turn, _("I cannot find a membership with this number yet. Let us create one."))
    ]


def _ask_name(turn: Turn, lead: str | None = None) -> Reply:
    _ = turn._
    text = _("What name should we use for you?")
    return Reply(f"{lead}\n{text}" if lead else text, ((Button(_("Cancel"), "join:cancel"),),))


@router.action("join")
@router.intent(lambda _: _("join, join the club, sign up, register, become a member, enrol"))
async def join(turn: Turn) -> list[Reply] | None:
    _ = turn._
    step = (turn.inbound.action or "").partition(":")[2]
    if step == "":
        if turn.member is not None:
            return [with_menu(turn, _("You are already a member."))]
        data = dict(turn.state.data)
        if turn.inbound.verified_phone is not None:  # WhatsApp: the number is proven
            data["phone"] = turn.inbound.verified_phone
        turn.goto("join:name", **data)
        return [_ask_name(turn)]
    if step == "cancel":
        turn.done()
        return [with_menu(turn, _("No problem. You can join at any time."))]
    if not (turn.state.name or "").startswith("join:"):
        return None  # a button from a joining that is over: stale
    if step == "skip" and turn.state.name == "join:birthday":
        return [_next_consent(turn, None)]
    if step in ("yes", "no") and turn.state.name == "join:consent":
        return await _answer_consent(turn, step == "yes")
    return None


@router.state("join:name")
async def join_name(turn: Turn) -> list[Reply] | None:
    _ = turn._
    name = " ".join((turn.inbound.text or "").split())
    if not name or len(name) > MAX_NAME:
        return [
            _ask_name(turn, _("Please write a name of at most {n} characters.").format(n=MAX_NAME))
        ]
    turn.goto("join:birthday", **{**turn.state.data, "name": name})
    return [_ask_birthday(turn)]


def _ask_birthday(turn: Turn) -> Reply:
    _ = turn._
    return Reply(
        _("Thank you, {name}. When is your birthday? Write the day and month, e.g. 14/07 "
          "(the year is up to you).").format(name=turn.state.data["name"]),
        ((Button(_("Skip"), "join:skip"), Button(_("Cancel"), "join:cancel")),),
    )  # fmt: skip


@router.back("join:birthday")
async def back_to_name(turn: Turn) -> list[Reply]:
    turn.goto("join:name", **{k: v for k, v in turn.state.data.items() if k != "name"})
    return [_ask_name(turn)]


def parse_birthday(text: str) -> Birthday:
    """Day first, as the club's languages write it: 14/07, 14.07.1990, or ISO 1990-07-14."""
    text = text.strip()
    if re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", text):
        return Birthday.parse(text)
    found = re.fullmatch(r"([0-9]{1,2})[/.\-\s]+([0-9]{1,2})(?:[/.\-\s]+([0-9]+))?", text)
    if found is None:
        raise ValueError(text)
    day, month, year = found.groups()
    if year is not None and len(year) != 4:
        raise ValueError("a four-digit year, please")
    return Birthday(int(month), int(day), int(year) if year else None)


@router.state("join:birthday")
async def join_birthday(turn: Turn) -> list[Reply] | None:
    _ = turn._
    try:
        birthday = parse_birthday(turn.inbound.text or "")
    except ValueError:
        return turn.reask([Reply(
            _("I could not read that date. Please write the day and month, e.g. 14/07."),
            ((Button(_("Skip"), "join:skip"), Button(_("Cancel"), "join:cancel")),),
        )])  # fmt: skip
    return [_next_consent(turn, str(birthday))]


def _next_consent(turn: Turn, birthday: str | None) -> Reply:
    data = {**turn.state.data, "answers": {}}
    if birthday is not None:
        data["birthday"] = birthday
    turn.goto("join:consent", **data)
    return _ask_consent(turn)


def _pending(turn: Turn) -> Purpose | None:
    answers = turn.state.data.get("answers", {})
    return next((p for p in MARKETING if p.value not in answers), None)


def _ask_consent(turn: Turn) -> Reply:
    _ = turn._
    purpose = _pending(turn)
    assert purpose is not None
    return Reply(
        consent_question(purpose, _),
        ((Button(_("Yes, gladly"), "join:yes"), Button(_("No, thank you"), "join:no")),),
    )


async def _answer_consent(turn: Turn, granted: bool) -> list[Reply]:
    purpose = _pending(turn)
    assert purpose is not None
    answers = {**turn.state.data.get("answers", {}), purpose.value: granted}
    turn.goto("join:consent", **{**turn.state.data, "answers": answers})
    if _pending(turn) is not None:
        return [_ask_consent(turn)]
    return await _enrol(turn)


@router.state("join:consent")
async def join_consent_words(turn: Turn) -> list[Reply] | None:
    """Yes or no written instead of pressed."""
    text = turn.inbound.text or ""
    answer = yes_or_no(text, turn._)
    if answer is not None:
        return await _answer_consent(turn, answer)
    return turn.reask([_ask_consent(turn)])


@router.back("join:consent")
async def back_a_consent(turn: Turn) -> list[Reply]:
    """The consent question before, or the birthday before the first."""
    answers = dict(turn.state.data.get("answers", {}))
    if not answers:
        data = {k: v for k, v in turn.state.data.items() if k not in ("answers", "birthday")}
        turn.goto("join:birthday", **data)
        return [_ask_birthday(turn)]
    answers.popitem()
    turn.goto("join:consent", **{**turn.state.data, "answers": answers})
    return [_ask_consent(turn)]


async def _enrol(turn: Turn) -> list[Reply]:
    _ = turn._
    data = turn.state.data
    inbound = turn.inbound
    phone = data.get("phone")
    # the till may have enrolled this (shared, so proven) number while they were answering
    member = await chats.linkable(turn.uow, phone) if phone else None
    if member is None:
        member = await members.add(
            turn.uow, turn.program, turn.now, phone, name=data["name"],
            birthday=data.get("birthday"), locale=turn.speaker.language,
        )  # fmt: skip
    channel = Channel(turn.consent_channel)
    for purpose in MARKETING:
        if data["answers"][purpose.value]:
            await members.set_consent(
                turn.uow, member, purpose, channel, True, turn.now, f"chat:{inbound.channel}",
                consent_question(purpose, _),
            )  # fmt: skip
    turn.member = await chats.link(
        turn.uow, member.id, inbound.channel, inbound.address, inbound.language, turn.now
    )
    turn.done()
    welcome = _(
        "Welcome to {club}, {name}. Your member number is {number}. You can change what we "
        "send you at any time in Preferences."
    ).format(
        club=turn.program.club.name, name=member.name, number=members.member_number(member.id)
    )
    return [with_menu(turn, welcome)]
