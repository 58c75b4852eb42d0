"""WhatsApp through Twilio: signed webhooks in; numbered options, media and templates out.

Replies are written to the outbox in the message's own transaction, then sent oldest
first. Outside the 24-hour window after the member's last message WhatsApp takes only
approved templates: a reply waits (`awaiting_window`) and, for a member, one "reopen"
template asks them to answer; their next message releases what waited.
"""

from __future__ import annotations

import json
import logging
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import replace
from datetime import datetime, timedelta
from functools import partial
from typing import Any

import httpx
import phonenumbers
from babel.languages import get_official_languages
from twilio.base.exceptions import TwilioRestException
from twilio.http import AsyncHttpClient
from twilio.http.response import Response as TwilioResponse
from twilio.request_validator import RequestValidator
from twilio.rest import Client

from bot.bootstrap import Concierge
from bot.channels import receipts
from bot.channels.courier import Courier, Outcome
from bot.channels.delivery import NO_TEMPLATE, REFUSED, RETRY, Delivery
from bot.channels.media import CALENDAR_PATH, PHOTO_PATH, QR_PATH, media_url
from bot.channels.twilio_forms import TWILIO_ORIGIN, message_refusal, status_refusal
from bot.engine import Engine
from handlers.desk import undelivered
from handlers.dialog import (
    AUDIO,
    CONTACT,
    DOCUMENT,
    LOCATION,
    OTHER,
    PHOTO,
    STICKER,
    VIDEO,
    VOICE,
    Attachment,
    Inbound,
    Reply,
    Turn,
    options,
    split_text,
)
from locales import Speaker
from loyalty.phones import mask_phone
from loyalty.ports import Conflict
from loyalty.program import Program, Template
from loyalty.services.wording import Greeting, first_name
from storage.models import Member, OutboxMessage
from storage.outbox import AWAITING_WINDOW, FAILED, PENDING, provider_status
from storage.unit_of_work import UnitOfWork

log = logging.getLogger("concierge.whatsapp")
CHANNEL = "whatsapp"
MAX_MESSAGE = 1600  # Twilio's limit for one WhatsApp message body
WINDOW = timedelta(hours=24)
OUTSIDE_WINDOW = 63016  # Twilio: free-form message outside the allowed window
STATUS_PATH = "/twilio/status"
MEDIA_KEY = "media-url"


class TwilioHttp(AsyncHttpClient):
    """The twilio library's async client over httpx, aimed at TWILIO_API_URL."""

    def __init__(self, api_url: str, timeout: float = 10.0) -> None:
        super().__init__(log, is_async=True, timeout=timeout)
        self.api_url = api_url
        self.client = httpx.AsyncClient(timeout=timeout)

    async def request(
        self,
        method: str,
        url: str,
        params: dict[str, object] | None = None,
        data: dict[str, object] | None = None,
        headers: dict[str, str] | None = None,
        auth: tuple[str, str] | None = None,
        timeout: float | None = None,
        allow_redirects: bool = False,
    ) -> TwilioResponse:
        response = await self.client.request(
            method,
            self.aimed(url),
            params=params,  # type: ignore[arg-type]
            data=data,
            headers=headers,
            auth=auth,
            timeout=timeout or self.timeout,
            follow_redirects=allow_redirects,
        )
        return TwilioResponse(response.status_code, response.text, response.headers)

    def aimed(self, url: str) -> str:
        return (
            self.api_url + url.removeprefix(TWILIO_ORIGIN)
            if url.startswith(TWILIO_ORIGIN)
            else url
        )

    async def download(self, url: str, auth: tuple[str, str]) -> tuple[bytes, str]:
        """Media Twilio keeps for us (a member's photo, voice note...) and its content type,
        following its redirect to storage."""
        if not url.startswith(TWILIO_ORIGIN + "/") and not url.startswith(self.api_url + "/"):
            raise httpx.InvalidURL("not a Twilio media URL")  # never send our keys elsewhere
        response = await self.client.get(self.aimed(url), auth=auth, follow_redirects=True)
        response.raise_for_status()
        content_type = response.headers.get("content-type", "").split(";")[0].strip().lower()
        return response.content, content_type or "application/octet-stream"

    async def aclose(self) -> None:
        await self.client.aclose()


def language_hint(phone: str, program: Program) -> str | None:
    """A stranger's likely language: one the club speaks in their number's country."""
    try:
        region = phonenumbers.region_code_for_number(phonenumbers.parse(phone))
    except phonenumbers.NumberParseException:
        return None
    spoken = get_official_languages(region, de_facto=True) if region else ()
    return next((lang for lang in spoken if lang in program.club.languages), None)


