"""Twilio's REST API over httpx: the twilio library's async client aimed at TWILIO_API_URL
(a test or a bench points it at a double), and the media Twilio keeps for us."""

from __future__ import annotations

import logging

import httpx
from twilio.http import AsyncHttpClient
from twilio.http.response import Response as TwilioResponse

from bot.channels import tls
from bot.channels.twilio_forms import TWILIO_ORIGIN

log = logging.getLogger("concierge.whatsapp")


class TwilioHttp(AsyncHttpClient):
    """The twilio library's async client over httpx, aimed at TWILIO_API_URL."""

    def __init__(self, api_url: str, timeout: float = 10.0) -> None:
        super().__init__(log, is_async=True, timeout=timeout)
        self.api_url = api_url
        self.client = httpx.AsyncClient(timeout=timeout, verify=tls.context())

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
