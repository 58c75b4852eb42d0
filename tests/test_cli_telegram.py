"""`concierge telegram set-webhook`: what Telegram is told, and a refusal in one line."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import httpx
import pytest
import respx
from click.testing import CliRunner, Result

from bot.cli import main
from tests.conftest import Clock

TOKEN = "123456:ABC-webhook-test-token"
SECRET = "a-webhook-secret-of-ours"
URL = "https://concierge.example.com/telegram/webhook"


@pytest.fixture
def set_webhook(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, clock: Clock, sqlite_template: Path
) -> CliRunner:
    monkeypatch.chdir(tmp_path)
    shutil.copy(sqlite_template, tmp_path / "club.db")
    monkeypatch.setenv("CONCIERGE_DATABASE_URL", f"sqlite:///{tmp_path / 'club.db'}")
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    monkeypatch.setenv("TELEGRAM_WEBHOOK_SECRET", SECRET)
    monkeypatch.delenv("TELEGRAM_API_URL", raising=False)
    return CliRunner()


def invoke(runner: CliRunner, clock: Clock) -> Result:
    return runner.invoke(
        main, ["telegram", "set-webhook", URL], catch_exceptions=False, obj={"clock": clock}
    )


def test_telegram_is_told_the_url_its_secret_and_the_updates_we_read(
    set_webhook: CliRunner, clock: Clock
) -> None:
    with respx.mock(assert_all_called=True) as api:
        route = api.post(f"https://api.telegram.org/bot{TOKEN}/setWebhook").mock(
            return_value=httpx.Response(200, json={"ok": True, "result": True})
        )
        result = invoke(set_webhook, clock)
    assert result.exit_code == 0, result.output
    assert f"webhook set to {URL}" in result.output
    sent = dict(httpx.QueryParams(route.calls.last.request.content.decode()))
    assert sent["url"] == URL and sent["secret_token"] == SECRET
    assert json.loads(sent["allowed_updates"]) == ["message", "callback_query", "my_chat_member"]


def test_a_refusal_is_one_line_with_telegrams_words_and_no_token(
    set_webhook: CliRunner, clock: Clock
) -> None:
    refused = {
        "ok": False, "error_code": 400,
        "description": "Bad Request: bad webhook: HTTPS url must be provided for webhook",
    }  # fmt: skip
    with respx.mock() as api:
        api.post(f"https://api.telegram.org/bot{TOKEN}/setWebhook").mock(
            return_value=httpx.Response(400, json=refused)
        )
        result = invoke(set_webhook, clock)
    assert result.exit_code == 1
    (line,) = result.output.strip().splitlines()  # one line: Telegram's words, as PTB reads them
    assert line.startswith("concierge: Telegram refused the webhook: ")
    assert "url must be provided" in line.lower()
    assert "Traceback" not in result.output and TOKEN not in result.output
