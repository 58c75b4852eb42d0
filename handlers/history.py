"""Ledger entries as lines a member can read, in their language."""

from __future__ import annotations

from collections.abc import Iterable

from handlers.conversation.dialog import Reply, Turn
from handlers.conversation.menu import link_first, with_menu
from handlers.conversation.router import Router
from locales import Speaker
from loyalty.occasions import BIRTHDAY
from loyalty.points import Entry, Reason, is_gift
from services import members

router = Router()
HISTORY_LINES = 10


def reason_text(entry: Entry, speaker: Speaker) -> str:
    """Why the points moved, as the member reads it: a gift as a gift, never a redemption."""
    _ = speaker.gettext
    detail = entry.detail
    note = detail.get("note") or ""
    if is_gift(entry):
        return _("Birthday gift") if note == BIRTHDAY else _("Gift from the club")
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
    if entry.reason is Reason.VOUCHER:
        voucher = detail.get("voucher", "")
        if entry.points > 0:
            return _("Voucher {voucher} given back").format(voucher=voucher)
        return _("Voucher {voucher}").format(voucher=voucher)
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


@router.command("history")
@router.action("history")
@router.intent(
    lambda _: _(
        "history, points history, statement, movements, transactions, purchases, "
        "my purchases, earned"
    )
)
async def show_history(turn: Turn) -> list[Reply]:
    if turn.member is None:
        return link_first(turn)
    entries = await members.history(
        turn.uow, turn.member.id, turn.now, turn.program, HISTORY_LINES
    )
    if not entries:
        empty = turn._("No points yet: they will appear here with your first purchase.")
        return [with_menu(turn, empty)]
    lines = [turn._("Your latest points:"), *render_history(entries, turn.speaker)]
    return [with_menu(turn, "\n".join(lines))]
