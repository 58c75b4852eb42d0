"""The CSV import of past purchases: streamed in batches, every good row kept."""

from __future__ import annotations

import csv
import gc
import io
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import IO

from bot.bootstrap import Concierge
from loyalty.purchases import OPTIONAL, REQUIRED, InvalidPurchase, PurchaseInput, parse_purchase
from services.purchases import Histories, Result, ingest

BATCH = 1000
YOUNG = 20_000  # allocations between two collections of young objects (Python's default: 700)


class UnreadableFile(ValueError):
    """The file as a whole cannot be imported (missing, unreadable, a header without a column)."""


@dataclass
class Report:
    created: int = 0
    refunded: int = 0
    unchanged: int = 0
    rejected: int = 0

    def count(self, result: Result) -> None:
        setattr(self, result.value, getattr(self, result.value) + 1)


def _rows(handle: IO[str], on_reject: Callable[[int, str], None]) -> Iterator[tuple[int, dict]]:
    reader = csv.DictReader(handle, restkey="__extra__")
    header = [name.strip().lower() for name in reader.fieldnames or []]
    missing = [name for name in REQUIRED if name not in header]
    if missing:
        raise UnreadableFile(f"the header lacks the column(s): {', '.join(missing)}")
    unknown = [name for name in header if name not in REQUIRED + OPTIONAL]
    if unknown:
        raise UnreadableFile(f"unknown column(s): {', '.join(unknown)}")
    reader.fieldnames = header
    for row in reader:
        if "__extra__" in row:
            on_reject(reader.line_num, "more fields than the header has")
            continue
        yield reader.line_num, row


@contextmanager
def _long_lived() -> Iterator[None]:
    """Collect garbage for a process that keeps many objects for minutes (the accounts kept
    between batches): full collections, each a walk over all of them, were a sixth of the
    import's time. What lived before the import is never walked; young objects less often.
    Garbage is still freed as its last reference goes; the settings are restored after."""
    thresholds = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(YOUNG, *thresholds[1:])
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)
        gc.unfreeze()


async def import_purchases(
    app: Concierge,
    path: Path,
    on_reject: Callable[[int, str], None],
    on_progress: Callable[[int], None] = lambda _: None,
    batch_size: int = BATCH,
) -> Report:
    """Import `path`; each rejected row is reported (file line, reason) as it is met."""
    report = Report()
    known = Histories()  # the accounts settled so far, so no batch reads back the last one's
    units = partial(app.db.unit_of_work, bulk=True)  # fresh plans, fewer checkpoints

    def reject(line: int, reason: str) -> None:
        report.rejected += 1
        on_reject(line, reason)

    async def flush(batch: list[PurchaseInput]) -> None:
        for outcome in await ingest(units, batch, "import", app.clock(), app.program, known):
            report.count(outcome.result)
        batch.clear()

    try:
        raw = path.open("rb")  # its position is the progress
    except OSError as exc:
        raise UnreadableFile(f"{path}: {exc.strerror}") from None
    handle = io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")
    with handle, _long_lived():
        batch: list[PurchaseInput] = []
        try:
            for line, row in _rows(handle, reject):
                try:
                    batch.append(parse_purchase(row, app.program, app.clock()))
                except InvalidPurchase as exc:
                    reject(line, str(exc))
                if len(batch) >= batch_size:
                    await flush(batch)
                    on_progress(raw.tell())
        except UnicodeDecodeError:
            raise UnreadableFile(f"{path}: not UTF-8 text") from None
        except csv.Error as exc:
            raise UnreadableFile(f"{path}: not a CSV file ({exc})") from None
        await flush(batch)
        on_progress(raw.tell())
    return report
