"""Repositories for talking with members: identities, state, receipts, invitations, secrets."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BindParameter,
    Select,
    bindparam,
    delete,
    exists,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from loyalty.reach import Identity
from loyalty.records import Saved, Standing
from storage.direct import OneRow
from storage.handoffs import CLOSED, OPEN
from storage.models import (
    ChannelIdentity,
    ClubSecret,
    ConversationState,
    Handoff,
    InboundReceipt,
    LinkToken,
    Member,
)
from storage.models.base import UTCDateTime
from storage.repositories import at_chats, chunks


class _Repository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session


class Identities(_Repository):
    async def member(self, channel: str, address: str) -> tuple[ChannelIdentity, Member] | None:
        """The identity and its (not erased) member, in one query."""
        row = (
            await self.session.execute(
                select(ChannelIdentity, Member)
                .join(Member, Member.id == ChannelIdentity.member_id)
                .where(
                    ChannelIdentity.channel == channel,
                    ChannelIdentity.address == address,
                    Member.erased_at.is_(None),
                )
            )
        ).first()
        return (row[0], row[1]) if row else None

    async def link(
        self, member_id: int, channel: str, address: str, language: str | None, now: datetime
    ) -> None:
        """Point this chat account at `member_id` (moving it if it named someone else)."""
        identity = await self.session.scalar(
            select(ChannelIdentity).where(
                ChannelIdentity.channel == channel, ChannelIdentity.address == address
            )
        )
        if identity is None:
            identity = ChannelIdentity(channel=channel, address=address, created_at=now)
            self.session.add(identity)
        identity.member_id = member_id
        identity.reachable = True
        identity.language = language
        await self.session.flush()

    async def of_members(self, member_ids: Sequence[int]) -> dict[int, list[Identity]]:
        """Each member's chats: (channel, address, whether it still takes our messages)."""
        found: dict[int, list[Identity]] = {}
        for part in chunks(sorted(set(member_ids))):
            rows = await self.session.execute(
                select(
                    ChannelIdentity.member_id,
                    ChannelIdentity.channel,
                    ChannelIdentity.address,
                    ChannelIdentity.reachable,
                ).where(ChannelIdentity.member_id.in_(part))
            )
            for member_id, channel, address, reachable in rows:
                found.setdefault(member_id, []).append((channel, address, reachable))
        return found

    async def last_inbound(self, channel: str, address: str) -> datetime | None:
        """When this person last wrote to us here (WhatsApp's 24-hour window runs from it)."""
        return await self.session.scalar(
            select(ChannelIdentity.last_inbound_at).where(
                ChannelIdentity.channel == channel, ChannelIdentity.address == address
            )
        )

    async def set_reachable(self, channel: str, address: str, reachable: bool) -> int:
        result = await self.session.execute(
            update(ChannelIdentity)
            .where(ChannelIdentity.channel == channel, ChannelIdentity.address == address)
            .values(reachable=reachable)
        )
        return result.rowcount  # type: ignore[attr-defined]


