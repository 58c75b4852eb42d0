"""Messages waiting to go, gone, or stuck: staff see them, send one again, or cancel it."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from bot.bootstrap import Concierge
from bot.cli.params import Id
from bot.cli.running import run, transaction
from loyalty.ids import INT8_MAX
from services import outbox

if TYPE_CHECKING:
    from services.sending import Report
    from storage.unit_of_work import UnitOfWork


@click.group("outbox")
def outbox_group() -> None:
    """Messages waiting to go, gone, or stuck: see them, send one again, or cancel it."""


@outbox_group.command("list")
@click.option(
    "--status", help="Only this status (pending, uncertain, awaiting_template, dead, failed...)."
)
@click.option("--last", type=click.IntRange(1, 1000), default=50, show_default=True)
@transaction
async def outbox_list(uow: UnitOfWork, app: Concierge, status: str | None, last: int) -> None:
    """The newest messages: id, status, channel, purpose, kind, due time, why it may go
    (consent, or the member's request), last error."""
    for row in await outbox.latest(uow, last, status):
        due = f"{row.due_at:%Y-%m-%d %H:%M}Z" if row.due_at else "now"
        basis = f"  ({row.basis})" if row.basis else ""
        error = "".join(f"  {part}" for part in (row.error_code, row.last_error) if part)
        click.echo(
            f"{row.id:>7}  {row.status:<17} {row.channel:<9} {row.purpose or 'reply':<11} "
            f"{row.kind:<26} due {due}{basis}{error}"
        )


@transaction
async def _decide(uow: UnitOfWork, app: Concierge, row_id: int, status: str, done: str) -> None:
    await outbox.decide(uow, row_id, status, app.clock())
    click.echo(f"message {row_id}: {done}")


@outbox_group.command("retry")
@click.argument("row_id", metavar="ID", type=Id(INT8_MAX))
def outbox_retry(row_id: int) -> None:
    """Send a message again (uncertain, dead, failed, cancelled): staff decided it should go."""
    _decide(row_id, "pending", "will be sent again")


@outbox_group.command("cancel")
@click.argument("row_id", metavar="ID", type=Id(INT8_MAX))
def outbox_cancel(row_id: int) -> None:
    """Never send this message."""
    _decide(row_id, "cancelled", "cancelled")


@outbox_group.command("drain")
def outbox_drain() -> None:
    """Send what is due now (consent, quiet hours and the cap checked again), then exit."""
    report = run(_drain)
    click.echo(
        f"sent {report.sent}, deferred {report.deferred}, cancelled {report.cancelled}, "
        f"to retry {report.retried}, failed {report.failed}, waiting for a template "
        f"{report.awaiting_template}; leases expired: "
        f"{report.taken_back} taken back, {report.uncertain} uncertain"
    )


async def _drain(app: Concierge) -> Report:
    from bot import outbound

    found = outbound.channels(app)
    sending = outbound.sender(app, found.ports(), "drain")
    try:
        return await sending.drain()
    finally:
        await sending.release()
        await found.aclose()


COMMANDS = (outbox_group,)
