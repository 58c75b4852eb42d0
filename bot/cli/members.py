"""Staff tools for members: enrol, show, consent, points, tiers, invitations, cards.

Export and erasure: bot/cli/privacy.py.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import TYPE_CHECKING

import click

from bot.bootstrap import Concierge
from bot.cli.params import Text
from bot.cli.running import transaction
from handlers.card import render_card
from handlers.history import render_history
from loyalty.consent import Channel, Purpose
from loyalty.ids import INT4_MAX
from loyalty.program import Program
from services import members, privacy
from services.wording import speaker_for

if TYPE_CHECKING:
    from loyalty.records import Member
    from storage.unit_of_work import UnitOfWork

    # members.redeem, members.adjust
    Entry = Callable[[UnitOfWork, Member, int, str, str, datetime, Program], Awaitable[int]]


@click.group("members")
def members_group() -> None:
    """Staff tools for members: MEMBER is a member number (M00042) or a phone number."""


@members_group.command("add")
@click.argument("phone")
@click.option("--name", type=Text())
@click.option("--email", type=Text())
@click.option("--birthday", help="MM-DD or YYYY-MM-DD")
@click.option("--timezone", help="e.g. Europe/Paris; default: the store's")
@click.option("--locale", help="one of the club's languages")
@click.option(
    "--anniversary",
    "anniversaries",
    multiple=True,
    metavar="KIND=YYYY-MM-DD",
    help="a date the member declared, e.g. wedding=2015-06-20 (repeatable)",
)
@transaction
async def members_add(
    uow: UnitOfWork, app: Concierge, phone: str, anniversaries: tuple[str, ...],
    **profile: str | None,
) -> None:  # fmt: skip
    """Enrol a member."""
    dates = [(kind, on) for kind, _, on in (given.partition("=") for given in anniversaries)]
    member = await members.enrol(uow, app.program, app.clock(), phone, dates, **profile)
    click.echo(f"member {members.member_number(member.id)} added")


@members_group.command("show")
@click.argument("member")
@transaction
async def members_show(uow: UnitOfWork, app: Concierge, member: str) -> None:
    """The staff view of a member's card (hidden tier and segment included); of an erased
    member, what is left for the books."""
    found = await members.look_up(uow, member, app.program)
    if members.erased_on(found, app.program) is not None:
        left = await privacy.remainder(uow, found, app.program)
        click.echo(
            f"{left.number} · erased on {left.erased_on.isoformat()} · {left.points:,} points "
            "(ledger kept, anonymous, for the books)"
        )
        return
    card = await members.card(uow, found, app.clock(), app.program)
    speaker = speaker_for(found.locale, found.timezone, app.program)
    click.echo(render_card(card, app.program, speaker, staff=True))


@members_group.command("consent")
@click.argument("member")
@click.argument("purpose", type=click.Choice([p.value for p in Purpose]))
@click.argument("channel", type=click.Choice([c.value for c in Channel]))
@click.option("--grant/--revoke", required=True)
@click.option(
    "--wording",
    default="recorded by staff",
    show_default=True,
    type=Text(lines=True),
    help="What the member was told or agreed to.",
)
@transaction
async def members_consent(
    uow: UnitOfWork, app: Concierge, member: str, purpose: str, channel: str, grant: bool,
    wording: str,
) -> None:  # fmt: skip
    """Grant or revoke one purpose on one channel (recorded with its source)."""
    found = await members.find(uow, member, app.program)
    changed = await members.set_consent(
        uow, found, Purpose(purpose), Channel(channel), grant, app.clock(), "staff-cli", wording
    )
    state = "granted" if grant else "revoked"
    verb = "is now" if changed else "was already"
    click.echo(f"{purpose} on {channel} {verb} {state}")


async def _entry(
    uow: UnitOfWork, app: Concierge, member: str, make: Entry, points: int, note: str
) -> int:
    """A ledger entry staff make, under a key of its own (each command is a new entry);
    returns the balance."""
    found = await members.find(uow, member, app.program)
    return await make(uow, found, points, str(uuid.uuid4()), note, app.clock(), app.program)


@members_group.command("redeem")
@click.argument("member")
@click.argument("points", type=click.IntRange(1, INT4_MAX))
@click.option(
    "--note", default="", type=Text(lines=True), help="What the points were exchanged for."
)
@transaction
async def members_redeem(
    uow: UnitOfWork, app: Concierge, member: str, points: int, note: str
) -> None:
    """Take points from a member's balance (never below zero)."""
    left = await _entry(uow, app, member, members.redeem, points, note)
    click.echo(f"redeemed {points} points; balance {left}")


