"""What became of one message handed to a channel: the dispatcher's common language."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Delivery:
    """Accepted (with the provider's id), or why not and what to do about it."""

    status: str  # "queued", "sent"... when accepted; else RETRY, REFUSED, BLOCKED, NO_TEMPLATE
    provider_id: str | None = None
    error: str | None = None
    code: str | None = None  # the provider's error code
    retry_after: float | None = None  # seconds the provider asked us to wait (429)


RETRY = "retry"  # try again later: the provider was busy, down or unreachable
REFUSED = "refused"  # will never go as it is (a bad number, a refused template)
BLOCKED = "blocked"  # the person blocked us: nothing more goes to that chat
NO_TEMPLATE = "no_template"  # outside WhatsApp's window with no approved template: it waits
