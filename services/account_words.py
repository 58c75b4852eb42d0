"""The words of account news (services/account_news.py) when it goes: in the member's
language and zone, from the account as it is then (a day's later purchases are in its
message; points spent since are not said to expire; a reward taken, or with none left,
since it came within reach is not said to be)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time

from babel.lists import format_list

from locales import Speaker
from loyalty import account_news as rules
from loyalty import points, rewards
from loyalty.account import Account
from loyalty.account_news import KINDS as KINDS
from loyalty.program import Program
from loyalty.records import Member, OutboxMessage
from loyalty.stores import UnitOfWork
from services.wording import Greeting, first_name


async def words(
    uow: UnitOfWork,
    program: Program,
    row: OutboxMessage,
    member: Member,
    speaker: Speaker,
    now: datetime,
) -> Greeting | None:
    """The words of one piece of account news; None when it is no longer true."""
    _ = speaker.gettext
    name, club = first_name(member.name), program.club.name
    values = {"first_name": name, "club": club}
    lines = [_("Dear {name},").format(name=name) if name else _("Dear member,")]
    acct = (await uow.accounts.load([member.id]))[member.id]
    entries = acct.entries
    template = row.kind
    if row.kind == rules.EARNED:
        said = await _day(uow, program, row, acct, speaker, values)
        if said is None:
            return None  # refunded since
        template = said[0]
        lines += said[1]
    elif row.kind == rules.REACH:
        names = await _within_reach(uow, program, acct, [row.variables["reward"]], speaker)
        if not names:
            return None  # taken, out of stock or out of the points since
        values["reward"] = names
        lines.append(
            _("Your points now cover {reward}: see Rewards in the menu to take it.").format(
                reward=names
            )
        )
    elif row.kind == rules.TIER:
        tier = program.tiers.level(row.variables["tier"]).name[speaker.language]
        values["tier"] = tier
        lines.append(_("You are now a {tier} member of {club}.").format(tier=tier, club=club))
    elif row.kind == rules.BADGE:
        badge = program.badges[row.variables["badge"]].name[speaker.language]
        values["badge"] = badge
        lines.append(_("You have earned the badge “{badge}”.").format(badge=badge))
    else:
        on = datetime.fromisoformat(row.variables["on"])
        left = rules.expiring_on(entries, on, now, program.points.expiry_months)
        if left <= 0:
            return None  # spent, or expired, since
        values |= {"points": str(left), "date": speaker.date(on)}
        lines.append(
            speaker.ngettext(
                "{points} point on your card expires on {date}.",
                "{points} points on your card expire on {date}.",
                left,
            ).format(points=speaker.number(left), date=speaker.date(on))
        )
    return Greeting("\n".join(lines), values, template)


async def _day(
    uow: UnitOfWork,
    program: Program,
    row: OutboxMessage,
    acct: Account,
    speaker: Speaker,
    values: dict[str, str],
) -> tuple[str, list[str]] | None:
    """A day of purchases: what it earned, the balance, and the rewards it brought within
    reach that still are; its template and lines (`values` filled in). None: refunded."""
    _ = speaker.gettext
    day = date.fromisoformat(row.variables["day"])
    earned = rules.earned_on(acct.entries, day, speaker.zone)
    if earned <= 0:
        return None
    balance = points.balance(acct.entries)
    when = speaker.date(datetime.combine(day, time(12), speaker.zone))
    values |= {"points": str(earned), "balance": str(balance), "day": when}
    lines = [
        speaker.ngettext(
            "Your purchases of {day} earned you {points} point.",
            "Your purchases of {day} earned you {points} points.",
            earned,
        ).format(day=when, points=speaker.number(earned)),
        speaker.ngettext(
            "Your balance is now {balance} point.",
            "Your balance is now {balance} points.",
            balance,
        ).format(balance=speaker.number(balance)),
    ]
    told = [key for key in row.variables.get(rules.REWARDS, "").split(",") if key]
    names = await _within_reach(uow, program, acct, told, speaker)
    if not names:
        return rules.EARNED, lines
    values["rewards"] = names
    lines.append(
        _("You can now take {rewards} with your points: see Rewards in the menu.").format(
            rewards=names
        )
    )
    naming = program.whatsapp.templates.get(rules.EARNED_REACH)  # else the day's own
    return (rules.EARNED_REACH if naming else rules.EARNED), lines


async def _within_reach(
    uow: UnitOfWork, program: Program, acct: Account, keys: Sequence[str], speaker: Speaker
) -> str:
    """The names of the rewards `keys` the member may still take now, as a list in their
    language ("" for none)."""
    if not keys:
        return ""
    tier = acct.tier_state(program).tier
    out = await uow.rewards.out()
    offers = rewards.offers(program.rewards, tier, acct.badges, acct.balance, out)
    found = rules.still_within_reach(keys, offers)
    names = [offer.reward.name[speaker.language] for offer in found]
    return format_list(names, locale=speaker.language) if names else ""
