"""No answer sends a client to the host its own request named (the Host header is the
client's to choose): a path with a trailing slash is not found, never redirected."""

from __future__ import annotations

import httpx
import pytest


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/healthz/"),
        ("GET", "/docs/"),
        ("GET", "/media/qr.png/"),
        ("POST", "/api/purchases/"),
        ("POST", "/telegram/webhook/"),
        ("POST", "/twilio/whatsapp/"),
        ("POST", "/twilio/status/"),
    ],
)
async def test_a_trailing_slash_is_not_found_never_redirected_to_the_named_host(
    every_endpoint: httpx.AsyncClient, method: str, path: str
) -> None:
    response = await every_endpoint.request(method, path, headers={"host": "evil.example"})
    assert response.status_code == 404
    assert "location" not in response.headers


async def test_the_health_check_answers_whatever_host_is_named(
    every_endpoint: httpx.AsyncClient,
) -> None:
    response = await every_endpoint.get("/healthz", headers={"host": "10.0.0.7:8000"})
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
