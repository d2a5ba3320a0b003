"""The bundled encoders behind llama-index's `BaseEmbedding`, for the ingestion pipeline.

The models themselves run in `index.encoder` (numpy, onnxruntime, tokenizers), which the
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
    BUNDLED_MODELS,
    DEFAULT_MODEL,
    MINILM_MODEL,
    MODEL_DIR,
    Encoder,
    OnnxEncoder,
    PieceCounter,
    WordPieceTokenizer,
    load_encoder,
    verify_model_files,
)
from index.errors import ConfigError

__all__ = [
    "MODEL_DIR",
    "EmbeddingAdapter",
    "EncoderEmbedding",
    "OnnxEmbedding",
    "WordPieceTokenizer",
    "load_embedding",
    "verify_model_files",
]


class EncoderEmbedding(BaseEmbedding):
    """A bundled encoder (`model_name`, the default one unless named); loads on first use,
    so building one is cheap.

    Construct with keywords: `EncoderEmbedding(model_name=..., threads=...)`; `model_dir` and
    `batch_size` apply to the ONNX MiniLM only.
    """

    model_dir: Path = Field(default=MODEL_DIR, description="Directory with model.onnx etc.")
    batch_size: int = Field(default=1, gt=0, description="Texts per onnxruntime run.")
    threads: int | None = Field(
        default=None, ge=1, description="onnxruntime intra-op threads; None: its default."
    )
    # llama-index slices batches by embed_batch_size (default 10) before we see them.
    embed_batch_size: int = Field(default=256, gt=0)
    model_name: str = Field(default=DEFAULT_MODEL)

    _encoder: Encoder | None = PrivateAttr(default=None)

    @classmethod
    def class_name(cls) -> str:
        return "EncoderEmbedding"

    @property
    def encoder(self) -> Encoder:
        if self._encoder is None:
            if self.model_name == MINILM_MODEL:
                self._encoder = OnnxEncoder(self.model_dir, self.batch_size, self.threads)
            else:
                self._encoder = load_encoder(self.model_name, self.threads)
        return self._encoder

    @classmethod
    def around(cls, encoder: Encoder, threads: int | None = None) -> EncoderEmbedding:
        """The pipeline's view of an encoder already made (it keeps its counters)."""
        # A model id is "name/variant"; the name is the one load_encoder knows.
        embedding = cls(model_name=encoder.model_id.split("/")[0], threads=threads)
        embedding._encoder = encoder
        return embedding

    @property
    def _session(self) -> Any:  # for tests: None until the first embedding
        return None if self._encoder is None else getattr(self._encoder, "_session", None)

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
    def tokenizer(self) -> PieceCounter:
        return self.encoder.tokenizer

    @property
    def chunk_pieces(self) -> int:
        return self.encoder.chunk_pieces

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


# The former name, from when MiniLM was the only bundled model.
OnnxEmbedding = EncoderEmbedding


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
    """A bundled model for None or one of BUNDLED_MODELS; otherwise a Hugging Face model,
    adapted so that `.model_id`, `.dimension` and `.embed_query` work alike."""
    if name is None or name in BUNDLED_MODELS:
        return EncoderEmbedding(model_name=name or DEFAULT_MODEL, threads=threads)
    try:
        from llama_index.embeddings.huggingface import (
            HuggingFaceEmbedding,
        )
    except ImportError as error:
        raise ConfigError(
            f"embedding model {name!r} needs the Hugging Face backend: "
            "pip install llama-index-embeddings-huggingface (and PyTorch), "
            f"or use a bundled one: {', '.join(BUNDLED_MODELS)}"
        ) from error
    return EmbeddingAdapter(HuggingFaceEmbedding(model_name=name), name)
