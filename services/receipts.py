"""Received messages handled in the transaction that records them, on every channel.

A message's receipt (UNIQUE channel, message id), what handling it changed and the replies
it wrote to the outbox commit together, before the webhook answers: a repeat conflicts
with the receipt and changes nothing. A handling that fails is rolled back, and its
receipt recorded open in a small transaction of its own, its first try counted with the
reason; each start then tries the receipts still open, oldest first, each on its own,
counting the try before it begins. A message that fails MAX_TRIES times, that stopped the
process as often, or that no try could read, is given up: its payload goes, its reason
stays. A reason names what broke, never what the member wrote, so the logs may show it.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import Any

from loyalty.ports import Conflict
from loyalty.stores import UnitOfWork, Units

log = logging.getLogger("concierge.receipts")
MAX_TRIES = 3
INTERRUPTED = "interrupted at every try"

# Marks the receipt handled in the transaction given: when it was received; None when it
# was handled (or given up) already. A repeat raises Conflict (at once, or at the commit).
Take = Callable[[UnitOfWork], Awaitable[datetime | None]]
# What a handled message does once its transaction committed: send what it queued.
Later = Callable[[], Awaitable[None]]
# Handle a message in one transaction that begins with `take`; what to do after it.
Handle = Callable[[Take], Awaitable[Later | None]]
Process = Callable[[int, dict[str, Any], int], Awaitable[bool]]
Clock = Callable[[], datetime]


class Unreadable(Exception):
    """A message no try can read (its kind, and what the reader raised): given up at once."""


def reason(exc: Exception) -> str:
    """Why a try failed, fit for the logs: an exception's own message may quote the
    message (a database error quotes the values it was given), so only its class is kept."""
    return str(exc) if isinstance(exc, Unreadable) else type(exc).__name__


def arrived(channel: str, message_id: str, now: datetime) -> Take:
    """A message just in: its receipt written handled, by the transaction handling it."""

    async def take(uow: UnitOfWork) -> datetime:
        await uow.receipts.handled(channel, message_id, now)
        return now

    return take


def left_open(receipt_id: int, now: datetime) -> Take:
    """A receipt a failed try or a stop left open: taken by the transaction handling it
    (whoever commits first handles the message)."""

    async def take(uow: UnitOfWork) -> datetime | None:
        return await uow.receipts.take(receipt_id, now)

    return take


async def receive(
    units: Units, now: datetime, channel: str, message_id: str, payload: dict[str, Any],
    handle: Handle,
) -> Later | None:  # fmt: skip
    """Handle a message just in, in one transaction with its receipt; what to send once the
    webhook answered. None for a repeat, and for a handling that failed: rolled back, its
    receipt recorded open with its first try and the reason, for the next start."""
    try:
        later = await handle(arrived(channel, message_id, now))
    except Exception as exc:  # whatever broke, the platform gets its answer all the same
        why, final = reason(exc), isinstance(exc, Unreadable)
        try:
            async with units() as uow:
                receipt_id = await uow.receipts.record(
                    channel, message_id, None if final else payload, now, why, final
                )
                await uow.commit()
        except Conflict:  # a repeat: the receipt was there before this copy
            return None
        _noted(channel, receipt_id, why, 1, final)
        return None
    return None if later is None else _guarded(channel, later)


def _guarded(channel: str, later: Later) -> Later:
    """Sending after the commit: a failure there is logged (the rows wait for a sender),
    never raised into the web server's background task."""

    async def send() -> None:
        try:
            await later()
        except Exception as exc:  # the replies are kept: the next round sends them
            log.warning("%s: a message was handled, then sending failed: %s", channel,
                        reason(exc))  # fmt: skip

    return send


async def attempt(
    units: Units, clock: Clock, channel: str, receipt_id: int, tries: int, handle: Handle
) -> bool:
    """Run one try of a receipt left open; a failure is noted, and given up at the last
    try. False when the receipt is left unhandled."""
    try:
        later = await handle(left_open(receipt_id, clock()))
    except Exception as exc:  # whatever broke, the others go on and the reason is kept
        final = tries >= MAX_TRIES or isinstance(exc, Unreadable)
        return not await _failed(units, clock(), channel, receipt_id, reason(exc), tries, final)
    if later is not None:
        await _guarded(channel, later)()
    return True


async def catch_up(units: Units, clock: Clock, channel: str, process: Process) -> int:
    """Try again what a stop left open, oldest first; how many were handled now."""
    done, after = 0, 0
    while batch := await _pending(units, channel, after):
        for receipt_id, payload, tried in batch:
            if tried >= MAX_TRIES:  # each try stopped the process: not one more
                await _failed(units, clock(), channel, receipt_id, INTERRUPTED, tried, final=True)
                continue
            async with units() as uow:
                tries = await uow.receipts.retry(receipt_id)
                await uow.commit()
            if tries is not None and await process(receipt_id, payload, tries):
                done += 1
        after = batch[-1][0]
    return done


async def _pending(units: Units, channel: str, after: int) -> Sequence[tuple[int, Any, int]]:
    async with units() as uow:
        return await uow.receipts.pending(channel, after)


async def _failed(
    units: Units, now: datetime, channel: str, receipt_id: int, why: str, tries: int,
    final: bool,
) -> bool:  # fmt: skip
    """Note a failed try (False: the receipt had been handled before it failed)."""
    async with units() as uow:
        noted = await uow.receipts.failed(receipt_id, why, now, final)
        await uow.commit()
    if not noted:  # handled in its transaction by someone else meanwhile
        log.warning("%s receipt %d was handled, then failed: %s", channel, receipt_id, why)
    else:
        _noted(channel, receipt_id, why, tries, final)
    return noted


def _noted(channel: str, receipt_id: int, why: str, tries: int, final: bool) -> None:
    if final:
        log.warning("%s receipt %d failed for good: %s", channel, receipt_id, why)
    else:
        log.warning(
            "%s receipt %d: try %d of %d failed (%s); tried again at the next start",
            channel, receipt_id, tries, MAX_TRIES, why,
        )  # fmt: skip