def _media_kind(content_type: str, message_type: str | None) -> str:
    if content_type in ("text/vcard", "text/x-vcard"):
        return CONTACT  # a contact card, read out when it is passed on
    if message_type == "sticker" or content_type == "image/webp":
        return STICKER
    major = content_type.split("/")[0]
    if major == "audio":
        return VOICE if content_type == "audio/ogg" else AUDIO  # WhatsApp's voice notes: Opus
    return {"image": PHOTO, "video": VIDEO}.get(major, DOCUMENT)


def _coordinates(form: Mapping[str, str]) -> tuple[float, float] | None:
    try:
        return float(form["Latitude"]), float(form["Longitude"])
    except (KeyError, ValueError):
        return None


def attachment(form: Mapping[str, str]) -> Attachment | None:
    """What a message carries besides words: the first file (Twilio's copy, fetched with our
    credentials), a place; OTHER when nothing in it can be read (a poll, a reaction)."""
    if form.get("MediaUrl0"):
        content_type = form.get("MediaContentType0", "").split(";")[0].strip().lower()
        return Attachment(_media_kind(content_type, form.get("MessageType")), form["MediaUrl0"])
    where = _coordinates(form)
    if where is not None:
        place = ", ".join(filter(None, [form.get("Label"), form.get("Address")]))
        return Attachment(LOCATION, caption=place or None, coordinates=where)
    return None if form.get("Body") or form.get("ButtonPayload") else Attachment(OTHER)


def inbound_from(form: Mapping[str, str], program: Program) -> Inbound | None:
    """The neutral message in Twilio's form; None for what is not a WhatsApp message."""
    sender = form.get("From", "")
    if not sender.startswith("whatsapp:+"):
        return None
    phone = sender.removeprefix("whatsapp:")
    return Inbound(
        CHANNEL, phone, text=form.get("Body") or None, action=form.get("ButtonPayload") or None,
        language=language_hint(phone, program), first_name=form.get("ProfileName") or None,
        verified_phone=phone, attachment=attachment(form),
    )  # fmt: skip


