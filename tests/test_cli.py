"""The `concierge` command as staff use it, on a real SQLite file, from any directory."""

from __future__ import annotations

import asyncio
import json
import logging
import re
import shutil
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from bot.cli import main
from bot.logs import MaskingFormatter
from bot.settings import load_program
from loyalty.membercard import ticket_payload
from services import appointments, events, members
from storage.database import Database
from storage.migrate import behind
from tests.conftest import Clock

Invoke = Callable[..., Result]
HEADER = "order_id,phone,amount,currency,purchased_at,name,category,limited_edition,status\n"


@pytest.fixture
def run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, clock: Clock, sqlite_template: Path
) -> Invoke:
    """Invoke `concierge ...` in an empty directory with its own database, at the tests'
    fixed moment (the `clock` fixture). The database is a copy of the suite's migrated one,
    as `concierge db upgrade` leaves a new file (the next test), without migrating each time."""
    monkeypatch.chdir(tmp_path)
    for name in ("CONCIERGE_PROGRAM", "CONCIERGE_POS_SECRET", "PORT"):
        monkeypatch.delenv(name, raising=False)
    shutil.copy(sqlite_template, tmp_path / "club.db")
    monkeypatch.setenv("CONCIERGE_DATABASE_URL", f"sqlite:///{tmp_path / 'club.db'}")
    runner = CliRunner()

    def invoke(*args: str) -> Result:
        return runner.invoke(main, list(args), catch_exceptions=False, obj={"clock": clock})

    return invoke


