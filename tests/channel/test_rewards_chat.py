"""Rewards in the chat, end to end on Telegram and WhatsApp (faked at the wire): listed,
taken after a Yes, the voucher's QR code read back and used at the till by `concierge
rewards use`, then shown as used; a member short of points sees what is within reach and
takes nothing; a held voucher is cancelled and its points come back."""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from click.testing import CliRunner, Result

from bot.bootstrap import Concierge
from bot.channels.media import qr_png
from bot.cli import main
from loyalty.membercard import verify_voucher, voucher_payload
from loyalty.rewards import Status
from services import members, rewards
from services.wording import speaker_for
from tests.channel.chats import member
from tests.channel.conftest import Telegram
from tests.channel.twilio import WhatsApp
from tests.factories import PHONE, callback_update, message_update, whatsapp_form

NUMBERED = re.compile(r"^\s*(\d+)\. (.+)$", re.MULTILINE)


@dataclass(frozen=True)
class Seen:
    """One answer: its words, its options as (label, what answers it), a QR image's text."""

    text: str
    options: list[tuple[str, str]]
    qr: str | None

    def choose(self, label: str) -> str:
        found = [answer for shown, answer in self.options if shown == label]
        assert found, f"no option {label!r} in {[shown for shown, _ in self.options]}"
        return found[0]

    @property
    def labels(self) -> list[str]:
        return [label for label, _ in self.options]


@dataclass
class Phone:
    """Giulia's chat on one channel: what she writes or presses, and what came back; a QR
    image is read by drawing the codes she may be sent again (as the card's tests do)."""

    app: Telegram | WhatsApp
    codes: dict[bytes, str] = field(default_factory=dict)  # image -> the text it draws

    async def expect(self, concierge: Concierge, numbers: range) -> None:
        """The codes of vouchers `numbers`, so that an image sent reads back."""
        async with concierge.db.unit_of_work() as uow:
            key = await members.qr_key(uow, lambda: "the-club-qr-key")
            await uow.commit()
        for number in numbers:
            payload = voucher_payload(f"V{number:05d}", key)
            self.codes[qr_png(payload)] = payload

    def read(self, images: list[bytes]) -> str | None:
        """The text the one QR image sent draws."""
        assert len(images) <= 1
        if not images:
            return None
        assert images[0] in self.codes, "a QR image that draws none of her vouchers"
        return self.codes[images[0]]

    async def say(self, text: str) -> Seen:
        if isinstance(self.app, Telegram):
            return await self._telegram(message_update(text))
        return await self._whatsapp(text)

    async def press(self, answer: str) -> Seen:
        """A button pressed (Telegram), or its number written (WhatsApp)."""
        if isinstance(self.app, Telegram):
            return await self._telegram(callback_update(answer))
        return await self._whatsapp(answer)

    async def _telegram(self, update: dict[str, object]) -> Seen:
        assert isinstance(self.app, Telegram)
        sent = [c for c in await self.app.send(update) if c.method.startswith("send")]
        text = "\n".join(c.text or c.params.get("caption", "") for c in sent)
        images = [c.files["photo"] for c in sent if "photo" in c.files]
        return Seen(text, [b for c in sent for b in c.buttons], self.read(images))

    async def _whatsapp(self, text: str) -> Seen:
        assert isinstance(self.app, WhatsApp)
        sent = await self.app.send(whatsapp_form(text, PHONE))
        said = "\n".join(s.body for s in sent)
        images = [(await self.app.fetch(url)).content for s in sent for url in s.media]
        payloads = [parse_qs(urlsplit(url).query)["d"][0] for s in sent for url in s.media]
        found = self.read(images)
        assert found is None or found in payloads  # the link names what its image draws
        options = [(label, number) for number, label in NUMBERED.findall(said)]
        return Seen(said, options, found)


@pytest.fixture(params=["telegram", "whatsapp"])
def app(request: pytest.FixtureRequest) -> Telegram | WhatsApp:
    found: Telegram | WhatsApp = request.getfixturevalue(request.param)
    return found


