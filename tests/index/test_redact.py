"""index/redact.py: configured secrets and credential-shaped values never reach a log line
or a message."""

from __future__ import annotations

import logging

import pytest

from index import redact
from index.errors import StoreUnavailableError
from index.llm.settings import LLMSettings
from index.settings import EngineSettings

CANARY = "redact-canary-7d1e0"  # pragma: allowlist secret


def test_registered_secrets_and_credential_shapes_are_masked() -> None:
    EngineSettings(CHROMA_AUTH_TOKEN=CANARY, _env_file=None)  # type: ignore[call-arg]
    LLMSettings(LLM_PROVIDER="openai", LLM_MODEL="m", _env_file=None,  # type: ignore[call-arg]
                LLM_BASE_URL="https://svc:pw-9q8w7e@llm.example/v1")  # pragma: allowlist secret
    for text in (
        f"error: {CANARY}", f"Authorization: Bearer {CANARY}x",
        '{"x-chroma-token": "anything-secret-1"}',
        "GET https://svc:pw-9q8w7e@llm.example/v1",  # pragma: allowlist secret
        "GET https://other:guess-me-2@host.example/",  # pragma: allowlist secret
        "api_key=sk-abcdef123456",  # pragma: allowlist secret
        "bearer eyJhbGciOiJIUzI1NiJ9.payload", "pw-9q8w7e alone",
    ):
        clean = redact.redact(text)
        assert redact.MASK in clean, text
        for secret in (CANARY, "anything-secret-1", "pw-9q8w7e", "guess-me-2", "sk-abcdef",
                       "eyJhbGci"):
            assert secret not in clean, (text, clean)
    ordinary = "Basic research at Lumenfeld: 40 people; see https://news.example/a@b."
    assert redact.redact(ordinary) == ordinary


def test_every_log_record_is_masked_whatever_its_logger(
    caplog: pytest.LogCaptureFixture,
) -> None:
    redact.install()
    redact.register(CANARY)
    caplog.set_level(logging.DEBUG)
    child = logging.getLogger("httpx.some.child")
    child.info("HTTP Request: GET %s", f"https://u:{CANARY}@h.example/v1")
    try:
        raise StoreUnavailableError(f"server echoed Authorization: Bearer {CANARY}")
    except StoreUnavailableError:
        logging.getLogger("talentbot.bot").exception("failed with %s", CANARY)
    assert "HTTP Request" in caplog.text and "failed with" in caplog.text
    assert "server echoed" in caplog.text  # the traceback is there, masked
    assert CANARY not in caplog.text
    assert all(CANARY not in r.getMessage() for r in caplog.records)


def test_the_bot_error_edge_masks_secrets() -> None:
    from bot.errors import user_message

    redact.register(CANARY)
    shown = user_message(StoreUnavailableError(f"proxy said: token {CANARY}"), "test")
    assert "proxy said" in shown and CANARY not in shown
