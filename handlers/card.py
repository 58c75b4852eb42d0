"""The member card as text: what a member sees, and the staff view with the segment."""

from __future__ import annotations

import secrets
from dataclasses import replace

from handlers.conversation.dialog import Reply, Turn
from handlers.conversation.menu import link_first, with_menu
from handlers.conversation.router import Router
from locales import Speaker
from loyalty.membercard import qr_payload
from loyalty.program import Program
from services import members
from services.members import Card, member_number
from services.wording import first_name

router = Router()


def segment_name(key: str, speaker: Speaker) -> str:
    _ = speaker.gettext
    names = {
        "high_value_collector": _("High-value collector"),
        "custom_client": _("Custom client"),
        "milestone_buyer": _("Milestone buyer"),
        "new_repeat_buyer": _("New repeat buyer"),
        "dormant_but_promising": _("Dormant but promising"),
    }
    return names.get(key, key)


def render_card(card: Card, program: Program, speaker: Speaker, staff: bool = False) -> str:
    """The card in the member's language; segments (inferred) only in the staff view."""
    _ = speaker.gettext
    lang = speaker.language
    member = card.member
    tier = program.tiers.level(card.tier.tier).name[lang]
    lines = [
        program.club.name,
        _("{name} · member {number}").format(
            name=member.name or _("Member"), number=member_number(member.id)
        ),
        _("Points: {points}").format(points=speaker.number(card.points)),
        _("Tier: {tier}").format(tier=tier),
    ]
    remaining = card.remaining_in_currency(program)
    if card.progress is not None and remaining is not None:
        next_tier = card.progress.next_tier.name[lang]
        if program.tiers.qualify_on == "points":
            lines.append(
                speaker.ngettext(
                    "{points} point (about {money}) to {tier}",
                    "{points} points (about {money}) to {tier}",
                    int(card.progress.remaining),
                ).format(
                    points=speaker.number(card.progress.remaining),
                    money=speaker.money(remaining, card.currency),
                    tier=next_tier,
                )
            )
        else:
            lines.append(
                _("{money} to {tier}").format(
                    money=speaker.money(remaining, card.currency), tier=next_tier
                )
            )
    if card.badges:
        names = ", ".join(program.badges[key].name[lang] for key in card.badges)
        lines.append(_("Badges: {badges}").format(badges=names))
    if card.next_badge:
        badge = program.badges[card.next_badge].name[lang]
        if staff:  # about the member, by name: staff read it, not the member
            who = first_name(member.name) or member_number(member.id)
            lines.append(_("Next badge within {name}'s reach: {badge}").format(
                name=who, badge=badge
            ))  # fmt: skip
        else:
            lines.append(_("Next badge within reach: {badge}").format(badge=badge))
    for when, amount in card.expiring:
        lines.append(
            speaker.ngettext(
                "{points} point expires on {date}", "{points} points expire on {date}", amount
            ).format(points=speaker.number(amount), date=speaker.date(when))
        )
    if staff:
        lines.append(_("Phone: {phone}").format(phone=member.phone or "—"))
        segments = ", ".join(segment_name(s, speaker) for s in card.segments) or "—"
        lines.append(_("Segment: {segments}").format(segments=segments))
    return "\n".join(lines)


@router.command("card")
@router.action("card")
@router.intent(
    lambda _: _(
        "card, my card, member card, membership, points, my points, balance, tier, level, "
        "status, badges, badge, qr"
    )
)
async def show_card(turn: Turn) -> list[Reply]:
    if turn.member is None:
        return link_first(turn)
    card = await members.card(turn.uow, turn.member, turn.now, turn.program)
    key = await members.qr_key(turn.uow, lambda: secrets.token_urlsafe(32))
    qr = qr_payload(member_number(turn.member.id), key)
    till = with_menu(turn, turn._("Show this code at the till."))
    return [Reply(render_card(card, turn.program, turn.speaker)), replace(till, qr=qr)]