async def giulia(concierge: Concierge, points: int) -> int:
    """Giulia, known on both channels, given `points`."""
    member_id = await member(concierge, "en")
    async with concierge.db.unit_of_work() as uow:
        found = await uow.members.get(member_id)
        assert found is not None
        await members.adjust(
            uow, found, points, "gift", "welcome", concierge.clock(), concierge.program
        )
        await uow.commit()
    return member_id


async def balance(concierge: Concierge, member_id: int) -> int:
    async with concierge.db.unit_of_work() as uow:
        found = await uow.members.get(member_id)
        assert found is not None
        card = await members.card(uow, found, concierge.clock(), concierge.program)
        return card.points


async def vouchers(concierge: Concierge, member_id: int) -> list[tuple[str, str, Status]]:
    async with concierge.db.unit_of_work() as uow:
        found = await uow.members.get(member_id)
        assert found is not None
        return [(v.number, v.reward, v.status) for v in await rewards.vouchers_of(uow, found)]


async def till(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, concierge: Concierge, *args: str
) -> Result:
    """`concierge ...` against the test's database at the test's moment, on its own loop."""
    monkeypatch.chdir(tmp_path)  # no .env
    monkeypatch.delenv("CONCIERGE_PROGRAM", raising=False)
    monkeypatch.setenv("CONCIERGE_DATABASE_URL", concierge.settings.database_url)
    obj = {"clock": concierge.clock}
    run = CliRunner().invoke
    return await asyncio.to_thread(run, main, list(args), catch_exceptions=False, obj=obj)


