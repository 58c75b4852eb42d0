"""Request bodies: each POST endpoint reads at most its limit (413 beyond it), and whatever
can be checked without the body is checked before a byte of it is read."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest

from tests.web.conftest import POS_SECRET, TELEGRAM_SECRET
from tests.web.test_pos_webhook import sign

KIB = 1024
CHUNK = 64 * KIB  # what the client sends at a time
LARGE = 4 * 1024 * KIB  # well over every limit
TELEGRAM_HEADERS = {"x-telegram-bot-api-secret-token": TELEGRAM_SECRET}

# path, the body limit, and headers that pass every check made before the body is read
ENDPOINTS = {
    "POS": ("/api/purchases", 64 * KIB, {}),
    "Telegram": ("/telegram/webhook", 1024 * KIB, TELEGRAM_HEADERS),
    "WhatsApp": ("/twilio/whatsapp", 64 * KIB, {}),
    "Twilio status": ("/twilio/status?m=1", 64 * KIB, {}),
}
TOO_LARGE = {"detail": "body too large"}


@dataclass
class Upload:
    """A body the client streams, counting the bytes the app has pulled so far."""

    size: int
    pulled: int = 0

    async def chunks(self) -> AsyncIterator[bytes]:
        while self.pulled < self.size:
            chunk = b"a" * min(CHUNK, self.size - self.pulled)
            self.pulled += len(chunk)
            yield chunk


@pytest.mark.parametrize("endpoint", ENDPOINTS)
async def test_a_declared_length_over_the_limit_is_413_before_reading(
    every_endpoint: httpx.AsyncClient, endpoint: str
) -> None:
    path, _, headers = ENDPOINTS[endpoint]
    upload = Upload(LARGE)
    response = await every_endpoint.post(
        path, content=upload.chunks(), headers={**headers, "content-length": str(LARGE)}
    )
    assert response.status_code == 413
    assert upload.pulled == 0
    assert response.json() == TOO_LARGE
    assert response.headers["connection"] == "close"


@pytest.mark.parametrize("declared", [None, "10"], ids=["chunked", "lying Content-Length"])
@pytest.mark.parametrize("endpoint", ENDPOINTS)
async def test_a_streamed_body_is_read_no_further_than_its_limit(
    every_endpoint: httpx.AsyncClient, endpoint: str, declared: str | None
) -> None:
    path, limit, headers = ENDPOINTS[endpoint]
    upload = Upload(LARGE)
    length = {} if declared is None else {"content-length": declared}
    response = await every_endpoint.post(
        path, content=upload.chunks(), headers={**headers, **length}
    )
    assert response.status_code == 413
    assert upload.pulled <= limit + CHUNK
    assert response.json() == TOO_LARGE
    assert response.headers["connection"] == "close"


@pytest.mark.parametrize(
    ("endpoint", "within"),
    [("POS", 401), ("Telegram", 400), ("WhatsApp", 403), ("Twilio status", 403)],
    ids=["POS: unsigned", "Telegram: not an update", "WhatsApp: unsigned", "status: unsigned"],
)
async def test_a_body_of_exactly_the_limit_is_judged_on_its_content_one_byte_more_is_413(
    every_endpoint: httpx.AsyncClient, endpoint: str, within: int
) -> None:
    path, limit, headers = ENDPOINTS[endpoint]
    at_limit = await every_endpoint.post(path, content=b" " * limit, headers=headers)
    assert at_limit.status_code == within
    over = await every_endpoint.post(path, content=b" " * (limit + 1), headers=headers)
    assert over.status_code == 413
    assert over.json() == TOO_LARGE


@pytest.mark.parametrize(
    ("method", "path", "headers", "status"),
    [
        ("POST", "/telegram/webhook", {"x-telegram-bot-api-secret-token": "wrong"}, 403),
        ("POST", "/telegram/webhook", {}, 403),
        ("POST", "/api/nowhere", {}, 404),
        ("POST", "/healthz", {}, 405),
        ("PUT", "/api/purchases", {}, 405),
    ],
    ids=["Telegram: wrong secret", "Telegram: no secret", "unknown path", "GET-only path",
         "POST-only path"],
)  # fmt: skip
async def test_what_is_refused_without_the_body_reads_none_of_it(
    every_endpoint: httpx.AsyncClient,
    method: str,
    path: str,
    headers: dict[str, str],
    status: int,
) -> None:
    upload = Upload(LARGE)
    response = await every_endpoint.request(method, path, content=upload.chunks(), headers=headers)
    assert response.status_code == status
    assert upload.pulled == 0


MARKER = "<b>ECHO-4f1d</b>"
SIGNED_BAD_JSON = {"x-concierge-signature": sign(f"{{{MARKER}".encode(), POS_SECRET)}


@pytest.mark.parametrize(
    ("path", "body", "headers", "status"),
    [
        ("/api/purchases", f'{{"order_id": "{MARKER}"}}', {}, 401),
        ("/api/purchases", f"{{{MARKER}", SIGNED_BAD_JSON, 422),
        ("/api/purchases", MARKER * 10_000, {}, 413),
        ("/telegram/webhook", f"{{{MARKER}", TELEGRAM_HEADERS, 400),
        ("/telegram/webhook", MARKER * 100_000, TELEGRAM_HEADERS, 413),
        ("/twilio/whatsapp", f"Body={MARKER}&MessageSid=SM1", {}, 403),
        ("/twilio/whatsapp", MARKER * 10_000, {}, 413),
        (f"/api/{MARKER}", MARKER, {}, 404),
    ],
    ids=["POS unsigned", "POS bad JSON", "POS too large", "Telegram bad JSON",
         "Telegram too large", "WhatsApp unsigned", "WhatsApp too large", "unknown path"],
)  # fmt: skip
async def test_refusals_never_echo_what_was_sent(
    every_endpoint: httpx.AsyncClient,
    path: str,
    body: str,
    headers: dict[str, str],
    status: int,
) -> None:
    response = await every_endpoint.post(path, content=body.encode(), headers=headers)
    assert response.status_code == status
    assert "ECHO-4f1d" not in response.text
    assert all("ECHO-4f1d" not in value for value in response.headers.values())
