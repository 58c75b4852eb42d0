"""Rewards in the chat: what the member's points can take now and what is within reach,
taking one (confirmed first) for a voucher with its QR code, and the member's vouchers,
each shown again or cancelled (confirmed first, its points given back); an experience
shows its appointment instead (its time chosen and booked in handlers.experiences).

Every button names what it acts on (`rtake:care_kit:0`, `vdrop:12`): a stale one is read
again against the ledger and the voucher's state, and changes nothing it should not; a Yes
to take carries how many vouchers the member had when asked, so pressed twice it takes one.
"""

from __future__ import annotations

import secrets
from dataclasses import replace

from babel.numbers import format_percent

from handlers.conversation.dialog import Button, Reply, Turn
from handlers.conversation.menu import link_first, main_menu, with_menu
from handlers.conversation.router import Router
from loyalty.ids import parse_id
from loyalty.points import InsufficientPoints
from loyalty.rewards import Reward, Status, Voucher, voucher_number
from services import rewards
from services.rewards import RewardError

router = Router()
SHOWN_ENDED = 5  # used, cancelled or expired vouchers listed, newest first


def _key() -> str:
    return secrets.token_urlsafe(32)


def _with(turn: Turn, text: str, *rows: tuple[Button, ...]) -> Reply:
    """`text` with its own options first, then the main menu: never a dead end."""
    return Reply(text, (*rows, *main_menu(turn)))


def _name(turn: Turn, key: str) -> str:
    chosen = turn.program.rewards.get(key)
    return chosen.name[turn.speaker.language] if chosen is not None else key


def point_count(turn: Turn, amount: int) -> str:
    return turn.speaker.ngettext("{points} point", "{points} points", amount).format(
        points=turn.speaker.number(amount)
    )


@router.command("rewards")
@router.action("rewards")
@router.intent(lambda _: _("rewards, reward, redeem, redeem my points, use my points"))
async def show_rewards(turn: Turn) -> list[Reply]:
    """What the member may take now (a button each), what is within reach, and, apart and
    with no button, what has none left: a member saving for it learns why it is not offered,
    and that it may come back (a voucher cancelled or expired puts its one back)."""
    if turn.member is None:
        return link_first(turn)
    _, lang = turn._, turn.speaker.language
    offers = await rewards.offers(turn.uow, turn.member, turn.now, turn.program)
    now = [offer for offer in offers if offer.short == 0 and offer.available]
    later = [offer for offer in offers if offer.short > 0 and offer.available]
    gone = [offer for offer in offers if not offer.available]  # told, never offered to take
    lines = [_("Rewards you can take now:") if now else _("No reward within your points yet.")]
    for offer in now:
        lines.append(f"• {offer.reward.name[lang]} · {point_count(turn, offer.reward.cost)}")
        lines.append(f"  {offer.reward.description[lang]}")
    if later:
        lines.append(_("Within reach:"))
    for offer in later:
        to_go = turn.speaker.ngettext(
            "{points} point to go", "{points} points to go", offer.short
        ).format(points=turn.speaker.number(offer.short))
        lines.append(f"• {offer.reward.name[lang]} · {to_go}")
    if gone:
        lines.append(_("None left for now (one may come back when a voucher is returned):"))
    for offer in gone:
        lines.append(f"• {offer.reward.name[lang]} · {point_count(turn, offer.reward.cost)}")
    buttons = [(Button(offer.reward.name[lang], _first_step(offer.key, offer.reward)),)
               for offer in now]  # fmt: skip
    buttons.append((Button(_("My vouchers"), "vouchers"),))
    return [_with(turn, "\n".join(lines), *buttons)]


def _first_step(key: str, chosen: Reward) -> str:
    """A voucher is confirmed at once; an experience's time is chosen first (experiences)."""
    return f"xsvc:{key}" if chosen.service is not None else f"reward:{key}"


