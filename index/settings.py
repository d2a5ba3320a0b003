"""Engine settings, typed, from the environment and `.env`.

Every variable is listed in `.env.example`. The Discord edge has its own settings class
(bot/settings.py) so the engine never sees a Discord token.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr, ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from index import redact
from index.errors import ConfigError


class EngineSettings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", populate_by_name=True,
        env_ignore_empty=True,  # `VAR=` in .env means "default", as .env.example lists them
    )

    corpus_dir: Path = Field(Path("corpus/articles"), validation_alias="TALENTBOT_CORPUS_DIR")
    data_dir: Path = Field(Path("data"), validation_alias="TALENTBOT_DATA_DIR")
    # index.encoder.DEFAULT_MODEL (not imported here: settings load before any model code).
    embed_model: str = Field("use-multilingual-v3", validation_alias="TALENTBOT_EMBED_MODEL")
    embed_threads: int | None = Field(None, ge=1, validation_alias="TALENTBOT_EMBED_THREADS")
    collection: str = Field(
        "talentbot", pattern=r"^[a-zA-Z0-9][a-zA-Z0-9_-]{1,62}$",
        validation_alias="TALENTBOT_COLLECTION",
    )
    max_article_bytes: int = Field(
        2_000_000, ge=1_000, validation_alias="TALENTBOT_MAX_ARTICLE_BYTES"
    )
    max_question_chars: int = Field(
        1_000, ge=20, le=4_000, validation_alias="TALENTBOT_MAX_QUESTION_CHARS"
    )
    top_k: int = Field(8, ge=1, le=50, validation_alias="TALENTBOT_TOP_K")
    chroma_host: str | None = Field(None, validation_alias="CHROMA_HOST")
    chroma_port: int = Field(8000, ge=1, le=65535, validation_alias="CHROMA_PORT")
    chroma_ssl: bool = Field(False, validation_alias="CHROMA_SSL")
    chroma_auth_token: SecretStr | None = Field(None, validation_alias="CHROMA_AUTH_TOKEN")

    @model_validator(mode="after")
    def _register_secrets(self) -> EngineSettings:
        redact.register(self.chroma_auth_token)  # masked in every log line and message
        return self

    @property
    def chroma_dir(self) -> Path:
        return self.data_dir / "chroma"

    @property
    def chroma_db(self) -> Path:
        """The embedded store's SQLite file (Chroma's own name for it)."""
        return self.chroma_dir / "chroma.sqlite3"

    @property
    def keyword_dir(self) -> Path:
        """The keyword (BM25) cache of this collection: derived data (index/derived.py)."""
        return self.data_dir / "keyword" / self.collection

    @property
    def model_cache(self) -> Path:
        """Derived model data (USE's parsed tokenizer) that makes starts faster."""
        return self.data_dir / "model-cache"

    @property
    def lock_path(self) -> Path:
        return self.data_dir / "write.lock"

    @property
    def moves_db(self) -> Path:
        return self.data_dir / "moves.sqlite3"

    @property
    def organisations_file(self) -> Path:
        return self.corpus_dir.parent / "organisations.yaml"

    @property
    def overrides_file(self) -> Path:
        return self.corpus_dir.parent / "moves.yaml"


def load_engine_settings(**overrides: object) -> EngineSettings:
    """Read settings, turning validation errors into one clear message."""
    try:
        return EngineSettings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        raise ConfigError(describe_validation_error(exc)) from None


def describe_validation_error(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors():
        name = ".".join(str(p) for p in err.get("loc", ())) or "settings"
        parts.append(f"{name}: {err.get('msg', 'invalid')}")
    return "Invalid setting " + "; ".join(parts) + " (see .env.example)"


def default_settings() -> EngineSettings:
    """The settings of the environment and `.env` as they are now (read again for each
    engine made without settings: a cached copy would outlive an edit of `.env`)."""
    return load_engine_settings()
