"""Optional LLM answers (LLM_PROVIDER=openai|ollama), grounded in the extractive sources.

Importing this package is cheap: the llama-index LLM classes load only in
`build_answerer` when a provider is configured.
"""

from __future__ import annotations

from index.llm.answerer import LLMAnswerer, build_answerer
from index.llm.settings import LLMSettings, load_llm_settings

__all__ = ["LLMAnswerer", "LLMSettings", "build_answerer", "load_llm_settings"]
