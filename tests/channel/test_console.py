"""The console chat as dialogs: what is typed, and what the concierge must answer."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from bot import outbound
from bot.bootstrap import Concierge
from bot.channels.console import ConsoleChat
from bot.demo import DEMO_PHONE, seed
from loyalty.consent import Channel, Purpose
from services import members
from storage.models import ChannelIdentity
from tests.calendars import strict

ADDRESS = f"console:{DEMO_PHONE}"


class Dialog:
    """Zulip's verify_dialog for the console: each line typed, a text the answer holds."""

    def __init__(self, chat: ConsoleChat, printed: list[str]) -> None:
        self.chat = chat
        self.printed = printed

    async def verify(self, steps: list[tuple[str, str]]) -> None:
        for said, expected in steps:
            self.printed.clear()
            await self.chat.send_line(said)
            answer = "\n".join(self.printed)
            assert expected in answer, f"{said!r} -> {answer!r}, expected {expected!r}"


def console(
    concierge: Concierge, tmp_path: Path, address: str = ADDRESS, phone: str | None = DEMO_PHONE
) -> Dialog:
    printed: list[str] = []
    chat = outbound.console(concierge, address, phone, printed.append, tmp_path)
    return Dialog(chat, printed)


@pytest.fixture
async def giulia(concierge: Concierge) -> int:
    """The demo club, with Giulia at the console as `concierge chat --demo` links her."""
    await seed(concierge)
    async with concierge.db.unit_of_work() as uow:
        member = await members.find(uow, DEMO_PHONE, concierge.program)
        await uow.identities.link(member.id, "console", ADDRESS, None, concierge.clock())
        await uow.commit()
        return member.id


async def standing(concierge: Concierge, member_id: int) -> dict[tuple[Purpose, Channel], bool]:
    async with concierge.db.unit_of_work() as uow:
        member = await uow.members.get(member_id)
        assert member is not None
        return await members.consents(uow, member)


async def test_demo_member_sees_card_history_preferences_and_stops(
    concierge: Concierge, giulia: int, tmp_path: Path
) -> None:
    dialog = console(concierge, tmp_path)
    await dialog.verify(
        [
            ("/start", "How may I help you, Giulia Rossi?\n  1. My card\n  2. My points history"),
            ("1", "Giulia Rossi · member M00001\nPoints: 2,733\nTier: Gold"),
            ("1", f"[image: {tmp_path / 'card-M00001.png'}]"),
            ("history", "Your latest points:\nNov 4, 2026      +588  Purchase DEMO-1004"),
            ("history", "Oct 20, 2025      +850  Purchase DEMO-1001 at Milano Brera"),
            ("preferences", "We may send you: Birthday wishes (Telegram), Private previews"),
            ("1", "  7. ✗ New collections · Telegram"),
            ("7", "  7. ✓ New collections · Telegram"),
            ("stop", "You will receive nothing more from us on Telegram. Write START to"),
            ("preferences", "We may send you: News of your appointments and RSVPs (WhatsApp)"),
            ("start", "Welcome back: on Telegram we will again send you Birthday wishes, "),
            ("start", "You already receive from us on Telegram: Birthday wishes, "),
            ("stop", "You will receive nothing more from us on Telegram."),
        ]
    )
    card = tmp_path / "card-M00001.png"
    assert card.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    assert set((await standing(concierge, giulia)).values()) == {False}
    async with concierge.db.unit_of_work() as uow:
        history = await uow.consents.history(giulia)
    news = [c for c in history if c.purpose is Purpose.NEWS]
    assert [(c.granted, c.source) for c in news] == [
        (True, "chat:console"),
        (False, "chat:console:stop"),
        (True, "chat:console:start"),  # START gives back what the STOP took
        (False, "chat:console:stop"),
    ]


async def test_a_number_beyond_the_options_is_read_as_words(
    concierge: Concierge, giulia: int, tmp_path: Path
) -> None:
    dialog = console(concierge, tmp_path)
    await dialog.verify(
        [
            ("/start", "8. Rewards"),
            ("9", "I am sorry, I did not understand."),
            ("0", "I am sorry, I did not understand."),
            *[(said, "I am sorry, I did not understand.") for said in ["፩", "١", "²", "01"]],
        ]
    )