async def test_a_reward_taken_in_the_chat_is_used_at_the_till_and_shown_as_used(
    app: Telegram | WhatsApp,
    concierge: Concierge,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    member_id = await giulia(concierge, 400)
    phone = Phone(app)
    await phone.expect(concierge, range(1, 3))

    menu = await phone.say("menu")
    listed = await phone.press(menu.choose("Rewards"))
    assert "Rewards you can take now:" in listed.text
    assert "• Professional cleaning · 150 points" in listed.text
    assert "• Engraved care kit · 300 points" in listed.text
    assert "A polishing cloth and brush in a case engraved with your initials." in listed.text
    assert "• Member's discount · 600 points to go" in listed.text
    assert "A private viewing" not in listed.text  # for platinum and ambassador only
    asked = await phone.press(listed.choose("Engraved care kit"))
    assert "Take Engraved care kit for 300 points?" in asked.text
    assert await vouchers(concierge, member_id) == []  # nothing taken before the Yes

    given = await phone.press(asked.choose("Yes"))

    assert "Done: your points are held for it." in given.text
    assert "V00001 · Engraved care kit" in given.text
    expires = concierge.clock() + timedelta(days=90)  # the demo care kit's validity
    day = speaker_for("en", None, concierge.program).date(expires)
    assert f"Valid until {day}." in given.text
    assert "Help" in given.labels  # a way on
    assert await balance(concierge, member_id) == 100  # 300 held in the ledger
    assert await vouchers(concierge, member_id) == [("V00001", "care_kit", Status.HELD)]
    if isinstance(app, Telegram):  # the same Yes pressed again takes nothing more
        twice = await phone.press(asked.choose("Yes"))
        assert "This was answered already: nothing more was taken." in twice.text
        assert await vouchers(concierge, member_id) == [("V00001", "care_kit", Status.HELD)]
    assert given.qr is not None
    async with concierge.db.unit_of_work() as uow:
        key = await members.qr_key(uow, lambda: "unused")
    assert verify_voucher(given.qr, key) == 1

    used = await till(monkeypatch, tmp_path, concierge, "rewards", "use", given.qr)
    assert used.exit_code == 0, used.output
    again = await till(monkeypatch, tmp_path, concierge, "rewards", "use", given.qr)
    assert again.exit_code != 0  # single use

    mine = await phone.say("my vouchers")
    assert "You hold no voucher now." in mine.text
    assert "• V00001 · Engraved care kit · used on" in mine.text
    assert not any(label.startswith("Cancel") for label in mine.labels)
    assert await balance(concierge, member_id) == 100  # spent, not given back


async def test_short_of_points_a_reward_is_within_reach_and_nothing_is_taken(
    app: Telegram | WhatsApp, concierge: Concierge
) -> None:
    member_id = await giulia(concierge, 100)
    phone = Phone(app)

    listed = await phone.say("rewards")

    assert "No reward within your points yet." in listed.text
    assert "• Professional cleaning · 50 points to go" in listed.text
    assert "• Engraved care kit · 200 points to go" in listed.text
    assert "Professional cleaning" not in listed.labels  # nothing to take
    assert "Help" in listed.labels
    if isinstance(app, Telegram):  # a stale button from when the points were there
        stale = await phone.press("rtake:care_kit:0")
        assert "Not enough points for this reward: you have 100, it needs 300." in stale.text
        assert "Rewards" in stale.labels
    assert await vouchers(concierge, member_id) == []
    assert await balance(concierge, member_id) == 100


async def test_a_reward_with_none_left_is_told_apart_and_cannot_be_taken(
    app: Telegram | WhatsApp, concierge: Concierge
) -> None:
    member_id = await giulia(concierge, 400)
    async with concierge.db.unit_of_work() as uow:  # the 25 engraved care kits are out
        assert all([await uow.rewards.take_stock("care_kit", 25) for _ in range(25)])
        await uow.commit()
    phone = Phone(app)

    listed = await phone.say("rewards")

    assert "• Professional cleaning · 150 points" in listed.text
    gone = listed.text.split("None left for now (one may come back when a voucher is returned):")
    assert len(gone) == 2
    assert "• Engraved care kit · 300 points" in gone[1]
    assert "Engraved care kit" not in gone[0]
    assert "Engraved care kit" not in listed.labels  # nothing to take
    assert "Professional cleaning" in listed.labels
    if isinstance(app, Telegram):  # a button from before it ran out
        stale = await phone.press("rtake:care_kit:0")
        assert "this reward is no longer available to you: nothing was taken." in stale.text
    assert await vouchers(concierge, member_id) == []
    assert await balance(concierge, member_id) == 400


async def test_a_held_voucher_is_shown_again_and_cancelled_after_a_yes(
    app: Telegram | WhatsApp, concierge: Concierge
) -> None:
    member_id = await giulia(concierge, 400)
    phone = Phone(app)
    await phone.expect(concierge, range(1, 3))
    listed = await phone.say("rewards")
    asked = await phone.press(listed.choose("Professional cleaning"))
    await phone.press(asked.choose("Yes"))
    assert await balance(concierge, member_id) == 250

    mine = await phone.say("vouchers")
    assert "Your vouchers:" in mine.text and "• V00001 · Professional cleaning" in mine.text
    shown = await phone.press(mine.choose("Show V00001"))
    assert shown.qr is not None and "V00001" in shown.qr
    mine = await phone.say("vouchers")
    asked = await phone.press(mine.choose("Cancel V00001"))
    assert "Cancel V00001 · Professional cleaning? Its 150 points come back to you." in (
        asked.text
    )
    kept = await phone.press(asked.choose("No"))  # back to the vouchers, still held
    assert "Your vouchers:" in kept.text
    assert await vouchers(concierge, member_id) == [("V00001", "cleaning", Status.HELD)]
    asked = await phone.press(kept.choose("Cancel V00001"))

    done = await phone.press(asked.choose("Yes"))

    assert "V00001 is cancelled: its 150 points are back on your card." in done.text
    assert await balance(concierge, member_id) == 400
    assert await vouchers(concierge, member_id) == [("V00001", "cleaning", Status.CANCELLED)]
    if isinstance(app, Telegram):  # the same Yes pressed again changes nothing
        stale = await phone.press("vdrop:1")
        assert "This voucher is no longer held: nothing was changed." in stale.text
        assert await balance(concierge, member_id) == 400
    mine = await phone.say("vouchers")
    assert "• V00001 · Professional cleaning · cancelled on" in mine.text
