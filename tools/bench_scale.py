"""Scale benchmark: the engine at ~10k and ~100k chunks, embedded store versus Chroma server.

    .venv/bin/python tools/bench_scale.py --chunks 10000          # quick: one size
    .venv/bin/python tools/bench_scale.py                         # 10k and 100k chunks

For each size and each store it reports the ingest rate, warm question latency (p50/p95
of Engine.ask over the dev questions plus a few about the generated articles, first round
discarded), the peak RSS of a serving process (a fresh subprocess that loads the engine and
answers: its own ru_maxrss), the store's disk use, and the keyword side's load and rebuild
times. It prints one JSON object (progress goes to stderr) ending with `targets`: booleans
for the 100k-chunk targets (p50 <= 60 ms, serving RSS <= 600 MB, keyword side loaded and
rebuilt in <= 5 s), evaluated at the largest size measured (`config.targets_at_chunks`).

Embedding, once: the corpus is the deterministic generated one (bench/synthetic.py, plus
the seed articles so the dev questions have answers). Embedding 100k chunks with the real
model takes ~40 min on 2 cores, so each chunk text is embedded ONCE with the real model and
its vector cached on disk (float32 .npy shards keyed by the sha256 of the exact text the
pipeline embeds, under $TALENTBOT_BENCH_CACHE or ~/.cache/talentbot-bench, in a folder
named after the model and chunking parameters; generated articles are prefix-stable, so a
100k run reuses the vectors of a 10k run). The measured ingests then run the engine's real
`ingest(settings, embed_model=CachedEmbedding)`: reading and parsing files, the
SentenceSplitter on word pieces, llama-index's IngestionPipeline, ChunkStore's batched
writes, move extraction, version bump and the keyword cache, with vectors served from the
cache instead of computed. Because the bundled encoder embeds texts one at a time, a cached
vector is bit-identical to the one the model would give in that ingest. The ingest rate is
therefore "everything but the model"; the model's own rate comes from the cache-filling pass
(or the cache's record of earlier passes) and `projected_ingest_seconds_with_model` adds the
two.

Every measurement with its own memory peak or cold state runs in a fresh subprocess
(`python tools/bench_scale.py worker TASK JSON`, one JSON line on stdout). The Chroma server
is the real `chroma run` (tests/support/chroma_server.py), one per size, on 127.0.0.1.
"""

from __future__ import annotations

import argparse
import functools
import hashlib
import json
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
for _path in (ROOT, ROOT / "tests"):  # the engine, and the Chroma server helper
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

from llama_index.core.base.embeddings.base import BaseEmbedding  # noqa: E402
from llama_index.core.bridge.pydantic import PrivateAttr  # noqa: E402

from bench.harness import lookup, percentile  # noqa: E402

SEED_CORPUS = ROOT / "corpus" / "articles"
ORGANISATIONS = ROOT / "corpus" / "organisations.yaml"
CACHE_ENV = "TALENTBOT_BENCH_CACHE"
DEFAULT_SIZES = (10_000, 100_000)
TARGET_CHUNKS = 100_000
TARGETS = {"question_p50_ms": 60.0, "bot_rss_mb": 600.0, "keyword_seconds": 5.0}
SAMPLE_ARTICLES = 200  # split to estimate chunks per generated article
ROUNDS = 5  # question rounds per serving process; the first is warm-up, discarded
SHARD_ROWS = 2_000  # vectors per cache shard: an interrupted fill loses at most this many
WORKER_TIMEOUT_S = 4 * 3_600
COLLECTION = "talentbot-scale"
# About the generated articles (invented people and labs), next to the dev questions.
EXTRA_QUESTIONS = (
    "Who left Meta for Mistral AI?",
    "Qui a quitté Google DeepMind pour rejoindre Anthropic ?",
    "Which researchers did Hugging Face hire in 2024?",
    "Quel bonus d'arrivée a proposé Kyutai ?",
    "Who leads the alignment team at OpenAI?",
)


