"""Settings from the environment or `.env`; a wrong one stops start-up naming it."""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path

from pydantic import AliasChoices, Field, SecretStr, ValidationError, field_validator
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

    @field_validator("telegram_api_url")
    @classmethod
    def _api_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("not an http(s) URL")
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
}


def load_settings() -> Settings:
    try:
        return Settings()
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
