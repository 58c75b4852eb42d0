"""Settings from the environment or `.env`; a wrong one stops start-up naming it."""

from __future__ import annotations

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

    @field_validator("database_url")
    @classmethod
    def _database(cls, value: str) -> str:
        return database_url(value).render_as_string(hide_password=False)

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
