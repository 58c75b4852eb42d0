"""A member's data: everything held, as JSON, or erased (the ledger's sums kept)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import click

from bot.bootstrap import Concierge
from bot.cli.running import committed, fail, run, transaction
from services import members, privacy

if TYPE_CHECKING:
    from loyalty.records import Member
    from storage.unit_of_work import UnitOfWork


@click.command("export")
@click.argument("member")
@click.option("--out", type=click.Path(path_type=Path), help="Write to this file.")
@transaction
async def members_export(uow: UnitOfWork, app: Concierge, member: str, out: Path | None) -> None:
    """Everything held about a member, as JSON (of an erased member: what is left)."""
    found = await members.look_up(uow, member, app.program)
    text = json.dumps(await privacy.export(uow, found), indent=2, ensure_ascii=False)
    if out is None:
        click.echo(text)
    else:
        out.write_text(text + "\n", encoding="utf-8")
        click.echo(f"written to {out}", err=True)


@click.command("erase")
@click.argument("member")
@click.option("--yes", is_flag=True, help="Confirm: this cannot be undone.")
def members_erase(member: str, yes: bool) -> None:
    """Remove a member's personal data; anonymous ledger sums stay for the books.

    Bookings to come are cancelled (staff told in their group, by member number only),
    seats on events to come go to the waitlist, and the member's topics in the staff group
    are deleted at once.
    """
    if not yes:
        fail("erasing cannot be undone: add --yes to confirm", 1)
    for line in run(lambda app: _erase(app, member)):
        click.echo(line)


async def _erase(app: Concierge, ref: str) -> list[str]:
    """The erasure in one unit of work, then what must happen outside the database."""
    settings = app.settings
    group = None not in (settings.telegram_staff_chat_id, settings.telegram_bot_token)
    found, erasure, posts = await committed(app, lambda uow: _erased(uow, app, ref, group))
    removed = ", ".join(
        f"{count} {table.replace('_', ' ')}" for table, count in erasure.removed.items() if count
    )
    lines = [
        f"{members.member_number(found.id)}: erased name, phone, email, birthday, language, "
        f"zone; removed {removed or 'nothing else'}; cancelled {len(erasure.cancelled)} "
        f"booking(s) to come, gave back {erasure.released} place(s) on events to come; the "
        "ledger and purchase amounts stay, anonymous, for the books"
    ]
    if not await app.db.scrub():
        lines.append(
            "the database's write-ahead log is in use: it may keep older pages until every "
            "process using the database has closed it (restart the web app and the worker)"
        )
    if group:
        lines += await _to_staff_group(app, erasure.deletions, posts)
    elif erasure.deletions:
        lines.append(
            f"staff group off here: {len(erasure.deletions)} topic(s) queued for deletion, "
            "done when the web app runs with TELEGRAM_STAFF_CHAT_ID"
        )
    return lines


async def _erased(
    uow: UnitOfWork, app: Concierge, ref: str, group: bool
) -> tuple[Member, privacy.Erasure, list[int]]:
    """The member erased; with the staff group on, each booking cancelled is posted there."""
    found = await members.find(uow, ref, app.program)
    erasure, posts = await privacy.erase_telling_staff(uow, app.program, found, app.clock(), group)
    return found, erasure, posts


async def _to_staff_group(app: Concierge, deletions: list[int], posts: list[int]) -> list[str]:
    """An erasure's staff-group posts sent now (topics deleted, cancellations posted); what
    Telegram does not take now stays queued, and the lines say so."""
    from bot import outbound
    from loyalty.ports import Failed, Sent

    found = outbound.channels(app)
    assert found.desk is not None  # the staff group is on
    sending = outbound.sender(app, {found.desk.name: found.desk}, "erase")
    try:
        outcomes = await sending.send_these(deletions + posts)
    finally:
        await found.aclose()
    sent = {row_id for row_id, outcome in outcomes.items() if isinstance(outcome, Sent)}
    deleted = len(sent.intersection(deletions))
    lines = [f"staff group: {deleted} topic(s) deleted, {len(sent) - deleted} post(s) sent"]
    for row_id, outcome in outcomes.items():
        what = "a topic's deletion" if row_id in deletions else "a post"
        if isinstance(outcome, Failed):
            lines.append(f"staff group: Telegram refused {what} ({outcome.reason})")
        elif not isinstance(outcome, Sent):
            lines.append(
                f"staff group: Telegram did not take {what} now "
                f"({getattr(outcome, 'reason', '')}): it stays queued and goes with the "
                "group's next posts"
            )
    return lines


COMMANDS = (members_export, members_erase)