@members_group.command("adjust", context_settings={"ignore_unknown_options": True})
@click.argument("member")
@click.argument("points", type=click.IntRange(-INT4_MAX, INT4_MAX))
@click.option(
    "--note", required=True, type=Text(lines=True), help="Why, in words the member can read."
)
@transaction
async def members_adjust(
    uow: UnitOfWork, app: Concierge, member: str, points: int, note: str
) -> None:
    """Correct a balance either way (goodwill, a mistake); never below zero."""
    left = await _entry(uow, app, member, members.adjust, points, note)
    click.echo(f"adjusted by {points:+d} points; balance {left}")


@members_group.command("history")
@click.argument("member")
@click.option("--last", type=click.IntRange(1, 500), default=20, show_default=True)
@transaction
async def members_history(uow: UnitOfWork, app: Concierge, member: str, last: int) -> None:
    """The member's latest ledger entries with their reasons, as the member reads them."""
    found = await members.find(uow, member, app.program)
    speaker = speaker_for(found.locale, found.timezone, app.program)
    for line in render_history(await members.statement(uow, found, last), speaker):
        click.echo(line)


@members_group.command("tier")
@click.argument("member")
@click.argument("tier", required=False)
@click.option("--clear", is_flag=True, help="Back to the tier the member has earned.")
@transaction
async def members_tier(
    uow: UnitOfWork, app: Concierge, member: str, tier: str | None, clear: bool
) -> None:
    """Invite a member into an invite-only tier (e.g. ambassador), or --clear it."""
    found = await members.find(uow, member, app.program)
    if (tier is None) == (not clear):
        raise members.MemberError("give an invite-only TIER, or --clear")
    state = await members.set_invited_tier(uow, found, tier, app.clock(), app.program)
    click.echo(f"{members.member_number(found.id)} is now in tier {state.tier}")


@members_group.command("invite")
@click.argument("member")
@transaction
async def members_invite(uow: UnitOfWork, app: Concierge, member: str) -> None:
    """Print a single-use Telegram link (valid 14 days) that links the member's account."""
    from bot.channels.telegram import telegram_channel

    found = await members.find(uow, member, app.program)
    telegram = telegram_channel(app)
    if telegram is None:
        raise members.MemberError("Telegram is off: set TELEGRAM_BOT_TOKEN")
    me = await telegram.bot.get_me()
    token = secrets.token_urlsafe(24)
    expires = await members.invite(uow, found, token, app.clock())
    click.echo(f"https://t.me/{me.username}?start={token}")
    click.echo(f"valid until {expires:%Y-%m-%d %H:%M} UTC, once", err=True)


@members_group.command("verify-qr")
@click.argument("payload")
@transaction
async def members_verify_qr(uow: UnitOfWork, app: Concierge, payload: str) -> None:
    """Check the text a till scanner read from a member's QR code."""
    number, member, card = await members.verify_card(
        uow, payload, lambda: secrets.token_urlsafe(32), app.clock(), app.program
    )
    tier = app.program.tiers.level(card.tier.tier).name[app.program.club.default_language]
    click.echo(f"genuine: {number} {member.name or ''} · {tier} · {card.points} points")


COMMANDS = (members_group,)
