"""Bringing purchases in from the till's or the shop's export."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from bot.bootstrap import Concierge
from bot.cli.running import fail, run

if TYPE_CHECKING:
    from bot.importer import Report


@click.group("import")
def import_() -> None:
    """Bring data in."""


@import_.command("purchases")
@click.argument("file", type=click.Path(path_type=Path))
def import_purchases(file: Path) -> None:
    """Import purchases from a CSV (order_id, phone, amount, currency, purchased_at, ...)."""
    report = run(lambda app: _import(app, file))
    click.echo(
        f"created {report.created}, refunded {report.refunded}, "
        f"unchanged {report.unchanged}, rejected {report.rejected}"
    )


async def _import(app: Concierge, file: Path) -> Report:
    """The file streamed in, a bar on stderr following the bytes read."""
    from bot.importer import UnreadableFile, import_purchases

    size = file.stat().st_size if file.exists() else 0
    with click.progressbar(length=size, label="importing", file=sys.stderr, show_eta=True) as bar:
        try:
            return await import_purchases(
                app, file, _reject, lambda position: bar.update(position - bar.pos)
            )
        except UnreadableFile as exc:
            fail(str(exc), 1)


def _reject(line: int, reason: str) -> None:
    click.echo(f"line {line}: rejected: {reason}", err=True)


COMMANDS = (import_,)
