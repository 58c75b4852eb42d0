"""`concierge rewards` as staff and the till use it, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from bot.cli import main
from loyalty.program import Program
from services import members, rewards
from storage.database import Database
from tests.conftest import Clock

Invoke = Callable[..., Result]


@pytest.fixture
def run(
    database: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, clock: Clock
) -> Invoke:
    """Invoke `concierge ...` against the `database` fixture, at the tests' moment."""
    monkeypatch.chdir(tmp_path)
    for name in ("CONCIERGE_PROGRAM", "CONCIERGE_POS_SECRET", "PORT"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv(
        "CONCIERGE_DATABASE_URL", database.url.render_as_string(hide_password=False)
    )

    def invoke(*args: str) -> Result:
        return CliRunner().invoke(main, list(args), catch_exceptions=False, obj={"clock": clock})

    return invoke


def test_list_names_every_reward_with_its_cost_and_who_may_take_it(run: Invoke) -> None:
    lines = run("rewards", "list").stdout.strip().splitlines()
    assert lines == [
        "care_kit · Engraved care kit · 300 points · voucher · every tier · stock 25, 25 left"
        " · valid 90 days",
        "cleaning · Professional cleaning · 150 points · voucher · every tier · unlimited · "
        "valid 60 days",
        "engraving · Engraving · 500 points · voucher · every tier with first_purchase · "
        "unlimited · valid 180 days",
        "tier_discount · Member's discount · 1,000 points · voucher · "
        "silver, gold, platinum, ambassador · unlimited · valid 30 days",
        "private_viewing · A private viewing · 2,500 points · experience · "
        "platinum, ambassador · stock 4, 4 left · no end",
    ]


def _giulia_takes(database: Database, program: Program, clock: Clock, reward: str) -> None:
    """Giulia, with 1,000 points, takes `reward` (as the chat will let her), through a
    connection of its own: the commands run their own loop."""

    async def take() -> None:
        db = Database(database.url)
        try:
            async with db.unit_of_work() as uow:
                member = await members.add(uow, program, clock(), "+393471234567")
                await members.adjust(uow, member, 1000, "gift", "welcome", clock(), program)
                await rewards.take(uow, member, reward, clock(), program)
                await uow.commit()
        finally:
            await db.close()

    asyncio.run(take())


def test_list_shows_what_is_left_of_a_stock(
    run: Invoke, database: Database, program: Program, clock: Clock
) -> None:
    _giulia_takes(database, program, clock, "care_kit")
    listed = run("rewards", "list").stdout.splitlines()
    [care_kit] = [line for line in listed if line.startswith("care_kit")]
    assert "· stock 25, 24 left ·" in care_kit


def test_vouchers_use_and_cancel_at_the_till(
    run: Invoke, database: Database, program: Program, clock: Clock
) -> None:
    run("members", "add", "+33612345678")
    assert run("rewards", "vouchers", "M1").stdout == "M00001 has no vouchers\n"
    _giulia_takes(database, program, clock, "tier_discount")
    shown = run("rewards", "vouchers", "+39 347 123 4567").stdout.strip().splitlines()
    assert shown[0] == (
        "V00001 · Member's discount · 5% off · 1,000 points · held · taken 2026-11-24 · "
        "until 2026-12-24"
    )
    code = shown[1].strip()
    assert code.startswith("RWD1:V00001:")

    used = run("rewards", "use", code)
    assert used.exit_code == 0, used.stderr
    assert used.stdout.strip() == (
        "V00001 used: Member's discount · 5% off · 1,000 points · used · taken 2026-11-24 · "
        "until 2026-12-24 · member M00002"
    )
    again = run("rewards", "use", code)
    assert (again.exit_code, again.stderr) == (
        1, "concierge: voucher V00001 was used on 2026-11-24\n",
    )  # fmt: skip
    refused = run("rewards", "cancel", "V00001")
    assert refused.stderr == "concierge: voucher V00001 was used on 2026-11-24\n"
    assert run("members", "history", "M00002").stdout.splitlines()[0].endswith("Voucher V00001")
    assert len(run("rewards", "vouchers", "M00002").stdout.strip().splitlines()) == 1


def test_cancel_gives_the_points_back_and_the_errors_are_one_line(
    run: Invoke, database: Database, program: Program, clock: Clock
) -> None:
    _giulia_takes(database, program, clock, "cleaning")
    done = run("rewards", "cancel", "v1")
    assert done.stdout == "V00001 cancelled; 150 points given back\n"
    assert "Voucher V00001 given back" in run("members", "history", "M00001").stdout
    for args, said in [
        (("rewards", "cancel", "V00001"), "voucher V00001 was cancelled on 2026-11-24"),
        (("rewards", "use", "V00001"), "not a genuine voucher of this club"),
        (
            ("rewards", "use", "RWD1:V00001:0123456789abcdef0123"),
            "not a genuine voucher of this club",
        ),
        (("rewards", "cancel", "V99999999999999"), "no voucher 'V99999999999999'"),
        (("rewards", "vouchers", "M00042"), "no member 'M00042'"),
    ]:
        result = run(*args)
        assert (result.exit_code, result.stderr) == (1, f"concierge: {said}\n"), args