@router.action("reward")
async def ask_take(turn: Turn) -> list[Reply]:
    """Confirm before the points are held."""
    if turn.member is None:
        return link_first(turn)
    _, key = turn._, (turn.inbound.action or "").partition(":")[2]
    chosen = turn.program.rewards.get(key)
    if chosen is None:
        return [_with(turn, _("This reward is no longer offered."), _rewards_row(turn))]
    question = _("Take {reward} for {points}?").format(
        reward=chosen.name[turn.speaker.language], points=point_count(turn, chosen.cost)
    )
    held = len(await rewards.vouchers_of(turn.uow, turn.member))  # a Yes pressed twice: once
    # an experience's time is chosen before it is taken (a list from before offers this)
    yes = f"xsvc:{key}" if chosen.service is not None else f"rtake:{key}:{held}"
    yes_no = (Button(_("Yes"), yes), Button(_("No"), "rewards"))
    return [Reply(question, (yes_no, *main_menu(turn)))]


def _rewards_row(turn: Turn) -> tuple[Button, ...]:
    return (Button(turn._("Rewards"), "rewards"), Button(turn._("My vouchers"), "vouchers"))


@router.action("rtake")
async def take(turn: Turn) -> list[Reply]:
    """Take the reward: its points held, a voucher given with its QR code."""
    if turn.member is None:
        return link_first(turn)
    _ = turn._
    key, _sep, asked = (turn.inbound.action or "").partition(":")[2].partition(":")
    if not await asked_once(turn, asked):
        return answered(turn)
    try:
        voucher = await rewards.take(turn.uow, turn.member, key, turn.now, turn.program)
    except InsufficientPoints as short:
        return short_of(turn, short)
    except RewardError:
        return unavailable(turn)
    return await _voucher_replies(turn, voucher, _("Done: your points are held for it."))


async def asked_once(turn: Turn, asked: str) -> bool:
    """Whether a Yes to take is the first: it carries how many vouchers the member had when
    asked (pressed again, or stale, it no longer matches)."""
    assert turn.member is not None
    return str(len(await rewards.vouchers_of(turn.uow, turn.member))) == asked


def answered(turn: Turn) -> list[Reply]:
    text = turn._("This was answered already: nothing more was taken.")
    return [_with(turn, text, _rewards_row(turn))]


def short_of(turn: Turn, short: InsufficientPoints) -> list[Reply]:
    text = turn._("Not enough points for this reward: you have {balance}, it needs {cost}.")
    said = text.format(
        balance=turn.speaker.number(short.balance), cost=turn.speaker.number(short.wanted)
    )
    return [_with(turn, said, _rewards_row(turn))]


def unavailable(turn: Turn) -> list[Reply]:
    said = turn._("Sorry, this reward is no longer available to you: nothing was taken.")
    return [_with(turn, said, _rewards_row(turn))]


async def _voucher_replies(turn: Turn, voucher: Voucher, intro: str) -> list[Reply]:
    """The voucher: what it is, until when, and its QR code for the till."""
    _ = turn._
    lines = [intro, _describe(turn, voucher)]
    chosen = turn.program.rewards.get(voucher.reward)
    if chosen is not None:
        lines.append(chosen.description[turn.speaker.language])
    if voucher.expires_at is not None:
        lines.append(_("Valid until {date}.").format(date=turn.speaker.date(voucher.expires_at)))
    code = await rewards.code(turn.uow, voucher, _key)
    till = _with(turn, _("Show this code at the till."), _rewards_row(turn))
    return [Reply("\n".join(lines)), replace(till, qr=code)]


def _describe(turn: Turn, voucher: Voucher) -> str:
    """ "V00012 · Member's discount (10% off)"."""
    name = _name(turn, voucher.reward)
    if voucher.discount is not None:
        percent = format_percent(voucher.discount / 100, locale=turn.speaker.language)
        name = turn._("{reward} ({percent} off)").format(reward=name, percent=percent)
    return f"{voucher.number} · {name}"


