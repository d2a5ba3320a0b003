"""Discord settings, typed, from the environment and `.env` (all listed in .env.example)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from index import redact
from index.errors import ConfigError
from index.settings import describe_validation_error

IdList = Annotated[frozenset[int], NoDecode]


class BotSettings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", populate_by_name=True,
        env_ignore_empty=True,  # `VAR=` in .env means "default", as .env.example lists them
    )

    token: SecretStr | None = Field(None, validation_alias="DISCORD_TOKEN")
    # Channels where any message that looks like a question is answered, no mention needed.
    answer_channels: IdList = Field(frozenset(), validation_alias="DISCORD_ANSWER_CHANNELS")
    # Guilds whose slash commands are synced at start-up (development); empty: none.
    dev_guilds: IdList = Field(frozenset(), validation_alias="DISCORD_DEV_GUILDS")
    # Guilds the bot answers in; empty: every guild it is invited to.
    allowed_guilds: IdList = Field(frozenset(), validation_alias="DISCORD_ALLOWED_GUILDS")
    allow_dms: bool = Field(False, validation_alias="DISCORD_ALLOW_DMS")
    open_threads: bool = Field(True, validation_alias="DISCORD_OPEN_THREADS")
    user_cooldown_s: float = Field(5.0, ge=0, validation_alias="DISCORD_USER_COOLDOWN_S")
    max_concurrent: int = Field(4, ge=1, le=64, validation_alias="DISCORD_MAX_CONCURRENT")
    max_waiting: int = Field(32, ge=0, le=10_000, validation_alias="DISCORD_MAX_WAITING")
    # Long outputs (/company, /person, /moves): at most this many messages, then paged.
    max_messages: int = Field(3, ge=1, le=20, validation_alias="DISCORD_MAX_MESSAGES")
    shard_count: int | None = Field(None, ge=1, validation_alias="DISCORD_SHARD_COUNT")
    api_base: str | None = Field(None, validation_alias="DISCORD_API_BASE")
    gateway_url: str | None = Field(None, validation_alias="DISCORD_GATEWAY_URL")
    feedback_db: Path | None = Field(None, validation_alias="TALENTBOT_FEEDBACK_DB")
    # Where the running bot reports its gateway state for `talentbot doctor --gateway`;
    # empty: bot-status.json in TALENTBOT_DATA_DIR. One per bot process.
    status_file: Path | None = Field(None, validation_alias="TALENTBOT_BOT_STATUS_FILE")

    @field_validator("answer_channels", "dev_guilds", "allowed_guilds", mode="before")
    @classmethod
    def _ids(cls, value: object) -> object:
        if isinstance(value, str):
            parts = [p for p in value.replace(";", ",").replace(" ", ",").split(",") if p]
            try:
                return frozenset(int(p) for p in parts)
            except ValueError:
                raise ValueError("must be a comma-separated list of numeric ids") from None
        return value

    @model_validator(mode="after")
    def _register_secrets(self) -> BotSettings:
        redact.register(self.token)  # masked in every log line and message (index/redact.py)
        return self

    def require_token(self) -> str:
        if self.token is None or not self.token.get_secret_value().strip():
            raise ConfigError(
                "DISCORD_TOKEN is not set: put the bot token from the Discord Developer "
                "Portal in .env (see .env.example), or run `talentbot chat` for the local chat."
            )
        return self.token.get_secret_value().strip()


def load_bot_settings(**overrides: object) -> BotSettings:
    try:
        return BotSettings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        raise ConfigError(describe_validation_error(exc)) from None
