"""The WhatsApp templates of the program file: outside the 24-hour window, the club's own
messages go out only as templates Meta approved, one per kind and language."""

from __future__ import annotations

from pydantic import Field, field_validator

from loyalty.strict import Strict

TEMPLATE_VARIABLES: dict[str, frozenset[str]] = {
    # the kinds of message that may go out as a template, and the values each can fill in
    "reopen": frozenset({"first_name", "club"}),
    "birthday": frozenset({"first_name", "club", "tier", "points"}),
    "anniversary": frozenset({"first_name", "club", "tier", "years", "occasion"}),
    # news of an event: an invitation, a reminder, a freed seat, a cancellation
    **dict.fromkeys(("invitation", "reminder", "seat_offered", "event_cancelled"),
                    frozenset({"first_name", "club", "event", "when"})),
    # an event moved (its time or place changed): when it is now, until when, where
    "event_moved": frozenset({"first_name", "club", "event", "when", "end", "place"}),
    # news of a booking: its reminder, its cancellation by the club (a closure, or staff)
    **dict.fromkeys(("appointment_reminder", "appointment_cancelled"),
                    frozenset({"first_name", "club", "service", "when"})),
    # account news (loyalty/account_news.py)
    "points_earned": frozenset({"first_name", "club", "points", "balance", "day"}),
    "tier_reached": frozenset({"first_name", "club", "tier"}),
    "badge_earned": frozenset({"first_name", "club", "badge"}),
    "points_expiring": frozenset({"first_name", "club", "points", "date"}),
    # the day's purchases with the rewards they brought within reach; such a reward alone
    "points_earned_reach": frozenset({"first_name", "club", "points", "balance", "day",
                                      "rewards"}),
    "reward_within_reach": frozenset({"first_name", "club", "reward"}),
}  # fmt: skip


class Template(Strict):
    """A WhatsApp template approved by Meta: its Twilio Content SID, and what fills {{1}}..."""

    sid: str = Field(pattern=r"^HX[0-9a-fA-F]{32}$")
    variables: list[str] = Field(default_factory=list)
    # the payloads of its quick-reply buttons, as set in Twilio: each names an action
    buttons: list[str] = Field(default_factory=list)


class WhatsApp(Strict):
    templates: dict[str, dict[str, Template]] = Field(default_factory=dict)  # kind -> language

    @field_validator("templates")
    @classmethod
    def _known_kinds(cls, value: dict[str, dict[str, Template]]) -> dict[str, dict[str, Template]]:
        for kind, languages in value.items():
            if kind not in TEMPLATE_VARIABLES:
                known = ", ".join(sorted(TEMPLATE_VARIABLES))
                raise ValueError(f"unknown message kind {kind!r} (known: {known})")
            for language, template in languages.items():
                unknown = set(template.variables) - TEMPLATE_VARIABLES[kind]
                if unknown:
                    raise ValueError(
                        f"{kind}.{language}: unknown variable {sorted(unknown)[0]!r} (known: "
                        f"{', '.join(sorted(TEMPLATE_VARIABLES[kind]))})"
                    )
        return value