class Conversations(_Repository):
    async def hold(self, channel: str, address: str) -> None:
        """Hold this chat until the transaction ends, so that its messages are handled one
        after the other, each seeing the state the last left, their replies written in
        turn. PostgreSQL: a transaction's advisory lock on the chat; SQLite's writers take
        turns anyway (BEGIN IMMEDIATE)."""
        if self.session.get_bind().dialect.name == "postgresql":
            await self.session.execute(
                text("SELECT pg_advisory_xact_lock(hashtext(:chat))"),
                {"chat": f"chat:{channel}:{address}"},
            )

    def __init__(self, session: AsyncSession) -> None:
        super().__init__(session)
        self._absent: set[tuple[str, str]] = set()  # chats `get` found without a row

    async def get(self, channel: str, address: str, now: datetime) -> Saved:
        """What was saved; nothing when there is none or it expired."""
        row = await self.session.get(ConversationState, (channel, address))
        if row is None:
            self._absent.add((channel, address))
        if row is None or row.expires_at <= now:
            return Saved()
        return Saved(
            row.state, dict(row.data or {}), list(row.options or []), row.misses or 0,
            list(row.recent or []),
        )  # fmt: skip

    async def save(self, channel: str, address: str, saved: Saved, expires_at: datetime) -> None:
        key = (channel, address)  # `get` found none in this transaction: no second read
        row = None if key in self._absent else await self.session.get(ConversationState, key)
        if saved == Saved():
            if row is not None:
                await self.session.delete(row)
            return
        if row is None:
            row = ConversationState(channel=channel, address=address)
            self.session.add(row)
            self._absent.discard(key)
        row.state, row.data, row.options = saved.name, saved.data, saved.options or None
        row.misses, row.recent = saved.misses, saved.recent or None
        row.expires_at = expires_at

    async def at(self, chats: Sequence[tuple[str, str]]) -> list[ConversationState]:
        """The saved conversations of these chats (expired ones too, until purged)."""
        rows = await self.session.scalars(
            select(ConversationState)
            .where(at_chats(ConversationState.channel, ConversationState.address, chats))
            .order_by(ConversationState.channel, ConversationState.address)
        )
        return list(rows)

    async def forget(self, chats: Sequence[tuple[str, str]]) -> int:
        result = await self.session.execute(
            delete(ConversationState).where(
                at_chats(ConversationState.channel, ConversationState.address, chats)
            )
        )
        return result.rowcount  # type: ignore[attr-defined]

    async def purge(self, now: datetime) -> int:
        """Forget conversations that expired (they hold the last lines people wrote)."""
        result = await self.session.execute(
            delete(ConversationState).where(ConversationState.expires_at <= now)
        )
        return result.rowcount  # type: ignore[attr-defined]

    async def standing(
        self, channel: str, address: str, now: datetime, since: datetime, invitation: str | None
    ) -> Standing:
        """Where the chat stands with the club, in one statement compiled once (asked of
        every message a shop's bot gets; in a reading unit of work, run by the driver
        itself): its conversation under way, a conversation with staff open or closed after
        `since`, a member's chat, `invitation` live."""
        given = {"channel": channel, "address": address, "now": now, "since": since,
                 "token": invitation or ""}  # fmt: skip
        state, handed_back, with_staff, member, invited = await _STANDING.first(
            self.session, given
        )
        return Standing(
            talking=bool(state or handed_back), with_staff=bool(with_staff), member=bool(member),
            invited=invitation is not None and bool(invited),
        )  # fmt: skip


def _standing() -> Select[bool, bool, bool, bool, bool]:
    chat: tuple[BindParameter[str], BindParameter[str]] = (
        bindparam("channel"),
        bindparam("address"),
    )
    now = bindparam("now", type_=UTCDateTime)
    handoffs = select(Handoff.id).where(Handoff.channel == chat[0], Handoff.address == chat[1])
    return select(
        exists().where(
            ConversationState.channel == chat[0], ConversationState.address == chat[1],
            ConversationState.expires_at > now,
        ),
        exists(handoffs.where(
            Handoff.status == CLOSED, Handoff.closed_at > bindparam("since", type_=UTCDateTime)
        )),
        exists(handoffs.where(Handoff.status == OPEN)),
        exists().where(
            ChannelIdentity.channel == chat[0], ChannelIdentity.address == chat[1],
            Member.id == ChannelIdentity.member_id, Member.erased_at.is_(None),
        ),
        exists().where(
            LinkToken.token == bindparam("token"), LinkToken.used_at.is_(None),
            LinkToken.expires_at > now,
        ),
    )  # fmt: skip


_STANDING = OneRow(_standing())


# A receipt is open while it is neither handled nor given up.
_OPEN = (InboundReceipt.handled_at.is_(None), InboundReceipt.failed_at.is_(None))


