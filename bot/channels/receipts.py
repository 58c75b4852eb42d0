"""Received messages tried a bounded number of times, on every channel.

A receipt's first try begins when it is recorded (the webhook then handles it); each start
counts one more try, committed before it begins, and tries the receipts still open, oldest
first, each on its own. A message that fails MAX_TRIES times, that stopped the process as
often, or that no try could read, is given up: its payload goes, its reason stays. A
reason names what broke, never what the member wrote, so the logs may show it.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from bot.bootstrap import Concierge

log = logging.getLogger("concierge.receipts")
MAX_TRIES = 3
INTERRUPTED = "interrupted at every try"

Process = Callable[[int, dict[str, Any], int], Awaitable[bool]]


class Unreadable(Exception):
    """A message no try can read (its kind, and what the reader raised): given up at once."""


def reason(exc: Exception) -> str:
    """Why a try failed, fit for the logs: an exception's own message may quote the
    message (a database error quotes the values it was given), so only its class is kept."""
    return str(exc) if isinstance(exc, Unreadable) else type(exc).__name__


async def attempt(
    app: Concierge,
    channel: str,
    receipt_id: int,
    tries: int,
    handle: Callable[[], Awaitable[None]],
) -> bool:
    """Run one try of a receipt; a failure is noted, and given up at the last try. False
    when the receipt is left unhandled."""
    try:
        await handle()
    except Exception as exc:  # whatever broke, the others go on and the reason is kept
        final = tries >= MAX_TRIES or isinstance(exc, Unreadable)
        return not await _failed(app, channel, receipt_id, reason(exc), tries, final)
    return True


async def catch_up(app: Concierge, channel: str, process: Process) -> int:
    """Try again what a stop left open, oldest first; how many were handled now."""
    done, after = 0, 0
    while batch := await _pending(app, channel, after):
        for receipt_id, payload, tried in batch:
            if tried >= MAX_TRIES:  # each try stopped the process: not one more
                await _failed(app, channel, receipt_id, INTERRUPTED, tried, final=True)
                continue
            async with app.db.unit_of_work() as uow:
                tries = await uow.receipts.retry(receipt_id)
                await uow.commit()
            if tries is not None and await process(receipt_id, payload, tries):
                done += 1
        after = batch[-1][0]
    return done


async def _pending(app: Concierge, channel: str, after: int) -> list[tuple[int, Any, int]]:
    async with app.db.unit_of_work() as uow:
        return await uow.receipts.pending(channel, after)


async def _failed(
    app: Concierge, channel: str, receipt_id: int, why: str, tries: int, final: bool
) -> bool:
    """Note a failed try (False: the receipt had been handled before it failed)."""
    async with app.db.unit_of_work() as uow:
        noted = await uow.receipts.failed(receipt_id, why, app.clock(), final)
        await uow.commit()
    if not noted:  # handled in its transaction; what came after (sending) failed
        log.warning("%s receipt %d was handled, then failed: %s", channel, receipt_id, why)
    elif final:
        log.warning("%s receipt %d failed for good: %s", channel, receipt_id, why)
    else:
        log.warning(
            "%s receipt %d: try %d of %d failed (%s); tried again at the next start",
            channel, receipt_id, tries, MAX_TRIES, why,
        )  # fmt: skip
    return noted
