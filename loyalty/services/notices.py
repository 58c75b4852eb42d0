"""Messages the club sends about something a member has with it (an event, a booking):
each once per key, on a channel the member agreed to for its purpose."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from loyalty.consent import Purpose, current
from loyalty.services.occasions import reach

if TYPE_CHECKING:
    from storage.unit_of_work import UnitOfWork

Notice = tuple[str, int, dict[str, str]]  # idempotency key, member id, variables


async def send_once(
    uow: UnitOfWork, now: datetime, kind: str, purpose: Purpose, notices: list[Notice]
) -> int:
    """Queue the notices whose key is new, to members who can be reached for `purpose`;
    returns how many were queued."""
    members = await uow.members.many([member for _, member, _ in notices])
    histories = await uow.consents.histories(list(members))
    chats = await uow.identities.of_members(list(members))
    rows = []
    for key, member_id, variables in notices:
        member = members.get(member_id)
        if member is None or member.erased_at is not None:
            continue
        reachable = chats.get(member_id, {})
        channel, _ = reach(member, current(histories.get(member_id, [])), reachable, purpose)
        if channel is None:
            continue
        rows.append({
            "key": key, "member_id": member_id, "channel": channel.value,
            "address": reachable[channel], "kind": kind, "purpose": purpose.value,
            "due_at": now, "variables": variables,
        })  # fmt: skip
    return len(await uow.outbox.add_many_once(now, rows))
