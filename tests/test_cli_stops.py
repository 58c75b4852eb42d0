"""What stops a command says so in one line on stderr, exit code 1, never a traceback: a
database that cannot be reached, opened or written, a schema missing or older than the code,
a file that cannot be written. Real files, real sockets."""

from __future__ import annotations

import asyncio
import os
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from bot.cli import main
from storage.database import Database
from storage.migrate import head, upgrade
from tests.conftest import Clock

Invoke = Callable[..., Result]
UPGRADE = "run `concierge db upgrade`"
# a command of every group, and the processes: each checks the schema before anything else
COMMANDS = [
    ("members", "show", "M00001"),
    ("members", "export", "M00001"),
    ("events", "list"),
    ("appointments", "list"),
    ("closures", "list"),
    ("staff", "list"),
    ("occasions", "preview"),
    ("outbox", "list"),
    ("outbox", "drain"),
    ("chat",),
    ("serve",),
    ("worker",),
]


@pytest.fixture
def run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, clock: Clock) -> Invoke:
    """`concierge ...` in an empty directory, on whatever database the test names."""
    monkeypatch.chdir(tmp_path)
    for name in ("CONCIERGE_PROGRAM", "CONCIERGE_POS_SECRET", "PORT"):
        monkeypatch.delenv(name, raising=False)
    runner = CliRunner()

    def invoke(*args: str, database: str | None = None) -> Result:
        if database is not None:
            monkeypatch.setenv("CONCIERGE_DATABASE_URL", database)
        return runner.invoke(main, list(args), catch_exceptions=False, obj={"clock": clock})

    return invoke


@pytest.fixture
def read_only(tmp_path: Path) -> Iterator[Path]:
    """A folder no one may write to, root included (chattr +i when run as root)."""
    folder = tmp_path / "read-only"
    folder.mkdir()
    folder.chmod(0o555)
    immutable = os.geteuid() == 0
    if immutable:
        subprocess.run(["chattr", "+i", str(folder)], check=True)
    try:
        yield folder
    finally:
        if immutable:
            subprocess.run(["chattr", "-i", str(folder)], check=True)
        folder.chmod(0o755)


def one_line(result: Result) -> str:
    """What the command said, asserting it was one line, exit code 1 and no traceback."""
    assert result.exit_code == 1, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def sqlite(path: Path) -> str:
    return f"sqlite:///{path}"


def stamped(path: Path, revision: str) -> Path:
    """A SQLite file whose schema stopped at `revision`."""

    async def migrate() -> None:
        db = Database(sqlite(path))
        try:
            await upgrade(db, revision)
        finally:
            await db.close()

    asyncio.run(migrate())
    return path


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_every_command_on_a_fresh_empty_database_says_to_upgrade(
    run: Invoke, tmp_path: Path, command: tuple[str, ...]
) -> None:
    empty = tmp_path / "empty.db"
    said = one_line(run(*command, database=sqlite(empty)))
    assert said == f"concierge: the database has no tables yet: {UPGRADE}"


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_every_command_on_an_older_schema_says_to_upgrade(
    run: Invoke, tmp_path: Path, command: tuple[str, ...]
) -> None:
    older = stamped(tmp_path / "older.db", "0009")
    said = one_line(run(*command, database=sqlite(older)))
    assert said == f"concierge: the database is at revision 0009, not {head()}: {UPGRADE}"


def test_the_first_upgrade_says_what_it_created_and_the_next_ones_what_they_did(
    run: Invoke, tmp_path: Path
) -> None:
    path = tmp_path / "club.db"
    first = run("db", "upgrade", database=sqlite(path))
    assert first.stdout == f"{path}: created the club's tables (schema revision {head()})\n"
    again = run("db", "upgrade")
    assert again.stdout == f"{path}: up to date (schema revision {head()})\n"
    older = stamped(tmp_path / "older.db", "0009")
    later = run("db", "upgrade", database=sqlite(older))
    assert later.stdout == f"{older}: schema upgraded from revision 0009 to {head()}\n"
    assert run("members", "show", "+393471234567").stderr == (
        "concierge: no member '+393471234567'\n"
    )


@pytest.mark.parametrize("command", [*COMMANDS, ("db", "upgrade")], ids=" ".join)
def test_an_unreachable_postgresql_is_one_line_without_its_password(
    run: Invoke, command: tuple[str, ...]
) -> None:
    # port 1: nothing listens there, the connection is refused at once
    said = one_line(run(*command, database="postgresql://club:s3cret@127.0.0.1:1/club"))
    assert said.startswith(
        "concierge: cannot reach the database postgresql+asyncpg://club:***@127.0.0.1:1/club: "
    )
    assert "s3cret" not in said


@pytest.mark.parametrize("command", [("db", "upgrade"), ("members", "show", "M00001"), ("chat",)])
def test_a_database_in_a_folder_that_cannot_be_written_is_one_line(
    run: Invoke, read_only: Path, command: tuple[str, ...]
) -> None:
    path = read_only / "club.db"
    said = one_line(run(*command, database=sqlite(path)))
    assert said == (
        f"concierge: cannot open the database file {path}: its folder must exist and be writable"
    )
    assert not path.exists()


def test_a_database_in_a_folder_that_does_not_exist_is_one_line(
    run: Invoke, tmp_path: Path
) -> None:
    path = tmp_path / "nowhere" / "club.db"
    said = one_line(run("db", "upgrade", database=sqlite(path)))
    assert said.startswith(f"concierge: cannot open the database file {path}")


def test_an_export_to_a_folder_that_cannot_be_written_is_one_line(
    run: Invoke, tmp_path: Path, read_only: Path
) -> None:
    assert run("db", "upgrade", database=sqlite(tmp_path / "club.db")).exit_code == 0
    assert run("members", "add", "+393471234567", "--name", "Giulia Rossi").exit_code == 0
    out = read_only / "giulia.json"
    said = one_line(run("members", "export", "M00001", "--out", str(out)))
    assert said.startswith(f"concierge: {out}: ")
    assert not out.exists()
