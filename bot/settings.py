"""Settings from the environment or `.env`; a wrong one stops start-up naming it."""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import (
    AliasChoices,
    Field,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
)
from pydantic_settings import BaseSettings, SettingsConfigDict

from loyalty.program import Program, ProgramError, parse_program
from storage.database import database_url

DEMO_PROGRAM = resources.files("loyalty") / "clubs" / "demo.toml"


class ConfigError(Exception):
    """A setting that cannot work; the message is the one line shown on stderr."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", populate_by_name=True)

    database_url: str = Field(
        "sqlite+aiosqlite:///./concierge.db", validation_alias="CONCIERGE_DATABASE_URL"
    )
    program: Path | None = Field(None, validation_alias="CONCIERGE_PROGRAM")
    pos_secret: SecretStr | None = Field(None, validation_alias="CONCIERGE_POS_SECRET")
    port: int = Field(8000, ge=1, le=65535, validation_alias=AliasChoices("PORT"))
    telegram_bot_token: SecretStr | None = Field(None, validation_alias="TELEGRAM_BOT_TOKEN")
    telegram_api_url: str = Field(
        "https://api.telegram.org/bot", validation_alias="TELEGRAM_API_URL"
    )
    telegram_webhook_secret: SecretStr | None = Field(
        None, validation_alias="TELEGRAM_WEBHOOK_SECRET"
    )
    telegram_staff_chat_id: int | None = Field(None, validation_alias="TELEGRAM_STAFF_CHAT_ID")
    public_url: str | None = Field(None, validation_alias="CONCIERGE_PUBLIC_URL")
    twilio_account_sid: str | None = Field(None, validation_alias="TWILIO_ACCOUNT_SID")
    twilio_auth_token: SecretStr | None = Field(None, validation_alias="TWILIO_AUTH_TOKEN")
    twilio_whatsapp_from: str | None = Field(None, validation_alias="TWILIO_WHATSAPP_FROM")
    twilio_api_url: str = Field("https://api.twilio.com", validation_alias="TWILIO_API_URL")
    twilio_whatsapp_mps: int = Field(
        80, ge=1, le=1000, validation_alias="TWILIO_WHATSAPP_MPS"
    )  # the sender's messages per second

    @field_validator("database_url")
    @classmethod
    def _database(cls, value: str) -> str:
        return database_url(value).render_as_string(hide_password=False)

    @field_validator("telegram_bot_token")
    @classmethod
    def _token(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not re.fullmatch(r"\d+:[\w-]{20,}", value.get_secret_value()):
            raise ValueError("not a bot token from @BotFather (digits:letters)")
        return value or None

    @field_validator("telegram_webhook_secret")
    @classmethod
    def _webhook_secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not re.fullmatch(
            r"[A-Za-z0-9_-]{16,256}", value.get_secret_value()
        ):
            raise ValueError("use 16 to 256 characters of A-Z, a-z, 0-9, _ and -")
        return value or None

    @field_validator("telegram_api_url", "twilio_api_url", "public_url")
    @classmethod
    def _url(cls, value: str | None, info: ValidationInfo) -> str | None:
        if not value and info.field_name == "public_url":
            return None
        if value is None:
            raise ValueError("not an http(s) URL")
        if not re.fullmatch(r"https?://[^\s/?#]+(/[^\s?#]*)?", value):
            raise ValueError("not an http(s) URL (scheme and host, no query)")
        return value.rstrip("/") if value.count("/") > 2 else value

    @field_validator("twilio_account_sid")
    @classmethod
    def _account_sid(cls, value: str | None) -> str | None:
        if value and not re.fullmatch(r"AC[0-9a-f]{32}", value):
            raise ValueError("not a Twilio Account SID (AC and 32 hexadecimal digits)")
        return value or None

    @field_validator("twilio_auth_token")
    @classmethod
    def _auth_token(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not re.fullmatch(r"[0-9a-f]{32}", value.get_secret_value()):
            raise ValueError("not a Twilio Auth Token (32 hexadecimal digits)")
        return value or None

    @field_validator("twilio_whatsapp_from")
    @classmethod
    def _whatsapp_from(cls, value: str | None) -> str | None:
        number = (value or "").removeprefix("whatsapp:")
        if value and not re.fullmatch(r"\+[1-9]\d{6,14}", number):
            raise ValueError("not a number in E.164 form, e.g. +14155238886")
        return number or None

    @property
    def whatsapp(self) -> bool:
        """WhatsApp is on when Twilio's credentials, our number and our public URL are set."""
        return None not in (
            self.twilio_account_sid,
            self.twilio_auth_token,
            self.twilio_whatsapp_from,
            self.public_url,
        )

    @field_validator("telegram_staff_chat_id")
    @classmethod
    def _staff_chat(cls, value: int | None) -> int | None:
        if value is not None and not str(value).startswith("-100"):
            raise ValueError("not a supergroup id (they begin with -100, e.g. -1001234567890)")
        return value

    @field_validator("pos_secret")
    @classmethod
    def _secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) < 16:
            raise ValueError("too short: use at least 16 random characters")
        return value or None


_ENV_NAMES = {
    "database_url": "CONCIERGE_DATABASE_URL",
    "program": "CONCIERGE_PROGRAM",
    "pos_secret": "CONCIERGE_POS_SECRET",
    "port": "PORT",
    "telegram_bot_token": "TELEGRAM_BOT_TOKEN",
    "telegram_api_url": "TELEGRAM_API_URL",
    "telegram_webhook_secret": "TELEGRAM_WEBHOOK_SECRET",
    "telegram_staff_chat_id": "TELEGRAM_STAFF_CHAT_ID",
    "public_url": "CONCIERGE_PUBLIC_URL",
    "twilio_account_sid": "TWILIO_ACCOUNT_SID",
    "twilio_auth_token": "TWILIO_AUTH_TOKEN",
    "twilio_whatsapp_from": "TWILIO_WHATSAPP_FROM",
    "twilio_api_url": "TWILIO_API_URL",
    "twilio_whatsapp_mps": "TWILIO_WHATSAPP_MPS",
}


def load_settings(**given: Any) -> Settings:
    """The settings from the environment; `given` (by field name) over them."""
    try:
        return Settings(**given)
    except ValidationError as exc:
        error = exc.errors()[0]
        name = _ENV_NAMES.get(str(error["loc"][0]), str(error["loc"][0]))
        raise ConfigError(f"{name}: {error['msg'].removeprefix('Value error, ')}") from None


def load_program(path: Path | None) -> Program:
    """The club's program file, or the bundled demo club when none is set."""
    try:
        if path is None:
            return parse_program(DEMO_PROGRAM.read_text(encoding="utf-8"), "demo.toml")
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            raise ProgramError(f"{path}: cannot read: {exc.strerror}") from None
        return parse_program(text, str(path))
    except ProgramError as exc:
        raise ConfigError(f"CONCIERGE_PROGRAM: {exc}") from None
