"""Dense retrieval across languages: compare the bundled encoders, dense side alone and fused.

    .venv/bin/python tools/bench_dense.py [--models use-multilingual-v3 all-MiniLM-L6-v2]
        [--weights 0 0.3 0.5 0.7 1] [--use-chunk 254] [--sets real-dev dev xling] [--json OUT]
    .venv/bin/python tools/bench_dense.py --serving DATA_DIR   # cold start and RSS of `ask`

For each model and evaluation set it ingests the set's corpus into a temporary data dir
(the seeds plus the set's own articles), then ranks articles for every question by the
retriever the engine uses, for each keyword weight (0 = dense side alone, 1 = BM25 alone)
and by reciprocal-rank fusion, and reports hit@1 and hit@3 (the gold article among the
first 1 or 3 distinct articles). It also reports ingest throughput (characters and the
model's own pieces per second) and query latency. Sets:

- real-dev: ../shared/eval/real-dev (measuring only: its text never enters the repository)
- dev: ../shared/eval/dev.yaml on the seeds
- xling: tests/data/crosslingual (invented; French questions on English articles, the
  reverse, and paraphrases that share no word with the answering sentence)
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
# ../shared beside the checkout (a worktree sits one level deeper): measuring sets only.
SHARED = next(
    (p / "shared" / "eval" for p in (ROOT.parent, ROOT.parent.parent) if (p / "shared").is_dir()),
    ROOT.parent / "shared" / "eval",
)
SETS: dict[str, tuple[Path | None, Path]] = {
    "real-dev": (SHARED / "real-dev" / "articles", SHARED / "real-dev" / "questions.yaml"),
    "dev": (None, SHARED / "dev.yaml"),
    "xling": (ROOT / "tests/data/crosslingual/articles",
              ROOT / "tests/data/crosslingual/questions.yaml"),
}
# Not a who-moved question: those are answered from the move records without the encoder.
SERVING_QUESTION = "What do the articles say about the salaries offered to researchers?"
RRF_K = 60
CANDIDATES = 30


def load_questions(path: Path) -> list[tuple[str, set[str]]]:
    import yaml

    spec = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return [(str(q["q"]), set(q.get("gold", []))) for q in spec.get("questions", [])]


def first_articles(chunk_ids: list[str], n: int = 3) -> list[str]:
    """Distinct article ids in rank order (a chunk id starts with its article id)."""
    seen: list[str] = []
    for cid in chunk_ids:
        aid = cid.split(":", 1)[0]
        if aid not in seen:
            seen.append(aid)
        if len(seen) == n:
            break
    return seen


def rrf(*rankings: list[str]) -> list[str]:
    scores: dict[str, float] = {}
    for ranking in rankings:
        for rank, cid in enumerate(ranking):
            scores[cid] = scores.get(cid, 0.0) + 1.0 / (RRF_K + rank + 1)
    return sorted(scores, key=lambda c: (-scores[c], c))


def run_set(model: str, name: str, weights: list[float], work: Path) -> dict[str, Any]:
    from index.embedding import EncoderEmbedding
    from index.encoder import load_encoder
    from index.ingest import ingest
    from index.keyword import KeywordIndex
    from index.retrieve import HybridRetriever
    from index.settings import EngineSettings
    from index.store import ChunkStore

    extra, questions_path = SETS[name]
    questions = load_questions(questions_path)
    corpus = work / "corpus"
    shutil.copytree(ROOT / "corpus" / "articles", corpus)
    if extra is not None:
        for path in sorted(extra.glob("*.md")):
            shutil.copy(path, corpus / path.name)
    settings = EngineSettings(  # type: ignore[call-arg]
        _env_file=None, corpus_dir=corpus, data_dir=work / "data", embed_model=model
    )
    encoder = load_encoder(model)
    chars = sum(len(p.read_text(encoding="utf-8")) for p in corpus.iterdir())
    report = ingest(settings, embed_model=EncoderEmbedding.around(encoder))
    store = ChunkStore.open(settings, encoder.model_id, encoder.dimension, create=False)
    keyword = KeywordIndex.from_store(store)

    out: dict[str, Any] = {
        "model_id": encoder.model_id,
        "chunk_pieces": encoder.chunk_pieces,
        "articles": report.articles_seen,
        "chunks": report.chunks_written,
        "questions": len(questions),
        "ingest_s": round(report.seconds, 2),
        "chars_per_s": round(chars / report.seconds),
        "pieces_per_s": round(report.word_pieces / report.seconds),
    }
    # The model's own cost, fair under other load: CPU seconds (all threads) to embed the
    # stored chunk texts again, per character (tokenizers differ, so pieces do not compare).
    texts = [c.text for c in store.iter_chunks(with_text=True)]
    fresh = load_encoder(model)
    fresh.embed(["warm up"])
    cpu = time.process_time()
    fresh.embed(texts)
    cpu = time.process_time() - cpu
    out["encoder_chars_per_cpu_s"] = round(sum(map(len, texts)) / cpu)
    out["encoder_chunks_per_cpu_s"] = round(len(texts) / cpu, 1)
    encode_ms = []
    for question, _ in questions:
        started = time.perf_counter()
        encoder.embed_query(question)
        encode_ms.append((time.perf_counter() - started) * 1000)
    out["query_encode_ms_p50"] = round(statistics.median(encode_ms), 2)

    results: dict[str, dict[str, Any]] = {}
    for weight in weights:
        retriever = HybridRetriever(store, keyword, encoder, CANDIDATES, keyword_weight=weight)
        hits1 = hits3 = 0
        misses = []
        for question, gold in questions:
            top = first_articles([s.chunk.chunk_id for s in retriever.retrieve(question)])
            hits1 += bool(top[:1] and top[0] in gold)
            hits3 += bool(gold & set(top))
            if not gold & set(top):
                misses.append(question[:60])
        results[f"w{weight:g}"] = {"hit@1": hits1, "hit@3": hits3, "misses": misses}
    hits1 = hits3 = 0
    for question, gold in questions:
        kw = [cid for cid, _ in keyword.search(question, CANDIDATES)]
        dn = [cid for cid, _ in store.query(encoder.embed_query(question), CANDIDATES)]
        top = first_articles(rrf(kw, dn))
        hits1 += bool(top[:1] and top[0] in gold)
        hits3 += bool(gold & set(top))
    results["rrf"] = {"hit@1": hits1, "hit@3": hits3}
    out["retrieval"] = results
    return out


def serving(data_dir: Path, model: str | None) -> dict[str, Any]:
    """Cold start of `talentbot ask` (three runs, median) and its peak RSS, on an index
    already built in data_dir."""
    env = {**os.environ, "TALENTBOT_DATA_DIR": str(data_dir)}
    if model:
        env["TALENTBOT_EMBED_MODEL"] = model
    exe = str(Path(sys.executable).with_name("talentbot"))
    walls: list[float] = []
    rss: list[float] = []
    cpus: list[float] = []
    for _ in range(3):
        code = (
            "import resource, subprocess, sys, time; t = time.perf_counter(); "
            "subprocess.run(sys.argv[1:], check=True, capture_output=True); "
            "r = resource.getrusage(resource.RUSAGE_CHILDREN); "
            "print(time.perf_counter() - t, r.ru_maxrss, r.ru_utime + r.ru_stime)"
        )
        lines = subprocess.run(  # noqa: S603 - this interpreter and the talentbot beside it
            [sys.executable, "-c", code, exe, "ask", "--json", SERVING_QUESTION],
            env=env, check=True, capture_output=True, text=True,
        ).stdout.split()
        walls.append(float(lines[0]))
        rss.append(int(lines[1]) / 1024)
        cpus.append(float(lines[2]))
    mode = subprocess.run(  # noqa: S603 - the talentbot beside this interpreter
        [exe, "ask", "--json", SERVING_QUESTION], env=env, check=True, capture_output=True,
        text=True,
    ).stdout
    return {"cold_start_s_p50": round(statistics.median(walls), 2),
            "cold_start_cpu_s_p50": round(statistics.median(cpus), 2),
            "ask_peak_rss_mib": round(max(rss), 1),
            "answer_mode": json.loads(mode)["mode"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", nargs="+", default=["use-multilingual-v3", "all-MiniLM-L6-v2"])
    parser.add_argument("--weights", nargs="+", type=float, default=[0.0, 0.3, 0.5, 0.7, 1.0])
    parser.add_argument("--sets", nargs="+", default=list(SETS), choices=list(SETS))
    parser.add_argument("--use-chunk", type=int, help="USE chunk size in its own pieces")
    parser.add_argument("--serving", type=Path, help="a data dir: cold start and RSS only")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    if args.serving:
        print(json.dumps(serving(args.serving, (args.models or [None])[0]), indent=1))
        return
    if args.use_chunk:
        import index.encoder

        index.encoder.USE_CHUNK_PIECES = args.use_chunk
    results: dict[str, Any] = {}
    for model in args.models:
        for name in args.sets:
            with tempfile.TemporaryDirectory() as tmp:
                row = run_set(model, name, args.weights, Path(tmp))
            results[f"{model} / {name}"] = row
            hits = "  ".join(
                f"{k} {v['hit@1']}/{v['hit@3']}" for k, v in row["retrieval"].items()
            )
            print(f"{model:20} {name:8} n={row['questions']:2} chunks={row['chunks']:3} "
                  f"ingest {row['chars_per_s']} chars/s {row['pieces_per_s']} pieces/s "
                  f"encoder {row['encoder_chars_per_cpu_s']} chars/cpu-s "
                  f"q {row['query_encode_ms_p50']} ms | hit@1/hit@3 {hits}", flush=True)
    if args.json:
        args.json.write_text(json.dumps(results, indent=1, ensure_ascii=False))


if __name__ == "__main__":
    main()