def test_db_upgrade_brings_a_new_file_to_the_newest_schema_and_then_has_nothing_to_do(
    run: Invoke, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "new.db"
    monkeypatch.setenv("CONCIERGE_DATABASE_URL", f"sqlite:///{path}")

    async def behind_now() -> str | None:
        db = Database(f"sqlite+aiosqlite:///{path}")
        try:
            return await behind(db)
        finally:
            await db.close()

    assert run("db", "upgrade").exit_code == 0
    assert asyncio.run(behind_now()) is None
    assert run("db", "upgrade").exit_code == 0  # a second time: nothing left to do
    assert asyncio.run(behind_now()) is None


def write_csv(path: Path, rows: list[str]) -> Path:
    path.write_text(HEADER + "".join(row + "\n" for row in rows), encoding="utf-8")
    return path


def test_wrong_database_url_stops_with_one_line_naming_it(
    run: Invoke, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CONCIERGE_DATABASE_URL", "mysql://nope")
    result = run("members", "show", "M00001")
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == [
        "concierge: CONCIERGE_DATABASE_URL: unsupported database 'mysql': use sqlite or postgresql"
    ]


def test_invalid_program_file_is_rejected_with_the_key_and_reason(
    run: Invoke, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    demo = (Path(__file__).parents[1] / "loyalty" / "clubs" / "demo.toml").read_text()
    bad = tmp_path / "club.toml"
    bad.write_text(demo.replace('base_currency = "EUR"', 'base_currency = "EURO"'))
    monkeypatch.setenv("CONCIERGE_PROGRAM", str(bad))
    result = run("members", "show", "M00001")
    assert result.exit_code == 2
    assert "CONCIERGE_PROGRAM" in result.stderr
    assert "club.base_currency: unknown currency 'EURO'" in result.stderr


def test_short_pos_secret_is_refused(run: Invoke, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CONCIERGE_POS_SECRET", "short")
    result = run("members", "show", "M00001")
    assert result.exit_code == 2
    assert result.stderr.startswith("concierge: CONCIERGE_POS_SECRET: too short")


@pytest.mark.parametrize(
    ("name", "value", "line"),
    [
        ("TWILIO_ACCOUNT_SID", "SK123", "TWILIO_ACCOUNT_SID: not a Twilio Account SID"),
        ("TWILIO_AUTH_TOKEN", "secret", "TWILIO_AUTH_TOKEN: not a Twilio Auth Token"),
        ("TWILIO_WHATSAPP_FROM", "0612345678", "TWILIO_WHATSAPP_FROM: not a number in E.164"),
        ("CONCIERGE_PUBLIC_URL", "club.example.com", "CONCIERGE_PUBLIC_URL: not an http(s) URL"),
    ],
)
def test_a_wrong_whatsapp_setting_stops_with_one_line_naming_it(
    run: Invoke, monkeypatch: pytest.MonkeyPatch, name: str, value: str, line: str
) -> None:
    monkeypatch.setenv(name, value)
    result = run("members", "show", "M00001")
    assert result.exit_code == 2
    [said] = result.stderr.strip().splitlines()
    assert said.startswith(f"concierge: {line}")


def test_import_keeps_good_rows_and_names_each_rejected_line(run: Invoke, tmp_path: Path) -> None:
    csv_file = write_csv(
        tmp_path / "purchases.csv",
        [
            "A1,+393471234567,1200.00,EUR,2026-10-01T11:00:00,Giulia,ring,true,paid",
            "A2,347 123 4567,100.50,USD,2026-10-02T11:00:00+02:00,,repair,,",
            "A1,+393471234567,1200.00,EUR,2026-10-01T11:00:00,Giulia,ring,true,paid",
            "A3,+393471234567,-5,EUR,2026-10-03T11:00:00,,,,",
            "A4,12,10,EUR,2026-10-03T11:00:00,,,,",
            "A5,+393471234567,10,XYZ,2026-10-03T11:00:00,,,,",
            "A6,+393471234567,10,EUR,03/10/2026,,,,",
            "A7,+393471234567,10,EUR,2026-10-03T11:00:00,,,,,extra",
            "A8,+33612345678,300,EUR,2026-10-04,,,,refunded",
        ],
    )
    result = run("import", "purchases", str(csv_file))
    assert result.exit_code == 0, result.output
    assert result.stdout.strip().splitlines()[-1] == (
        "created 3, refunded 0, unchanged 1, rejected 5"
    )
    rejected = [line for line in result.stderr.splitlines() if "rejected" in line]
    assert [line.split(":")[0] for line in rejected] == [
        "line 5",
        "line 6",
        "line 7",
        "line 8",
        "line 9",
    ]
    assert "amount: negative" in rejected[0]
    assert "phone" in rejected[1] and "currency" in rejected[2]
    assert "purchased_at: not an ISO 8601" in rejected[3]
    assert "more fields than the header" in rejected[4]

    again = run("import", "purchases", str(csv_file))
    assert (
        again.stdout.strip().splitlines()[-1] == "created 0, refunded 0, unchanged 4, rejected 5"
    )

    shown = run("members", "show", "+393471234567")
    assert "Points: 1,292" in shown.stdout  # 1200 + floor(100.50 x 0.92)


def test_import_refuses_a_file_without_a_required_column(run: Invoke, tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("order_id,phone,amount\nX,+393471234567,10\n")
    result = run("import", "purchases", str(bad))
    assert result.exit_code == 1
    assert "lacks the column(s): currency, purchased_at" in result.stderr


def test_members_add_show_consent_redeem_tier_export_erase(run: Invoke, tmp_path: Path) -> None:
    added = run(
        "members",
        "add",
        "+393471234567",
        "--name",
        "Giulia Rossi",
        "--birthday",
        "02-29",
        "--locale",
        "it",
    )
    assert added.stdout.strip() == "member M00001 added"
    duplicate = run("members", "add", "347 123 4567")
    assert duplicate.exit_code == 1
    assert "already exists" in duplicate.stderr

    write_csv(tmp_path / "p.csv", ["B1,+393471234567,2000,EUR,2026-11-01T10:00:00,,ring,,"])
    run("import", "purchases", str(tmp_path / "p.csv"))
    card = run("members", "show", "M00001").stdout
    assert "Giulia Rossi" in card
    assert "Oro" in card  # the tier's name in the member's language (it)
    assert "2.000" in card  # Italian digit grouping

    consent = run("members", "consent", "M1", "birthday", "whatsapp", "--grant")
    assert consent.stdout.strip() == "birthday on whatsapp is now granted"
    again = run("members", "consent", "M1", "birthday", "whatsapp", "--grant")
    assert again.stdout.strip() == "birthday on whatsapp was already granted"

    too_much = run("members", "redeem", "M1", "5000")
    assert too_much.exit_code == 1
    assert "cannot redeem 5000 points: the balance is 2000" in too_much.stderr
    assert run("members", "redeem", "M1", "500", "--note", "cleaning").stdout.strip() == (
        "redeemed 500 points; balance 1500"
    )

    assert "tier ambassador" in run("members", "tier", "M1", "ambassador").stdout
    assert "Ambasciatore" in run("members", "show", "M1").stdout

    out = tmp_path / "export.json"
    run("members", "export", "M1", "--out", str(out))
    exported = json.loads(out.read_text())
    assert exported["name"] == "Giulia Rossi" and exported["points"] == 1500
    assert exported["consents"][0]["source"] == "staff-cli"

    refused = run("members", "erase", "M1")
    assert refused.exit_code == 1 and "--yes" in refused.stderr
    erased = run("members", "erase", "M1", "--yes")
    assert erased.exit_code == 0 and "M00001: erased" in erased.stdout


def test_an_erased_member_shows_the_anonymous_remainder_and_refuses_to_be_acted_on(
    run: Invoke, tmp_path: Path
) -> None:
    run("members", "add", "+393471234567", "--name", "Giulia Rossi", "--email", "g@example.org")
    write_csv(tmp_path / "p.csv", ["B1,+393471234567,2000,EUR,2026-11-01T10:00:00,,ring,,"])
    run("import", "purchases", str(tmp_path / "p.csv"))
    run("members", "redeem", "M1", "500", "--note", "cleaning")
    run("members", "erase", "M1", "--yes")

    shown = run("members", "show", "M00001")
    exported = json.loads(run("members", "export", "M1").stdout)

    assert shown.exit_code == 0
    assert shown.stdout == (
        "M00001 · erased on 2026-11-24 · 1,500 points (ledger kept, anonymous, for the books)\n"
    )
    assert exported["erased_at"] == "2026-11-24T10:00:00+00:00" and exported["points"] == 1500
    assert [(p["order_id"], p["amount"], p["category"]) for p in exported["purchases"]] == [
        ("B1", "2000.00", None)
    ]
    assert "Giulia" not in json.dumps(exported) and "cleaning" not in json.dumps(exported)
    for command in (
        ("consent", "M1", "birthday", "whatsapp", "--grant"), ("redeem", "M1", "10"),
        ("adjust", "M1", "5", "--note", "x"), ("tier", "M1", "ambassador"),
        ("history", "M1"), ("invite", "M1"), ("erase", "M1", "--yes"),
    ):  # fmt: skip
        refused = run("members", *command)
        assert (refused.exit_code, refused.stderr) == (
            1, "concierge: M00001 was erased on 2026-11-24\n"
        ), command  # fmt: skip
    by_phone = run("members", "show", "+393471234567")
    assert by_phone.exit_code == 1 and "no member" in by_phone.stderr


def test_demo_seeds_once_and_prints_a_card(run: Invoke, tmp_path: Path) -> None:
    first = run("demo", "--database", str(tmp_path / "demo.db"))
    second = run("demo", "--database", str(tmp_path / "demo.db"))
    assert first.exit_code == 0, first.output
    assert "Giulia Rossi" in first.stdout and "Tier: Gold" in first.stdout
    assert second.stdout == first.stdout


def test_adjust_and_history_read_as_the_member_would(run: Invoke, tmp_path: Path) -> None:
    write_csv(
        tmp_path / "p.csv",
        ["C1,+393471234567,250,EUR,2026-11-01T10:00:00,Giulia,ring,,"],
    )
    run("import", "purchases", str(tmp_path / "p.csv"))
    assert run("members", "adjust", "M1", "50", "--note", "welcome gift").stdout.strip() == (
        "adjusted by +50 points; balance 300"
    )
    refused = run("members", "adjust", "M1", "-301", "--note", "typo")
    assert refused.exit_code == 1 and "the balance is 300" in refused.stderr
    run("members", "redeem", "M1", "100", "--note", "polish")
    lines = run("members", "history", "M1").stdout.strip().splitlines()
    assert [line.split("  ")[-1] for line in lines] == [
        "Redeemed: polish",
        "Adjustment: welcome gift",
        "Purchase C1",
    ]
    assert "+250" in lines[-1] and "-100" in lines[0]


def test_add_with_an_anniversary_appears_in_the_export(run: Invoke, tmp_path: Path) -> None:
    run("members", "add", "+393471234567", "--anniversary", "wedding=2015-06-20")
    bad = run("members", "add", "+33612345678", "--anniversary", "wedding=June")
    assert bad.exit_code == 1 and "not a date" in bad.stderr
    assert run("members", "show", "+33612345678").exit_code == 1  # nothing was written
    exported = json.loads(run("members", "export", "M1").stdout)
    assert exported["anniversaries"] == [{"kind": "wedding", "date": "2015-06-20"}]


def test_occasions_preview_and_run_say_who_and_why_not(run: Invoke) -> None:
    run("members", "add", "+393471234567", "--name", "Giulia Rossi", "--birthday", "07-14")
    run("members", "consent", "M00001", "birthday", "whatsapp", "--grant")  # at the till
    run("members", "add", "+33612345678", "--name", "Camille Laurent", "--birthday", "07-14")
    run("members", "consent", "M00002", "birthday", "telegram", "--grant")  # no Telegram chat

    preview = run("occasions", "preview", "--date", "2027-07-14")
    queued = run("occasions", "run", "--date", "2027-07-14")

    assert preview.stdout.splitlines() == [
        "2027-07-14 10:00 Europe/Rome  M00001 Giulia Rossi  birthday  whatsapp",
        "2027-07-14 10:00 Europe/Rome  M00002 Camille Laurent  birthday  "
        "not sent: agreed, but on no channel we can reach them on",
        "1 to send, 1 not",
    ]
    assert queued.stdout.strip() == "queued 1, 1 not sent (see `occasions preview`)"
    [listed] = run("outbox", "list").stdout.splitlines()
    assert listed.split()[1:5] == ["pending", "whatsapp", "birthday", "birthday"]
    assert listed.endswith("(consent: birthday)")  # why it may go
    assert run("occasions", "preview", "--date", "2027-07-15").stdout == "0 to send, 0 not\n"


def test_outbox_list_retry_and_cancel(run: Invoke, tmp_path: Path) -> None:
    async def stuck_message() -> int:
        db = Database(f"sqlite+aiosqlite:///{tmp_path / 'club.db'}")
        try:
            async with db.unit_of_work() as uow:
                at = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
                row = await uow.outbox.add(
                    at, channel="whatsapp", address="+393471234567", kind="birthday", body="",
                    purpose="birthday", key="birthday:1:2026", due_at=at,
                )  # fmt: skip
                await uow.outbox.put_back(row, "uncertain", "stopped during the call", at)
                await uow.commit()
                return row.id
        finally:
            await db.close()

    row_id = asyncio.run(stuck_message())

    listed = run("outbox", "list", "--status", "uncertain").stdout.splitlines()
    assert listed == [
        f"{row_id:>7}  uncertain         whatsapp  birthday    birthday                   "
        "due 2026-11-24 09:00Z  stopped during the call"
    ]
    assert (
        run("outbox", "retry", str(row_id)).stdout.strip()
        == f"message {row_id}: will be sent again"
    )
    again = run("outbox", "retry", str(row_id))
    assert again.exit_code == 1 and "cannot change now" in again.stderr
    assert run("outbox", "cancel", str(row_id)).stdout.strip() == f"message {row_id}: cancelled"
    assert "cancelled" in run("outbox", "list").stdout


def test_serve_leaves_uvicorns_loggers_to_the_masking_handler(
    run: Invoke, monkeypatch: pytest.MonkeyPatch
) -> None:
    started: dict[str, object] = {}
    monkeypatch.setattr("uvicorn.run", lambda app, **options: started.update(options))

    assert run("serve", "--port", "8123").exit_code == 0

    assert started["port"] == 8123
    assert started["log_config"] is None  # uvicorn's own would write the access log unmasked


def test_a_command_logs_through_the_masking_handler_at_the_levels_asked(
    run: Invoke, logging_kept: None
) -> None:
    root = logging.getLogger()
    theirs = root.handlers[:]  # the test runner's: a process of its own starts with none
    for handler in theirs:
        root.removeHandler(handler)
    try:
        assert run("-v", "staff", "list").exit_code == 0
        ours = root.handlers[:]
    finally:
        for handler in root.handlers[:]:
            root.removeHandler(handler)
        for handler in theirs:
            root.addHandler(handler)

    [handler] = ours
    assert isinstance(handler.formatter, MaskingFormatter)
    assert root.level == logging.DEBUG  # -v
    assert logging.getLogger("aiosqlite").level == logging.WARNING  # its debug: SQL parameters
    assert logging.getLogger("telegram").level == logging.INFO  # its debug: messages


def test_staff_add_list_and_remove(run: Invoke) -> None:
    assert run("staff", "list").output.startswith("no staff registered")
    added = run("staff", "add", "6660001", "--name", "Anna  Bianchi")
    assert added.exit_code == 0 and "Anna Bianchi (concierge) may now act" in added.output
    assert run("staff", "add", "6660002", "--name", "Marco", "--role", "manager").exit_code == 0
    assert run("staff", "list").output.splitlines() == [
        "     6660001  concierge  Anna Bianchi",
        "     6660002  manager    Marco",
    ]
    assert (
        run("staff", "remove", "6660001").output
        == "Anna Bianchi may no longer act in the staff group\n"
    )
    assert [line.split()[0] for line in run("staff", "list").output.splitlines()] == ["6660002"]

    missing = run("staff", "remove", "6660001")
    assert missing.exit_code == 1 and "no staff member with Telegram id 6660001" in missing.stderr
    assert run("staff", "add", "42", "--name", " ").exit_code == 2
    assert run("staff", "add", "42", "--name", "X", "--role", "boss").exit_code == 2


def test_staff_login_add_prints_a_one_time_link_and_needs_the_public_url(
    run: Invoke, monkeypatch: pytest.MonkeyPatch
) -> None:
    without = run("staff", "login", "add", "owner@aurelia.example", "--role", "owner")
    assert without.exit_code == 1 and "CONCIERGE_PUBLIC_URL is not set" in without.stderr
    monkeypatch.setenv("CONCIERGE_PUBLIC_URL", "https://concierge.example.com")
    added = run("staff", "login", "add", " Owner@Aurelia.example ", "--role", "owner")
    assert added.exit_code == 0
    assert re.fullmatch(
        r"owner@aurelia\.example \(owner\) sets a password at "
        r"https://concierge\.example\.com/office/welcome/[\w-]{43}\n",
        added.output,
    )
    again = run("staff", "login", "add", "owner@aurelia.example", "--role", "staff")
    assert again.output.split()[-1] != added.output.split()[-1]  # a new link, a new role
    assert run("staff", "login", "add", "not-an-address").exit_code == 2
    assert run("staff", "login", "add", "a@b.example", "--role", "boss").exit_code == 2


def test_staff_login_disable_ends_an_account_but_never_the_last_owners(
    run: Invoke, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CONCIERGE_PUBLIC_URL", "https://concierge.example.com")
    assert run("staff", "login", "add", "owner@aurelia.example", "--role", "owner").exit_code == 0
    link = run("staff", "login", "add", "anna@aurelia.example").output.split()[-1]
    disabled = run("staff", "login", "disable", " Anna@Aurelia.example")
    assert disabled.exit_code == 0 and disabled.output == "anna@aurelia.example is now disabled\n"
    again = run("staff", "login", "disable", "anna@aurelia.example")
    assert again.output == "anna@aurelia.example was already disabled\n"
    last = run("staff", "login", "disable", "owner@aurelia.example")
    assert last.exit_code == 1 and "the last owner's account stays" in last.stderr
    nobody = run("staff", "login", "disable", "nobody@aurelia.example")
    assert nobody.exit_code == 1 and "no such account" in nobody.stderr
    assert link.startswith("https://concierge.example.com/office/welcome/")


def test_a_staff_chat_that_is_no_supergroup_stops_with_one_line(
    run: Invoke, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TELEGRAM_STAFF_CHAT_ID", "123456")
    result = run("staff", "list")
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        "concierge: TELEGRAM_STAFF_CHAT_ID: not a supergroup id (they begin with -100, "
        "e.g. -1001234567890)"
    )


def test_events_create_list_guests_check_in_report_and_cancel(
    run: Invoke, tmp_path: Path, clock: Clock
) -> None:
    assert run("members", "add", "+393471234567", "--name", "Giulia Rossi").exit_code == 0
    created = run(
        "events", "create", "--title", "Emerald preview", "--starts", "2030-12-08T18:30",
        "--ends", "2030-12-08T21:00", "--capacity", "10", "--plus-ones", "1",
        "--guest", "M00001", "--tiers", "ambassador", "--kind", "trunk_show",
    )  # fmt: skip
    assert created.exit_code == 0 and created.output == "1\n"
    assert run("events", "show", "1").output.startswith("Emerald preview (trunk_show)\n")
    assert run("events", "list").output == "   1  2030-12-08 18:30    0/10   Emerald preview\n"
    assert "guest list: M00001" in run("events", "show", "1").output

    async def answer_and_ticket() -> str:
        db = Database(f"sqlite+aiosqlite:///{tmp_path / 'club.db'}")
        try:
            async with db.unit_of_work() as uow:
                program = load_program(None)
                member = await members.find(uow, "M00001", program)
                at = datetime(2030, 12, 1, 9, 0, tzinfo=UTC)
                await events.answer(uow, program, member, 1, at, True, plus_ones=1)
                key = await members.qr_key(uow, lambda: "club-key")
                await uow.commit()
                return ticket_payload(1, "M00001", key)
        finally:
            await db.close()

    ticket = asyncio.run(answer_and_ticket())
    assert run("events", "guests", "1", "--csv").output == (
        "member,name,answer,guests,checked_in\nM00001,Giulia Rossi,going,1,\n"
    )
    early = run("events", "check-in", ticket)
    assert early.exit_code == 1
    assert early.stderr == (
        "concierge: not the event's day: Emerald preview is on 2030-12-08; nothing recorded\n"
    )
    today = clock.current
    clock.current = datetime(2030, 12, 8, 17, 45, tzinfo=UTC)  # 18:45 in Rome, at the door
    checked = run("events", "check-in", ticket)
    assert checked.exit_code == 0
    assert (
        checked.output
        == "Giulia Rossi (M00001), with 1 guest(s): checked in at 2030-12-08 18:45\n"
    )
    clock.current = today
    assert run("events", "check-in", ticket).output == checked.output  # once only
    forged = run("events", "check-in", ticket[:-1] + ("0" if ticket[-1] != "0" else "1"))
    assert forged.exit_code == 1 and "not a ticket of this club" in forged.stderr

    report = run("events", "report", "1").output.splitlines()
    assert report[:3] == [
        "invited: 1; said yes: 1; declined: 0",
        "RSVP rate: 100% (yes / invited)",
        "attended: 1; attendance rate: 100% (came / said yes)",
    ]
    cancelled = run("events", "cancel", "1")
    # news of her own answer needs no separate yes: she is told at her number, on WhatsApp
    assert cancelled.output == "Emerald preview: cancelled; 1 of 1 members told\n"
    assert run("events", "cancel", "1").exit_code == 1
    wrong = run("events", "create", "--title", "X", "--starts", "soon", "--ends", "later",
                "--capacity", "1")  # fmt: skip
    assert wrong.exit_code == 1 and "--starts: not an ISO 8601 date and time" in wrong.stderr


def test_an_event_starting_in_the_past_or_ending_before_it_starts_is_refused(
    run: Invoke,
) -> None:
    event = ["events", "create", "--title", "Emerald preview", "--capacity", "5"]
    past = run(*event, "--starts", "2026-11-24T10:30", "--ends", "2026-11-24T12:00")
    assert past.exit_code == 1  # 10:30 in Rome is 09:30 UTC: half an hour ago
    assert past.stderr == "concierge: it starts in the past: give a start after now\n"
    backwards = run(*event, "--starts", "2026-12-08T18:30", "--ends", "2026-12-08T18:00")
    assert backwards.stderr == "concierge: it must end after it starts\n"
    assert run("events", "list").output == ""


def test_staff_hours_closures_and_the_appointments_of_a_day(
    run: Invoke, tmp_path: Path, clock: Clock
) -> None:
    run("staff", "add", "6660001", "--name", "Anna Bianchi")
    assert run("staff", "hours", "Anna", "tue", "10:00", "18:00").output == (
        "Anna Bianchi: tue 10:00-18:00\n"
    )
    assert run("staff", "hours", "6660001", "wed").output == "Anna Bianchi: wed off\n"
    assert run("staff", "hours", "Bob", "tue", "10:00", "18:00").exit_code == 1
    assert run("staff", "hours", "Anna", "tue", "18:00", "10:00").exit_code == 1
    assert run("closures", "add", "2030-12-25", "--reason", "Christmas").exit_code == 0
    assert run("closures", "list").output == "2030-12-25  Christmas\n"
    assert run("closures", "remove", "2030-12-25").output == "open on 2030-12-25\n"
    assert run("closures", "remove", "2030-12-25").exit_code == 1
    run("members", "add", "+393471234567", "--name", "Giulia Rossi")

    async def book(start: datetime) -> int:
        db = Database(f"sqlite+aiosqlite:///{tmp_path / 'club.db'}")
        try:
            async with db.unit_of_work() as uow:
                program = load_program(None)
                member = await members.find(uow, "M00001", program)
                now = datetime(2030, 12, 2, 8, 0, tzinfo=UTC)  # a Monday
                booked = await appointments.book(uow, program, member, "resize", start, now)
                await uow.commit()
                return booked.id
        finally:
            await db.close()

    booking = asyncio.run(book(datetime(2030, 12, 3, 9, 0, tzinfo=UTC)))  # Tuesday 10:00, Rome
    listed = run("appointments", "list", "--day", "2030-12-03").output
    assert listed == (
        f"{booking:>4}  2030-12-03 10:00  resize                M00001 Giulia Rossi  "
        "Anna Bianchi  booked\n"
    )
    closing = run("closures", "add", "2030-12-03")
    assert closing.exit_code == 1
    assert closing.stderr == (
        f"concierge: 2030-12-03 has 1 booked appointment(s): {booking} at 10:00 (resize, "
        "M00001); nothing changed: add --cancel-bookings to cancel them and tell the members\n"
    )
    assert run("closures", "list").output == ""
    early = run("appointments", "no-show", str(booking))
    assert early.exit_code == 1
    assert early.stderr == (
        f"concierge: appointment {booking} has not started yet: a no-show is recorded from its "
        "start; nothing recorded\n"
    )
    clock.current = datetime(2030, 12, 3, 9, 20, tzinfo=UTC)  # twenty minutes late
    assert run("appointments", "no-show", str(booking)).exit_code == 0
    assert run("appointments", "list", "--day", "2030-12-03").output.endswith("no_show\n")
    assert run("appointments", "no-show", str(booking)).exit_code == 1

    later = asyncio.run(book(datetime(2030, 12, 10, 13, 0, tzinfo=UTC)))  # the next Tuesday
    closed = run("closures", "add", "2030-12-10", "--reason", "inventory", "--cancel-bookings")
    assert closed.output == "closed on 2030-12-10; 1 booking(s) cancelled, 1 member(s) told\n"
    assert run("appointments", "list", "--day", "2030-12-10").output == (
        f"{later:>4}  2030-12-10 14:00  resize                M00001 Giulia Rossi  "
        "Anna Bianchi  cancelled\n"
    )
    told = run("outbox", "list").output.splitlines()[0].split()
    assert told[1:5] == ["pending", "whatsapp", "service", "appointment_cancelled"]


# -- ids, numbers and days staff type: strict, in range, never a traceback ----------------

HOSTILE = ["²", "١", "፩", "a²", "-1", "99999999999999999999", ""]
TAKING_AN_ID = [
    ["outbox", "retry"], ["outbox", "cancel"], ["events", "show"], ["events", "guests"],
    ["events", "cancel"], ["events", "invite"], ["events", "report"],
    ["appointments", "no-show"], ["staff", "remove"],
]  # fmt: skip


@pytest.fixture
def run_on(
    database: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, clock: Clock
) -> Invoke:
    """Invoke `concierge ...` against the `database` fixture: SQLite, then PostgreSQL."""
    monkeypatch.chdir(tmp_path)
    for name in ("CONCIERGE_PROGRAM", "CONCIERGE_POS_SECRET", "PORT"):
        monkeypatch.delenv(name, raising=False)
    url = database.url.render_as_string(hide_password=False)
    monkeypatch.setenv("CONCIERGE_DATABASE_URL", url)

    def invoke(*args: str) -> Result:
        return CliRunner().invoke(main, list(args), catch_exceptions=False, obj={"clock": clock})

    return invoke


def test_an_id_that_is_not_one_is_a_usage_error_before_the_database(run_on: Invoke) -> None:
    for command in [*TAKING_AN_ID, ["staff", "add", "--name", "Anna"]]:
        for bad in HOSTILE:
            result = run_on(*command, bad)

            assert result.exit_code == 2, (command, bad, result.output)
            assert (
                f"{bad!r} is not an id (digits 0-9, at most" in result.stderr
                or f"No such option '{bad}'" in result.stderr  # "-1" reads as an option
            )


def test_the_largest_ids_the_columns_hold_reach_the_database_and_find_nothing(
    run_on: Invoke,
) -> None:
    biggest = {"outbox": "9223372036854775807", "staff": "9223372036854775807"}
    for command in TAKING_AN_ID:
        result = run_on(*command, biggest.get(command[0], "2147483647"))

        assert result.exit_code == 1, (command, result.output)
        assert len(result.stderr.splitlines()) == 1 and result.stderr.startswith("concierge: ")
    assert run_on("events", "show", "2147483648").exit_code == 2  # beyond integer: no id


def test_a_member_number_in_other_digits_or_beyond_the_column_names_no_member(
    run_on: Invoke,
) -> None:
    run_on("members", "add", "+393471234567", "--name", "Giulia Rossi")  # member 1
    assert run_on("members", "show", "M00001").exit_code == 0
    for ref in ["M١", "M፩", "M²", "M-1", "M99999999999999999999", "M2147483648"]:
        result = run_on("members", "show", ref)

        assert result.exit_code == 1, (ref, result.output)
        assert result.stderr in (
            f"concierge: no member {ref!r}\n",
            f"concierge: not a member number or phone number: {ref!r}\n",
        )


def test_days_and_moments_outside_what_the_club_reckons_with_are_refused(
    run_on: Invoke,
) -> None:
    for command in [
        ["closures", "add"], ["closures", "remove"], ["appointments", "list", "--day"],
        ["occasions", "preview", "--date"], ["occasions", "run", "--date"],
    ]:  # fmt: skip
        for day in ["9999-12-31", "0001-01-01", "1899-12-31", "2200-01-01", "٢٠٢٦-١٢-٢٥",
                    "2026-02-30", "20261225"]:  # fmt: skip
            result = run_on(*command, day)

            assert result.exit_code == 2, (command, day, result.output)
            assert "is not a day of 1900 to 2199 (YYYY-MM-DD)" in result.stderr
    for option in ["--starts", "--ends", "--deadline"]:
        for moment in ["9999-12-31T23:59:59", "0001-01-01T00:00:00", "1899-12-31T12:00:00Z"]:
            times = {"--starts": "2026-12-08T18:30", "--ends": "2026-12-08T21:00", option: moment}
            result = run_on("events", "create", "--title", "Emerald preview", "--capacity", "5",
                            *(part for pair in times.items() for part in pair))  # fmt: skip

            assert result.exit_code == 1, (option, moment, result.output)
            assert result.stderr == f"concierge: {option}: out of range: from 1900 to 2199\n"
    assert run_on("events", "list").output == ""


def test_counts_beyond_their_columns_are_usage_errors(run_on: Invoke) -> None:
    run_on("members", "add", "+393471234567", "--name", "Giulia Rossi")
    too_many = [
        ["events", "create", "--title", "X", "--starts", "2026-12-08T18:30", "--ends",
         "2026-12-08T21:00", "--capacity", "2147483648"],
        ["events", "create", "--title", "X", "--starts", "2026-12-08T18:30", "--ends",
         "2026-12-08T21:00", "--capacity", "5", "--plus-ones", "32768"],
        ["members", "redeem", "M00001", "2147483648"],
        ["members", "adjust", "M00001", "2147483648", "--note", "x"],
        ["members", "adjust", "M00001", "-2147483648", "--note", "x"],
    ]  # fmt: skip
    for command in too_many:
        result = run_on(*command)

        assert result.exit_code == 2, (command, result.output)
        assert "Error: Invalid value" in result.stderr


def test_import_rejects_rows_with_text_or_dates_the_club_cannot_keep(
    run_on: Invoke, tmp_path: Path
) -> None:
    csv_file = write_csv(
        tmp_path / "purchases.csv",
        [
            "B1,+393471234567,10,EUR,2026-10-01T11:00:00,Giulia\x00,ring,,",
            "B\x002,+393471234567,10,EUR,2026-10-01T11:00:00,,ring,,",
            "B3,+393471234567,10,EUR,2026-10-01T11:00:00,,ring\x1b[0m,,",
            "B4,+393471234567,10,EUR,0001-01-01T00:00:00+14:00,,,,",
            "B5,+393471234567,10,EUR,9999-12-31T23:59:59Z,,,,",
            "B6,+393471234567,10,EUR,2026-11-24T10:05:01Z,,,,",  # 5 minutes and a second ahead
            "B7,+393471234567,10,EUR,2026-10-01T11:00:00,Giulia Rossi,ring,,",
        ],
    )

    result = run_on("import", "purchases", str(csv_file))

    assert result.exit_code == 0, result.output
    out_of_range = "purchased_at: out of range: from 1900-01-01 to now"
    assert [line for line in result.stderr.splitlines() if "rejected" in line] == [
        "line 2: rejected: name: contains a control character (U+0000)",
        "line 3: rejected: order_id: contains a control character (U+0000)",
        "line 4: rejected: category: contains a control character (U+001B)",
        f"line 5: rejected: {out_of_range}",
        f"line 6: rejected: {out_of_range}",
        "line 7: rejected: purchased_at: in the future (more than 5 minutes after the club's "
        "clock)",
    ]
    assert result.stdout.splitlines()[-1] == "created 1, refunded 0, unchanged 0, rejected 6"


def test_text_the_database_cannot_keep_is_refused_before_it(run_on: Invoke) -> None:
    run_on("members", "add", "+393471234567", "--name", "Giulia Rossi")
    latin1 = "Zo\udceb"  # "Zoë" typed in a Latin-1 terminal, as Python reads the argument
    event = ["events", "create", "--starts", "2026-12-08T18:30", "--ends", "2026-12-08T21:00",
             "--capacity", "5"]  # fmt: skip
    refused = {
        ("members", "add", "+393471234568", "--name", latin1): "U+DCEB",
        ("members", "add", "+393471234568", "--email", "g\x1b@example.com"): "U+001B",
        (*event, "--title", latin1): "U+DCEB",
        (*event, "--title", "X", "--place", "Via\x00Montenapoleone"): "U+0000",
        (*event, "--title", "X", "--description", "two\nlines\x07"): "U+0007",
        ("staff", "add", "6660001", "--name", latin1): "U+DCEB",
        ("closures", "add", "2030-12-25", "--reason", latin1): "U+DCEB",
        ("members", "consent", "M00001", "news", "telegram", "--grant", "--wording",
         latin1): "U+DCEB",
        ("members", "redeem", "M00001", "1", "--note", latin1): "U+DCEB",
        ("members", "adjust", "M00001", "5", "--note", "\x00"): "U+0000",
    }  # fmt: skip
    for command, character in refused.items():
        result = run_on(*command)

        assert result.exit_code == 2, (command, result.output)
        assert f"({character})" in result.stderr.splitlines()[-1]
    for anniversary in [f"{latin1}=2015-06-20", "wedding=9999-12-31", "wedding=20150620"]:
        result = run_on("members", "add", "+393471234568", "--anniversary", anniversary)

        assert result.exit_code == 1, (anniversary, result.output)
    assert run_on("members", "show", "+393471234568").exit_code == 1  # nothing kept
    assert "Points: 0" in run_on("members", "show", "M00001").stdout
