"""The bundled all-MiniLM-L6-v2 (int8 ONNX) run with onnxruntime and tokenizers alone.

This is the question path's encoder: it imports neither llama-index nor PyTorch, so a
process answers its first question in about a second. `index.embedding` wraps the same
encoder in llama-index's `BaseEmbedding` for the ingestion pipeline.

It reproduces what sentence-transformers does around the model: [CLS] text [SEP] cut at
256 word pieces, mean pooling over the attention mask, L2 normalisation. Texts run one at
a time by default: the int8 model quantizes activations per run, so a text embedded in a
padded batch gets a slightly different vector (cosine ~0.987 at worst) than alone.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from index.errors import ConfigError

DEFAULT_MODEL = "all-MiniLM-L6-v2"
MODEL_DIR = Path(__file__).parent / "models" / DEFAULT_MODEL
MAX_SEQ_LENGTH = 256  # word pieces including [CLS] and [SEP], as sentence-transformers


class WordPieceTokenizer:
    """The model's own WordPiece tokenizer, for the encoder and for sizing chunks.

    `__call__` fits llama-index's splitters (`tokenizer=`), which only take `len()` of it.
    """

    def __init__(self, model_dir: Path = MODEL_DIR, max_length: int = MAX_SEQ_LENGTH) -> None:
        from tokenizers import Tokenizer

        path = str(Path(model_dir) / "tokenizer.json")
        # The bundled file pads and truncates at 128: the model input wants 256, unpadded.
        self._model_input = Tokenizer.from_file(path)
        self._model_input.enable_truncation(max_length)
        self._model_input.no_padding()
        # Counting must see the whole text, so it gets its own, never truncated, instance.
        self._counter = Tokenizer.from_file(path)
        self._counter.no_truncation()
        self._counter.no_padding()
        self.max_length = max_length

    def __call__(self, text: str) -> list[int]:
        """Word-piece ids of the whole text, without [CLS]/[SEP]."""
        ids: list[int] = self._counter.encode(text, add_special_tokens=False).ids
        return ids

    def count(self, text: str) -> int:
        return len(self(text))

    def encode_batch(self, texts: Sequence[str]) -> list[Any]:
        """Model inputs: [CLS] text [SEP], truncated to `max_length` word pieces."""
        encodings: list[Any] = self._model_input.encode_batch(list(texts))
        return encodings


def read_meta(model_dir: Path) -> dict[str, Any]:
    path = Path(model_dir) / "model.json"
    try:
        meta: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise ConfigError(f"embedding model metadata unreadable: {path} ({error})") from error
    return meta


def verify_model_files(model_dir: Path = MODEL_DIR) -> None:
    """Check model.onnx against the sha256 in model.json (hashes 23 MB: not on every load)."""
    meta = read_meta(model_dir)
    onnx_path = Path(model_dir) / "model.onnx"
    if not onnx_path.is_file() or not (Path(model_dir) / "tokenizer.json").is_file():
        raise ConfigError(f"embedding model files missing in {model_dir}")
    digest = hashlib.sha256()
    with onnx_path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    if digest.hexdigest() != meta.get("sha256"):
        raise ConfigError(
            f"{onnx_path} does not match the sha256 in model.json: the file is corrupt or "
            "was replaced; restore it from git or re-run tools/export_model.py"
        )


class OnnxEncoder:
    """Loads on first use, so building one is cheap; thread-safe."""

    def __init__(
        self, model_dir: Path = MODEL_DIR, batch_size: int = 1, threads: int | None = None
    ) -> None:
        self.model_dir = Path(model_dir)
        self.batch_size = batch_size
        self.threads = threads
        self.meta = read_meta(self.model_dir)
        self.calls = 0  # texts embedded so far
        self.tokens_embedded = 0  # word pieces fed, after truncation, without [CLS]/[SEP]
        self.tokens_truncated = 0  # word pieces cut off by the 256 limit
        self._session: Any = None
        self._tokenizer: WordPieceTokenizer | None = None
        self._lock = threading.Lock()

    @property
    def model_id(self) -> str:
        """Name and variant, e.g. "all-MiniLM-L6-v2/onnx-int8-per-channel"."""
        return f"{self.meta['name']}/{self.meta['variant']}"

    @property
    def dimension(self) -> int:
        return int(self.meta["dimension"])

    @property
    def tokenizer(self) -> WordPieceTokenizer:
        self._load()
        assert self._tokenizer is not None
        return self._tokenizer

    def _load(self) -> Any:
        with self._lock:
            if self._session is None:
                import onnxruntime

                # Offline by default: no telemetry events from the runtime either.
                disable = getattr(onnxruntime, "disable_telemetry_events", None)
                if disable is not None:
                    disable()
                options = onnxruntime.SessionOptions()
                if self.threads is not None:
                    options.intra_op_num_threads = self.threads
                self._tokenizer = WordPieceTokenizer(
                    self.model_dir, int(self.meta.get("max_seq_length", MAX_SEQ_LENGTH))
                )
                self._session = onnxruntime.InferenceSession(
                    str(self.model_dir / "model.onnx"), options,
                    providers=["CPUExecutionProvider"],
                )
            return self._session

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Unit vectors, one row per text."""
        session = self._load()
        out = np.empty((len(texts), self.dimension), dtype=np.float32)
        if not texts:
            return out
        encodings = self.tokenizer.encode_batch(texts)
        # Each overflowing piece carries its own [CLS] and [SEP].
        cut = sum(len(o.ids) - 2 for enc in encodings for o in enc.overflowing)
        # Shortest first, so each run pads as little as possible.
        order = sorted(range(len(texts)), key=lambda i: len(encodings[i].ids))
        for start in range(0, len(order), self.batch_size):
            rows = order[start:start + self.batch_size]
            width = max(len(encodings[i].ids) for i in rows)
            ids = np.zeros((len(rows), width), dtype=np.int64)
            mask = np.zeros((len(rows), width), dtype=np.int64)
            for r, i in enumerate(rows):
                n = len(encodings[i].ids)
                ids[r, :n] = encodings[i].ids
                mask[r, :n] = 1
            feed = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
            hidden = session.run(["last_hidden_state"], feed)[0]
            weights = mask[:, :, None].astype(np.float32)
            pooled = (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
            norms = np.linalg.norm(pooled, axis=1, keepdims=True)
            out[rows] = pooled / np.maximum(norms, 1e-12)
            with self._lock:
                self.tokens_embedded += int(mask.sum()) - 2 * len(rows)
        with self._lock:
            self.calls += len(texts)
            self.tokens_truncated += cut
        return out

    def embed_query(self, text: str) -> list[float]:
        vector: list[float] = self.embed([text])[0].tolist()
        return vector


def load_query_encoder(name: str | None = None, threads: int | None = None) -> Any:
    """The question-path encoder: the bundled model, or the llama-index one for others."""
    if name is None or name == DEFAULT_MODEL:
        return OnnxEncoder(threads=threads)
    from index.embedding import load_embedding

    return load_embedding(name, threads)
