"""Telegram end to end: real-shaped updates into the webhook, Bot API calls out at the wire.

Each test reads as a conversation and then checks the exact effect in the database and
the exact calls made to the Bot API (faked with respx in conftest.py).
"""

from __future__ import annotations

import asyncio
import json
import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import telegram.error
from click.testing import CliRunner, Result
from sqlalchemy import func, select

from bot import outbound
from bot.bootstrap import Concierge
from bot.channels.media import qr_png
from bot.channels.telegram import (
    ALLOWED_UPDATES,
    MAX_MESSAGE,
    TelegramChannel,
    poll,
    telegram_channel,
)
from bot.cli import main
from bot.web import create_app
from handlers.conversation.dialog import Button, Reply, Turn
from handlers.conversation.router import Router
from handlers.start import consent_question
from loyalty.consent import Purpose
from loyalty.membercard import qr_payload, verify
from loyalty.text import split_text
from services import members
from services.purchases import ingest
from services.wording import speaker_for
from storage.models import (
    ChannelIdentity,
    Consent,
    ConversationState,
    InboundReceipt,
    LinkToken,
    Member,
)
from tests.channel.conftest import (
    API_HOST,
    SECRET,
    TOKEN,
    ApiCall,
    FakeTelegram,
    Telegram,
    failing_router,
    left_open,
    telegram_settings,
)
from tests.factories import (
    OTHER_PHONE,
    PHONE,
    TELEGRAM_USER_ID,
    callback_update,
    chat_member_update,
    contact_update,
    message_update,
    purchase,
    telegram_user,
)

ME = str(TELEGRAM_USER_ID)
STRANGER = telegram_user(6_660_002, first_name="Luca")
MEMBER_MENU = [
    ("My card", "card"),
    ("My points history", "history"),
    ("Previews for you", "events"),
    ("Appointments", "appts"),
    ("Talk to a person", "person"),
    ("Preferences", "prefs"),
    ("Help", "help"),
    ("Rewards", "rewards"),
]
STRANGER_MENU = [("Join the club", "join"), ("Help", "help"), ("Talk to a person", "person")]
SHARE_PHONE = {
    "keyboard": [[{"text": "Share my phone number", "request_contact": True}]],
    "resize_keyboard": True,
    "one_time_keyboard": True,
}


# -- what the database holds ------------------------------------------------------------


async def enrol(concierge: Concierge, phone: str = PHONE, name: str = "Giulia Rossi") -> int:
    async with concierge.db.unit_of_work() as uow:
        member = await members.add(
            uow, concierge.program, concierge.clock(), phone, name=name, locale="en"
        )
        await uow.commit()
        return member.id


async def invite(concierge: Concierge, member_id: int, token: str) -> None:
    """What `concierge members invite` stores (its token is token_urlsafe(24))."""
    async with concierge.db.unit_of_work() as uow:
        member = await uow.members.get(member_id)
        assert member is not None
        await members.invite(uow, member, token, concierge.clock())
        await uow.commit()


async def identities(concierge: Concierge) -> list[tuple[str, int, bool]]:
    """Telegram identities as (user id, member id, reachable)."""
    async with concierge.db.unit_of_work() as uow:
        rows = await uow.session.execute(
            select(ChannelIdentity.address, ChannelIdentity.member_id, ChannelIdentity.reachable)
            .where(ChannelIdentity.channel == "telegram")
            .order_by(ChannelIdentity.id)
        )
        return [tuple(row) for row in rows]  # type: ignore[misc]


async def conversation(concierge: Concierge, address: str = ME) -> tuple[str, dict[str, Any]]:
    async with concierge.db.unit_of_work() as uow:
        row = await uow.session.get(ConversationState, ("telegram", address))
        return (row.state or "", row.data or {}) if row else ("", {})


async def receipts(concierge: Concierge) -> list[tuple[str, bool]]:
    """Telegram receipts as (update id, handled)."""
    async with concierge.db.unit_of_work() as uow:
        rows = await uow.session.execute(
            select(InboundReceipt.message_id, InboundReceipt.handled_at.is_not(None))
            .where(InboundReceipt.channel == "telegram")
            .order_by(InboundReceipt.id)
        )
        return [tuple(row) for row in rows]  # type: ignore[misc]


async def failures(concierge: Concierge) -> list[tuple[str, int, bool, str | None, bool]]:
    """Telegram receipts not handled, as (update id, tries, failed, reason, payload kept)."""
    async with concierge.db.unit_of_work() as uow:
        rows = await uow.session.execute(
            select(
                InboundReceipt.message_id,
                InboundReceipt.attempts,
                InboundReceipt.failed_at.is_not(None),
                InboundReceipt.error,
                InboundReceipt.payload,
            )
            .where(InboundReceipt.channel == "telegram", InboundReceipt.handled_at.is_(None))
            .order_by(InboundReceipt.id)
        )
        return [(*row[:4], row[4] is not None) for row in rows]


async def consents(concierge: Concierge, member_id: int) -> list[tuple[str, str, bool, str, str]]:
    async with concierge.db.unit_of_work() as uow:
        rows = await uow.session.execute(
            select(
                Consent.purpose, Consent.channel, Consent.granted, Consent.source, Consent.wording
            )
            .where(Consent.member_id == member_id)
            .order_by(Consent.id)
        )
        return [tuple(row) for row in rows]  # type: ignore[misc]


