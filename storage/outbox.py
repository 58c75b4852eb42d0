"""The outbox: messages decided in a transaction, sent after it, each at most once."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, case, delete, insert, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from loyalty import records
from loyalty.outbox import MOVABLE
from storage.models import Member, OutboxMessage
from storage.repositories import at_chats, chunks, core_table

PENDING = "pending"  # to send
CLAIMED = "claimed"  # a dispatcher holds it; the call has not begun (others may take over)
SENDING = "sending"  # the call to the provider is under way
UNCERTAIN = "uncertain"  # a sender stopped mid-call: maybe sent; never sent blindly again
AWAITING_WINDOW = "awaiting_window"  # WhatsApp: waits for the member to write again
# WhatsApp, outside the window: no approved template of its kind and language in the program;
# goes once the program has one, or once the member writes
AWAITING_TEMPLATE = "awaiting_template"
CANCELLED = "cancelled"  # never to be sent (consent withdrawn, unreachable, staff)
HELD = (CLAIMED, SENDING)  # a sender holds it, until its lease ends
WAITING = (PENDING, AWAITING_WINDOW, AWAITING_TEMPLATE)  # no sender holds it; not gone yet
UNDER_WAY = (PENDING, *HELD)  # not yet sent: an ordered message waits behind it
DEAD = "dead"  # given up after every attempt; the reason is kept
FAILED = "failed"

# Forward only: a status replaces another only if it ranks higher. The provider's
# "accepted", "scheduled" and "sending" all mean it holds the message: stored as queued.
RANK = {
    PENDING: 0,
    AWAITING_WINDOW: 0,
    AWAITING_TEMPLATE: 0,
    CLAIMED: 0,
    SENDING: 1,
    UNCERTAIN: 1,
    "queued": 2,
    "sent": 3,
    FAILED: 4,
    "undelivered": 4,
    "delivered": 5,
    "read": 6,
}
PROVIDER_STATUS = {"accepted": "queued", "scheduled": "queued", "sending": "queued"}


def provider_status(status: str) -> str | None:
    """Our name for a status the provider reports; None for one we do not track."""
    status = PROVIDER_STATUS.get(status, status)
    return status if RANK.get(status, 0) >= RANK["queued"] else None


def moves_forward(current: str, new: str) -> bool:
    return RANK.get(new, -1) > RANK.get(current, -1)


class Outbox:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.touched: set[tuple[str, str]] = set()  # chats given a message to send right away

    async def add(self, now: datetime, **fields: Any) -> OutboxMessage:
        row = OutboxMessage(status=PENDING, attempts=0, created_at=now, updated_at=now, **fields)
        self.session.add(row)
        await self.session.flush()
        if row.purpose is None and row.due_at is None:
            self.touched.add((row.channel, row.address))
        return row

    async def add_many_once(self, now: datetime, rows: Sequence[dict[str, Any]]) -> set[str]:
        """Add messages in bulk, skipping keys already there; returns the keys added.

        One `INSERT … ON CONFLICT (key) DO NOTHING RETURNING key` per chunk, so a message
        written at the same moment by another scan is skipped, not doubled.
        """
        dialect = postgresql if self.session.get_bind().dialect.name == "postgresql" else sqlite
        added: set[str] = set()
        for part in chunks(list(rows)):
            values = [
                {"status": PENDING, "attempts": 0, "created_at": now, "updated_at": now,
                 "body": "", "media": None, **row}
                for row in part
            ]  # fmt: skip
            statement = (
                dialect.insert(OutboxMessage.__table__)
                .values(values)
                .on_conflict_do_nothing(index_elements=["key"])
                .returning(OutboxMessage.key)
            )
            added.update(await self.session.scalars(statement))
        return added

    async def fold(
        self, into: str, now: datetime, row: dict[str, Any], name: str, value: str
    ) -> bool:
        """Say what `row` would in the message keyed `into`, while that one waits to go:
        `value` joins its comma-separated variable `name`, and `row` is kept as cancelled, so
        that its key is taken and it is never told again. False, and nothing written, once
        `into` is held by a sender or gone (the caller checks `row`'s key is new)."""
        target = await self.session.scalar(
            select(OutboxMessage)
            .where(OutboxMessage.key == into, OutboxMessage.status.in_(WAITING))
            .execution_options(populate_existing=True)
        )
        if target is None:
            return False
        told = [part for part in target.variables.get(name, "").split(",") if part]
        variables = {**target.variables, name: ",".join(dict.fromkeys([*told, value]))}
        folded = await self.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == target.id, OutboxMessage.status.in_(WAITING))
            .values(variables=variables, updated_at=now)
            .execution_options(synchronize_session=False)
        )
        if not folded.rowcount:  # type: ignore[attr-defined]
            return False
        kept = {
            "channel": target.channel, "address": target.address, "due_at": now,
            "status": CANCELLED, "last_error": f"told in {into}", **row,
        }  # fmt: skip
        return bool(await self.add_many_once(now, [kept]))

    async def existing(self, keys: Sequence[str]) -> set[str]:
        """Which of these idempotency keys are already in the outbox."""
        found: set[str] = set()
        for part in chunks(sorted(set(keys))):
            found.update(
                await self.session.scalars(
                    select(OutboxMessage.key).where(OutboxMessage.key.in_(part))
                )
            )
        return found

    async def keys_like(self, pattern: str) -> list[str]:
        """Idempotency keys matching a LIKE pattern (who was invited to an event)."""
        rows = await self.session.scalars(
            select(OutboxMessage.key).where(OutboxMessage.key.like(pattern))
        )
        return [key for key in rows if key is not None]

    async def release(self, channel: str, address: str, now: datetime) -> int:
        """The member wrote: what waited for the window (or for a template) may go now, and
        so may what waits to be tried again (the member's next message carries it along)."""
        here = and_(OutboxMessage.channel == channel, OutboxMessage.address == address)
        waiting = OutboxMessage.status.in_((AWAITING_WINDOW, AWAITING_TEMPLATE))
        retried = and_(
            OutboxMessage.status == PENDING,
            OutboxMessage.purpose.is_(None),
            OutboxMessage.due_at > now,
        )
        result = await self.session.execute(  # one statement: it runs for every message in
            update(OutboxMessage)
            .where(here, or_(waiting, retried))
            .values(
                status=PENDING,
                updated_at=case((waiting, now), else_=OutboxMessage.updated_at),
                due_at=case((retried, now), else_=OutboxMessage.due_at),
            )
        )
        moved = result.rowcount  # type: ignore[attr-defined]
        if moved:
            self.touched.add((channel, address))
        return moved

    async def add_replies(self, now: datetime, rows: Sequence[dict[str, Any]]) -> None:
        """Add a message's replies to one chat, in order, in one statement; sent right after
        the commit."""
        if not rows:
            return
        await self.session.execute(
            insert(core_table(OutboxMessage)),  # one statement, whatever is None
            [{"status": PENDING, "attempts": 0, "created_at": now, "updated_at": now,
              "media": None, "variables": {}, **row} for row in rows],
        )  # fmt: skip
        self.touched.update((row["channel"], row["address"]) for row in rows)

    async def settle(
        self,
        row_id: int,
        status: str,
        now: datetime,
        error: str | None = None,
        code: str | None = None,
        due_at: datetime | None = None,
        tried: bool = False,
    ) -> None:
        """Where the dispatcher leaves a message it held: pending again (from `due_at`),
        cancelled, failed or dead, with the reason; the hold is released. `tried`: a call
        was made that `start_call` did not count (an ordered message's)."""
        values: dict[str, Any] = {
            "status": status, "updated_at": now, "claimed_by": None, "lease_until": None,
            "last_error": error,
        }  # fmt: skip
        if tried:
            values["attempts"] = OutboxMessage.attempts + 1
        if code is not None:
            values["error_code"] = code
        if due_at is not None:
            values["due_at"] = due_at
        await self.session.execute(
            update(OutboxMessage).where(OutboxMessage.id == row_id).values(values)
        )

    async def cancel_waiting(self, channel: str, address: str, reason: str, now: datetime) -> int:
        """Nothing more to this chat (the person blocked us): what waits is cancelled."""
        result = await self.session.execute(
            update(OutboxMessage)
            .where(
                OutboxMessage.channel == channel,
                OutboxMessage.address == address,
                OutboxMessage.status.in_((PENDING, AWAITING_WINDOW, AWAITING_TEMPLATE)),
            )
            .values(status=CANCELLED, last_error=reason, updated_at=now)
        )
        return result.rowcount  # type: ignore[attr-defined]

    async def sent_since(self, member_id: int, since: datetime) -> list[datetime]:
        """When the member was last written to for a purpose other than service (the cap)."""
        rows = await self.session.scalars(
            select(OutboxMessage.updated_at).where(
                OutboxMessage.member_id == member_id,
                OutboxMessage.purpose.is_not(None),
                OutboxMessage.purpose != "service",
                OutboxMessage.status.in_(("queued", "sent", "delivered", "read")),
                OutboxMessage.updated_at > since,
            )
        )
        return list(rows)

    async def latest(self, limit: int, status: str | None = None) -> list[OutboxMessage]:
        """The newest messages first (optionally of one status), for staff to look at."""
        query = select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(limit)
        if status is not None:
            query = query.where(OutboxMessage.status == status)
        return list(await self.session.scalars(query))

    async def decide(self, row_id: int, status: str, now: datetime) -> OutboxMessage | None:
        """Staff's word on a message: send it again (pending) or never (cancelled).

        Only a message that is not under way (or whose sender's lease ran out) and not with
        the provider can change.
        """
        movable = MOVABLE[status]
        row = await self.session.get(OutboxMessage, row_id, with_for_update=True)
        if row is None:
            return None
        abandoned = row.status in HELD and row.lease_until is not None and row.lease_until < now
        if row.status not in movable and not abandoned:
            return None
        row.status, row.updated_at, row.due_at = (
            status,
            now,
            now if status == PENDING else row.due_at,
        )
        row.claimed_by = row.lease_until = None
        if status == PENDING:
            row.provider_id = None  # a new attempt gets its own provider id
        return row

    async def sent(
        self, row_id: int, status: str, provider_id: str | None, now: datetime, tried: bool = False
    ) -> None:
        """The provider took the message: its id, and its status unless a callback was first
        (`tried`: as in `settle`)."""
        counted = {"attempts": OutboxMessage.attempts + 1} if tried else {}
        await self.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == row_id, OutboxMessage.status.in_(HELD))
            .values(status=status, provider_id=provider_id, updated_at=now, **counted)
        )
        await self.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == row_id, OutboxMessage.provider_id.is_(None))
            .values(provider_id=provider_id)
        )

    async def awaiting_template(self) -> list[tuple[int, str, str | None]]:
        """Messages waiting for an approved template: (id, kind, the member's language)."""
        rows = await self.session.execute(
            select(OutboxMessage.id, OutboxMessage.kind, Member.locale)
            .join(Member, Member.id == OutboxMessage.member_id)
            .where(OutboxMessage.status == AWAITING_TEMPLATE)
            .order_by(OutboxMessage.id)
        )
        return [(row_id, kind, locale) for row_id, kind, locale in rows]

    async def about(self, member_id: int, chats: Sequence[tuple[str, str]]) -> list[OutboxMessage]:
        """Everything the outbox holds about a member, oldest first (see `_about`)."""
        rows = await self.session.scalars(
            select(OutboxMessage).where(_about(member_id, chats)).order_by(OutboxMessage.id)
        )
        return list(rows)

    async def forget(self, member_id: int, chats: Sequence[tuple[str, str]]) -> int:
        """Delete everything the outbox holds about a member (their data erased)."""
        result = await self.session.execute(delete(OutboxMessage).where(_about(member_id, chats)))
        return result.rowcount  # type: ignore[attr-defined]

    async def get(self, row_id: int) -> OutboxMessage | None:
        return await self.session.get(OutboxMessage, row_id)

    async def advance(
        self,
        row: records.OutboxMessage,
        status: str,
        now: datetime,
        provider_id: str | None = None,
        error_code: str | None = None,
        error: str | None = None,
    ) -> bool:
        """Move `row` to `status` if that is forward; False (nothing changes) otherwise."""
        if provider_id is not None and row.provider_id not in (None, provider_id):
            return False  # a callback about another message
        if provider_id is not None:
            row.provider_id = provider_id
        if not moves_forward(row.status, status):
            return False
        row.status, row.updated_at = status, now
        if error_code is not None:
            row.error_code = error_code
        if error is not None:
            row.last_error = error
        return True

    async def put_back(self, row: OutboxMessage, status: str, error: str, now: datetime) -> None:
        """A send that did not happen: the message waits again (pending or for the window)."""
        row.status, row.last_error, row.updated_at = status, error, now


def _about(member_id: int, chats: Sequence[tuple[str, str]]) -> ColumnElement[bool]:
    """Messages to a member or about them (staff-group posts name them in `member_id`), and
    those to their chats from before they joined (no member then)."""
    before = and_(
        OutboxMessage.member_id.is_(None),
        at_chats(OutboxMessage.channel, OutboxMessage.address, chats),
    )
    return or_(OutboxMessage.member_id == member_id, before)
