"""WhatsApp through Twilio: signed webhooks in; numbered options, media and templates out.

Replies are written to the outbox in the message's own transaction, then sent oldest
first. Outside the 24-hour window after the member's last message WhatsApp takes only
approved templates: a reply waits (`awaiting_window`) and, for a member, one "reopen"
template asks them to answer; their next message releases what waited.

Twilio's form is checked in twilio_forms.py and read in whatsapp_inbound.py; its REST API
is reached through twilio_http.py.
"""

from __future__ import annotations

import json
import logging
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import replace
from datetime import datetime
from functools import partial
from typing import Any

import httpx
from twilio.base.exceptions import TwilioRestException
from twilio.request_validator import RequestValidator
from twilio.rest import Client

from bot.bootstrap import Concierge
from bot.channels.media import CALENDAR_PATH, PHOTO_PATH, QR_PATH, media_url
from bot.channels.twilio_forms import message_refusal, status_refusal
from bot.channels.twilio_http import TwilioHttp
from bot.channels.whatsapp_inbound import CHANNEL, inbound_from
from bot.engine import Engine
from handlers.conversation.dialog import Reply, Traits, Turn
from handlers.conversation.router import Router
from handlers.conversation.words import options
from locales import Speaker
from loyalty.attachments import AUDIO, DOCUMENT, PHOTO, VIDEO, VOICE
from loyalty.consent import Channel
from loyalty.pace import Pace, whatsapp_keys
from loyalty.phones import mask_phone
from loyalty.ports import (
    BeforeCall,
    Failed,
    Outcome,
    Outgoing,
    Retry,
    Sent,
    Uncertain,
    Waiting,
)
from loyalty.program import Program
from loyalty.stores import UnitOfWork
from loyalty.templates import Template
from loyalty.text import split_text
from services import members, outbox, receipts
from storage.outbox import AWAITING_TEMPLATE, AWAITING_WINDOW, provider_status

log = logging.getLogger("concierge.whatsapp")
MPS_WINDOW = 1.0  # seconds Twilio counts a sender's messages a second over
MAX_MESSAGE = 1600  # Twilio's limit for one WhatsApp message body
CARRIES = frozenset({PHOTO, VOICE, AUDIO, VIDEO, DOCUMENT})  # the files a member is shown
OUTSIDE_WINDOW = 63016  # Twilio: free-form message outside the allowed window
WAITS_FOR_WINDOW = "outside WhatsApp's 24-hour window: waits for the member"
NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)  # never reached it
STATUS_PATH = "/twilio/status"
MEDIA_KEY = "media-url"


def render(replies: list[Reply], speaker: Speaker) -> list[tuple[str, str | None]]:
    """Replies as WhatsApp messages (body, QR text): buttons become numbered lines.

    Numbers run on across the turn's replies, as `options` (handlers/conversation) counts them.
    """
    messages: list[tuple[str, str | None]] = []
    number = 0
    last_numbered = None
    for reply in replies:
        lines = [reply.text] if reply.text else []
        for button in options([reply]):
            number += 1
            lines.append(f"{number}. {button.label}")
        if reply.buttons:
            last_numbered = len(messages)
        messages.append(("\n".join(lines), reply.qr))
    if last_numbered is not None:
        body, qr = messages[last_numbered]
        hint = speaker.gettext("Answer with a number, or in your own words.")
        messages[last_numbered] = (f"{body}\n\n{hint}", qr)
    split = []
    for body, qr in messages:
        parts = split_text(body, MAX_MESSAGE)
        split += [(part, None) for part in parts[:-1]] + [(parts[-1], qr)]
    return [(body, qr) for body, qr in split if body or qr]


def _filled(template: Template, values: dict[str, str]) -> dict[str, str]:
    """A template's Content SID and its variables, numbered as Twilio wants them."""
    numbered = {str(i): values.get(name, "") for i, name in enumerate(template.variables, 1)}
    return {"content_sid": template.sid, "content_variables": json.dumps(numbered)}


async def _media_key(uow: UnitOfWork) -> str:
    """The club's key for signing media links, made on first use."""
    return await members.club_key(uow, MEDIA_KEY, lambda: secrets.token_hex(32))


