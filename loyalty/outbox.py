"""Staff's word on a message, pure: the statuses it may leave for "send again" (pending) or
"never" (cancelled). Storage enforces it; the back office offers only what it allows."""

from __future__ import annotations

MOVABLE = {
    "pending": (
        "uncertain", "dead", "failed", "cancelled", "awaiting_window", "awaiting_template",
    ),
    "cancelled": ("pending", "awaiting_window", "awaiting_template", "uncertain", "dead"),
}  # fmt: skip
# Every status a message can have, for the back office's filter.
STATUSES = (
    "pending", "claimed", "sending", "uncertain", "awaiting_window", "awaiting_template",
    "queued", "sent", "delivered", "read", "failed", "undelivered", "dead", "cancelled",
)  # fmt: skip


def choices(status: str) -> tuple[str, ...]:
    """What staff may turn a message of this status into (pending, cancelled, both, none)."""
    return tuple(to for to, froms in MOVABLE.items() if status in froms)
