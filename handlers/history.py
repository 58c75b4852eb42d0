"""Ledger entries as lines a member can read, in their language."""

from __future__ import annotations

from collections.abc import Iterable

from locales import Speaker
from loyalty.points import Entry, Reason


def reason_text(entry: Entry, speaker: Speaker) -> str:
    _ = speaker.gettext
    detail = entry.detail
    note = detail.get("note") or ""
    if entry.reason is Reason.PURCHASE:
        if detail.get("store"):
            return _("Purchase {order} at {store}").format(
                order=detail.get("order_id", ""), store=detail["store"]
            )
        return _("Purchase {order}").format(order=detail.get("order_id", ""))
    if entry.reason is Reason.REFUND:
        return _("Refund of {order}").format(order=detail.get("order_id", ""))
    if entry.reason is Reason.EXPIRY:
        return _("Points expired")
    if entry.reason is Reason.REWARD:
        return _("Redeemed: {note}").format(note=note) if note else _("Redeemed")
    return _("Adjustment: {note}").format(note=note) if note else _("Adjustment")


def render_history(entries: Iterable[Entry], speaker: Speaker) -> list[str]:
    """One line per entry, newest first: date, signed points, reason."""
    return [
        "{date}  {points:>8}  {reason}".format(
            date=speaker.date(entry.occurred_at),
            points=("+" if entry.points > 0 else "") + speaker.number(entry.points),
            reason=reason_text(entry, speaker),
        )
        for entry in entries
    ]