async def test_a_stranger_at_the_console_links_by_sharing_the_number(
    concierge: Concierge, giulia: int, tmp_path: Path
) -> None:
    dialog = console(concierge, tmp_path, address="console:someone")
    await dialog.verify(
        [
            ("card", "This is for club members."),
            ("/start", f"  4. Share my phone number ({DEMO_PHONE})"),
            ("4", "Welcome, Giulia Rossi. Your membership is now linked to this chat."),
            ("history", "Your latest points:"),
        ]
    )
    async with concierge.db.unit_of_work() as uow:
        rows = await uow.session.execute(
            select(ChannelIdentity.address, ChannelIdentity.member_id)
            .where(ChannelIdentity.channel == "console")
            .order_by(ChannelIdentity.id)
        )
        assert [tuple(row) for row in rows] == [(ADDRESS, giulia), ("console:someone", giulia)]


async def test_at_the_console_a_day_and_time_written_in_italian_is_booked(
    concierge: Concierge, giulia: int, tmp_path: Path
) -> None:
    async with concierge.db.unit_of_work() as uow:
        member = await uow.members.get(giulia)
        assert member is not None
        member.locale = "it"
        await uow.commit()
    dialog = console(concierge, tmp_path)
    await dialog.verify(
        [
            ("appuntamento", "  2. Prenota: Ridimensionamento anello"),
            ("2", "Oppure scriva un giorno e un'ora, per esempio «mercoledì alle 15»."),
            ("domani alle 11", "Ridimensionamento anello, mer 25 nov alle 11:00"),
            ("misura 52", "La Sua nota: misura 52"),  # a note, not a day
            ("1", "[calendar: "),  # 1. Conferma
        ]
    )

    [written] = tmp_path.glob("calendar-a*.ics")
    assert strict(written.read_bytes()).start == datetime(2026, 11, 25, 10, 0, tzinfo=UTC)


async def test_the_card_the_ticket_and_the_calendar_file_each_keep_their_own_file(
    concierge: Concierge, giulia: int, tmp_path: Path
) -> None:
    dialog = console(concierge, tmp_path)
    await dialog.verify(
        [
            ("card", f"[image: {tmp_path / 'card-M00001.png'}]"),
            ("previews", "1. Emerald trunk show"),
            ("1", "1. I will come"),
            ("1", f"[image: {tmp_path / 'ticket-E1-M00001.png'}]"),
            ("my card", "Show this code at the till."),
        ]
    )
    card, ticket = tmp_path / "card-M00001.png", tmp_path / "ticket-E1-M00001.png"
    assert card.read_bytes() != ticket.read_bytes()  # the ticket did not overwrite the card
    assert "BEGIN:VEVENT" in (tmp_path / "calendar-e1-1.ics").read_text(encoding="utf-8")


async def test_a_stranger_joins_by_writing_their_phone_number(
    concierge: Concierge, giulia: int, tmp_path: Path
) -> None:
    dialog = console(concierge, tmp_path, address="console", phone=None)
    await dialog.verify(
        [
            ("/start", "  4. Share my phone number (write it here)"),
            ("4", "Share my phone number (write it here)"),  # asked how: told, nothing sent
            ("06 99 88 77 66", "I cannot find a membership with this number yet."),
            ("Claire Martin", "When is your birthday?"),
            ("14/07", "May we send you our wishes on your birthday?"),
            ("yes", "May we remember your anniversaries"),
            ("no", "May we invite you to private previews"),
            ("yes", "May we tell you about new collections?"),
            ("no", "May we tell you what your purchases earn"),
            ("no", "Welcome to Maison Aurelia, Claire Martin. Your member number is M00004."),
            ("history", "No points yet"),
        ]
    )
    assert dialog.chat.address == "console:+390699887766"
    async with concierge.db.unit_of_work() as uow:
        claire = await members.find(uow, "+390699887766", concierge.program)
        history = await uow.consents.history(claire.id)
        linked = await uow.session.scalar(
            select(ChannelIdentity.member_id).where(
                ChannelIdentity.address == "console:+390699887766"
            )
        )
    assert (claire.name, claire.phone, linked) == ("Claire Martin", "+390699887766", claire.id)
    assert [(c.purpose, c.granted, c.source) for c in history if c.granted] == [
        (Purpose.BIRTHDAY, True, "chat:console"),
        (Purpose.EVENTS, True, "chat:console"),
    ]


async def test_words_that_are_no_phone_number_stay_words_while_one_is_asked_for(
    concierge: Concierge, giulia: int, tmp_path: Path
) -> None:
    dialog = console(concierge, tmp_path, address="console", phone=None)
    await dialog.verify(
        [
            ("/start", "  4. Share my phone number (write it here)"),
            ("12345", "I am sorry, I did not understand."),
            ("help", "Share my phone number (write it here)"),
        ]
    )
    assert dialog.chat.address == "console"