@router.command("vouchers")
@router.action("vouchers")
@router.intent(lambda _: _("vouchers, my vouchers, voucher"))
async def show_vouchers(turn: Turn) -> list[Reply]:
    """Held vouchers (a button each to show or cancel), then the latest ended ones."""
    if turn.member is None:
        return link_first(turn)
    _ = turn._
    mine = await rewards.vouchers_of(turn.uow, turn.member)
    held = [v for v in mine if v.status is Status.HELD and not v.expired(turn.now)]
    ended = [v for v in mine if v not in held][:SHOWN_ENDED]
    lines = [_("Your vouchers:") if held else _("You hold no voucher now.")]
    rows: list[tuple[Button, ...]] = []
    for voucher in held:
        booking = await rewards.booking_of(turn.uow, voucher)
        if booking is not None:  # an experience: its time, changed or cancelled there
            at = turn.speaker.day_and_time(booking.starts_at)
            when = _("{when} (your time)").format(when=at)
            lines.append(f"• {_describe(turn, voucher)} · {when}")
            label = _("Change or cancel {number}").format(number=voucher.number)
            if booking.starts_at > turn.now:
                rows.append((Button(label, f"apt:{booking.id}"),))
            continue
        until = (
            _("valid until {date}").format(date=turn.speaker.date(voucher.expires_at))
            if voucher.expires_at is not None
            else _("valid until used")
        )
        lines.append(f"• {_describe(turn, voucher)} · {until}")
        rows.append((
            Button(_("Show {number}").format(number=voucher.number), f"vqr:{voucher.id}"),
            Button(_("Cancel {number}").format(number=voucher.number), f"vcancel:{voucher.id}"),
        ))  # fmt: skip
    if ended:
        lines.append(_("Before:"))
    for voucher in ended:
        lines.append(f"• {_describe(turn, voucher)} · {_status(turn, voucher)}")
    rows.append((Button(_("Rewards"), "rewards"),))
    return [_with(turn, "\n".join(lines), *rows)]


def _status(turn: Turn, voucher: Voucher) -> str:
    _ = turn._
    when = voucher.ended_at or voucher.expires_at
    day = turn.speaker.date(when) if when is not None else ""
    return {
        Status.USED: _("used on {date}"),
        Status.CANCELLED: _("cancelled on {date}"),
        Status.EXPIRED: _("expired on {date}"),
        Status.HELD: _("expired on {date}"),  # past its end, not yet given back
    }[voucher.status].format(date=day)


async def _mine(turn: Turn) -> Voucher | None:
    """The member's own voucher the button names; None for anyone else's or none."""
    voucher_id = parse_id((turn.inbound.action or "").partition(":")[2])
    if turn.member is None or voucher_id is None:
        return None
    try:
        found = await rewards.find(turn.uow, voucher_number(voucher_id), _key)
    except RewardError:
        return None
    return found if found.member_id == turn.member.id else None


def _gone(turn: Turn) -> list[Reply]:
    text = turn._("This voucher is no longer held: nothing was changed.")
    return [_with(turn, text, _rewards_row(turn))]


@router.action("vqr")
async def show_voucher(turn: Turn) -> list[Reply]:
    if turn.member is None:
        return link_first(turn)
    voucher = await _mine(turn)
    if voucher is None or voucher.status is not Status.HELD or voucher.expired(turn.now):
        return _gone(turn)
    if voucher.appointment_id is not None:  # an experience has its time, not a code
        return await show_vouchers(turn)
    return await _voucher_replies(turn, voucher, turn._("Your voucher:"))


@router.action("vcancel")
async def ask_cancel(turn: Turn) -> list[Reply]:
    """Confirm before a held voucher is given up."""
    if turn.member is None:
        return link_first(turn)
    voucher = await _mine(turn)
    if voucher is None or voucher.status is not Status.HELD:
        return _gone(turn)
    question = turn._("Cancel {voucher}? Its {points} come back to you.").format(
        voucher=_describe(turn, voucher), points=point_count(turn, voucher.points)
    )
    yes_no = (Button(turn._("Yes"), f"vdrop:{voucher.id}"), Button(turn._("No"), "vouchers"))
    return [Reply(question, (yes_no, *main_menu(turn)))]


@router.action("vdrop")
async def cancel(turn: Turn) -> list[Reply]:
    if turn.member is None:
        return link_first(turn)
    voucher = await _mine(turn)
    if voucher is None:
        return _gone(turn)
    try:
        await rewards.cancel(turn.uow, voucher.number, turn.now, turn.program, _key)
    except RewardError:
        return _gone(turn)
    return [with_menu(turn, returned(turn, voucher))]


def returned(turn: Turn, voucher: Voucher) -> str:
    """What the member is told of a voucher given back (an experience's, with its booking)."""
    return turn._("{voucher} is cancelled: its {points} are back on your card.").format(
        voucher=voucher.number, points=point_count(turn, voucher.points)
    )
