"""The words of birthday and anniversary messages, in the member's language and tier.

Only what the member told us or did with us is named (their name, their tier, the
occasion they declared); nothing inferred about them ever is.
"""

from __future__ import annotations

from dataclasses import dataclass

from locales import Speaker
from loyalty.occasions import BIRTHDAY, CLUB_ANNIVERSARY, FIRST_PURCHASE


@dataclass(frozen=True)
class Greeting:
    """What a message says, and the values an approved template fills in instead."""

    text: str
    variables: dict[str, str]
    template: str  # the template kind: "birthday" or "anniversary"


def salutation(first_name: str, speaker: Speaker) -> str:
    """ "Dear Giulia," (or "Dear member," when we have no name)."""
    _ = speaker.gettext
    return _("Dear {name},").format(name=first_name) if first_name else _("Dear member,")


def occasion_name(kind: str, speaker: Speaker) -> str:
    _ = speaker.gettext
    names = {
        CLUB_ANNIVERSARY: _("your anniversary with the club"),
        FIRST_PURCHASE: _("the anniversary of your first piece with us"),
        "wedding": _("your wedding anniversary"),
        "engagement": _("your engagement anniversary"),
    }
    return names.get(kind, _("your anniversary"))


def greeting(
    kind: str,
    years: int | None,
    first_name: str,
    tier: str,
    points: int,
    club: str,
    speaker: Speaker,
) -> Greeting:
    """The message for one occasion; `points` is the birthday gift (0: none)."""
    _ = speaker.gettext
    if kind == BIRTHDAY:
        lines = [_("Happy birthday, {name}!").format(name=first_name) if first_name
                 else _("Happy birthday!")]  # fmt: skip
        lines.append(_("Everyone at {club} sends you their warmest wishes.").format(club=club))
        if points:
            lines.append(
                speaker.ngettext(
                    "As a {tier} member, {points} point has been added to your card.",
                    "As a {tier} member, {points} points have been added to your card.",
                    points,
                ).format(tier=tier, points=speaker.number(points))
            )
        variables = {"first_name": first_name, "club": club, "tier": tier, "points": str(points)}
        return Greeting("\n".join(lines), variables, "birthday")
    occasion = occasion_name(kind, speaker)
    lines = [
        salutation(first_name, speaker),
        _("Today is {occasion}.").format(occasion=occasion)
        if not years
        else speaker.ngettext(
            "Today is {occasion}: {years} year.", "Today is {occasion}: {years} years.", years
        ).format(occasion=occasion, years=speaker.number(years)),
        _("Thank you for sharing it with {club}, as one of our {tier} members.").format(
            club=club, tier=tier
        ),
    ]
    variables = {
        "first_name": first_name, "club": club, "tier": tier, "years": str(years or ""),
        "occasion": occasion,
    }  # fmt: skip
    return Greeting("\n".join(lines), variables, "anniversary")