# -- the vector cache -------------------------------------------------------------------------
def text_key(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


class VectorCache:
    """Append-only shards of (text key, float32 vector) in one folder."""

    def __init__(self, folder: Path) -> None:
        import numpy as np

        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self._rows: dict[str, tuple[int, int]] = {}
        self._shards: list[Any] = []
        self._pending_keys: list[str] = []
        self._pending: list[Any] = []
        for keys_file in sorted(folder.glob("keys-*.json")):
            vectors_file = keys_file.with_name(
                keys_file.name.replace("keys-", "vectors-").replace(".json", ".npy")
            )
            if not vectors_file.is_file():
                continue
            keys = json.loads(keys_file.read_text())
            vectors = np.load(vectors_file, mmap_mode="r")
            if len(keys) != len(vectors):
                continue  # a torn shard: its texts are simply embedded again
            shard = len(self._shards)
            self._shards.append(vectors)
            for row, key in enumerate(keys):
                self._rows[key] = (shard, row)
        meta_file = folder / "meta.json"
        self.meta: dict[str, Any] = (
            json.loads(meta_file.read_text()) if meta_file.is_file() else {}
        )

    def __len__(self) -> int:
        return len(self._rows) + len(self._pending_keys)

    def get(self, key: str) -> Any | None:
        found = self._rows.get(key)
        if found is None:
            return None
        shard, row = found
        return self._shards[shard][row]

    def add(self, key: str, vector: Any) -> None:
        self._pending_keys.append(key)
        self._pending.append(vector)
        if len(self._pending) >= SHARD_ROWS:
            self.flush()

    def record_model_time(self, texts: int, seconds: float) -> None:
        self.meta["embedded_texts"] = int(self.meta.get("embedded_texts", 0)) + texts
        self.meta["embed_seconds"] = float(self.meta.get("embed_seconds", 0.0)) + seconds
        self._write_meta()

    def flush(self) -> None:
        import numpy as np

        if not self._pending:
            return
        index = len(list(self.folder.glob("keys-*.json")))
        stem = f"{index:05d}-{os.getpid()}"
        vectors = np.asarray(self._pending, dtype=np.float32)
        tmp = self.folder / f".vectors-{stem}.npy"
        np.save(tmp, vectors)
        tmp.rename(self.folder / f"vectors-{stem}.npy")
        tmp_keys = self.folder / f".keys-{stem}.json"
        tmp_keys.write_text(json.dumps(self._pending_keys))
        tmp_keys.rename(self.folder / f"keys-{stem}.json")  # the shard exists from here on
        shard = len(self._shards)
        self._shards.append(vectors)
        for row, key in enumerate(self._pending_keys):
            self._rows[key] = (shard, row)
        self._pending_keys, self._pending = [], []
        self._write_meta()

    def _write_meta(self) -> None:
        tmp = self.folder / ".meta.json"
        tmp.write_text(json.dumps(self.meta, indent=1))
        tmp.rename(self.folder / "meta.json")


def cache_folder(base: Path, model_id: str) -> Path:
    from index.encoder import load_encoder
    from index.ingest import CHUNK_OVERLAP

    # Keys are the texts themselves; the folder only keeps models and chunkings apart.
    spec = {"model": model_id, "chunk": load_encoder().chunk_pieces, "overlap": CHUNK_OVERLAP}
    digest = hashlib.sha256(json.dumps(spec, sort_keys=True).encode()).hexdigest()[:12]
    return base / f"{model_id.replace('/', '_')}-{digest}"


class CachedEmbedding(BaseEmbedding):
    """The bundled model's vectors from the cache; a miss is embedded by the real model
    (and cached) when `real` is given, else it is an error."""

    model_name: str = "all-MiniLM-L6-v2"
    embed_batch_size: int = 256

    _cache: Any = PrivateAttr(default=None)
    _real: Any = PrivateAttr(default=None)
    _model_id: str = PrivateAttr(default="")
    _dimension: int = PrivateAttr(default=0)
    hits: int = 0
    misses: int = 0
    real_seconds: float = 0.0

    def __init__(self, cache: VectorCache, model_id: str, dimension: int,
                 real: Any = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._cache = cache
        self._real = real
        self._model_id = model_id
        self._dimension = dimension

    @classmethod
    def class_name(cls) -> str:
        return "CachedEmbedding"

    @property
    def model_id(self) -> str:
        return self._model_id

    @property
    def dimension(self) -> int:
        return self._dimension

    def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
        keys = [text_key(t) for t in texts]
        found = [self._cache.get(k) for k in keys]
        missing = [i for i, v in enumerate(found) if v is None]
        if missing:
            if self._real is None:
                raise RuntimeError(f"{len(missing)} chunk texts are not in the vector cache")
            started = time.perf_counter()
            vectors = self._real.encoder.embed([texts[i] for i in missing])
            self.real_seconds += time.perf_counter() - started
            for i, vector in zip(missing, vectors, strict=True):
                self._cache.add(keys[i], vector)
                found[i] = vector
        self.misses += len(missing)
        self.hits += len(texts) - len(missing)
        return [[float(x) for x in v] for v in found]

    def _get_text_embedding(self, text: str) -> list[float]:
        return self._get_text_embeddings([text])[0]

    def _get_query_embedding(self, query: str) -> list[float]:
        return self._get_text_embedding(query)

    async def _aget_query_embedding(self, query: str) -> list[float]:
        return self._get_query_embedding(query)


def fill_cache(corpus: Path, cache: VectorCache) -> dict[str, Any]:
    """Run the ingest's own splitting and pipeline over the corpus, embedding with the real
    model every chunk text the cache lacks."""
    from llama_index.core.ingestion import IngestionPipeline

    from index.corpus import load_corpus
    from index.embedding import OnnxEmbedding
    from index.ingest import ARTICLES_PER_BATCH, _document, _splitter
    from index.settings import EngineSettings

    settings = EngineSettings(_env_file=None)  # type: ignore[call-arg]
    real = OnnxEmbedding(threads=settings.embed_threads)
    embedding = CachedEmbedding(cache, real.model_id, real.dimension, real=real)
    cache.meta.setdefault("model_id", real.model_id)
    cache.meta.setdefault("dimension", real.dimension)
    articles, _, _ = load_corpus([corpus], settings.max_article_bytes)
    tokenizer = real.tokenizer
    pipeline = IngestionPipeline(
        transformations=[_splitter(tokenizer, real.chunk_pieces), embedding]
    )
    started = time.perf_counter()
    last_note = started
    for i in range(0, len(articles), ARTICLES_PER_BATCH):
        batch = articles[i:i + ARTICLES_PER_BATCH]
        pipeline.run(documents=[_document(a, tokenizer) for a in batch], show_progress=False)
        if time.perf_counter() - last_note > 30:
            last_note = time.perf_counter()
            rate = embedding.misses / embedding.real_seconds if embedding.real_seconds else 0
            say(f"  embedded {embedding.misses} new chunk texts ({rate:.1f}/s), "
                f"{embedding.hits} cached, article {i + len(batch)}/{len(articles)}")
    cache.flush()
    if embedding.misses:
        cache.record_model_time(embedding.misses, embedding.real_seconds)
    return {
        "chunk_texts": embedding.hits + embedding.misses,
        "cached": embedding.hits,
        "embedded_now": embedding.misses,
        "model_seconds_now": round(embedding.real_seconds, 1),
        "seconds": round(time.perf_counter() - started, 1),
    }


def model_rate(cache: VectorCache) -> float | None:
    """Chunk texts per second of model time, over every fill of this cache."""
    texts, seconds = cache.meta.get("embedded_texts"), cache.meta.get("embed_seconds")
    return round(texts / seconds, 2) if texts and seconds else None


# -- the orchestrating side -------------------------------------------------------------------
def run(sizes: Sequence[int], backends: Sequence[str], cache_base: Path, rounds: int,
        keep: bool, probes: Sequence[int] = ()) -> dict[str, Any]:
    from bench.harness import load_questions, machine_info
    from index.encoder import load_encoder

    encoder = load_encoder()
    questions, source = load_questions()
    questions = [*questions, *EXTRA_QUESTIONS]
    cache = VectorCache(cache_folder(cache_base, encoder.model_id))
    results: dict[str, Any] = {
        "machine": machine_info(),
        "config": {
            "sizes_requested_chunks": list(sizes),
            "backends": list(backends),
            "questions": len(questions),
            "questions_source": f"{source} + {len(EXTRA_QUESTIONS)} about generated articles",
            "rounds": rounds,
            "rounds_discarded": 1,
            "vector_cache": str(cache.folder),
            "embedding": "real model once per chunk text, cached; measured ingests run "
                         "index.ingest.ingest() with vectors served from the cache",
            "rss_unit": "MiB, the process's own peak (VmHWM; ru_maxrss survives execve)",
            "targets_at_chunks": None,
            "targets_defined_at_chunks": TARGET_CHUNKS,
        },
        "sizes": {},
    }
    work = Path(tempfile.mkdtemp(prefix="talentbot-scale-"))
    try:
        qfile = work / "questions.json"
        qfile.write_text(json.dumps(questions, ensure_ascii=False), encoding="utf-8")
        for size in sizes:
            results["sizes"][str(size)] = measure_size(size, backends, work / str(size), qfile,
                                                       cache, rounds)
            if not keep:
                shutil.rmtree(work / str(size), ignore_errors=True)
        for size in probes:
            results.setdefault("keyword_probe", {})[str(size)] = keyword_probe(
                size, work / f"probe-{size}")
            if not keep:
                shutil.rmtree(work / f"probe-{size}", ignore_errors=True)
        largest = str(max(sizes))
        results["config"]["targets_at_chunks"] = results["sizes"][largest]["chunks"]
        results["machine"]["load_average_end"] = list(os.getloadavg())
        results["targets"] = targets(results["sizes"][largest], backends)
        for size, probe in results.get("keyword_probe", {}).items():
            results["targets"][f"probe_{size}_keyword_loaded_le_5s"] = _le(
                probe["load_seconds"], TARGETS["keyword_seconds"])
            results["targets"][f"probe_{size}_keyword_built_le_5s"] = _le(
                probe["build_seconds"], TARGETS["keyword_seconds"])
        results["targets"]["all"] = all(v for k, v in results["targets"].items() if k != "all")
    finally:
        if keep:
            say(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    return results


def keyword_probe(size: int, work: Path) -> dict[str, Any]:
    from bench.synthetic import generate_corpus

    n_articles, _ = articles_for(size)
    corpus = work / "corpus" / "articles"
    corpus.mkdir(parents=True)
    shutil.copy(ORGANISATIONS, corpus.parent / "organisations.yaml")
    say(f"[probe {size}] generating {n_articles} articles; keyword side and move records "
        "without vectors")
    generate_corpus(corpus, n_articles)
    return worker("keyword_probe", {"corpus": str(corpus), "data": str(work / "data")})


def articles_for(chunks: int) -> tuple[int, float]:
    """Generated articles needed for about `chunks` chunks (from a split sample)."""
    from bench.synthetic import generate_corpus
    from index.encoder import load_encoder
    from index.ingest import _document, _splitter

    with tempfile.TemporaryDirectory() as tmp:
        from index.corpus import load_corpus

        generate_corpus(Path(tmp), SAMPLE_ARTICLES)
        articles, _, _ = load_corpus([Path(tmp)], 2_000_000)
        encoder = load_encoder()
        tokenizer = encoder.tokenizer
        split = _splitter(tokenizer, encoder.chunk_pieces)
        nodes = split([_document(a, tokenizer) for a in articles])
    per_article = len(nodes) / len(articles)
    return max(1, math.ceil(chunks / per_article)), per_article


def measure_size(size: int, backends: Sequence[str], work: Path, qfile: Path,
                 cache: VectorCache, rounds: int) -> dict[str, Any]:
    from bench.synthetic import DEFAULT_SEED, generate_corpus

    n_articles, per_article = articles_for(size)
    corpus = work / "corpus" / "articles"
    corpus.mkdir(parents=True)
    shutil.copy(ORGANISATIONS, corpus.parent / "organisations.yaml")
    say(f"[{size}] generating {n_articles} articles ({per_article:.2f} chunks each)")
    generate_corpus(corpus, n_articles)
    for path in sorted(SEED_CORPUS.iterdir()):
        if path.is_file():
            shutil.copy(path, corpus / path.name)
    say(f"[{size}] vectors: embedding what the cache ({len(cache)} texts) lacks")
    fill = fill_cache(corpus, cache)
    out: dict[str, Any] = {
        "generated_articles": n_articles,
        "generator_seed": DEFAULT_SEED,
        "chunks": fill["chunk_texts"],
        "embedding": {**fill, "model_chunks_per_s": model_rate(cache)},
    }
    common = {"corpus": str(corpus), "cache": str(cache.folder), "questions": str(qfile),
              "rounds": rounds}
    for backend in backends:
        out[backend] = measure_backend(size, backend, work, common, cache)
    return out


def measure_backend(size: int, backend: str, work: Path, common: dict[str, Any],
                    cache: VectorCache) -> dict[str, Any]:
    from support.chroma_server import ChromaServer

    out: dict[str, Any] = {}
    server: ChromaServer | None = None
    data = work / backend / "data"
    args: dict[str, Any] = {**common, "data": str(data)}
    try:
        if backend == "server":
            server = ChromaServer(work / "server" / "db", start_timeout=120).start()
            args.update(host=server.host, port=server.port)
            out["server_pid"] = server.pid
        say(f"[{size}/{backend}] ingest (cached vectors, the real pipeline)")
        ingest = worker("ingest", args)
        rate = model_rate(cache)
        if rate:
            ingest["projected_ingest_seconds_with_model"] = round(
                ingest["seconds"] + ingest["chunks_written"] / rate, 1)
        out["ingest"] = ingest
        say(f"[{size}/{backend}] keyword side: load and rebuild")
        out["keyword"] = worker("keyword", {**args, "scratch": str(work / backend / "kw")})
        if server is not None:
            bot = str(work / backend / "bot-data")
            say(f"[{size}/{backend}] serving on a fresh bot machine (empty data dir)")
            out["serve_fresh_machine"] = worker("serve", {**args, "data": bot})
            say(f"[{size}/{backend}] serving after a restart (local caches present)")
            out["serve"] = worker("serve", {**args, "data": bot})
        else:
            say(f"[{size}/{backend}] serving (the ingest's data dir)")
            out["serve"] = worker("serve", args)
        say(f"[{size}/{backend}] re-ingest of the unchanged corpus")
        out["reingest"] = worker("reingest", args)
        if server is not None:
            say(f"[{size}/{backend}] a newer version reaches a serving bot machine")
            out["background_refresh"] = worker("refresh", {**args, "data": bot})
        store_dir = server.path if server is not None else data / "chroma"
        out["disk_mb"] = {
            "store": mb(du(store_dir)),
            "keyword_cache": mb(du(data / "keyword")),
            "move_records": mb(sum(du(p) for p in data.glob("moves.sqlite3*"))),
        }
        if server is not None and server.pid is not None:
            out["server_process"] = proc_memory(server.pid)
    finally:
        if server is not None:
            server.stop()
    return out


def worker(task: str, args: dict[str, Any]) -> dict[str, Any]:
    env = {**os.environ, "TALENTBOT_LOG_LEVEL": "WARNING", "LLM_PROVIDER": "none"}
    cmd = [sys.executable, str(Path(__file__).resolve()), "worker", task, json.dumps(args)]
    cwd = Path(args["data"]).parent
    cwd.mkdir(parents=True, exist_ok=True)
    # Run outside the repository so a developer's .env there cannot change settings.
    done = subprocess.run(  # noqa: S603 - this interpreter and this file
        cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=WORKER_TIMEOUT_S,
        check=False,
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode != 0 or not lines:
        raise RuntimeError(f"worker {task} failed ({done.returncode}):\n{done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(lines[-1])
    return result


def du(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    if not path.exists():
        return 0
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def mb(n: int) -> float:
    return round(n / 2**20, 1)


def proc_memory(pid: int) -> dict[str, float]:
    """Current and peak resident memory of another process (Linux /proc)."""
    out: dict[str, float] = {}
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            name, _, value = line.partition(":")
            if name in ("VmRSS", "VmHWM"):
                out[{"VmRSS": "rss_mb", "VmHWM": "peak_rss_mb"}[name]] = round(
                    int(value.split()[0]) / 1024, 1)
    except OSError:
        pass
    return out


def say(message: str) -> None:
    print(f"[scale {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def _le(value: Any, limit: float) -> bool:
    return isinstance(value, int | float) and value <= limit


def targets(size: dict[str, Any], backends: Sequence[str]) -> dict[str, bool]:
    out: dict[str, bool] = {}
    for b in backends:
        serves = [size[b][k] for k in ("serve", "serve_fresh_machine") if k in size[b]]
        out[f"{b}_question_p50_le_60ms"] = _le(lookup(size[b], "serve", "p50_ms"),
                                               TARGETS["question_p50_ms"])
        out[f"{b}_bot_rss_le_600mb"] = bool(serves) and all(
            _le(s.get("peak_rss_mb"), TARGETS["bot_rss_mb"]) for s in serves)
        out[f"{b}_keyword_loaded_le_5s"] = _le(lookup(size[b], "keyword", "load_seconds"),
                                               TARGETS["keyword_seconds"])
        out[f"{b}_keyword_rebuilt_le_5s"] = _le(lookup(size[b], "keyword", "rebuild_seconds"),
                                                TARGETS["keyword_seconds"])
    out["all"] = all(out.values())
    return out


# -- the worker side --------------------------------------------------------------------------
def _settings(args: dict[str, Any], data: str | None = None) -> Any:
    from index.settings import EngineSettings

    return EngineSettings(
        TALENTBOT_CORPUS_DIR=Path(args["corpus"]),  # type: ignore[call-arg]
        TALENTBOT_DATA_DIR=Path(data or args["data"]),
        TALENTBOT_COLLECTION=COLLECTION,
        CHROMA_HOST=args.get("host"),
        CHROMA_PORT=int(args.get("port") or 8000),
        _env_file=None,
    )


def _peak_rss_mb() -> float:
    """This process image's own peak RSS (VmHWM). Not ru_maxrss: Linux carries that over
    fork and execve, so a worker would report the orchestrator's peak when it is higher
    (here the orchestrator holds the model and the vector cache: ~470 MB)."""
    peak = proc_memory(os.getpid()).get("peak_rss_mb")
    if peak is not None:
        return peak
    import resource

    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def _cpu_seconds() -> float:
    import resource

    usage = resource.getrusage(resource.RUSAGE_SELF)
    return round(usage.ru_utime + usage.ru_stime, 2)


class Phases:
    """Inclusive wall time of a few named engine functions (they nest: shares overlap)."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    def wrap(self, owner: Any, attr: str, name: str) -> None:
        original = getattr(owner, attr)
        phases = self

        @functools.wraps(original)
        def timed(*a: Any, **k: Any) -> Any:
            started = time.perf_counter()
            try:
                return original(*a, **k)
            finally:
                phases.seconds[name] = (phases.seconds.get(name, 0.0)
                                        + time.perf_counter() - started)

        setattr(owner, attr, timed)

    def report(self) -> dict[str, float]:
        return {k: round(v, 2) for k, v in self.seconds.items()}


def _instrument() -> Phases:
    from llama_index.core.ingestion import IngestionPipeline

    import index.derived as derived
    import index.ingest as ingest
    import index.store as store

    phases = Phases()
    phases.wrap(ingest, "load_corpus", "read_corpus")
    phases.wrap(ingest, "_index_articles", "split_embed_write")
    phases.wrap(IngestionPipeline, "run", "split_and_cached_vectors")
    phases.wrap(store.ChunkStore, "add", "store_write")
    phases.wrap(store.ChunkStore, "articles", "store_scan")
    phases.wrap(ingest, "sync_moves", "move_extraction")
    phases.wrap(derived, "build_keyword", "keyword_read_build_save")
    return phases


def worker_ingest(args: dict[str, Any]) -> dict[str, Any]:
    from index.ingest import ingest

    cache = VectorCache(Path(args["cache"]))
    embedding = CachedEmbedding(cache, cache.meta["model_id"], int(cache.meta["dimension"]))
    phases = _instrument()
    started = time.perf_counter()
    report = ingest(_settings(args), embed_model=embedding)
    seconds = time.perf_counter() - started
    return {
        "seconds": round(seconds, 2),
        "articles": report.articles_seen,
        "chunks_written": report.chunks_written,
        "cache_misses": embedding.misses,
        "chunks_per_s": round(report.chunks_written / seconds, 1),
        "articles_per_s": round(report.articles_seen / seconds, 1),
        "moves_extracted_articles": report.articles_extracted,
        "skipped": len(report.skipped),
        "phases_seconds": phases.report(),
        "peak_rss_mb": _peak_rss_mb(),
        "cpu_seconds": _cpu_seconds(),
    }


def worker_reingest(args: dict[str, Any]) -> dict[str, Any]:
    from index.ingest import ingest

    cache = VectorCache(Path(args["cache"]))
    embedding = CachedEmbedding(cache, cache.meta["model_id"], int(cache.meta["dimension"]))
    started = time.perf_counter()
    report = ingest(_settings(args), embed_model=embedding)
    return {
        "seconds": round(time.perf_counter() - started, 2),
        "embedded_chunks": report.embedded_chunks,
        "vectors_asked": embedding.hits + embedding.misses,
        "articles_unchanged": report.articles_unchanged,
    }


def worker_keyword(args: dict[str, Any]) -> dict[str, Any]:
    """The keyword side as a bot sees it: loaded from its cache, or rebuilt from the
    store's documents (the first question on a machine without the cache)."""
    from index.keyword import KeywordIndex
    from index.moves.sync import derive_moves
    from index.settings import EngineSettings
    from index.store import ChunkStore
    from index.types import IngestReport

    settings: EngineSettings = _settings(args)
    cache = VectorCache(Path(args["cache"]))
    started = time.perf_counter()
    store = ChunkStore.open(settings, cache.meta["model_id"], int(cache.meta["dimension"]),
                            create=False)
    version = store.corpus_version
    open_seconds = time.perf_counter() - started

    out: dict[str, Any] = {"store_open_seconds": round(open_seconds, 3)}
    t0 = time.perf_counter()
    loaded = KeywordIndex.load(settings.keyword_dir, version)
    out["load_seconds"] = round(time.perf_counter() - t0, 3) if loaded is not None else None
    del loaded

    t0 = time.perf_counter()
    triples = [(c.chunk_id, c.article.title, c.text) for c in store.iter_chunks()]
    read = time.perf_counter() - t0
    t0 = time.perf_counter()
    built = KeywordIndex.build(triples)
    build = time.perf_counter() - t0
    scratch = Path(args["scratch"])
    t0 = time.perf_counter()
    built.save(scratch / "keyword", version)
    out.update(
        chunks=len(built),
        read_chunks_seconds=round(read, 3),
        build_seconds=round(build, 3),
        rebuild_seconds=round(read + build, 3),
        save_seconds=round(time.perf_counter() - t0, 3),
    )
    del triples, built

    # What else a fresh bot machine does before it connects: derive the move records.
    local = settings.model_copy(update={"data_dir": scratch})
    t0 = time.perf_counter()
    extracted = derive_moves(local, store, IngestReport())
    out["move_records"] = {
        "articles_extracted": extracted,
        "derive_seconds": round(time.perf_counter() - t0, 2),
    }
    out["peak_rss_mb"] = _peak_rss_mb()
    return out


def worker_keyword_probe(args: dict[str, Any]) -> dict[str, Any]:
    """The keyword side and the move records at a size whose vectors are not cached: the
    chunk texts come from the ingest's own splitter (no model, no store), then the engine's
    KeywordIndex is built, saved and loaded, and the records extracted from every article
    (what a bot machine derives on its first question). Reading the chunks back from the
    store, part of a real rebuild, is not in `build_seconds`: see the full runs' read time."""
    from llama_index.core.schema import MetadataMode

    from index.corpus import load_corpus
    from index.encoder import load_encoder
    from index.ingest import ARTICLES_PER_BATCH, _document, _splitter
    from index.keyword import KeywordIndex
    from index.moves.sync import sync_moves
    from index.types import IngestReport

    settings = _settings(args)
    articles, _, _ = load_corpus([settings.corpus_dir], settings.max_article_bytes)
    encoder = load_encoder()
    tokenizer = encoder.tokenizer
    splitter = _splitter(tokenizer, encoder.chunk_pieces)
    t0 = time.perf_counter()
    triples: list[tuple[str, str, str]] = []
    for i in range(0, len(articles), ARTICLES_PER_BATCH):
        docs = [_document(a, tokenizer) for a in articles[i:i + ARTICLES_PER_BATCH]]
        for node in splitter(docs):
            triples.append((node.node_id, str(node.metadata.get("title", "")),
                            node.get_content(MetadataMode.NONE)))
    split = time.perf_counter() - t0
    rss_before = _peak_rss_mb()
    t0 = time.perf_counter()
    built = KeywordIndex.build(triples)
    build = time.perf_counter() - t0
    folder = Path(args["data"]) / "keyword-probe"
    t0 = time.perf_counter()
    built.save(folder, "probe")
    save = time.perf_counter() - t0
    del built
    t0 = time.perf_counter()
    loaded = KeywordIndex.load(folder, "probe")
    load = time.perf_counter() - t0
    assert loaded is not None and len(loaded) == len(triples)
    t0 = time.perf_counter()
    sync_moves(settings, articles, True, IngestReport())
    extract = time.perf_counter() - t0
    return {
        "articles": len(articles),
        "chunks": len(triples),
        "split_seconds": round(split, 1),
        "build_seconds": round(build, 2),
        "save_seconds": round(save, 2),
        "load_seconds": round(load, 3),
        "cache_mb": mb(du(folder)),
        "move_extraction_seconds": round(extract, 1),
        "peak_rss_mb_before_build": rss_before,
        "peak_rss_mb": _peak_rss_mb(),
    }


def worker_serve(args: dict[str, Any]) -> dict[str, Any]:
    """A serving process: load the engine, answer every question `rounds` times."""
    from index.engine import Engine

    questions: list[str] = json.loads(Path(args["questions"]).read_text(encoding="utf-8"))
    rounds = int(args.get("rounds") or ROUNDS)
    started = time.perf_counter()
    engine = Engine(_settings(args), llm=False)
    had_keyword_cache = (Path(args["data"]) / "keyword" / COLLECTION).is_dir()
    had_move_records = engine.settings.moves_db.is_file()
    engine.warm_up()
    load_seconds = time.perf_counter() - started
    rss_after_load = _peak_rss_mb()
    timings: list[float] = []
    first_round: list[float] = []
    modes: dict[str, int] = {}
    for r in range(rounds):
        for question in questions:
            t0 = time.perf_counter()
            answer = engine.ask(question)
            elapsed = time.perf_counter() - t0
            (first_round if r == 0 else timings).append(elapsed)
            if r == 0:
                modes[answer.mode] = modes.get(answer.mode, 0) + 1
    ms = [1000 * s for s in (timings or first_round)]
    return {
        "had_keyword_cache": had_keyword_cache,
        "had_move_records": had_move_records,
        "load_seconds": round(load_seconds, 2),
        "p50_ms": round(percentile(ms, 50), 2),
        "p95_ms": round(percentile(ms, 95), 2),
        "mean_ms": round(statistics.fmean(ms), 2),
        "max_ms": round(max(ms), 2),
        "first_round_p50_ms": round(1000 * percentile(first_round, 50), 2),
        "samples": len(ms),
        "answer_modes": modes,
        "peak_rss_mb_after_load": rss_after_load,
        "peak_rss_mb": _peak_rss_mb(),
        "cpu_seconds": _cpu_seconds(),
    }


def worker_refresh(args: dict[str, Any]) -> dict[str, Any]:
    """A serving bot machine (its caches current) when another machine writes a newer
    version: how long until it serves it, and how questions fare meanwhile. The new
    version is a bare version bump (what an ingest that changed one article does before
    the bots notice), so the whole keyword side and the move records' check are redone."""
    import index.versions
    from index.engine import Engine
    from index.store import ChunkStore

    questions: list[str] = json.loads(Path(args["questions"]).read_text(encoding="utf-8"))
    index.versions.CHECK_EVERY_S = 0.0  # notice at once; the bot checks every 2 s
    engine = Engine(_settings(args), llm=False)
    engine.warm_up()
    for question in questions:
        engine.ask(question)
    cache = VectorCache(Path(args["cache"]))
    writer = ChunkStore.open(_settings(args, str(Path(args["data"]).parent / "writer")),
                             cache.meta["model_id"], int(cache.meta["dimension"]), create=False)
    rss_before = _peak_rss_mb()
    writer.bump_version()
    started = time.perf_counter()
    timings: list[float] = []
    while True:
        for question in questions:
            t0 = time.perf_counter()
            engine.ask(question)
            timings.append(time.perf_counter() - t0)
        if not engine.info().refreshing:
            break
    seconds = time.perf_counter() - started
    assert engine.settle(60)
    ms = [1000 * t for t in timings]
    return {
        "seconds_until_new_version_served": round(seconds, 1),
        "questions_answered_meanwhile": len(ms),
        "p50_ms_meanwhile": round(percentile(ms, 50), 1),
        "p95_ms_meanwhile": round(percentile(ms, 95), 1),
        "max_ms_meanwhile": round(max(ms), 1),
        "peak_rss_mb_before": rss_before,
        "peak_rss_mb": _peak_rss_mb(),
    }


WORKERS: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "ingest": worker_ingest,
    "reingest": worker_reingest,
    "keyword": worker_keyword,
    "serve": worker_serve,
    "keyword_probe": worker_keyword_probe,
    "refresh": worker_refresh,
}


# -- command line -----------------------------------------------------------------------------
def _default_cache() -> Path:
    value = os.environ.get(CACHE_ENV, "").strip()
    return Path(value) if value else Path.home() / ".cache" / "talentbot-bench"


def markdown(results: dict[str, Any]) -> str:
    """The results as a table per size: embedded against server, row per figure."""
    rows: list[tuple[str, Callable[[dict[str, Any]], Any]]] = [
        ("ingest, vectors cached: s (chunks/s)",
         lambda b: f"{lookup(b, 'ingest', 'seconds')} ({lookup(b, 'ingest', 'chunks_per_s')})"),
        ("ingest with the model (projected): s",
         lambda b: lookup(b, "ingest", "projected_ingest_seconds_with_model")),
        ("question p50 / p95, warm: ms",
         lambda b: f"{lookup(b, 'serve', 'p50_ms')} / {lookup(b, 'serve', 'p95_ms')}"),
        ("serving process peak RSS: MiB", lambda b: lookup(b, "serve", "peak_rss_mb")),
        ("fresh bot machine: start s / peak RSS MiB",
         lambda b: (f"{lookup(b, 'serve_fresh_machine', 'load_seconds')} / "
                    f"{lookup(b, 'serve_fresh_machine', 'peak_rss_mb')}")
         if "serve_fresh_machine" in b else "n/a (shares the ingest's data dir)"),
        ("keyword side: load / rebuild s",
         lambda b: f"{lookup(b, 'keyword', 'load_seconds')} / "
                   f"{lookup(b, 'keyword', 'rebuild_seconds')}"),
        ("move records derived from the store: s",
         lambda b: lookup(b, "keyword", "move_records", "derive_seconds")),
        ("newer version reaches a serving bot: s (p50 / p95 ms meanwhile)",
         lambda b: (f"{lookup(b, 'background_refresh', 'seconds_until_new_version_served')} "
                    f"({lookup(b, 'background_refresh', 'p50_ms_meanwhile')} / "
                    f"{lookup(b, 'background_refresh', 'p95_ms_meanwhile')})")
         if "background_refresh" in b else "n/a (loads the ingest's cache)"),
        ("re-ingest unchanged: s", lambda b: lookup(b, "reingest", "seconds")),
        ("disk: store / keyword cache / move records MiB",
         lambda b: " / ".join(str(lookup(b, "disk_mb", k))
                              for k in ("store", "keyword_cache", "move_records"))),
    ]
    out = []
    for data in results["sizes"].values():
        backends = [k for k in ("embedded", "server") if k in data]
        out.append(f"**{data['chunks']:,} chunks** ({data['generated_articles']:,} generated "
                   "articles + the seeds)\n")
        out.append("| | " + " | ".join(backends) + " |")
        out.append("|---" * (len(backends) + 1) + "|")
        for label, get in rows:
            out.append(f"| {label} | " + " | ".join(str(get(data[b])) for b in backends) + " |")
        out.append("")
    return "\n".join(out)


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["report"] and len(argv) == 2:
        print(markdown(json.loads(Path(argv[1]).read_text(encoding="utf-8"))))
        return 0
    if argv[:1] == ["worker"]:
        if len(argv) != 3 or argv[1] not in WORKERS:
            print(f"usage: bench_scale.py worker {{{','.join(WORKERS)}}} JSON", file=sys.stderr)
            return 2
        import logging

        logging.basicConfig(level=logging.WARNING)
        print(json.dumps(WORKERS[argv[1]](json.loads(argv[2])), ensure_ascii=False), flush=True)
        return 0
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--chunks", type=int, nargs="+", default=list(DEFAULT_SIZES),
                   help="sizes in chunks (default: 10000 100000)")
    p.add_argument("--backends", nargs="+", choices=("embedded", "server"),
                   default=["embedded", "server"])
    p.add_argument("--cache-dir", type=Path, default=_default_cache(),
                   help=f"vector cache (default ${CACHE_ENV} or ~/.cache/talentbot-bench)")
    p.add_argument("--rounds", type=int, default=ROUNDS)
    p.add_argument("--keep", action="store_true", help="keep the temporary work folder")
    p.add_argument("--keyword-probe", type=int, nargs="*", default=[], metavar="CHUNKS",
                   help="also time the keyword side and move extraction at these sizes, "
                   "without vectors (e.g. 100000 when its vectors are not cached yet)")
    args = p.parse_args(argv)
    if args.cache_dir.resolve().is_relative_to(ROOT):
        p.error("--cache-dir must be outside the repository")
    results = run(sorted(set(args.chunks)), args.backends, args.cache_dir, args.rounds,
                  args.keep, sorted(set(args.keyword_probe)))
    print(json.dumps(results, ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
