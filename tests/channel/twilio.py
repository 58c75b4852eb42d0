"""Twilio faked at the wire (respx): the Messages API answers as Twilio does.

Inbound webhooks are signed with twilio's own RequestValidator, for the public URL.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import respx
from fastapi import FastAPI
from pydantic import SecretStr
from twilio.request_validator import RequestValidator

from bot.bootstrap import Concierge
from tests.calendars import strict
from tests.factories import TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, WHATSAPP_FROM

TWILIO_HOST = "https://twilio.test"
PUBLIC_URL = "https://club.example.com"
WHATSAPP_HOOK = "/twilio/whatsapp"
MESSAGES = f"/2010-04-01/Accounts/{TWILIO_ACCOUNT_SID}/Messages.json"


@dataclass(frozen=True)
class Sent:
    """One message the club asked Twilio to send, as Twilio received the form."""

    sid: str
    form: dict[str, list[str]]

    @property
    def to(self) -> str:
        return self.form["To"][0]

    @property
    def body(self) -> str:
        return self.form.get("Body", [""])[0]

    @property
    def media(self) -> list[str]:
        return self.form.get("MediaUrl", [])

    @property
    def content_sid(self) -> str | None:
        return self.form.get("ContentSid", [None])[0]

    @property
    def callback(self) -> str:
        return self.form["StatusCallback"][0]


@dataclass
class FakeTwilio:
    """POST .../Messages.json: 201 with a MessageInstance; refusals queued by the test."""

    sent: list[Sent] = field(default_factory=list)
    refusals: list[tuple[int, int]] = field(default_factory=list)  # (HTTP status, error code)
    files: dict[str, tuple[str, bytes]] = field(default_factory=dict)  # media SID -> type, data
    lost: list[bool] = field(default_factory=list)  # per next send: taken, answer lost (True)
    # or never reached (False)
    _sids: Iterator[int] = field(default_factory=lambda: itertools.count(0xA000))

    def route(self, mock: respx.MockRouter) -> None:
        mock.post(MESSAGES).mock(side_effect=self._create)
        mock.get(path__regex=rf"^/2010-04-01/Accounts/{TWILIO_ACCOUNT_SID}/Messages/\w+/Media/"
                 r"(?P<media>\w+)$").mock(side_effect=self._media)  # fmt: skip

    def _media(self, request: httpx.Request, media: str) -> httpx.Response:
        """A file a member sent (a photo unless `files` says otherwise), behind the account's
        credentials as Twilio keeps it."""
        if not request.headers.get("authorization", "").startswith("Basic "):
            return httpx.Response(401, json={"code": 20003, "message": "Authenticate"})
        kind, content = self.files.get(media, ("image/jpeg", b"\xff\xd8JPEG " + media.encode()))
        return httpx.Response(200, content=content, headers={"content-type": kind})

    def _create(self, request: httpx.Request) -> httpx.Response:
        assert request.headers["authorization"].startswith("Basic ")
        form = parse_qs(request.content.decode(), keep_blank_values=True)
        if self.lost:
            if self.lost.pop(0):  # it went: the member has it, we never heard
                self.sent.append(Sent(f"SM{next(self._sids):032x}", form))
                raise httpx.ReadTimeout("no answer in time", request=request)
            raise httpx.ConnectError("connection refused", request=request)
        if self.refusals:
            status, code = self.refusals.pop(0)
            return httpx.Response(
                status,
                json={
                    "code": code,
                    "message": f"refused with {code}",
                    "more_info": f"https://www.twilio.com/docs/errors/{code}",
                    "status": status,
                },
            )
        sid = f"SM{next(self._sids):032x}"
        self.sent.append(Sent(sid, form))
        return httpx.Response(201, json=message_instance(sid, form))


def message_instance(sid: str, form: dict[str, list[str]]) -> dict[str, Any]:
    """Twilio's answer to a message created with `form`: the MessageInstance JSON."""
    messages = f"/2010-04-01/Accounts/{TWILIO_ACCOUNT_SID}/Messages"
    return {
        "account_sid": TWILIO_ACCOUNT_SID,
        "api_version": "2010-04-01",
        "body": form.get("Body", [""])[0],
        "date_created": "Tue, 24 Nov 2026 10:00:00 +0000",
        "date_sent": None,
        "date_updated": "Tue, 24 Nov 2026 10:00:00 +0000",
        "direction": "outbound-api",
        "error_code": None,
        "error_message": None,
        "from": form["From"][0],
        "messaging_service_sid": None,
        "num_media": str(len(form.get("MediaUrl", []))),
        "num_segments": "1",
        "price": None,
        "price_unit": None,
        "sid": sid,
        "status": "queued",
        "subresource_uris": {"media": f"{messages}/{sid}/Media.json"},
        "to": form["To"][0],
        "uri": f"{messages}/{sid}.json",
    }


def sign(url: str, form: dict[str, str], token: str = TWILIO_AUTH_TOKEN) -> str:
    """X-Twilio-Signature, computed as Twilio computes it."""
    return RequestValidator(token).compute_signature(url, form)


@dataclass
class WhatsApp:
    """The app with WhatsApp on, a client for its webhooks, and the faked Twilio API."""

    concierge: Concierge
    app: FastAPI
    http: httpx.AsyncClient
    twilio: FakeTwilio

    async def post(
        self, path: str, form: dict[str, str], signature: str | None = "sign"
    ) -> httpx.Response:
        headers = {}
        if signature == "sign":
            signature = sign(PUBLIC_URL + path, form)
        if signature is not None:
            headers["X-Twilio-Signature"] = signature
        return await self.http.post(path, data=form, headers=headers)

    async def send(self, form: dict[str, str]) -> list[Sent]:
        """Deliver one message; what the club sent in answer (the task runs before return)."""
        before = len(self.twilio.sent)
        response = await self.post(WHATSAPP_HOOK, form)
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith("text/xml")
        return self.twilio.sent[before:]

    async def callback(self, sent: Sent, form: dict[str, str]) -> httpx.Response:
        """Twilio calling the StatusCallback the message carried."""
        parts = urlsplit(sent.callback)
        assert f"{parts.scheme}://{parts.netloc}" == PUBLIC_URL
        return await self.post(f"{parts.path}?{parts.query}", form)

    async def fetch(self, url: str) -> httpx.Response:
        """Twilio fetching a media URL we gave it; a calendar file read as a strict client
        would read it."""
        parts = urlsplit(url)
        assert f"{parts.scheme}://{parts.netloc}" == PUBLIC_URL
        response = await self.http.get(f"{parts.path}?{parts.query}")
        if response.headers.get("content-type", "").startswith("text/calendar"):
            strict(response.content)
        return response


def whatsapp_settings(concierge: Concierge) -> dict[str, Any]:
    return {
        "public_url": PUBLIC_URL,
        "twilio_account_sid": TWILIO_ACCOUNT_SID,
        "twilio_auth_token": SecretStr(TWILIO_AUTH_TOKEN),
        "twilio_whatsapp_from": WHATSAPP_FROM,
        "twilio_api_url": TWILIO_HOST,
    }