def render(replies: list[Reply], speaker: Speaker) -> list[tuple[str, str | None]]:
    """Replies as WhatsApp messages (body, QR text): buttons become numbered lines.

    Numbers run on across the turn's replies, as `handlers.dialog.options` counts them.
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
    return await uow.secrets.get_or_create(MEDIA_KEY, lambda: secrets.token_hex(32))


class WhatsAppChannel:
    def __init__(
        self,
        app: Concierge,
        engine: Engine,
        client: Client,
        http: TwilioHttp,
        sender: str,
        public_url: str,
        auth_token: str,
    ) -> None:
        self.app = app
        self.engine = engine
        self.client = client
        self.http = http
        self.sender = sender
        self.public_url = public_url
        self.validator = RequestValidator(auth_token)
        self.courier = Courier(app, CHANNEL, self, then=engine.flush)

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

    async def receive(self, form: dict[str, str]) -> int | None:
        """Record the message before answering Twilio; None when it was seen before."""
        try:
            async with self.app.db.unit_of_work() as uow:
                receipt = await uow.receipts.record(
                    CHANNEL, form["MessageSid"], form, self.app.clock()
                )
                await uow.commit()
                return receipt
        except Conflict:
            return None

    async def process(self, receipt_id: int, form: dict[str, str], tries: int = 1) -> bool:
        """Handle a recorded message once, then send what it queued; a failed try is noted
        (the message is given up at the last, see bot/channels/receipts.py)."""
        handle = partial(self._handle, receipt_id, form)
        return await receipts.attempt(self.app, CHANNEL, receipt_id, tries, handle)

    async def _handle(self, receipt_id: int, form: dict[str, str]) -> None:
        inbound = inbound_from(form, self.app.program)
        if inbound is None:
            async with self.app.db.unit_of_work() as uow:
                if await uow.receipts.take(receipt_id, self.app.clock()):
                    await uow.commit()
            return
        await self.engine.handle(inbound, receipt_id, deliver=self.queue)

    async def queue(self, turn: Turn, replies: list[Reply]) -> None:
        """Write the replies to the outbox, in the transaction that decided them."""
        uow, address = turn.uow, turn.inbound.address
        await uow.outbox.release(CHANNEL, address, turn.now)  # they wrote: the window is open
        member_id = turn.member.id if turn.member else None
        if any(reply.calendar for reply in replies):  # WhatsApp takes no .ics: a link to it
            key = await _media_key(uow)
            replies = [self._with_calendar_link(r, key, turn) for r in replies]
        for body, qr in render(replies, turn.speaker):
            await uow.outbox.add(
                turn.now, member_id=member_id, channel=CHANNEL, address=address, kind="reply",
                body=body, media=qr, variables={},
            )  # fmt: skip

    def _with_calendar_link(self, reply: Reply, key: str, turn: Turn) -> Reply:
        if reply.calendar is None:
            return reply
        link = media_url(self.public_url, key, CALENDAR_PATH, reply.calendar.ref, turn.now)
        line = turn.speaker.gettext("Add it to your calendar: {link}").format(link=link)
        return replace(reply, text=f"{reply.text}\n{line}", calendar=None)

    async def catch_up(self) -> int:
        """After a restart: handle what was received but not handled, send what waits."""
        handled = await receipts.catch_up(self.app, CHANNEL, self.process)
        async with self.app.db.unit_of_work() as uow:
            addresses = await uow.outbox.addresses_pending(CHANNEL)
        for address in addresses:
            await self.flush(address)
        return handled

    async def flush(self, address: str) -> None:
        """Send what waits for `address`, oldest first, one at a time."""
        await self.courier.flush(address)

    def _addressed(self, row: OutboxMessage) -> dict[str, Any]:
        """From us, to them, with the status callback that names the row."""
        return {
            "from_": f"whatsapp:{self.sender}", "to": f"whatsapp:{row.address}",
            "status_callback": f"{self.public_url}{STATUS_PATH}?m={row.id}",
        }  # fmt: skip

    async def prepare(self, uow: UnitOfWork, row: OutboxMessage) -> dict[str, Any] | None:
        """What to ask Twilio for this row; None when it must wait for the window."""
        now = self.app.clock()
        request = self._addressed(row)
        opened = await uow.identities.last_inbound(CHANNEL, row.address) or row.created_at
        if opened + WINDOW > now and row.kind == "reply":
            request["body"] = row.body
            if row.media is not None or row.photo is not None:
                key = await _media_key(uow)
                path, shown = (QR_PATH, row.media) if row.media else (PHOTO_PATH, row.photo)
                assert shown is not None
                request["media_url"] = [media_url(self.public_url, key, path, shown, now)]
            return request
        member = await uow.members.get(row.member_id) if row.member_id is not None else None
        language = self.app.program.language(member.locale if member else None)
        template = self.app.program.template(row.kind, language)
        if template is not None:
            return request | _filled(template, row.variables)
        await uow.outbox.put_back(
            row, AWAITING_WINDOW, "outside WhatsApp's 24-hour window: waits for the member", now
        )
        await self._reopen(uow, row, member, opened)
        return None

    async def _reopen(
        self, uow: UnitOfWork, row: OutboxMessage, member: Member | None, opened: datetime
    ) -> None:
        """Ask a member, once per closed window, to answer so that waiting replies can go."""
        if member is None or member.erased_at is not None:
            return  # a stranger agreed to nothing: their replies wait for them to write
        program = self.app.program
        if program.template("reopen", program.language(member.locale)) is None:
            log.warning("no 'reopen' template in the program: replies wait for the member")
            return
        await uow.outbox.add_many_once(self.app.clock(), [{
            "key": f"reopen:{row.address}:{opened.isoformat()}", "member_id": member.id,
            "channel": CHANNEL, "address": row.address, "kind": "reopen",
            "variables": {"first_name": first_name(member.name), "club": program.club.name},
        }])  # fmt: skip

    async def call(self, row: OutboxMessage, request: dict[str, Any]) -> Outcome:
        """One call to Twilio; what became of it (recorded in the next transaction)."""
        where = f"whatsapp message {row.id} to {mask_phone(row.address)}"
        try:
            message = await self.client.messages.create_async(**request)
        except TwilioRestException as exc:
            if exc.code == OUTSIDE_WINDOW and row.kind == "reply":
                log.info("%s: outside the 24-hour window; waits", where)
                return Outcome(row, AWAITING_WINDOW, error=exc.msg)
            if exc.status == 429 or exc.status >= 500:
                log.warning("%s: Twilio answered %s; pending", where, exc.status)
                return Outcome(row, PENDING, error=exc.msg, stop=True)
            log.warning("%s: failed, Twilio error %s", where, exc.code)
            return Outcome(row, FAILED, error=exc.msg, code=str(exc.code))
        except httpx.HTTPError as exc:
            log.warning("%s: Twilio unreachable; pending", where)
            return Outcome(row, PENDING, error=repr(exc), stop=True)
        status = provider_status(message.status or "") or "queued"
        log.info("%s: %s", where, status)
        return Outcome(row, status, provider_id=message.sid)

    async def record(self, uow: UnitOfWork, outcome: Outcome) -> None:
        now = self.app.clock()
        if outcome.provider_id is not None:
            await uow.outbox.sent(outcome.row.id, outcome.status, outcome.provider_id, now)
            return
        row = await uow.outbox.get(outcome.row.id)
        assert row is not None and outcome.error is not None
        if outcome.status == FAILED:
            await uow.outbox.advance(
                row, FAILED, now, error_code=outcome.code, error=outcome.error
            )
            await undelivered(uow, self.app.program, now, row, outcome.error)
            return
        await uow.outbox.put_back(row, outcome.status, outcome.error, now)
        if outcome.status == AWAITING_WINDOW:
            member = await uow.members.get(row.member_id) if row.member_id is not None else None
            await self._reopen(uow, row, member, row.created_at)

    async def deliver(self, row: OutboxMessage, greeting: Greeting, language: str) -> Delivery:
        """Send a message the dispatcher cleared: as text inside the 24-hour window, else as
        the approved template of its kind and the member's language."""
        async with self.app.db.unit_of_work() as uow:
            opened = await uow.identities.last_inbound(CHANNEL, row.address)
        request = self._addressed(row)
        if opened is not None and opened + WINDOW > self.app.clock():
            request["body"] = greeting.text
        else:
            template = self.app.program.template(greeting.template, language)
            if template is None:
                default = self.app.program.club.default_language
                return Delivery(NO_TEMPLATE, error=(
                    f"outside WhatsApp's 24-hour window, and the program has no approved "
                    f"'{greeting.template}' template in {language} or {default}: waits for one, "
                    "or for the member to write"
                ))  # fmt: skip
            request |= _filled(template, greeting.variables)
        outcome = await self.call(row, request)
        if outcome.provider_id is not None:
            return Delivery(outcome.status, provider_id=outcome.provider_id)
        if outcome.stop:
            return Delivery(RETRY, error=outcome.error)
        return Delivery(REFUSED, error=outcome.error, code=outcome.code)

    async def status(self, row_id: int, form: Mapping[str, str]) -> bool:
        """A status callback: the message moves forward only; True when it moved."""
        status = provider_status(form.get("MessageStatus", ""))
        sid = form.get("MessageSid")
        if status is None or not sid:
            return False
        code = form.get("ErrorCode") or None
        async with self.app.db.unit_of_work() as uow:
            row = await uow.outbox.get(row_id)
            if row is None or row.channel != CHANNEL:
                return False
            moved = await uow.outbox.advance(
                row, status, self.app.clock(), provider_id=sid, error_code=code
            )
            await uow.commit()
        if moved:
            log.info("whatsapp message %s to %s: %s%s", row_id, mask_phone(row.address), status,
                     f" (error {code})" if code else "")  # fmt: skip
        return moved

    async def fetch_media(self, url: str) -> tuple[bytes, str]:
        """A file a member sent, and its type: Twilio keeps it behind our account's keys."""
        return await self.http.download(url, (self.client.username, self.client.password))

    async def media_key(self) -> str:
        async with self.app.db.unit_of_work() as uow:
            key = await _media_key(uow)
            await uow.commit()
        return key

    async def aclose(self) -> None:
        await self.http.aclose()


def whatsapp_channel(app: Concierge, engine: Engine) -> WhatsAppChannel | None:
    """The channel, or None when Twilio's settings or CONCIERGE_PUBLIC_URL are missing."""
    settings = app.settings
    if not settings.whatsapp:
        return None
    assert settings.twilio_auth_token is not None and settings.public_url is not None
    token = settings.twilio_auth_token.get_secret_value()
    http = TwilioHttp(settings.twilio_api_url)
    client = Client(settings.twilio_account_sid, token, http_client=http)
    assert settings.twilio_whatsapp_from is not None
    for kind, languages in app.program.whatsapp.templates.items():
        for language, template in languages.items():
            for payload in template.buttons:
                if engine.router.for_button(payload) is None:
                    log.warning("whatsapp.templates.%s.%s: button %r names no action: its "
                                "words will be read instead", kind, language, payload)  # fmt: skip
    return WhatsAppChannel(
        app, engine, client, http, settings.twilio_whatsapp_from, settings.public_url, token
    )
