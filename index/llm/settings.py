"""LLM settings, typed, from the environment and `.env`.

With `LLM_PROVIDER=none` (the default) nothing here is used and no LLM library is imported:
the bot stays offline and answers with the extractive answerer.
"""

from __future__ import annotations

from typing import Literal, Self

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from index import redact
from index.errors import ConfigError
from index.settings import describe_validation_error

Provider = Literal["none", "openai", "ollama"]


class LLMSettings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", populate_by_name=True
    )

    provider: Provider = Field("none", validation_alias="LLM_PROVIDER")
    # For "openai" this is the API root including /v1 (https://api.openai.com/v1,
    # http://localhost:8000/v1 for vLLM, http://localhost:11434/v1 for Ollama's own
    # OpenAI-compatible API); for "ollama" the server root (http://localhost:11434).
    base_url: str | None = Field(None, validation_alias="LLM_BASE_URL")
    model: str | None = Field(None, validation_alias="LLM_MODEL")
    api_key: SecretStr | None = Field(None, validation_alias="LLM_API_KEY")
    # One deadline per answer, retries included: a Discord interaction can wait 15 minutes,
    # a user will not, and the extractive answer is always there to fall back on.
    timeout_s: float = Field(20.0, ge=1, le=300, validation_alias="LLM_TIMEOUT_S")
    max_retries: int = Field(2, ge=0, le=10, validation_alias="LLM_MAX_RETRIES")
    backoff_base_s: float = Field(0.5, ge=0, le=30, validation_alias="LLM_BACKOFF_BASE_S")
    backoff_max_s: float = Field(8.0, ge=0, le=120, validation_alias="LLM_BACKOFF_MAX_S")
    breaker_failures: int = Field(3, ge=1, le=100, validation_alias="LLM_BREAKER_FAILURES")
    breaker_cooldown_s: float = Field(
        30.0, ge=0, le=3_600, validation_alias="LLM_BREAKER_COOLDOWN_S"
    )
    max_answer_chars: int = Field(
        3_000, ge=100, le=6_000, validation_alias="LLM_MAX_ANSWER_CHARS"
    )
    # Bytes read from the backend per reply (index/llm/transport.py): a streamed answer of
    # LLM_MAX_TOKENS tokens is a few hundred kB; past this the extractive answer is given.
    max_reply_bytes: int = Field(
        2_000_000, ge=10_000, le=100_000_000, validation_alias="LLM_MAX_REPLY_BYTES"
    )
    max_tokens: int = Field(800, ge=16, le=8_192, validation_alias="LLM_MAX_TOKENS")
    temperature: float = Field(0.1, ge=0, le=2, validation_alias="LLM_TEMPERATURE")
    # Sent as Ollama's num_ctx; fixed so llama-index never asks /api/show on each answer.
    context_window: int = Field(
        8_192, ge=1_024, le=1_048_576, validation_alias="LLM_CONTEXT_WINDOW"
    )

    @field_validator("provider", mode="before")
    @classmethod
    def _lower(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("base_url", "model", mode="before")
    @classmethod
    def _blank_is_none(cls, value: object) -> object:
        # `LLM_MODEL=` in .env means "not set", not "the model named ''".
        if isinstance(value, str):
            value = value.strip()
            return value or None
        return value

    @field_validator("api_key", mode="before")
    @classmethod
    def _blank_key_is_none(cls, value: object) -> object:
        if isinstance(value, str) and not value.strip():
            return None
        return value

    @field_validator("base_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is not None and not value.lower().startswith(("http://", "https://")):
            raise ValueError("LLM_BASE_URL must start with http:// or https://")
        return value.rstrip("/") if value else value

    @model_validator(mode="after")
    def _complete(self) -> Self:
        redact.register(self.api_key)  # masked in every log line and message
        redact.register_url(self.base_url)
        if self.provider == "none":
            return self
        missing = [
            name
            for name, value in (("LLM_BASE_URL", self.base_url), ("LLM_MODEL", self.model))
            if not value
        ]
        if missing:
            raise ValueError(
                f"LLM_PROVIDER={self.provider} needs {' and '.join(missing)} "
                "(or set LLM_PROVIDER=none to answer offline)"
            )
        if self.backoff_max_s < self.backoff_base_s:
            raise ValueError("LLM_BACKOFF_MAX_S must be at least LLM_BACKOFF_BASE_S")
        return self

    @property
    def enabled(self) -> bool:
        return self.provider != "none"


def load_llm_settings(**overrides: object) -> LLMSettings:
    """Read settings, turning validation errors into one clear ConfigError."""
    try:
        return LLMSettings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        raise ConfigError(describe_validation_error(exc)) from None