class WhatsAppChannel:
    """The club's WhatsApp sender: messages in (Twilio's webhook), messages out."""

    name = CHANNEL
    traits = Traits(consent=Channel.WHATSAPP)

    def __init__(
        self,
        app: Concierge,
        client: Client,
        http: TwilioHttp,
        sender: str,
        public_url: str,
        auth_token: str,
    ) -> None:
        self.app = app
        self.engine: Engine | None = None  # set where messages come in (the web app)
        self.client = client
        self.http = http
        self.sender = sender
        self.public_url = public_url
        self.validator = RequestValidator(auth_token)
        self.mps = app.settings.twilio_whatsapp_mps
        self._media_key: str | None = None

    def signed(self, path_and_query: str, form: Any, signature: str | None) -> bool:
        """Whether Twilio signed this request, for the URL Twilio called (the public one)."""
        if not signature:
            return False
        return bool(self.validator.validate(self.public_url + path_and_query, form, signature))

    def message_refusal(self, pairs: Iterable[tuple[str, str]]) -> str | None:
        """Why a signed message form is not one Twilio would post to our sender; None: it is."""
        return message_refusal(pairs, self.client.username, self.sender)

    def status_refusal(self, pairs: Iterable[tuple[str, str]]) -> str | None:
        """Why a signed status callback is not one Twilio would post; None: it is."""
        return status_refusal(pairs, self.client.username)

    async def receive(self, form: dict[str, str]) -> receipts.Later | None:
        """Handle a message in one transaction with its receipt, before Twilio gets its
        answer; what to send after it. None when it was seen before, or failed (its receipt
        left open for the next start: services/receipts.py)."""
        handle = partial(self._handle, form=form)
        return await receipts.receive(
            self.app.db.unit_of_work, self.app.clock(), CHANNEL, form["MessageSid"], form, handle
        )

    async def process(self, receipt_id: int, form: dict[str, str], tries: int) -> bool:
        """One more try of a message left open, what it queued sent; a failed try is noted
        (the message is given up at the last, see services/receipts.py)."""
        handle = partial(self._handle, form=form)
        return await receipts.attempt(
            self.app.db.unit_of_work, self.app.clock, CHANNEL, receipt_id, tries, handle
        )

    async def _handle(self, take: receipts.Take, form: dict[str, str]) -> receipts.Later | None:
        assert self.engine is not None, "messages are handled where the engine is"
        inbound = inbound_from(form, self.app.program)
        if inbound is None:
            async with self.app.db.unit_of_work() as uow:
                if await take(uow):
                    await uow.commit()
            return None
        return await self.engine.handle(inbound, take)

    async def queue(self, turn: Turn, replies: list[Reply]) -> None:
        """Write the replies to the outbox, in the transaction that decided them."""
        uow, address = turn.uow, turn.inbound.address
        member_id = turn.member.id if turn.member else None
        if any(reply.calendar for reply in replies):  # WhatsApp takes no .ics: a link to it
            key = await _media_key(uow)
            replies = [self._with_calendar_link(r, key, turn) for r in replies]
        await outbox.queue(uow, turn.now, [
            {"member_id": member_id, "channel": CHANNEL, "address": address, "kind": "reply",
             "body": body, "media": qr} for body, qr in render(replies, turn.speaker)
        ])  # fmt: skip

    def _with_calendar_link(self, reply: Reply, key: str, turn: Turn) -> Reply:
        if reply.calendar is None:
            return reply
        link = media_url(self.public_url, key, CALENDAR_PATH, reply.calendar.ref, turn.now)
        _ = turn.speaker.gettext
        if reply.calendar.cancelled:
            line = _("Take it out of your calendar: {link}").format(link=link)
        else:
            line = _("Add it to your calendar: {link}").format(link=link)
        return replace(reply, text=f"{reply.text}\n{line}", calendar=None)

    async def catch_up(self) -> int:
        """After a restart: handle what was received but not handled."""
        return await receipts.catch_up(
            self.app.db.unit_of_work, self.app.clock, CHANNEL, self.process
        )

    # -- the channel contract (loyalty/ports.py) ------------------------------------------

    def paces(self, message: Outgoing) -> list[tuple[str, Pace]]:
        return whatsapp_keys(self.sender, self.mps, message.address)

    async def send(self, message: Outgoing, before_call: BeforeCall) -> Outcome:
        """As text inside the 24-hour window (a reply, what staff wrote, a greeting), else as
        the approved template of its kind in the member's language; a reply outside the
        window waits for the member, who is asked once (the `reopen` template) to write."""
        request: dict[str, Any] = {
            "from_": f"whatsapp:{self.sender}", "to": f"whatsapp:{message.address}",
            "status_callback": f"{self.public_url}{STATUS_PATH}?m={message.id}",
        }  # fmt: skip
        if message.window_open and message.kind != "reopen":
            request["body"] = message.text
            shown = message.media or message.photo
            if shown is not None:
                path = QR_PATH if message.media else PHOTO_PATH
                link = media_url(self.public_url, await self.media_key(), path, shown, self.now())
                request["media_url"] = [link]
        elif message.template is None:
            return Waiting(AWAITING_WINDOW, WAITS_FOR_WINDOW, reopen=True)
        else:
            template = self.app.program.template(message.template, message.language)
            if template is None:
                default = self.app.program.club.default_language
                return Waiting(AWAITING_TEMPLATE, (
                    f"outside WhatsApp's 24-hour window, and the program has no approved "
                    f"'{message.template}' template in {message.language} or {default}: waits "
                    "for one, or for the member to write"
                ))  # fmt: skip
            request |= _filled(template, dict(message.values))
        await before_call()
        try:
            sent = await self.client.messages.create_async(**request)
        except TwilioRestException as exc:
            if exc.code == OUTSIDE_WINDOW and not message.scheduled:
                return Waiting(AWAITING_WINDOW, WAITS_FOR_WINDOW, reopen=True)
            if exc.status == 429:  # over the sender's messages a second: the next second
                return Retry(f"Twilio answered 429 (error {exc.code})", after=MPS_WINDOW)
            if exc.status >= 500:
                return Retry(f"Twilio answered {exc.status} (error {exc.code})")
            return Failed(exc.msg, code=str(exc.code))
        except NOT_SENT as exc:
            return Retry(type(exc).__name__)
        except httpx.HTTPError as exc:  # cut off, or no answer in time: it may have gone
            return Uncertain(type(exc).__name__)
        return Sent(sent.sid, provider_status(sent.status or "") or "queued")

    def now(self) -> datetime:
        return self.app.clock()

    async def status(self, row_id: int, form: Mapping[str, str]) -> bool:
        """A status callback: the message moves forward only; True when it moved."""
        status = provider_status(form.get("MessageStatus", ""))
        sid = form.get("MessageSid")
        if status is None or not sid:
            return False
        code = form.get("ErrorCode") or None
        async with self.app.db.unit_of_work() as uow:
            row = await outbox.advance(uow, row_id, CHANNEL, status, self.app.clock(), sid, code)
            await uow.commit()
        if row is not None:
            log.info("whatsapp message %s to %s: %s%s", row_id, mask_phone(row.address), status,
                     f" (error {code})" if code else "")  # fmt: skip
        return row is not None

    async def fetch_media(self, url: str) -> tuple[bytes, str]:
        """A file a member sent, and its type: Twilio keeps it behind our account's keys."""
        return await self.http.download(url, (self.client.username, self.client.password))

    async def media_key(self) -> str:
        """The club's key for signing media links (read once, made on first use)."""
        if self._media_key is None:
            async with self.app.db.unit_of_work() as uow:
                self._media_key = await _media_key(uow)
                await uow.commit()
        return self._media_key

    async def aclose(self) -> None:
        await self.http.aclose()


def whatsapp_channel(app: Concierge) -> WhatsAppChannel | None:
    """The channel, or None when Twilio's settings or CONCIERGE_PUBLIC_URL are missing."""
    settings = app.settings
    if not settings.whatsapp:
        return None
    assert settings.twilio_auth_token is not None and settings.public_url is not None
    token = settings.twilio_auth_token.get_secret_value()
    http = TwilioHttp(settings.twilio_api_url)
    client = Client(settings.twilio_account_sid, token, http_client=http)
    assert settings.twilio_whatsapp_from is not None
    return WhatsAppChannel(
        app, client, http, settings.twilio_whatsapp_from, settings.public_url, token
    )


def unknown_buttons(program: Program, router: Router) -> list[str]:
    """Template buttons whose payload names no action (their words are read instead)."""
    return [
        f"whatsapp.templates.{kind}.{language}: button {payload!r}"
        for kind, languages in program.whatsapp.templates.items()
        for language, template in languages.items()
        for payload in template.buttons
        if router.for_button(payload) is None
    ]
