"""Which member a chat belongs to: found by the chat, by a number the platform vouches for,
or linked by an invitation, a shared number, or joining."""

from __future__ import annotations

from datetime import datetime

from loyalty.records import ChannelIdentity, Member, Saved, Standing
from loyalty.stores import UnitOfWork


async def linkable(uow: UnitOfWork, phone: str) -> Member | None:
    """The member a phone number belongs to, unless their data was erased."""
    member = await uow.members.by_phone(phone)
    return member if member is not None and member.erased_at is None else None


async def link(
    uow: UnitOfWork, member_id: int, channel: str, address: str, language: str | None,
    now: datetime,
) -> Member | None:  # fmt: skip
    """Point the chat at `member_id` (moving it if it named someone else); that member."""
    await uow.identities.link(member_id, channel, address, language, now)
    return await uow.members.get(member_id)


async def invited(uow: UnitOfWork, token: str, now: datetime) -> int | None:
    """The member an invitation names, spending it; None if unknown, used or expired."""
    return await uow.link_tokens.use(token, now)


async def writer(
    uow: UnitOfWork, channel: str, address: str, verified_phone: str | None,
    language: str | None, now: datetime,
) -> tuple[ChannelIdentity | None, Member | None]:  # fmt: skip
    """Who is writing; a number the platform vouches for finds its member by itself."""
    found = await uow.identities.member(channel, address)
    if found is None and verified_phone is not None:
        member = await linkable(uow, verified_phone)
        if member is not None:
            await uow.identities.link(member.id, channel, address, language, now)
            found = await uow.identities.member(channel, address)
    return found if found is not None else (None, None)


async def forget_expired(uow: UnitOfWork, now: datetime) -> int:
    """Forget the chats' states past their time: they hold the last lines people wrote."""
    return await uow.conversations.purge(now)


async def enter(
    uow: UnitOfWork, channel: str, address: str, verified_phone: str | None,
    language: str | None, received: datetime, now: datetime,
) -> tuple[Member | None, Saved]:  # fmt: skip
    """A message begins: the chat held (its messages one after the other), who writes, when
    they last wrote (for WhatsApp's 24-hour window), and where their conversation stands."""
    await uow.conversations.hold(channel, address)
    identity, member = await writer(uow, channel, address, verified_phone, language, now)
    if identity is not None and (
        identity.last_inbound_at is None or identity.last_inbound_at < received
    ):
        identity.last_inbound_at = received
    return member, await uow.conversations.get(channel, address, now)


async def leave(
    uow: UnitOfWork, channel: str, address: str, kept: Saved, saved: Saved, now: datetime,
    expires_at: datetime,
) -> None:  # fmt: skip
    """A message handled: where the conversation stands kept (when it moved), and what
    waited for the member to write again released."""
    if kept != saved:
        await uow.conversations.save(channel, address, kept, expires_at)
    await uow.outbox.release(channel, address, now)


async def reachable(uow: UnitOfWork, channel: str, address: str, reachable: bool) -> None:
    """A member blocked (False) or unblocked the bot in their own chat."""
    await uow.identities.set_reachable(channel, address, reachable)


async def standing(
    uow: UnitOfWork, channel: str, address: str, now: datetime, since: datetime,
    invitation: str | None = None,
) -> Standing:  # fmt: skip
    """Where the chat stands with the club, for a bot it shares with a shop: staff who
    closed a conversation after `since` handed the member back to the concierge.
    `invitation`: a token the chat opened the bot with."""
    return await uow.conversations.standing(channel, address, now, since, invitation)