class Receipts(_Repository):
    async def handled(self, channel: str, message_id: str, now: datetime) -> None:
        """Insert the receipt of a message this transaction handles (no payload kept: it
        commits with what the message did). A repeat raises IntegrityError here, at once
        (UNIQUE channel, message_id), before any work is done."""
        await self.session.execute(
            insert(InboundReceipt).values(
                channel=channel, message_id=message_id, received_at=now, handled_at=now,
                attempts=1,
            )
        )  # fmt: skip

    async def record(
        self,
        channel: str,
        message_id: str,
        payload: dict[str, Any] | None,
        now: datetime,
        error: str | None = None,
        given_up: bool = False,
    ) -> int:
        """Insert a receipt left open, its first try counted (with why it failed), or given
        up at once; a repeat raises Conflict (UNIQUE channel, message_id)."""
        receipt = InboundReceipt(
            channel=channel, message_id=message_id, payload=payload, received_at=now,
            attempts=1, error=error[:120] if error else None,
            failed_at=now if given_up else None,
        )  # fmt: skip
        self.session.add(receipt)
        await self.session.flush()
        return receipt.id

    async def take(self, receipt_id: int, now: datetime) -> datetime | None:
        """Mark the receipt handled (and drop its payload) in this transaction.

        Returns when it was received; None when it was handled (or given up) already:
        whoever commits first handles the message.
        """
        return await self.session.scalar(
            update(InboundReceipt)
            .where(InboundReceipt.id == receipt_id, *_OPEN)
            .values(handled_at=now, payload=None)
            .returning(InboundReceipt.received_at)
        )

    async def pending(
        self, channel: str, after: int = 0, limit: int = 500
    ) -> list[tuple[int, dict[str, Any], int]]:
        """Receipts neither handled nor given up (the process stopped in between), oldest
        first from after `after`: (id, payload, tries so far)."""
        rows = await self.session.execute(
            select(InboundReceipt.id, InboundReceipt.payload, InboundReceipt.attempts)
            .where(InboundReceipt.channel == channel, InboundReceipt.id > after, *_OPEN)
            .order_by(InboundReceipt.id)
            .limit(limit)
        )
        return [(receipt_id, payload or {}, tries) for receipt_id, payload, tries in rows]

    async def retry(self, receipt_id: int) -> int | None:
        """Count one more try of a receipt still open; its tries so far, or None."""
        return await self.session.scalar(
            update(InboundReceipt)
            .where(InboundReceipt.id == receipt_id, *_OPEN)
            .values(attempts=InboundReceipt.attempts + 1)
            .returning(InboundReceipt.attempts)
        )

    async def failed(self, receipt_id: int, reason: str, now: datetime, final: bool) -> bool:
        """Note why a try failed; when `final`, give the receipt up: its payload goes.
        False when it was handled (or given up) already."""
        given_up = {"failed_at": now, "payload": None} if final else {}
        result = await self.session.execute(
            update(InboundReceipt)
            .where(InboundReceipt.id == receipt_id, *_OPEN)
            .values(error=reason[:120], **given_up)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def naming(self, addresses: Iterable[str]) -> list[InboundReceipt]:
        """Receipts not yet handled whose payload names one of these addresses (phone
        numbers, chat ids), matched on their digits: a payload may write a number with or
        without its "+", as text or as a number."""
        digits = {re.sub(r"\D", "", address) for address in addresses}
        patterns = [re.compile(rf"(?<!\d){number}(?!\d)") for number in digits if number]
        if not patterns:
            return []
        rows = await self.session.scalars(
            select(InboundReceipt)
            .where(InboundReceipt.handled_at.is_(None))
            .order_by(InboundReceipt.id)
        )
        return [
            row for row in rows
            if any(pattern.search(json.dumps(row.payload)) for pattern in patterns)
        ]  # fmt: skip

    async def drop(self, receipt_ids: Sequence[int], now: datetime) -> None:
        """Never handle these messages (their payload goes); a repeat is still ignored."""
        for part in chunks(receipt_ids):
            await self.session.execute(
                update(InboundReceipt)
                .where(InboundReceipt.id.in_(part))
                .values(handled_at=now, payload=None)
            )


class LinkTokens(_Repository):
    async def create(self, token: str, member_id: int, now: datetime, expires: datetime) -> None:
        self.session.add(
            LinkToken(token=token, member_id=member_id, created_at=now, expires_at=expires)
        )
        await self.session.flush()

    async def use(self, token: str, now: datetime) -> int | None:
        """The member a valid token names, spending it; None if unknown, used or expired."""
        row = await self.session.scalar(
            select(LinkToken).where(LinkToken.token == token).with_for_update()
        )
        if row is None or row.used_at is not None or row.expires_at <= now:
            return None
        row.used_at = now
        await self.session.flush()
        return row.member_id

    async def of_member(self, member_id: int) -> list[LinkToken]:
        rows = await self.session.scalars(
            select(LinkToken)
            .where(LinkToken.member_id == member_id)
            .order_by(LinkToken.created_at)
        )
        return list(rows)

    async def forget(self, member_id: int) -> int:
        result = await self.session.execute(
            delete(LinkToken).where(LinkToken.member_id == member_id)
        )
        return result.rowcount  # type: ignore[attr-defined]


class Secrets(_Repository):
    async def get_or_create(self, name: str, make: Callable[[], str]) -> str:
        """A club secret, made on first use; first uses at once agree on one (the first
        insert wins, the others read it)."""
        found = await self.session.get(ClubSecret, name)  # loaded as a row: the logs learn it
        if found is not None:
            return found.value
        dialect = postgresql if self.session.get_bind().dialect.name == "postgresql" else sqlite
        await self.session.execute(
            dialect.insert(ClubSecret)
            .values(name=name, value=make())
            .on_conflict_do_nothing(index_elements=["name"])
        )
        made = await self.session.get(ClubSecret, name)
        assert made is not None
        return made.value
