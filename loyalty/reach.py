"""Where a message to a member can go: which channel, at which address, or why nowhere.

A marketing message (birthday, events...) goes on a channel the member agreed to for its
purpose, the preferred one first. News of something the member asked for (their RSVP, their
booking) goes on the channel they asked on, without a separate yes, until they turn it off.
On WhatsApp the phone number is the address: a member who never wrote to us there is
reached at the number they gave, unless that chat has told us it takes nothing more.
"""

from __future__ import annotations

from collections.abc import Iterable

from loyalty.consent import Channel, Purpose, allows

NO_CONSENT = "no consent for this on any channel"
NO_CHAT = "agreed, but on no channel we can reach them on"
TURNED_OFF = "turned off on the channel it was asked on"
UNREACHABLE = "the chat it was asked on takes no more messages"

Identity = tuple[str, str, bool]  # channel, address, still takes our messages
_CHANNELS = frozenset(c.value for c in Channel)  # a console chat is none of them


def addresses(phone: str | None, identities: Iterable[Identity]) -> dict[Channel, str]:
    """Each channel the member can be written to on, and the address there."""
    found: dict[Channel, str] = {}
    known: set[str] = set()
    for channel, address, reachable in identities:
        known.add(channel)
        if reachable and channel in _CHANNELS:
            found[Channel(channel)] = address
    if phone is not None and Channel.WHATSAPP not in known:
        found[Channel.WHATSAPP] = phone
    return found


def _channels(preferred: str | None) -> list[Channel]:
    """The preferred channel first, then the others."""
    first = [Channel(preferred)] if preferred else []
    return first + [c for c in Channel if c not in first]


def reach(
    preferred: str | None,
    standing: dict[tuple[Purpose, Channel], bool],
    chats: dict[Channel, str],
    purpose: Purpose,
) -> tuple[Channel | None, str | None]:
    """The channel to write on for `purpose`: the preferred one, else one it is allowed on
    and we can reach; or None and why not."""
    agreed = [c for c in _channels(preferred) if allows(standing, purpose, c)]
    if not agreed:
        return None, NO_CONSENT
    channel = next((c for c in agreed if c in chats), None)
    return channel, None if channel is not None else NO_CHAT


def reach_requester(
    asked_on: str | None,
    preferred: str | None,
    standing: dict[tuple[Purpose, Channel], bool],
    chats: dict[Channel, str],
) -> tuple[Channel | None, str | None]:
    """The channel for news of a member's own request: the one they asked on (for a request
    recorded before channels were, where the member is usually reached)."""
    if asked_on not in _CHANNELS:
        return reach(preferred, standing, chats, Purpose.SERVICE)
    channel = Channel(asked_on)
    if not allows(standing, Purpose.SERVICE, channel):
        return None, TURNED_OFF
    if channel not in chats:
        return None, UNREACHABLE
    return channel, None
