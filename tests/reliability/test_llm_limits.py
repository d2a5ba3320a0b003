"""Row 17: a model endpoint answering with a huge body: read up to the cap, then the
extractive answer, with bounded memory (index/llm/transport.py)."""

from __future__ import annotations

import resource
import time
from typing import Any

import pytest
from support.llm_server import LLMTestServer, Reply

from index.llm import build_answerer, load_llm_settings
from index.types import Answer, Citation

CAP = 200_000
HUGE = 300_000_000  # what the server would send in full: 300 MB
SOURCE = Citation(1, "a1", "Maëlle Ardent rejoint Lumenfeld", "Le Journal Test", "2024-06-10",
                  "https://news.example/a1", "Maëlle Ardent a rejoint Lumenfeld en 2024.", 0)
FALLBACK = Answer("Où est allée Maëlle Ardent ?", "« Maëlle Ardent a rejoint Lumenfeld » [1]",
                  (SOURCE,), False, 0.5, "extractive", "fr")


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@pytest.mark.parametrize("provider", ["openai", "ollama"])
def test_huge_model_reply_is_cut_at_the_cap(reliability: Any, provider: str) -> None:
    r = reliability(17, f"LLM reply of 300 MB ({provider}, one body): cut at the cap")
    with LLMTestServer(default=Reply(padding=HUGE)) as server:
        settings = load_llm_settings(
            LLM_PROVIDER=provider, LLM_MODEL="test-model", LLM_TIMEOUT_S=20,
            LLM_BASE_URL=server.openai_url if provider == "openai" else server.url,
            LLM_MAX_REPLY_BYTES=CAP, LLM_MAX_RETRIES=2, LLM_BACKOFF_BASE_S=0.01,
        )
        answerer = build_answerer(settings)
        assert answerer is not None
        try:
            before = peak_rss_mb()
            started = time.monotonic()
            answer = answerer.answer(FALLBACK.question, "fr", (SOURCE,), FALLBACK)
            seconds = time.monotonic() - started
            growth = peak_rss_mb() - before
            stats = answerer.stats()
        finally:
            answerer.close()
        time.sleep(0.2)  # the server notices the closed connection
        sent = server.padded_bytes_sent
        requests = len(server.chat_requests)
    r.record("cap_bytes", CAP)
    r.record("body_offered_mb", HUGE // 1_000_000)
    r.record("sent_before_cut_mb", round(sent / 1e6, 1))
    r.record("requests", requests)
    r.record("peak_rss_growth_mb", round(growth, 1))
    r.record("seconds", round(seconds, 2))
    r.record("answer_mode", answer.mode if isinstance(answer, Answer) else type(answer).__name__)
    r.record("errors", stats.get("errors"))
    r.record("rejections", stats.get("rejections"))
    assert answer is FALLBACK
    assert stats["errors"] == {"reply_too_large": 1}  # not retried: the same again
    assert requests == 1
    assert growth < 40 and seconds < 10
    assert sent < 50_000_000  # socket buffers, not the 300 MB
