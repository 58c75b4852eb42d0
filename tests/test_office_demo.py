"""`concierge office --demo` (`make office`) and the demo club's history it seeds: the same
club for the same moment, every member's points their ledger's sum, and the address and
sign-in printed before serving (uvicorn replaced: no port is waited on)."""

from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.bootstrap import Concierge
from bot.demo import seed
from bot.demo_history import Seeded, seed_history
from bot.settings import Settings
from loyalty.program import Program
from services import members, office, outbox
from storage.database import Database
from tests.conftest import Clock
from tests.test_cli import Invoke, run

__all__ = ["run"]

FEW = 30  # members enough for every kind of history, few enough to seed in a moment


async def seeded(concierge: Concierge, count: int = FEW) -> Seeded:
    await seed(concierge)
    return await seed_history(concierge, count=count)


async def statuses(concierge: Concierge) -> Counter[tuple[str, str, str]]:
    async with concierge.db.unit_of_work() as uow:
        rows = await outbox.latest(uow, 100_000, None)
        return Counter((row.kind, row.channel, row.status) for row in rows)


async def test_two_seeds_of_the_same_moment_give_the_same_club(
    tmp_path: Path, sqlite_template: Path, program: Program, clock: Clock
) -> None:
    found = []
    for name in ("one.db", "two.db"):
        shutil.copy(sqlite_template, tmp_path / name)
        url = f"sqlite+aiosqlite:///{tmp_path / name}"
        app = Concierge(Settings(database_url=url), program, Database(url), clock, clock.sleep)
        try:
            found.append(((await seeded(app)).counts, await statuses(app)))
        finally:
            await app.db.close()
    assert found[0] == found[1]
    assert found[0][0]["members"] == FEW


async def test_the_history_holds_what_the_figures_count_and_points_are_their_ledgers_sum(
    concierge: Concierge,
) -> None:
    counts = (await seeded(concierge)).counts
    for kind in (
        "purchases", "events", "invitations", "rsvp going", "rsvp declined", "check-ins",
        "appointments", "appointment no_show", "appointment cancelled", "closures",
        "conversations", "opt-outs", "message read", "message delivered", "message sent",
        "message failed",
    ):  # fmt: skip
        assert counts[kind] > 0, kind
    kinds = {(kind, channel) for kind, channel, _ in await statuses(concierge)}
    assert {"invitation", "reply"} <= {kind for kind, _ in kinds}
    assert {"whatsapp", "telegram", "staff"} <= {channel for _, channel in kinds}
    now, program = concierge.clock(), concierge.program
    tiers = Counter[str]()
    async with concierge.db.unit_of_work() as uow:
        for number in range(1, FEW + 4):  # the demo's three, then the history's
            member = await members.look_up(uow, members.member_number(number), program)
            card = await members.card(uow, member, now, program)
            ledger = await members.statement(uow, member, 100_000)
            assert card.points == sum(entry.points for entry in ledger), member.id
            tiers[card.tier.tier] += 1
    assert len(tiers) >= 2  # not everyone on the first step of the ladder


@pytest.fixture
def office_demo(run: Invoke, monkeypatch: pytest.MonkeyPatch) -> tuple[Any, str, str]:
    """`concierge office --demo` run with a small history and uvicorn replaced: the app it
    would serve, and the owner's sign-in it printed."""
    started: dict[str, Any] = {}
    monkeypatch.setattr("bot.demo_people.MEMBERS", 12)
    monkeypatch.setattr("uvicorn.run", lambda web, **options: started.update(options, web=web))
    result = run("office", "--demo", "--port", "8123")
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    owner = next(line for line in lines if line.startswith("sign in as the owner: "))
    email, _, password = owner.removeprefix("sign in as the owner: ").split()
    assert "the back office: http://127.0.0.1:8123/office/" in lines
    assert (started["host"], started["port"], started["log_config"]) == ("127.0.0.1", 8123, None)
    return started["web"], email, password


def test_office_demo_remakes_its_file_at_each_run(
    office_demo: tuple[Any, str, str], run: Invoke, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("uvicorn.run", lambda web, **options: None)
    again = run("office", "--demo")
    assert again.exit_code == 0, again.stderr
    assert "the back office: http://127.0.0.1:8000/office/" in again.stdout.splitlines()


async def test_the_printed_sign_in_opens_the_served_back_office_as_its_owner(
    office_demo: tuple[Any, str, str], tmp_path: Path, program: Program, clock: Clock
) -> None:
    web, email, password = office_demo
    url = f"sqlite+aiosqlite:///{tmp_path / 'office.db'}"
    db = Database(url)
    try:
        async with db.unit_of_work() as uow:
            token = await office.sign_in(uow, email, password, "127.0.0.1", clock())
            who = await office.signed_in(uow, token, clock())
            await uow.commit()
    finally:
        await db.close()
    assert who is not None and who.owner
    transport = httpx.ASGITransport(app=web)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as browser:
            assert (await browser.get("/office/sign-in")).status_code == 200
            browser.cookies.set("office_session", token, path="/office")
            home = await browser.get("/office/")
    finally:
        await web.state.concierge.db.close()
    assert home.status_code == 200 and email in home.text


def test_office_without_demo_serves_the_settings_database_as_it_is(
    run: Invoke, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    started: dict[str, Any] = {}
    monkeypatch.setattr("uvicorn.run", lambda web, **options: started.update(options))
    result = run("office", "--port", "8124")
    assert result.exit_code == 0, result.stderr
    assert "the back office: http://127.0.0.1:8124/office/" in result.stdout.splitlines()
    assert "sign in" not in result.stdout and started["port"] == 8124
    assert not (tmp_path / "office.db").exists()
