"""What the Bot API's refusals mean for a message: wait as asked, nobody there, refused as
it is, or the network failed before the request went (again) or perhaps after it did."""

from __future__ import annotations

from datetime import timedelta

import httpx
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError

from loyalty.ports import Failed, Outcome, Retry, Uncertain, Unreachable

# a request that failed before it reached Telegram: sending it again cannot double it
NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


def seconds(after: int | timedelta) -> float:
    """RetryAfter's wait: an int in PTB 22, a timedelta later."""
    return after.total_seconds() if isinstance(after, timedelta) else float(after)


def outcome_of(exc: TelegramError) -> Outcome:
    """The outcome of a call python-telegram-bot raised on. It counts a 400 Bad Request as a
    network error; Telegram answering 5xx (no cause) never took the message."""
    if isinstance(exc, RetryAfter):
        return Retry(type(exc).__name__, after=seconds(exc.retry_after))
    if isinstance(exc, Forbidden):
        return Unreachable(str(exc))
    if isinstance(exc, BadRequest) or not isinstance(exc, NetworkError):
        return Failed(str(exc))
    if exc.__cause__ is None:  # Telegram answered, 5xx: its words say what ("Bad Gateway")
        return Retry(str(exc))
    if isinstance(exc.__cause__, NOT_SENT):
        return Retry(type(exc).__name__)
    return Uncertain(type(exc).__name__)  # cut off, or no answer in time: it may have gone
