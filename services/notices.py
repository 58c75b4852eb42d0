"""Messages the club sends about something a member has with it (an event, a booking):
each once per key. An invitation goes on a channel the member agreed to for its purpose;
news of the member's own request (their RSVP, their booking) on the channel they asked on,
with no separate yes, until they turn it off. Each row says why it may go (`basis`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from loyalty.consent import Purpose, current
from loyalty.reach import addresses, reach, reach_requester
from loyalty.stores import UnitOfWork


@dataclass(frozen=True)
class Request:
    """What the member asked for, and where: news of it goes there."""

    what: str  # "rsvp 12", "appointment 7"
    channel: str | None  # None: asked before channels were recorded


@dataclass(frozen=True)
class Notice:
    key: str  # idempotency: the same notice is queued once
    member_id: int
    variables: dict[str, str] = field(default_factory=dict)
    request: Request | None = None  # None: marketing, on the member's consent


async def send_once(
    uow: UnitOfWork, now: datetime, kind: str, purpose: Purpose, notices: list[Notice]
) -> int:
    """Queue the notices whose key is new, to members who can be reached for them; returns
    how many were queued."""
    members = await uow.members.many([notice.member_id for notice in notices])
    histories = await uow.consents.histories(list(members))
    identities = await uow.identities.of_members(list(members))
    rows = []
    for notice in notices:
        member = members.get(notice.member_id)
        if member is None or member.erased_at is not None:
            continue
        chats = addresses(member.phone, identities.get(member.id, []))
        standing = current(histories.get(member.id, []))
        if notice.request is None:
            channel, _ = reach(member.preferred_channel, standing, chats, purpose)
            basis = f"consent: {purpose.value}"
        else:
            channel, _ = reach_requester(
                notice.request.channel, member.preferred_channel, standing, chats
            )
            basis = f"requested: {notice.request.what}"
        if channel is None:
            continue
        rows.append({
            "key": notice.key, "member_id": member.id, "channel": channel.value,
            "address": chats[channel], "kind": kind, "purpose": purpose.value,
            "basis": basis, "due_at": now, "variables": notice.variables,
        })  # fmt: skip
    return len(await uow.outbox.add_many_once(now, rows))
