"""Staff and the till with rewards: the program's rewards, a member's vouchers, a voucher
used or cancelled."""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING

import click

from bot.bootstrap import Concierge
from bot.cli.running import transaction
from loyalty.rewards import Status, Voucher
from services import members, rewards

if TYPE_CHECKING:
    from storage.unit_of_work import UnitOfWork


def _key() -> str:
    return secrets.token_urlsafe(32)


@click.group("rewards")
def rewards_group() -> None:
    """Rewards members take with their points, and their vouchers at the till."""


@rewards_group.command("list")
@transaction
async def rewards_list(uow: UnitOfWork, app: Concierge) -> None:
    """The program's rewards: key, cost, kind, who may take them, stock (and how many are
    left), validity."""
    staff = app.program.club.staff_language or app.program.club.default_language
    left = await rewards.stock_left(uow, app.program)
    for key, reward in app.program.rewards.items():
        who = ", ".join(reward.tiers or reward.discount) or "every tier"
        if reward.badges:
            who += " with " + ", ".join(reward.badges)
        stock = "unlimited" if left[key] is None else f"stock {reward.stock}, {left[key]} left"
        days = f"valid {reward.valid_days} days" if reward.valid_days else "no end"
        click.echo(
            f"{key} · {reward.name[staff]} · {reward.cost:,} points · {reward.kind} · "
            f"{who} · {stock} · {days}"
        )


def _line(voucher: Voucher, name: str) -> str:
    until = voucher.expires_at.date().isoformat() if voucher.expires_at else "no end"
    off = f" · {voucher.discount.normalize():f}% off" if voucher.discount else ""
    return (
        f"{voucher.number} · {name}{off} · {voucher.points:,} points · {voucher.status.value}"
        f" · taken {voucher.taken_at.date().isoformat()} · until {until}"
    )


def _name(app: Concierge, key: str) -> str:
    staff = app.program.club.staff_language or app.program.club.default_language
    reward = app.program.rewards.get(key)
    return reward.name[staff] if reward else key


@rewards_group.command("vouchers")
@click.argument("member")
@transaction
async def rewards_vouchers(uow: UnitOfWork, app: Concierge, member: str) -> None:
    """A member's vouchers, newest first, with their QR text while they can be used (an
    experience's: its appointment, in the store's time)."""
    found = await members.look_up(uow, member, app.program)
    taken = await rewards.vouchers_of(uow, found)
    if not taken:
        click.echo(f"{members.member_number(found.id)} has no vouchers")
    zone = app.program.club.zone
    for voucher in taken:
        click.echo(_line(voucher, _name(app, voucher.reward)))
        booking = await rewards.booking_of(uow, voucher)
        if voucher.status is Status.HELD and booking is not None:  # an experience: no code
            at = booking.starts_at.astimezone(zone).strftime("%Y-%m-%d %H:%M")
            click.echo(f"  appointment {booking.id} · {at} ({zone.key})")
        elif voucher.status is Status.HELD and not voucher.expired(app.clock()):
            click.echo(f"  {await rewards.code(uow, voucher, _key)}")


@rewards_group.command("use")
@click.argument("voucher")
@transaction
async def rewards_use(uow: UnitOfWork, app: Concierge, voucher: str) -> None:
    """Use a voucher at the till: VOUCHER is the text its QR code holds (what the scanner
    reads). Once only."""
    used = await rewards.use(uow, voucher, app.clock(), app.program, _key)
    click.echo(
        f"{used.number} used: {_line(used, _name(app, used.reward)).split(' · ', 1)[1]}"
        f" · member {members.member_number(used.member_id)}"
    )


@rewards_group.command("cancel")
@click.argument("voucher")
@transaction
async def rewards_cancel(uow: UnitOfWork, app: Concierge, voucher: str) -> None:
    """Cancel a voucher not used yet (its QR text or its number, V00012): its points go
    back to the member."""
    ended = await rewards.cancel(uow, voucher, app.clock(), app.program, _key)
    click.echo(f"{ended.number} cancelled; {ended.points:,} points given back")


COMMANDS = (rewards_group,)
