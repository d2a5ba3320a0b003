"""The bundled encoder behind llama-index's `BaseEmbedding`, for the ingestion pipeline.

The model itself runs in `index.encoder` (onnxruntime and tokenizers only), which the
question path uses directly; this module adds llama-index, which costs about 1.5 s to
import, so only ingestion pays for it.
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Any

from llama_index.core.base.embeddings.base import BaseEmbedding
from llama_index.core.bridge.pydantic import Field, PrivateAttr

from index.encoder import (
    DEFAULT_MODEL,
    MODEL_DIR,
    OnnxEncoder,
    WordPieceTokenizer,
    verify_model_files,
)
from index.errors import ConfigError

__all__ = [
    "MODEL_DIR",
    "EmbeddingAdapter",
    "OnnxEmbedding",
    "WordPieceTokenizer",
    "load_embedding",
    "verify_model_files",
]


class OnnxEmbedding(BaseEmbedding):
    """all-MiniLM-L6-v2 through onnxruntime; loads on first use, so building one is cheap.

    Construct with keywords: `OnnxEmbedding(model_dir=..., batch_size=..., threads=...)`.
    """

    model_dir: Path = Field(default=MODEL_DIR, description="Directory with model.onnx etc.")
    batch_size: int = Field(default=1, gt=0, description="Texts per onnxruntime run.")
    threads: int | None = Field(
        default=None, ge=1, description="onnxruntime intra-op threads; None: its default."
    )
    # llama-index slices batches by embed_batch_size (default 10) before we see them.
    embed_batch_size: int = Field(default=256, gt=0)
    model_name: str = Field(default=DEFAULT_MODEL)

    _encoder: OnnxEncoder | None = PrivateAttr(default=None)

    @classmethod
    def class_name(cls) -> str:
        return "OnnxEmbedding"

    @property
    def encoder(self) -> OnnxEncoder:
        if self._encoder is None:
            self._encoder = OnnxEncoder(self.model_dir, self.batch_size, self.threads)
        return self._encoder

    @property
    def _session(self) -> Any:  # for tests: None until the first embedding
        return None if self._encoder is None else self._encoder._session

    @property
    def model_id(self) -> str:
        return self.encoder.model_id

    @property
    def dimension(self) -> int:
        return self.encoder.dimension

    @property
    def calls(self) -> int:
        return self.encoder.calls

    @property
    def tokens_embedded(self) -> int:
        return self.encoder.tokens_embedded

    @property
    def tokenizer(self) -> WordPieceTokenizer:
        return self.encoder.tokenizer

    def _get_query_embedding(self, query: str) -> list[float]:
        return self.encoder.embed_query(query)

    def _get_text_embedding(self, text: str) -> list[float]:
        return self.encoder.embed_query(text)

    def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
        vectors: list[list[float]] = self.encoder.embed(texts).tolist()
        return vectors

    # CPU-bound: a real async path would only add a thread hop.
    async def _aget_query_embedding(self, query: str) -> list[float]:
        return self._get_query_embedding(query)

    async def _aget_text_embedding(self, text: str) -> list[float]:
        return self._get_text_embedding(text)

    async def _aget_text_embeddings(self, texts: list[str]) -> list[list[float]]:
        return self._get_text_embeddings(texts)


class EmbeddingAdapter:
    """Gives any llama-index embedding the encoder interface the engine relies on."""

    def __init__(self, inner: BaseEmbedding, name: str) -> None:
        self.inner = inner
        self.model_id = name

    @cached_property
    def dimension(self) -> int:
        return len(self.inner.get_text_embedding("dimension probe"))

    def embed_query(self, text: str) -> list[float]:
        return list(self.inner.get_query_embedding(text))


def load_embedding(name: str | None = None, threads: int | None = None) -> Any:
    """The bundled model for None or "all-MiniLM-L6-v2"; otherwise a Hugging Face model,
    adapted so that `.model_id`, `.dimension` and `.embed_query` work alike."""
    if name is None or name == DEFAULT_MODEL:
        return OnnxEmbedding(threads=threads)
    try:
        from llama_index.embeddings.huggingface import (
            HuggingFaceEmbedding,
        )
    except ImportError as error:
        raise ConfigError(
            f"embedding model {name!r} needs the Hugging Face backend: "
            "pip install llama-index-embeddings-huggingface (and PyTorch), "
            f"or use the bundled {DEFAULT_MODEL!r}"
        ) from error
    return EmbeddingAdapter(HuggingFaceEmbedding(model_name=name), name)