async def member_row(concierge: Concierge, member_id: int) -> Member:
    async with concierge.db.unit_of_work() as uow:
        member = await uow.members.get(member_id)
        assert member is not None
        return member


async def count_members(concierge: Concierge) -> int:
    async with concierge.db.unit_of_work() as uow:
        return int(await uow.session.scalar(select(func.count()).select_from(Member)) or 0)


def methods(calls: list[ApiCall]) -> list[str]:
    return [c.method for c in calls]


def texts(calls: list[ApiCall]) -> list[str]:
    return [c.text for c in calls if c.method == "sendMessage"]


# -- linking ------------------------------------------------------------------------------


async def run_cli(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, concierge: Concierge, *args: str
) -> Result:
    """`concierge ...` against the test's database and the faked Bot API, on its own loop."""
    monkeypatch.chdir(tmp_path)  # no .env
    monkeypatch.delenv("CONCIERGE_PROGRAM", raising=False)
    monkeypatch.setenv("CONCIERGE_DATABASE_URL", concierge.settings.database_url)
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    monkeypatch.setenv("TELEGRAM_API_URL", f"{API_HOST}/bot")
    return await asyncio.to_thread(CliRunner().invoke, main, list(args), catch_exceptions=False)


async def test_invite_command_prints_a_deep_link_that_links_this_chat(
    telegram: Telegram,
    concierge: Concierge,
    clock: Any,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    member_id = await enrol(concierge)
    result = await run_cli(monkeypatch, tmp_path, concierge, "members", "invite", "M00001")
    assert result.exit_code == 0, result.output
    link = re.fullmatch(
        r"https://t\.me/AureliaConciergeBot\?start=([A-Za-z0-9_-]{32})\n", result.stdout
    )
    assert link, result.stdout
    assert methods(telegram.api.calls) == ["getMe"]
    async with concierge.db.unit_of_work() as uow:
        row = await uow.session.get(LinkToken, link.group(1))
        assert row is not None and row.member_id == member_id
        clock.current = row.created_at + timedelta(minutes=5)  # the command used the wall clock

    calls = await telegram.send(message_update(f"/start {link.group(1)}"))

    assert methods(calls) == ["sendMessage"]
    assert calls[0].chat_id == ME
    assert calls[0].text == "Welcome, Giulia Rossi. Your membership is now linked to this chat."
    assert calls[0].buttons == MEMBER_MENU
    assert await identities(concierge) == [(ME, member_id, True)]


async def test_invitation_links_once_and_a_second_use_is_refused(
    telegram: Telegram, concierge: Concierge
) -> None:
    member_id = await enrol(concierge)
    await invite(concierge, member_id, "Qm9uam91ciBHaXVsaWEhIQ-_x4Yz7")
    await telegram.dialog(
        [(message_update("/start Qm9uam91ciBHaXVsaWEhIQ-_x4Yz7"), "Welcome, Giulia Rossi.")]
    )

    calls = await telegram.send(
        message_update("/start Qm9uam91ciBHaXVsaWEhIQ-_x4Yz7", user=STRANGER)
    )

    assert methods(calls) == ["sendMessage", "sendMessage"]
    assert calls[0].chat_id == "6660002"
    assert calls[0].text.startswith("This invitation link is no longer valid.")
    assert calls[0].buttons == STRANGER_MENU
    assert calls[1].markup == SHARE_PHONE
    assert await identities(concierge) == [(ME, member_id, True)]


async def test_invitation_is_refused_after_fourteen_days(
    telegram: Telegram, concierge: Concierge, clock: Any
) -> None:
    member_id = await enrol(concierge)
    await invite(concierge, member_id, "c2VydXMgZXN0IHRva2VuIQ")
    clock.current += timedelta(days=15)

    calls = await telegram.send(message_update("/start c2VydXMgZXN0IHRva2VuIQ"))

    assert texts(calls)[0].startswith("This invitation link is no longer valid.")
    assert await identities(concierge) == []


@pytest.mark.parametrize("token", ["unknown-token", "x" * 65])
async def test_unknown_or_malformed_start_parameter_links_nothing(
    telegram: Telegram, concierge: Concierge, token: str
) -> None:
    member_id = await enrol(concierge)
    await invite(concierge, member_id, "the-real-token")
    calls = await telegram.send(message_update(f"/start {token}"))
    assert texts(calls)[0].startswith("This invitation link is no longer valid.")
    assert await identities(concierge) == []


async def test_own_contact_without_plus_links_the_member(
    telegram: Telegram, concierge: Concierge
) -> None:
    member_id = await enrol(concierge)

    calls = await telegram.send(contact_update("393471234567"))

    assert methods(calls) == ["sendMessage"]
    assert calls[0].text == "Welcome, Giulia Rossi. Your membership is now linked to this chat."
    assert calls[0].buttons == MEMBER_MENU
    assert await identities(concierge) == [(ME, member_id, True)]


@pytest.mark.parametrize("owner_id", [6_660_002, None], ids=["another user", "phone-book card"])
async def test_someone_elses_contact_is_refused_and_links_nothing(
    telegram: Telegram, concierge: Concierge, owner_id: int | None
) -> None:
    await enrol(concierge)

    calls = await telegram.send(contact_update("393471234567", owner_id=owner_id))

    assert methods(calls) == ["sendMessage", "sendMessage"]
    assert calls[0].text == "Please share your own phone number, with the button below."
    assert calls[1].markup == SHARE_PHONE
    assert await identities(concierge) == []
    assert await conversation(concierge) == ("", {})
    assert await count_members(concierge) == 1


# -- joining -------------------------------------------------------------------------------


async def test_stranger_joins_with_name_birthday_and_one_answer_per_purpose(
    telegram: Telegram, concierge: Concierge, clock: Any
) -> None:
    await telegram.dialog(
        [
            (message_update("/start"), "Welcome to Maison Aurelia. Are you already a member?"),
            (callback_update("join"), "What name should we use for you?"),
            (
                message_update("  Giulia   Rossi "),
                "Thank you, Giulia Rossi. When is your birthday?",
            ),
            (message_update("14/07"), "May we send you our wishes on your birthday?"),
            (callback_update("join:yes"), "May we remember your anniversaries with you"),
            (callback_update("join:no"), "May we invite you to private previews and trunk shows?"),
            (callback_update("join:yes"), "May we tell you about new collections?"),
            (callback_update("join:no"), "May we tell you what your purchases earn"),
        ]
    )
    answered_at = clock.current  # what the last answer is kept at (pacing moves the clock)
    calls = await telegram.send(callback_update("join:yes"))

    assert methods(calls) == ["answerCallbackQuery", "sendMessage"]
    welcome = calls[1]
    assert welcome.text.startswith("Welcome to Maison Aurelia, Giulia Rossi. Your member number")
    assert "M00001" in welcome.text
    assert welcome.buttons == MEMBER_MENU
    member = await member_row(concierge, 1)
    assert (member.name, member.phone, member.locale) == ("Giulia Rossi", None, "en")
    assert (member.birthday_month, member.birthday_day, member.birthday_year) == (7, 14, None)
    assert member.joined_at == answered_at
    asked = {  # news of their own bookings and RSVPs needs no question: none is asked
        "birthday": "May we send you our wishes on your birthday?",
        "events": "May we invite you to private previews and trunk shows?",
        "account": consent_question(Purpose.ACCOUNT, lambda text: text),
    }
    assert await consents(concierge, 1) == [
        (purpose, "telegram", True, "chat:telegram", wording) for purpose, wording in asked.items()
    ]
    assert await identities(concierge) == [(ME, 1, True)]
    assert await conversation(concierge) == ("", {})


async def test_every_button_press_is_answered_so_the_spinner_stops(
    telegram: Telegram,
) -> None:
    update = callback_update("join")
    calls = await telegram.send(update)
    answered = [c for c in calls if c.method == "answerCallbackQuery"]
    assert [c.params for c in answered] == [{"callback_query_id": update["callback_query"]["id"]}]


async def test_french_speaker_who_shares_an_unknown_number_joins_in_french(
    telegram: Telegram, concierge: Concierge
) -> None:
    camille = telegram_user(7_770_003, first_name="Camille", language_code="fr")
    steps = [
        contact_update("33612345678", user=camille),
        message_update("Camille Laurent", user=camille),
        callback_update("join:skip", user=camille),
        message_update("Oui, volontiers", user=camille),  # written in French
        *(callback_update("join:no", user=camille) for _ in range(4)),
    ]
    for update in steps:
        assert await telegram.send(update), "every step is answered"
    assert await conversation(concierge, "7770003") == ("", {})

    member = await member_row(concierge, 1)
    assert (member.name, member.phone, member.locale) == ("Camille Laurent", OTHER_PHONE, "fr")
    assert member.birthday_month is None
    french = speaker_for("fr", None, concierge.program).gettext
    asked = consent_question(Purpose.BIRTHDAY, french)
    assert asked != consent_question(Purpose.BIRTHDAY, lambda text: text)
    assert await consents(concierge, 1) == [("birthday", "telegram", True, "chat:telegram", asked)]
    assert await identities(concierge) == [("7770003", 1, True)]


async def test_number_that_became_a_member_while_joining_links_that_member(
    telegram: Telegram, concierge: Concierge, clock: Any
) -> None:
    """Told about the club at the till, she starts joining while the sale is rung up."""
    await telegram.send(contact_update("393471234567"))
    await telegram.send(message_update("Giulia"))
    await telegram.send(callback_update("join:skip"))
    await buyer(concierge, clock)  # the till creates M00001 for her number
    for answer in ("no", "no", "no", "yes"):
        await telegram.send(callback_update(f"join:{answer}"))

    calls = await telegram.send(callback_update("join:no"))

    assert methods(calls) == ["answerCallbackQuery", "sendMessage"]
    assert "M00001" in calls[1].text
    assert await count_members(concierge) == 1
    assert await identities(concierge) == [(ME, 1, True)]
    assert [row[:3] for row in await consents(concierge, 1)] == [("news", "telegram", True)]
    assert await conversation(concierge) == ("", {})


async def test_an_invitation_opened_while_joining_links_instead(
    telegram: Telegram, concierge: Concierge
) -> None:
    member_id = await enrol(concierge)
    await invite(concierge, member_id, "aW52aXRlZC13aGlsZS1qb2luaW5n")
    await telegram.send(callback_update("join"))
    await telegram.send(message_update("Giulia"))
    await telegram.send(callback_update("join:skip"))
    assert (await conversation(concierge))[0] == "join:consent"

    calls = await telegram.send(message_update("/start aW52aXRlZC13aGlsZS1qb2luaW5n"))

    assert texts(calls) == ["Welcome, Giulia Rossi. Your membership is now linked to this chat."]
    assert await identities(concierge) == [(ME, member_id, True)]
    assert await conversation(concierge) == ("", {})
    assert await count_members(concierge) == 1


async def test_a_half_finished_joining_is_forgotten_after_a_day(
    telegram: Telegram, concierge: Concierge, clock: Any
) -> None:
    await telegram.send(callback_update("join"))
    await telegram.send(message_update("Giulia"))
    clock.current += timedelta(hours=25)

    calls = await telegram.send(message_update("14/07"))

    assert texts(calls)[0] == "I am sorry, I did not understand. Here is what I can do:"
    calls = await telegram.send(callback_update("join:skip"))
    assert texts(calls)[0] == "That button is no longer valid. Here is the menu again."
    assert await count_members(concierge) == 0


async def test_joining_answers_may_be_written_yes_or_no(
    telegram: Telegram, concierge: Concierge
) -> None:
    await telegram.send(callback_update("join"))
    await telegram.send(message_update("Giulia"))
    await telegram.send(message_update("1990-07-14"))
    for said in ("yes", "no", "Yes!", "ok", "no"):
        await telegram.send(message_update(said))
    granted = [(purpose, granted) for purpose, _, granted, *_ in await consents(concierge, 1)]
    assert granted == [("birthday", True), ("events", True), ("news", True)]
    member = await member_row(concierge, 1)
    assert (member.birthday_year, member.birthday_month, member.birthday_day) == (1990, 7, 14)


async def test_unreadable_birthday_is_asked_again_and_changes_nothing(
    telegram: Telegram, concierge: Concierge
) -> None:
    await telegram.send(callback_update("join"))
    await telegram.send(message_update("Giulia"))
    before = await conversation(concierge)

    calls = await telegram.send(message_update("31/02"))

    assert texts(calls) == [
        "I could not read that date. Please write the day and month, e.g. 14/07."
    ]
    assert calls[0].buttons == [("Skip", "join:skip"), ("Cancel", "join:cancel")]
    assert await conversation(concierge) == before == ("join:birthday", {"name": "Giulia"})


# -- a member's own things -----------------------------------------------------------------


async def buyer(concierge: Concierge, clock: Any) -> None:
    """Giulia, M00001, with two purchases from the till (1,250 + 200 points)."""
    first = purchase(
        clock.current - timedelta(days=30),
        "1250.50",
        name="Giulia Rossi",
        order_id="POS-1",
        category="ring",
    )
    second = purchase(clock.current - timedelta(days=2), "200.00", order_id="POS-2")
    await ingest(
        concierge.db.unit_of_work, [first, second], "pos", clock.current, concierge.program
    )


async def test_card_sends_the_points_then_a_qr_code_the_till_can_verify(
    telegram: Telegram,
    concierge: Concierge,
    clock: Any,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    await buyer(concierge, clock)
    await telegram.send(contact_update("393471234567"))

    calls = await telegram.send(message_update("/card"))

    assert methods(calls) == ["sendMessage", "sendMessage", "sendPhoto"]
    card, till, photo = calls
    lines = card.text.splitlines()
    assert lines[:3] == ["Maison Aurelia", "Giulia Rossi · member M00001", "Points: 1,450"]
    assert lines[3].startswith("Tier: ")
    assert card.markup is None
    assert till.text == "Show this code at the till."
    assert photo.chat_id == ME
    assert photo.buttons == MEMBER_MENU
    image = photo.files["photo"]
    assert image.startswith(b"\x89PNG\r\n\x1a\n")
    async with concierge.db.unit_of_work() as uow:
        key = await uow.secrets.get_or_create("member-qr", lambda: pytest.fail("no key made"))
    payload = qr_payload("M00001", key)
    assert image == qr_png(payload)  # the code carries exactly this signed payload
    assert verify(payload, key) == "M00001"

    result = await run_cli(monkeypatch, tmp_path, concierge, "members", "verify-qr", payload)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("genuine: M00001 Giulia Rossi · ")
    other = "1" if payload.endswith("0") else "0"  # the key is random: change the last digit
    forged = await run_cli(
        monkeypatch, tmp_path, concierge, "members", "verify-qr", payload[:-1] + other
    )
    assert forged.exit_code == 1


async def test_card_and_history_ask_a_stranger_to_link_first(
    telegram: Telegram, concierge: Concierge, clock: Any
) -> None:
    await buyer(concierge, clock)
    for update in (message_update("/card"), callback_update("history")):
        calls = await telegram.send(update)
        assert texts(calls)[0].startswith("This is for club members.")
        assert "sendPhoto" not in methods(calls)


async def test_history_lists_the_latest_points_newest_first(
    telegram: Telegram, concierge: Concierge, clock: Any
) -> None:
    await buyer(concierge, clock)
    await telegram.send(contact_update("393471234567"))

    calls = await telegram.send(callback_update("history"))

    assert methods(calls) == ["answerCallbackQuery", "sendMessage"]
    history = calls[1]
    lines = history.text.splitlines()
    assert lines[0] == "Your latest points:"
    assert len(lines) == 3
    assert re.fullmatch(r"Nov 22, 2026 +\+200  Purchase POS-2", lines[1]), lines[1]
    assert re.fullmatch(r"Oct 25, 2026 +\+1,250  Purchase POS-1", lines[2]), lines[2]
    assert history.buttons == MEMBER_MENU


async def test_preferences_switch_a_consent_on_and_off_and_change_the_language(
    telegram: Telegram, concierge: Concierge
) -> None:
    member_id = await enrol(concierge)
    await telegram.send(contact_update("393471234567"))
    await telegram.dialog(
        [
            (
                message_update("/preferences"),
                "We may send you: News of your appointments and RSVPs (Telegram, WhatsApp)",
            ),
            (callback_update("prefs:msgs"), "Tap a line to switch it on or off."),
        ]
    )

    [shown] = telegram.api.sent()[-1:]
    assert ("✗ New collections · WhatsApp", "prefs:c:news:whatsapp") in shown.buttons
    service = "News of your appointments and RSVPs · Telegram"
    assert (f"✓ {service}", "prefs:c:service:telegram") in shown.buttons  # asked for: on
    calls = await telegram.send(callback_update("prefs:c:news:whatsapp"))
    [switched] = [c for c in calls if c.method == "sendMessage"]
    assert ("✓ New collections · WhatsApp", "prefs:c:news:whatsapp") in switched.buttons
    await telegram.send(callback_update("prefs:c:news:whatsapp"))

    switched = "Switched {} in Preferences: New collections on WhatsApp"
    assert await consents(concierge, member_id) == [
        ("news", "whatsapp", True, "chat:telegram", switched.format("on")),
        ("news", "whatsapp", False, "chat:telegram", switched.format("off")),
    ]

    calls = await telegram.send(callback_update("prefs:lang"))
    [languages] = [c for c in calls if c.method == "sendMessage"]
    assert languages.buttons == [
        ("English", "prefs:lang:en"),
        ("Français", "prefs:lang:fr"),
        ("Italiano", "prefs:lang:it"),
        ("Back", "prefs"),
    ]
    calls = await telegram.send(callback_update("prefs:lang:it"))
    assert "Italiano" in texts(calls)[0]
    assert (await member_row(concierge, member_id)).locale == "it"


async def linked_with_two_consents(telegram: Telegram, concierge: Concierge) -> int:
    """A member on Telegram who agreed to birthday wishes there, and events on WhatsApp."""
    member_id = await enrol(concierge)
    await telegram.send(contact_update("393471234567"))
    await telegram.send(callback_update("prefs:c:birthday:telegram"))
    await telegram.send(callback_update("prefs:c:events:whatsapp"))
    return member_id


async def test_stop_revokes_every_consent_on_this_channel_only(
    telegram: Telegram, concierge: Concierge
) -> None:
    member_id = await linked_with_two_consents(telegram, concierge)

    calls = await telegram.send(message_update("STOP"))

    assert texts(calls) == [
        "You will receive nothing more from us on Telegram. Write START to receive it again."
    ]
    assert calls[0].markup is None  # one line, nothing else
    standing = [(p, c, granted) for p, c, granted, *_ in await consents(concierge, member_id)]
    assert standing[2:] == [
        ("birthday", "telegram", False),
        ("service", "telegram", False),  # news of their requests stops too
    ]  # WhatsApp untouched


async def test_stop_everything_in_preferences_revokes_every_channel(
    telegram: Telegram, concierge: Concierge
) -> None:
    member_id = await linked_with_two_consents(telegram, concierge)

    calls = await telegram.send(callback_update("prefs:stop"))

    assert texts(calls)[0].startswith("Done: we will send you nothing more, on any channel.")
    standing = [(p, c, granted) for p, c, granted, *_ in await consents(concierge, member_id)]
    assert sorted(standing[2:]) == [
        ("birthday", "telegram", False),
        ("events", "whatsapp", False),
        ("service", "telegram", False),
        ("service", "whatsapp", False),
    ]


async def test_stop_is_obeyed_in_the_middle_of_joining(
    telegram: Telegram, concierge: Concierge
) -> None:
    await telegram.send(callback_update("join"))

    calls = await telegram.send(message_update("stop"))

    # the way on follows: the menu, and the button to share their number
    assert texts(calls) == [
        "We have nothing to stop: we send you nothing.",
        "Share my phone number",
    ]
    assert await conversation(concierge) == ("", {})  # not taken as a name; joining ends
    assert await count_members(concierge) == 0


# -- bad input changes nothing -------------------------------------------------------------


@pytest.mark.parametrize("action", ["join:yes", "join:skip", "zzz", ""])
async def test_stale_or_unknown_button_says_so_and_changes_nothing(
    telegram: Telegram, concierge: Concierge, action: str
) -> None:
    await telegram.send(callback_update("join"))
    before = await conversation(concierge)

    calls = await telegram.send(callback_update(action))

    assert methods(calls)[:2] == ["answerCallbackQuery", "sendMessage"]
    assert calls[1].text == "That button is no longer valid. Here is the menu again."
    assert await conversation(concierge) == before == ("join:name", {})
    assert await count_members(concierge) == 0


@pytest.mark.parametrize("action", ["prefs:lang:de", "prefs:c:news:pigeon", "prefs:zzz"])
async def test_unknown_preference_button_says_so_and_changes_nothing(
    telegram: Telegram, concierge: Concierge, action: str
) -> None:
    member_id = await enrol(concierge)
    await telegram.send(contact_update("393471234567"))

    calls = await telegram.send(callback_update(action))

    assert calls[1].text == "That button is no longer valid. Here is the menu again."
    member = await member_row(concierge, member_id)
    assert (member.locale, member.timezone, member.preferred_channel) == ("en", None, None)
    assert await consents(concierge, member_id) == []


async def test_stale_consent_answer_after_joining_changes_nothing(
    telegram: Telegram, concierge: Concierge
) -> None:
    await telegram.send(callback_update("join"))
    await telegram.send(message_update("Giulia"))
    await telegram.send(callback_update("join:skip"))
    for _ in range(5):
        await telegram.send(callback_update("join:yes"))
    assert len(await consents(concierge, 1)) == 5

    calls = await telegram.send(callback_update("join:no"))  # pressed again on an old message

    assert texts(calls)[0] == "That button is no longer valid. Here is the menu again."
    assert len(await consents(concierge, 1)) == 5
    assert await count_members(concierge) == 1
    assert await conversation(concierge) == ("", {})


async def test_oversized_message_is_refused_and_changes_nothing(
    telegram: Telegram, concierge: Concierge
) -> None:
    await telegram.send(callback_update("join"))
    await telegram.send(message_update("Giulia"))
    before = await conversation(concierge)

    calls = await telegram.send(message_update("14/07 " + "x" * 10_000))

    assert texts(calls)[0] == "That message is too long for me. Could you say it in a few words?"
    assert await conversation(concierge) == before == ("join:birthday", {"name": "Giulia"})
    assert await count_members(concierge) == 0


async def test_a_group_message_is_recorded_and_not_answered(
    telegram: Telegram, concierge: Concierge
) -> None:
    update = message_update(
        "/card", chat={"id": -1001234567890, "type": "supergroup", "title": "Maison Aurelia staff"}
    )
    assert await telegram.send(update) == []
    assert await receipts(concierge) == [(str(update["update_id"]), True)]


# -- the webhook ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "secret",
    [None, "forged-secret_0123456789", SECRET[:-1], SECRET.upper()],
)
async def test_forged_secret_is_403_and_stores_nothing(
    telegram: Telegram, concierge: Concierge, secret: str | None
) -> None:
    response = await telegram.post(message_update("/start"), secret=secret)
    assert response.status_code == 403
    assert await receipts(concierge) == []
    assert telegram.api.calls == []


@pytest.mark.parametrize(
    "body",
    [
        b"{not json",
        b"[1]",
        b'{"update_id": "x"}',
        b'{"update_id": "700000001"}',  # Telegram's ids are numbers
        b'{"update_id": Infinity}',
        b'{"update_id": -Infinity}',
        b'{"update_id": NaN}',
        b'{"update_id": 1e400}',
        b'{"update_id": 700000001.5}',
        b'{"update_id": true}',
        b'{"update_id": -700000001}',
        b'{"update_id": 9223372036854775808}',  # past PostgreSQL's bigint
        b'{"update_id": 1' + b"0" * 5000 + b"}",  # past Python's digits for int()
        b'{"update_id": 700000001, "message": {"text": NaN}}',
        b"[" * 100_000 + b"]" * 100_000,
        b'{"update_id": 700000001, "message": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
    ],
    ids=lambda body: body[:40].decode(),
)
async def test_a_body_that_is_not_an_update_is_400_and_stores_nothing(
    telegram: Telegram, concierge: Concierge, body: bytes
) -> None:
    response = await telegram.http.post(
        "/telegram/webhook",
        content=body,
        headers={"X-Telegram-Bot-Api-Secret-Token": SECRET, "content-type": "application/json"},
    )
    assert response.status_code == 400
    assert await receipts(concierge) == []


async def test_webhook_is_off_without_a_secret(concierge: Concierge, api: FakeTelegram) -> None:
    app_concierge = telegram_settings(concierge)
    settings = app_concierge.settings.model_copy(update={"telegram_webhook_secret": None})
    app = create_app(Concierge(settings, concierge.program, concierge.db, concierge.clock))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            response = await http.post(
                "/telegram/webhook",
                json=message_update("/start"),
                headers={"X-Telegram-Bot-Api-Secret-Token": SECRET},
            )
    assert response.status_code == 404
    assert await receipts(concierge) == []


async def test_the_same_update_twice_is_handled_once(
    telegram: Telegram, concierge: Concierge
) -> None:
    update = message_update("/start")
    first = await telegram.send(update)
    again = await telegram.send(update)

    assert methods(first) == ["sendMessage", "sendMessage"]
    assert again == []
    assert await receipts(concierge) == [(str(update["update_id"]), True)]
    async with concierge.db.unit_of_work() as uow:  # handled: the message text is not kept
        assert await uow.session.scalar(select(InboundReceipt.payload)) is None


async def test_updates_left_over_from_a_crash_are_handled_once_at_start_up(
    concierge: Concierge, api: FakeTelegram
) -> None:
    app_concierge = telegram_settings(concierge)
    await enrol(concierge)
    link = contact_update("393471234567")
    card = callback_update("card")
    for update in (link, card):
        await left_open(concierge, update)  # recorded, then the worker died
    assert api.calls == []
    assert [handled for _, handled in await receipts(concierge)] == [False, False]

    await start_up(app_concierge)

    assert methods(api.calls) == [
        "sendMessage",  # linked
        "answerCallbackQuery",
        "sendMessage",  # the card
        "sendMessage",
        "sendPhoto",
    ]
    assert api.calls[0].text.startswith("Welcome, Giulia Rossi.")
    assert await receipts(concierge) == [
        (str(link["update_id"]), True),
        (str(card["update_id"]), True),
    ]
    assert await identities(concierge) == [(ME, 1, True)]

    again = create_app(app_concierge, background=False)  # a second restart: nothing left
    async with again.router.lifespan_context(again):
        transport = httpx.ASGITransport(app=again)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            redelivered = await http.post(  # Telegram retries what never got its 200
                "/telegram/webhook",
                json=card,
                headers={"X-Telegram-Bot-Api-Secret-Token": SECRET},
            )
    assert redelivered.status_code == 200
    assert len(api.calls) == 5


async def start_up(concierge: Concierge) -> None:
    """A start of the web app, as uvicorn runs its lifespan, and what it does in the
    background at once: what the last process left unhandled, then unsent."""
    app = create_app(concierge, background=False)
    async with app.router.lifespan_context(app):
        await app.state.catch_up()
        await app.state.sending.drain()


def wired(concierge: Concierge, router: Router | None = None) -> TelegramChannel:
    """Telegram as a web process has it, with this concierge's router."""
    found, _, _ = outbound.wire(concierge, "test", router)
    assert found.telegram is not None
    return found.telegram


async def test_an_update_no_try_could_read_is_failed_at_once_and_never_tried_again(
    concierge: Concierge, api: FakeTelegram, caplog: pytest.LogCaptureFixture
) -> None:
    app_concierge = telegram_settings(concierge)
    garbled = {"update_id": 700_000_000, "message": "Giulia's garbled wish list"}
    good = message_update("/start")
    for update in (garbled, good):
        await left_open(concierge, update)

    await start_up(app_concierge)

    assert methods(api.calls) == ["sendMessage", "sendMessage"]  # the good one was answered
    assert await failures(concierge) == [
        ("700000000", 2, True, "unreadable message: AttributeError", False)
    ]
    assert "telegram receipt 1 failed for good: unreadable message" in caplog.text
    assert "wish list" not in caplog.text

    await start_up(app_concierge)  # the next start leaves it alone
    assert len(api.calls) == 2
    assert await failures(concierge) == [
        ("700000000", 2, True, "unreadable message: AttributeError", False)
    ]


async def test_an_update_that_keeps_failing_is_tried_three_times_then_failed_with_its_reason(
    concierge: Concierge, api: FakeTelegram, caplog: pytest.LogCaptureFixture
) -> None:
    tried: list[str | None] = []
    router = failing_router(tried)
    app_concierge = telegram_settings(concierge)
    channel = wired(app_concierge, router)
    update = message_update("my secret wish list")
    assert await channel.receive(update) is None  # failed: Telegram got its 200 all the same
    assert await failures(concierge) == [
        (str(update["update_id"]), 1, False, "ConnectionResetError", True)
    ]
    assert await channel.catch_up() == 0  # the next start tries again
    assert await channel.catch_up() == 0  # and the one after, for the last time
    assert await channel.catch_up() == 0  # then never again
    assert tried == ["my secret wish list"] * 3
    assert await failures(concierge) == [
        (str(update["update_id"]), 3, True, "ConnectionResetError", False)
    ]
    assert "wish list" not in caplog.text


async def test_an_update_whose_tries_each_stopped_the_process_is_failed_without_a_fourth(
    concierge: Concierge, api: FakeTelegram
) -> None:
    app_concierge = telegram_settings(concierge)
    update = message_update("/start")
    channel = telegram_channel(app_concierge)
    assert channel is not None
    receipt = await left_open(concierge, update)  # the first try begins, and the process dies
    async with concierge.db.unit_of_work() as uow:  # as did two starts trying it after
        row = await uow.session.get(InboundReceipt, receipt)
        assert row is not None
        row.attempts = 3
        await uow.commit()

    await start_up(app_concierge)

    assert api.calls == []
    assert await failures(concierge) == [
        (str(update["update_id"]), 3, True, "interrupted at every try", False)
    ]


async def test_a_start_behind_five_hundred_unreadable_updates_is_answered_at_the_next_start(
    concierge: Concierge, api: FakeTelegram
) -> None:
    app_concierge = telegram_settings(concierge)
    async with concierge.db.unit_of_work() as uow:  # recorded, then the worker died each time
        for n in range(500):
            chat = {"id": 5_550_100 + n}  # no type: PTB cannot read it, nor us without it
            message = {"message_id": n, "date": 1_795_514_400, "chat": chat, "text": "/start"}
            garbled = {"update_id": 600_000_000 + n, "message": message}
            record = str(garbled["update_id"]), garbled, concierge.clock()
            await uow.receipts.record("telegram", *record)
        await uow.commit()
    start = message_update("/start")
    await left_open(concierge, start)

    await start_up(app_concierge)

    assert methods(api.calls) == ["sendMessage", "sendMessage"]
    assert api.calls[0].chat_id == ME
    assert (str(start["update_id"]), True) in await receipts(concierge)
    failed = await failures(concierge)
    assert len(failed) == 500
    assert {(tries, done, why) for _, tries, done, why, _ in failed} == {
        (2, True, "unreadable message: TypeError")
    }


async def test_polling_takes_updates_as_telegram_sends_them_even_those_ptb_cannot_read(
    concierge: Concierge, api: FakeTelegram
) -> None:
    app_concierge = telegram_settings(concierge)
    channel = wired(app_concierge)
    assert channel is not None
    family = {"id": -1001234567890, "type": "supergroup", "title": "Rossi family"}
    restricted = chat_member_update("restricted", chat=family)  # PTB requires more fields
    start = message_update("/start")
    api.updates = [restricted, start]

    with pytest.raises(telegram.error.Conflict):  # the next poll: another poller took over
        await poll(channel, timeout=0)

    assert methods(api.calls) == [
        "deleteWebhook",
        "getupdates",
        "sendMessage",
        "sendMessage",
        "getupdates",
    ]
    assert api.calls[-1].params["offset"] == str(start["update_id"] + 1)
    assert json.loads(api.calls[-1].params["allowed_updates"]) == ALLOWED_UPDATES
    assert await receipts(concierge) == [
        (str(restricted["update_id"]), True),
        (str(start["update_id"]), True),
    ]


# -- reachability --------------------------------------------------------------------------


async def test_blocking_the_bot_marks_the_member_unreachable_and_unblocking_reachable(
    telegram: Telegram, concierge: Concierge
) -> None:
    member_id = await enrol(concierge)
    await telegram.send(contact_update("393471234567"))

    blocked = chat_member_update("kicked")
    assert await telegram.send(blocked) == []
    assert await identities(concierge) == [(ME, member_id, False)]

    assert await telegram.send(chat_member_update("member", old_status="kicked")) == []
    assert await identities(concierge) == [(ME, member_id, True)]
    assert [handled for _, handled in await receipts(concierge)] == [True, True, True]


async def test_the_bot_leaving_or_joining_a_group_says_nothing_of_the_members_own_chat(
    telegram: Telegram, concierge: Concierge
) -> None:
    member_id = await enrol(concierge)
    await telegram.send(contact_update("393471234567"))
    family = {"id": -1001234567890, "type": "supergroup", "title": "Rossi family"}

    assert await telegram.send(chat_member_update("kicked", chat=family)) == []
    assert await telegram.send(chat_member_update("left", chat=family)) == []
    assert await identities(concierge) == [(ME, member_id, True)]  # she still reads us

    await telegram.send(chat_member_update("kicked"))  # she blocks the bot in her own chat
    assert await telegram.send(chat_member_update("member", old_status="left", chat=family)) == []
    assert await identities(concierge) == [(ME, member_id, False)]  # still blocked
    assert [handled for _, handled in await receipts(concierge)] == [True] * 5


async def test_a_403_when_sending_marks_the_member_unreachable(
    telegram: Telegram, concierge: Concierge
) -> None:
    member_id = await enrol(concierge)
    await telegram.send(contact_update("393471234567"))
    telegram.api.blocked.add(ME)

    calls = await telegram.send(message_update("/card"))

    assert methods(calls) == ["sendMessage"]  # the first refusal stops the rest
    assert await identities(concierge) == [(ME, member_id, False)]
    assert [handled for _, handled in await receipts(concierge)] == [True, True]


# -- long replies --------------------------------------------------------------------------


def test_split_text_leaves_a_short_text_whole() -> None:
    assert split_text("Points: 1,450", MAX_MESSAGE) == ["Points: 1,450"]
    assert split_text("", MAX_MESSAGE) == [""]
    assert split_text("x" * MAX_MESSAGE, MAX_MESSAGE) == ["x" * MAX_MESSAGE]


def test_split_text_cuts_a_long_text_at_line_ends() -> None:
    lines = [f"{n:03d} " + "·" * 46 for n in range(100)]  # 50 characters a line: 5,099 in all
    text = "\n".join(lines)
    pieces = split_text(text, MAX_MESSAGE)
    assert [len(p) for p in pieces] == [4079, 1019]
    assert "\n".join(pieces) == text


def test_split_text_cuts_a_word_longer_than_the_limit() -> None:
    pieces = split_text("y" * 5000, MAX_MESSAGE)
    assert pieces == ["y" * MAX_MESSAGE, "y" * 904]


@pytest.mark.parametrize("separator", ["\n", " "])
def test_split_text_never_sends_a_blank_piece(separator: str) -> None:
    """A separator right at the limit used to start (or be) the next piece."""
    assert split_text("z" * MAX_MESSAGE + separator, MAX_MESSAGE) == ["z" * MAX_MESSAGE]
    assert split_text("z" * MAX_MESSAGE + separator + "end", MAX_MESSAGE) == [
        "z" * MAX_MESSAGE,
        "end",
    ]


async def test_a_5000_character_reply_is_sent_in_two_messages_keyboard_on_the_last(
    concierge: Concierge, api: FakeTelegram
) -> None:
    text = "\n".join(f"{n:03d} " + "·" * 46 for n in range(100))  # 5,099 characters
    router = Router()

    @router.otherwise
    async def long_answer(turn: Turn) -> list[Reply]:
        return [Reply(text, ((Button("Menu", "menu"),),))]

    app_concierge = telegram_settings(concierge)
    channel = wired(app_concierge, router)
    update = message_update("tell me everything")
    later = await channel.receive(update)
    assert later is not None
    await later()

    assert methods(api.calls) == ["sendMessage", "sendMessage"]
    assert [len(c.text) for c in api.calls] == [4079, 1019]
    assert "\n".join(c.text for c in api.calls) == text
    assert [c.markup for c in api.calls] == [
        None,
        {"inline_keyboard": [[{"text": "Menu", "callback_data": "menu"}]]},
    ]
    assert [c.chat_id for c in api.calls] == [ME, ME]
