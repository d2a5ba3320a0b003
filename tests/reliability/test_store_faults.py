"""Rows 11-14 of the reliability suite: the index under faults.

11  kill -9 during ingest: the store always opens, and a re-run converges on exactly what a
    clean ingest builds (chunks, keyword cache, move records); a reader polling during an
    ingest that updates articles never sees a half-built article or a mixed-up quote.
12  concurrent writers: while a bot answers, a second ingest is refused with the lock's
    message and nothing corrupts; the bot picks up a new article without a restart.
13  partial failure: the embedder fails on one article; it is reported, every other article
    is indexed, and a re-run with a healthy embedder indexes it.
14  bad files: empty, binary, invalid UTF-8, huge (refused by size before a byte is read),
    HTML with hidden text, broken front matter; fuzzed with Hypothesis (and atheris when
    it is installed).

The ingests under test run as real processes executing `talentbot ingest` (bot.cli's main)
with Python's imports done before the clock starts, so that kill times measure the ingest
and twenty kills fit in well under a minute: `Zygote` forks each ingest (and each check of
the store a kill left) from a process that imported everything once; `Runner` is one
process per ingest, for the concurrent writers.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import random
import select
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from support.settings import make_settings

from bench.synthetic import SyntheticArticle, generate_article
from index.corpus import Article, load_corpus, read_article, sanitize_html
from index.embedding import OnnxEmbedding
from index.engine import Engine
from index.errors import CorpusFileError, IndexBusyError
from index.ingest import ingest
from index.keyword import KeywordIndex
from index.settings import EngineSettings
from index.store import ChunkStore

ROOT = Path(__file__).resolve().parents[2]
N_ARTICLES = 40
KILLS = 20
KILL_SEED = 20_251_122

# -- the test corpus -------------------------------------------------------------------------


@functools.cache
def _base(k: int) -> SyntheticArticle:
    # Small articles (one chunk), every tenth long enough for several.
    return generate_article(k, seed=4_242, words=170 if k % 10 == 0 else 40)


def corpus_version(version: int) -> dict[str, str]:
    """File name -> Markdown for one version of the test corpus; version 0 is the reference.

    From one version to the next every article changes, one is left out and one extra
    article appears, so every run adds, updates and removes, and writes for most of its
    duration."""
    files: dict[str, str] = {}
    for k in range(N_ARTICLES):
        if version > 0 and k == version % N_ARTICLES:
            continue
        base = _base(k)
        body = base.body
        if version > 0:
            body += f"\nMise à jour n° {version} : l'article a été révisé le {version} mars."
        article = SyntheticArticle(
            f"a{k:02d}", base.title, base.outlet, base.published, base.language, body
        )
        files[f"a{k:02d}.md"] = article.to_markdown()
    if version > 0:
        files[f"extra{version:03d}.md"] = (
            f"---\ntitle: Recrue n° {version}\nlanguage: fr\n---\n"
            f"Camille Extra{version} rejoint Mistral AI comme chercheuse, annonce le "
            f"laboratoire le {version} avril.\n"
        )
    return files


def write_corpus(folder: Path, files: dict[str, str]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for path in folder.glob("*.md"):
        if path.name not in files:
            path.unlink()
    for name, text in files.items():
        path = folder / name
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")


def workdir_settings(work: Path) -> EngineSettings:
    return make_settings(work, work / "corpus" / "articles")


# -- looking at a store ----------------------------------------------------------------------


def integrity(path: Path) -> str:
    if not path.exists():
        return "absent"
    con = sqlite3.connect(path, timeout=30)
    try:
        return str(con.execute("PRAGMA integrity_check").fetchone()[0])
    finally:
        con.close()


def open_store(settings: EngineSettings) -> ChunkStore:
    from index.store import open_client

    meta = open_client(settings).get_collection(settings.collection).metadata or {}
    return ChunkStore.open(settings, meta["embed_model"], int(meta["dimension"]), create=False)


def chunk_rows(settings: EngineSettings) -> list[tuple[str, int, str, int, int, str]]:
    """(article id, chunk index, text, start, end, chunk id) of every stored chunk."""
    return sorted(
        (c.article_id, c.index, c.text, c.start, c.end, c.chunk_id)
        for c in open_store(settings).iter_chunks()
    )


def move_rows(settings: EngineSettings) -> list[tuple[Any, ...]]:
    con = sqlite3.connect(settings.moves_db)
    try:
        return sorted(con.execute(
            "SELECT article_id, person, from_org, to_org, kind, evidence, start FROM moves"
        ).fetchall(), key=repr)
    finally:
        con.close()


def moves_version(settings: EngineSettings) -> str | None:
    con = sqlite3.connect(settings.moves_db)
    try:
        row = con.execute("SELECT value FROM meta WHERE key = 'corpus_version'").fetchone()
        return None if row is None else str(row[0])
    finally:
        con.close()


def keyword_cache_ids(settings: EngineSettings) -> tuple[str | None, set[str]]:
    version = KeywordIndex.cached_version(settings.keyword_dir)
    ids = KeywordIndex.cached_ids(settings.keyword_dir, version) if version else None
    return version, set(ids or ())


def audit(settings: EngineSettings) -> dict[str, int]:
    """What is wrong with a store that should hold exactly the corpus: counts, 0 is good."""
    articles, _, _ = load_corpus([settings.corpus_dir], settings.max_article_bytes)
    by_id = {a.article_id: a for a in articles}
    rows = chunk_rows(settings)
    seen: dict[tuple[str, int], int] = {}
    bad_slices = 0
    stale = 0
    for article_id, index, text, start, end, chunk_id in rows:
        seen[(article_id, index)] = seen.get((article_id, index), 0) + 1
        article = by_id.get(article_id)
        if article is None or article.body[start:end] != text:
            bad_slices += 1
        if article is not None and chunk_id.split(":")[1] != article.fingerprint[:12]:
            stale += 1
    store = open_store(settings)
    version = store.corpus_version
    cache_version, cache_ids = keyword_cache_ids(settings)
    return {
        "duplicate chunks": sum(n - 1 for n in seen.values()),
        "chunks not exact slices": bad_slices,
        "chunks of old versions": stale,
        "articles missing": len(set(by_id) - {r[0] for r in rows}),
        "articles not in corpus": len({r[0] for r in rows} - set(by_id)),
        "keyword cache out of date": int(
            cache_version != version or cache_ids != {r[5] for r in rows}
        ),
        "move records out of date": int(moves_version(settings) != version),
        "integrity failures": sum(
            integrity(p) != "ok"
            for p in (settings.chroma_dir / "chroma.sqlite3", settings.moves_db)
        ),
    }


# -- an ingest process -----------------------------------------------------------------------

PRELUDE = r'''
import json, random, sqlite3, sys
from pathlib import Path

import chromadb  # noqa: F401  (imports first: the kill clock starts at the ingest)
import llama_index.core  # noqa: F401
from llama_index.core.ingestion import IngestionPipeline  # noqa: F401
from llama_index.core.node_parser import SentenceSplitter  # noqa: F401

import bot.cli
import index.embedding  # noqa: F401
import index.ingest  # noqa: F401


def integrity(path):
    if not path.exists():
        return "absent"
    con = sqlite3.connect(path, timeout=30)
    try:
        return str(con.execute("PRAGMA integrity_check").fetchone()[0])
    finally:
        con.close()


def check():
    from index.settings import load_engine_settings
    from index.store import ChunkStore, open_client

    settings = load_engine_settings()
    out = {
        "chroma_integrity": integrity(settings.chroma_dir / "chroma.sqlite3"),
        "moves_integrity": integrity(settings.moves_db),
    }
    try:
        client = open_client(settings)
        try:
            meta = client.get_collection(settings.collection).metadata or {}
        except Exception:
            out.update(opened=True, articles={}, chunks=0, query_hits=0, query_missing=0)
            return out
        dimension = int(meta["dimension"])
        store = ChunkStore.open(settings, meta["embed_model"], dimension, create=False)
        rng = random.Random(7)
        hits = store.query([rng.uniform(-1, 1) for _ in range(dimension)], 10)
        found = store.get([cid for cid, _ in hits])
        versions = {}
        for chunk in store.iter_chunks(with_text=False):
            fp = versions.setdefault(chunk.article_id, {}).setdefault(
                str(chunk.article.fingerprint), [chunk.n_chunks, []])
            fp[1].append(chunk.index)
        complete = {
            aid: any(sorted(idx) == list(range(n)) for n, idx in fps.values())
            for aid, fps in versions.items()
        }
        out.update(opened=True, articles=complete, chunks=store.count(),
                   query_hits=len(hits), query_missing=len(hits) - len(found),
                   fingerprints={aid: sorted(fps) for aid, fps in versions.items()})
    except Exception as exc:
        out.update(opened=False, error=f"{type(exc).__name__}: {exc}")
    return out

'''

# Runs the ingest in this very process, on "go".
RUNNER = PRELUDE + r'''
print("READY", flush=True)
if sys.stdin.readline().strip() == "go":
    sys.exit(bot.cli.main(["ingest"]))
'''

# A fork server: each check and each ingest is a fresh child process (no Chroma client is
# ever opened here), started in a millisecond instead of the seconds Python's imports take.
ZYGOTE = PRELUDE + r'''
import os
import traceback


def child(work, command):
    code = 1
    try:
        os.environ.update(
            TALENTBOT_CORPUS_DIR=os.path.join(work, "corpus", "articles"),
            TALENTBOT_DATA_DIR=os.path.join(work, "data"),
            TALENTBOT_LOG_LEVEL="WARNING",
        )
        log = os.open(os.path.join(work, "ingest.log"), os.O_WRONLY | os.O_CREAT | os.O_APPEND)
        os.dup2(log, 2)
        if command == "check":
            sys.stdout.write("CHECK " + json.dumps(check()) + "\n")
            code = 0
        else:
            os.dup2(log, 1)
            code = bot.cli.main(["ingest"])
    except BaseException:
        traceback.print_exc()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


print("READY", flush=True)
for line in sys.stdin:
    command, _, arg = line.strip().partition(" ")
    if command in ("check", "go"):
        pid = os.fork()
        if pid == 0:
            child(arg, command)
        if command == "check":
            os.waitpid(pid, 0)
        else:
            print(f"PID {pid}", flush=True)
    elif command == "wait":
        _, status = os.waitpid(int(arg), 0)
        print(f"EXIT {arg} {os.waitstatus_to_exitcode(status)}", flush=True)
'''


class Runner:
    """`talentbot ingest` on a work folder in a process of its own, started ahead: "go"
    runs the ingest (bot.cli.main(["ingest"]), exactly what `python -m bot.cli ingest`
    runs), after which the process ends with the CLI's exit code."""

    def __init__(self, work: Path) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("CHROMA_", "LLM_"))}
        env.update(
            TALENTBOT_CORPUS_DIR=str(work / "corpus" / "articles"),
            TALENTBOT_DATA_DIR=str(work / "data"),
            TALENTBOT_LOG_LEVEL="WARNING",
            PYTHONPATH=str(ROOT),
        )
        self.log = work / f"runner-{time.monotonic_ns()}.log"
        self._stderr = self.log.open("wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-c", RUNNER], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=self._stderr, text=True, cwd=work, env=env,
        )
        self._ready = threading.Event()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            if line.strip() == "READY":
                self._ready.set()

    def wait_ready(self, timeout: float = 120.0) -> None:
        if not self._ready.wait(timeout):
            raise AssertionError(f"the runner did not start; see {self.log}")

    def _send(self, command: str) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(command + "\n")
        self.proc.stdin.flush()

    def go(self) -> float:
        self.wait_ready()
        self._send("go")
        return time.monotonic()

    def wait(self, timeout: float = 180.0) -> int:
        try:
            return self.proc.wait(timeout)
        finally:
            self._stderr.close()

    def stderr(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(30)
        self._stderr.close()


@contextlib.contextmanager
def runners() -> Iterator[list[Runner]]:
    started: list[Runner] = []
    try:
        yield started
    finally:
        for runner in started:
            runner.stop()


class Zygote:
    """Ingests and checks as fresh processes forked from one that did the imports once:
    `start` runs `talentbot ingest` (bot.cli's main) on a work folder and returns its pid,
    which the test may SIGKILL; `wait` gives its exit code (-9 when killed)."""

    def __init__(self, folder: Path) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("CHROMA_", "LLM_"))}
        env["PYTHONPATH"] = str(ROOT)
        self.log = folder / "zygote.log"
        self._stderr = self.log.open("wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-c", ZYGOTE], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=self._stderr, text=True, cwd=folder, env=env,
        )
        self._ready = False

    def _expect(self, prefix: str, timeout: float = 180.0) -> str:
        assert self.proc.stdout is not None
        ready, _, _ = select.select([self.proc.stdout], [], [], timeout)
        line = self.proc.stdout.readline() if ready else ""
        if not line.startswith(prefix):
            raise AssertionError(f"expected {prefix!r}, got {line!r}; see {self.log}")
        return line[len(prefix):].strip()

    def _send(self, command: str) -> None:
        if not self._ready:  # its imports ran meanwhile
            self._expect("READY")
            self._ready = True
        assert self.proc.stdin is not None
        self.proc.stdin.write(command + "\n")
        self.proc.stdin.flush()

    def check(self, work: Path) -> dict[str, Any]:
        self._send(f"check {work}")
        result: dict[str, Any] = json.loads(self._expect("CHECK "))
        return result

    def start(self, work: Path) -> tuple[int, float]:
        self._send(f"go {work}")
        return int(self._expect("PID ")), time.monotonic()

    def wait(self, pid: int) -> int:
        self._send(f"wait {pid}")
        pid_text, _, code = self._expect("EXIT ").partition(" ")
        assert int(pid_text) == pid
        return int(code)

    def run(self, work: Path) -> tuple[int, float]:
        pid, started_at = self.start(work)
        code = self.wait(pid)
        return code, time.monotonic() - started_at

    def close(self) -> None:
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(30)
        self._stderr.close()


# -- row 11 ----------------------------------------------------------------------------------


def test_kill_9_during_ingest_then_rerun_converges(reliability: Any, tmp_path: Path) -> None:
    r = reliability(11, "crash safety: kill -9 during ingest, then re-run")
    began = time.monotonic()
    rng = random.Random(KILL_SEED)
    ref, work = tmp_path / "ref", tmp_path / "work"
    write_corpus(ref / "corpus" / "articles", corpus_version(0))
    zygote = Zygote(tmp_path)
    try:
        code, full_seconds = zygote.run(ref)
        assert code == 0, (ref / "ingest.log").read_text()
        # The killed store starts as a live index (a copy of the clean one): the realistic
        # case. The first update runs to its end: its duration is the window for the kills.
        shutil.copytree(ref / "data", work / "data")
        write_corpus(work / "corpus" / "articles", corpus_version(1))
        code, update_seconds = zygote.run(work)
        assert code == 0, (work / "ingest.log").read_text()

        kills = finished_early = mid_write = mixed = 0
        kill_times: list[float] = []
        problems: dict[str, int] = {
            "integrity failures": 0, "open failures": 0, "query failures": 0,
            "half-built articles": 0, "articles lost": 0,
        }
        state = zygote.check(work)
        present: set[str] = set(state.get("articles", {}))
        fingerprints = state.get("fingerprints", {})

        def inspect(state: dict[str, Any], expected: set[str]) -> set[str]:
            problems["integrity failures"] += sum(
                state[k] not in ("ok", "absent") for k in ("chroma_integrity", "moves_integrity")
            )
            if not state.get("opened"):
                problems["open failures"] += 1
                return set()
            problems["query failures"] += int(
                state["query_missing"] > 0 or (state["chunks"] > 0) != (state["query_hits"] > 0)
            )
            articles: dict[str, bool] = state["articles"]
            problems["half-built articles"] += sum(not ok for ok in articles.values())
            problems["articles lost"] += len(expected - set(articles))
            return set(articles)

        version = 1
        while kills < KILLS and version < KILLS + 12:
            version += 1
            files = corpus_version(version)
            write_corpus(work / "corpus" / "articles", files)
            delay = rng.uniform(0.0, update_seconds)
            pid, started_at = zygote.start(work)
            time.sleep(max(0.0, started_at + delay - time.monotonic()))
            os.kill(pid, signal.SIGKILL)  # a no-op when it has already exited
            killed = zygote.wait(pid) == -signal.SIGKILL
            if killed:
                kills += 1
                kill_times.append(delay)
            else:
                finished_early += 1
            # Whatever the kill interrupted, articles there before and still in the corpus
            # must still be there: checked by a fresh process, as the bot would open it.
            state = zygote.check(work)
            expected = present & {name.removesuffix(".md") for name in files}
            present = inspect(state, expected)
            # Where the kills landed: after the run had changed the store, and with an
            # article newly caught between its new chunks and the deletion of its old ones.
            now = state.get("fingerprints", {})
            mid_write += killed and now != fingerprints
            mixed += killed and any(
                len(fps) > 1 and fps != fingerprints.get(aid) for aid, fps in now.items()
            )
            fingerprints = now

        write_corpus(work / "corpus" / "articles", corpus_version(0))
        final_code, _ = zygote.run(work)
    finally:
        zygote.close()

    ref_settings, work_settings = workdir_settings(ref), workdir_settings(work)
    ref_rows = {(a, i, t) for a, i, t, *_ in chunk_rows(ref_settings)}
    work_rows = {(a, i, t) for a, i, t, *_ in chunk_rows(work_settings)}
    found = audit(work_settings)
    moves_equal = move_rows(ref_settings) == move_rows(work_settings)
    seconds = time.monotonic() - began
    r.record("kills", kills)
    r.record("runs that finished before their kill time", finished_early)
    r.record("kill times (s)", f"{min(kill_times):.2f}-{max(kill_times):.2f}")
    r.record("kills after writing began", mid_write)
    r.record("kills leaving an article with two versions", mixed)
    r.record("clean ingest (s)", full_seconds)
    r.record("update ingest (s)", update_seconds)
    for key, value in problems.items():
        r.record(key, value)
    r.record("final exit code", final_code)
    r.record("chunks (reference)", len(ref_rows))
    r.record("missing chunks", len(ref_rows - work_rows))
    r.record("extra chunks", len(work_rows - ref_rows))
    for key, value in found.items():
        r.record(key, value)
    r.record("move records equal reference", moves_equal)
    r.record("seconds", seconds)

    assert kills >= KILLS
    assert problems == dict.fromkeys(problems, 0)
    assert final_code == 0
    assert ref_rows == work_rows
    assert found == dict.fromkeys(found, 0)
    assert moves_equal


class _Crash(BaseException):
    """Stands for the process dying at that point: no `except Exception` catches it."""


def _crash_points() -> dict[str, Callable[[pytest.MonkeyPatch], None]]:
    from index import derived
    from index import ingest as ingest_module
    from index.keyword import KeywordIndex
    from index.moves.store import MoveStore

    def after_calls(owner: Any, name: str, calls: int) -> Callable[[pytest.MonkeyPatch], None]:
        def patch(monkeypatch: pytest.MonkeyPatch) -> None:
            # Writes go one batch of articles at a time: small batches give several.
            monkeypatch.setattr(ingest_module, "ARTICLES_PER_BATCH", 2)
            real = getattr(owner, name)
            count = {"n": 0}

            def crashing(*args: Any, **kwargs: Any) -> Any:
                count["n"] += 1
                if count["n"] > calls:
                    raise _Crash(f"crash in {name}")
                return real(*args, **kwargs)

            monkeypatch.setattr(owner, name, crashing)

        return patch

    return {
        "between a batch's new chunks and the old ones' deletion": after_calls(
            ChunkStore, "delete", 1
        ),
        "after two batches": after_calls(ChunkStore, "add", 2),
        "half-way through the move records": after_calls(MoveStore, "replace_article", 1),
        "before the version bump": after_calls(ChunkStore, "bump_version", 0),
        "while saving the keyword cache": after_calls(KeywordIndex, "save", 0),
        "before the move records are marked current": after_calls(
            derived, "mark_moves_current", 0
        ),
    }


def test_crash_at_each_write_step_then_rerun_converges(
    reliability: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Deterministic complement to the random kills: the process dies at each write step
    of an updating ingest in turn; the next run must finish the job, caches included."""
    r = reliability(11, "crash safety: crash at each write step, then re-run")
    began = time.monotonic()
    small = {n: t for n, t in sorted(corpus_version(0).items())[:6]}
    update = {n: t for n, t in sorted(corpus_version(1).items())[:6]}
    update["extra001.md"] = corpus_version(1)["extra001.md"]
    ref = workdir_settings(tmp_path / "ref")
    write_corpus(ref.corpus_dir, update)
    ingest(ref)
    reference = {(a, i, t) for a, i, t, *_ in chunk_rows(ref)}
    base = workdir_settings(tmp_path / "base")
    write_corpus(base.corpus_dir, small)
    ingest(base)
    failures: dict[str, dict[str, int]] = {}
    for n, (point, patch) in enumerate(_crash_points().items()):
        settings = workdir_settings(tmp_path / f"point{n}")
        shutil.copytree(base.data_dir, settings.data_dir)
        write_corpus(settings.corpus_dir, update)
        with monkeypatch.context() as m:
            patch(m)
            with pytest.raises(_Crash):
                ingest(settings)
        ingest(settings)
        found = audit(settings)
        found["differs from a clean ingest"] = int(
            {(a, i, t) for a, i, t, *_ in chunk_rows(settings)} != reference
        )
        if any(found.values()):
            failures[point] = {k: v for k, v in found.items() if v}
    r.record("crash points", len(_crash_points()))
    r.record("not converged after re-run", len(failures))
    r.record("seconds", time.monotonic() - began)
    assert not failures


def test_answers_from_a_store_left_between_two_versions(
    reliability: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A kill between an article's new chunks and the deletion of its old ones (the kill
    test above lands there several times) leaves both versions stored until the next
    ingest; meanwhile the bot must still quote one version or the other, exactly."""
    r = reliability(11, "crash safety: answers from a store a kill left between versions")
    settings = workdir_settings(tmp_path)
    article = generate_article(3, seed=11, words=500)
    path = settings.corpus_dir / "x.md"
    path.write_text(article.to_markdown(), encoding="utf-8")
    ingest(settings)
    old = read_article(path, 10**6).body
    paragraphs = article.body.split("\n")
    paragraphs.insert(1, "Mistral AI recrute encore, selon plusieurs sources concordantes.")
    path.write_text(SyntheticArticle(
        "x", article.title, article.outlet, article.published, article.language,
        "\n".join(paragraphs),
    ).to_markdown(), encoding="utf-8")
    new = read_article(path, 10**6).body
    real_delete = ChunkStore.delete

    def dies_before_deleting(store: ChunkStore, ids: Any) -> None:
        if ids:
            raise _Crash("killed between the new chunks and the deletion of the old ones")
        real_delete(store, ids)

    with monkeypatch.context() as m:
        m.setattr(ChunkStore, "delete", dies_before_deleting)
        with pytest.raises(_Crash):
            ingest(settings)
    versions = {c.article.fingerprint for c in open_store(settings).iter_chunks()}
    engine = Engine(settings, llm=False)
    checked = broken = 0
    sentences = [x for x in old.replace("\n", " ").split(". ") if len(x.split()) >= 8]
    for sentence in sentences[:40]:
        for c in engine.ask(" ".join(sentence.split()[:10]) + " ?").citations:
            checked += 1
            broken += all(b[c.start:c.start + len(c.quote)] != c.quote for b in (old, new))
    r.record("versions stored", len(versions))
    r.record("citations checked", checked)
    r.record("quotes in neither version", broken)
    if len(versions) != 2 or not checked:
        pytest.fail(f"set-up failed: {len(versions)} versions stored, {checked} citations")
    assert broken == 0


def test_reader_never_sees_a_half_built_index(reliability: Any, tmp_path: Path) -> None:
    r = reliability(11, "crash safety: a bot reading during an updating ingest")
    began = time.monotonic()
    work = tmp_path / "reader"
    settings = workdir_settings(work)
    versions = [corpus_version(v) for v in (0, 1)]
    bodies: dict[str, set[str]] = {}
    for v, files in enumerate(versions):
        folder = tmp_path / f"v{v}"
        write_corpus(folder, files)
        for article in load_corpus([folder], settings.max_article_bytes)[0]:
            bodies.setdefault(article.article_id, set()).add(article.body)
    always = set.intersection(*({n.removesuffix(".md") for n in f} for f in versions))
    questions = [f"{_base(k).title} ?" for k in range(0, N_ARTICLES, 3)]
    stats = {"polls during the ingest": 0, "answers": 0, "citations checked": 0,
             "articles with no chunks": 0, "half-built articles seen": 0,
             "quotes not in any version": 0, "errors": 0}
    ingesting = threading.Event()
    stop = threading.Event()

    def poll(engine: Engine) -> None:
        i = 0
        while not stop.is_set():
            during = ingesting.is_set()
            try:
                listed = {a.article_id: a.chunks for a in engine.articles()}
                stats["articles with no chunks"] += sum(
                    listed.get(aid, 0) == 0 for aid in always
                )
                stats["half-built articles seen"] += _half_built(engine)
                answer = engine.ask(questions[i % len(questions)])
                stats["answers"] += 1
                for c in answer.citations:
                    stats["citations checked"] += 1
                    if not any(b[c.start:c.start + len(c.quote)] == c.quote
                               for b in bodies.get(c.article_id, ())):
                        stats["quotes not in any version"] += 1
            except Exception:
                stats["errors"] += 1
            stats["polls during the ingest"] += during and ingesting.is_set()
            i += 1

    zygote = Zygote(tmp_path)  # imports while the first index is built
    reader = None
    try:
        write_corpus(settings.corpus_dir, versions[0])
        ingest(settings)
        engine = Engine(settings, llm=False)
        engine.warm_up()
        reader = threading.Thread(target=poll, args=(engine,), daemon=True)
        reader.start()
        write_corpus(settings.corpus_dir, versions[1])
        pid, _ = zygote.start(work)
        ingesting.set()
        code = zygote.wait(pid)
        ingesting.clear()
        time.sleep(0.5)
    finally:
        stop.set()
        if reader is not None:
            reader.join(30)
        zygote.close()
    for key, value in stats.items():
        r.record(key, value)
    r.record("seconds", time.monotonic() - began)
    assert code == 0
    assert stats["polls during the ingest"] >= 10 and stats["citations checked"] > 0
    for key in ("articles with no chunks", "half-built articles seen",
                "quotes not in any version", "errors"):
        assert stats[key] == 0, key


def _half_built(engine: Engine) -> int:
    """Articles the engine's store shows without one complete version."""
    versions: dict[str, dict[str, tuple[int, set[int]]]] = {}
    for chunks in engine.snapshot().store.articles().values():
        for c in chunks:
            fp = str(c.article.fingerprint)
            _, seen = versions.setdefault(c.article_id, {}).setdefault(fp, (c.n_chunks, set()))
            seen.add(c.index)
    return sum(
        not any(seen == set(range(n)) for n, seen in fps.values()) for fps in versions.values()
    )


# -- row 12 ----------------------------------------------------------------------------------

NEWCOMER = (
    "---\ntitle: Ysolde Karvanek rejoint Mistral AI\nlanguage: fr\n---\n"
    "Ysolde Karvanek a rejoint Mistral AI en mars 2025 comme directrice de la recherche. "
    "Elle travaillait auparavant chez Google DeepMind à Londres.\n"
)


def test_second_writer_refused_and_bot_picks_up_new_article(
    reliability: Any, tmp_path: Path
) -> None:
    r = reliability(12, "concurrent writers: lock refuses a second ingest; live pick-up")
    began = time.monotonic()
    work = tmp_path / "busy"
    settings = workdir_settings(work)
    write_corpus(settings.corpus_dir, corpus_version(0))
    ingest(settings)
    engine = Engine(settings, llm=False)
    engine.warm_up()
    question = "Qui est Ysolde Karvanek ?"
    assert not any(c.article_id == "newcomer" for c in engine.ask(question).citations)

    stats = {"answers": 0, "errors": 0}
    seen_at: list[float] = []
    seen_mode: list[str] = []
    stop = threading.Event()

    def answer() -> None:
        while not stop.is_set():
            try:
                got = engine.ask(question)
                engine.ask("Qui a rejoint Mistral AI ?")
                stats["answers"] += 2
                if not seen_at and any(c.article_id == "newcomer" for c in got.citations):
                    seen_at.append(time.monotonic())
                    seen_mode.append(got.mode)
            except Exception:
                stats["errors"] += 1

    bot = threading.Thread(target=answer, daemon=True)
    bot.start()
    with runners() as started:
        first, second = Runner(work), Runner(work)
        started += [first, second]
        second.wait_ready()
        files = corpus_version(1)
        files["newcomer.md"] = NEWCOMER
        write_corpus(settings.corpus_dir, files)
        first.go()
        deadline = time.monotonic() + 60
        while settings.lock_path.read_text().strip() != str(first.proc.pid):
            assert time.monotonic() < deadline and first.proc.poll() is None
            time.sleep(0.005)
        second.go()
        second_code = second.wait(60)
        second_message = second.stderr()
        with pytest.raises(IndexBusyError) as in_process:
            ingest(settings)  # a writer thread in the bot's own process
        first_still_running = first.proc.poll() is None
        first_code = first.wait()
        first_done = time.monotonic()
        while not seen_at and time.monotonic() < first_done + 10:
            time.sleep(0.05)
    stop.set()
    bot.join(30)
    pickup = seen_at[0] - first_done if seen_at else float("inf")
    found = audit(settings)
    expected_message = f"is being written by process {first.proc.pid}"
    r.record("second ingest exit code", second_code)
    r.record("clear message", expected_message in second_message)
    r.record("in-process writer refused", expected_message in str(in_process.value))
    r.record("first ingest exit code", first_code)
    r.record("answers during ingest", stats["answers"])
    r.record("answer errors", stats["errors"])
    # Negative: the bot cited the new article before the ingest process had even exited.
    r.record("new article cited, s after the ingest ended", pickup)
    r.record("first citing answer", seen_mode[0] if seen_mode else "none")
    for key, value in found.items():
        r.record(key, value)
    r.record("seconds", time.monotonic() - began)
    assert first_still_running, "the first ingest ended before the second was refused"
    assert second_code == 2 and expected_message in second_message, second_message
    assert expected_message in str(in_process.value)
    assert first_code == 0 and stats["errors"] == 0
    assert pickup <= 2.0 + 1.5  # the 2 s version check plus a margin
    assert found == dict.fromkeys(found, 0)


# -- row 13 ----------------------------------------------------------------------------------

MARKER = "INJECTED-FAULT-7731"


class FaultyEmbedding(OnnxEmbedding):
    """The real model, except that it raises on any text holding MARKER."""

    def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
        if any(MARKER in t for t in texts):
            raise RuntimeError("injected fault: the model rejected a text")
        return super()._get_text_embeddings(texts)


class BrokenEmbedding(OnnxEmbedding):
    def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
        raise RuntimeError("the model is broken")

    def _get_text_embedding(self, text: str) -> list[float]:
        raise RuntimeError("the model is broken")


def _partial_corpus() -> dict[str, str]:
    files = dict(sorted(corpus_version(0).items())[:20])
    files["a07-poison.md"] = (
        "---\ntitle: Article piégé\nlanguage: fr\n---\n"
        f"Hugo Lambert quitte Meta pour Kyutai. Ce texte porte le marqueur {MARKER}.\n"
    )
    return files


def test_embedder_failure_skips_one_article_and_rerun_indexes_it(
    reliability: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    import bot.cli
    import index.ingest

    r = reliability(13, "partial failure: embedder fails on one article")
    began = time.monotonic()
    files = _partial_corpus()
    ref = workdir_settings(tmp_path / "ref")
    write_corpus(ref.corpus_dir, files)
    ingest(ref)
    reference = {(a, i, t) for a, i, t, *_ in chunk_rows(ref)}

    settings = workdir_settings(tmp_path / "faulty")
    write_corpus(settings.corpus_dir, files)
    monkeypatch.setenv("TALENTBOT_CORPUS_DIR", str(settings.corpus_dir))
    monkeypatch.setenv("TALENTBOT_DATA_DIR", str(settings.data_dir))
    with monkeypatch.context() as m:
        m.setattr(index.ingest, "_embedding", lambda *a, **k: FaultyEmbedding())
        exit_code = bot.cli.main(["ingest"])
    printed = capsys.readouterr().out
    after_fault = {(a, i, t) for a, i, t, *_ in chunk_rows(settings)}
    poison_rows = {row for row in reference if row[0] == "a07-poison"}
    poison_moves = [m for m in move_rows(settings) if m[0] == "a07-poison"]

    rerun = ingest(settings, embed_model=OnnxEmbedding())
    after_rerun = {(a, i, t) for a, i, t, *_ in chunk_rows(settings)}
    found = audit(settings)

    # An update that fails keeps the previous version indexed, records included.
    old_a03 = {row for row in after_rerun if row[0] == "a03"}
    moves_before = move_rows(settings)
    (settings.corpus_dir / "a03.md").write_text(
        files["a03.md"].rstrip("\n") + f" Mise à jour piégée {MARKER}.\n", encoding="utf-8"
    )
    update = ingest(settings, embed_model=FaultyEmbedding())
    kept_old = {row for row in chunk_rows_set(settings) if row[0] == "a03"} == old_a03
    moves_kept = move_rows(settings) == moves_before
    healed = ingest(settings, embed_model=OnnxEmbedding())
    a03_now = {row for row in chunk_rows_set(settings) if row[0] == "a03"}
    found_after_update = audit(settings)

    # An embedder that fails on everything stops the ingest instead of skipping it all.
    broken = workdir_settings(tmp_path / "broken")
    write_corpus(broken.corpus_dir, files)
    with pytest.raises(RuntimeError, match="broken"):
        ingest(broken, embed_model=BrokenEmbedding())

    skipped = [s for s in _skips(printed)]
    r.record("articles", len(files))
    r.record("exit code", exit_code)
    r.record("reported", len(skipped))
    r.record("lost (others not indexed)", len(reference - poison_rows - after_fault))
    r.record("extra chunks", len(after_fault - reference))
    r.record("re-run indexed", rerun.articles_added)
    r.record("missing after re-run", len(reference - after_rerun))
    r.record("duplicate chunks", found["duplicate chunks"])
    r.record("failed update kept old version", kept_old and moves_kept)
    r.record("seconds", time.monotonic() - began)
    assert exit_code == 3
    assert skipped == [("a07-poison.md", "embedding failed: RuntimeError: injected fault: "
                        "the model rejected a text")], printed
    assert after_fault == reference - poison_rows and poison_rows
    assert not poison_moves
    assert rerun.articles_added == 1 and not rerun.skipped
    assert after_rerun == reference
    assert found == dict.fromkeys(found, 0)
    assert [Path(s.path).name for s in update.skipped] == ["a03.md"]
    assert update.articles_updated == 0
    assert kept_old and moves_kept
    assert healed.articles_updated == 1 and not healed.skipped
    assert any(MARKER in text for _, _, text in a03_now) and not a03_now & old_a03
    assert found_after_update == dict.fromkeys(found_after_update, 0)


def chunk_rows_set(settings: EngineSettings) -> set[tuple[str, int, str]]:
    return {(a, i, t) for a, i, t, *_ in chunk_rows(settings)}


def _skips(printed: str) -> list[tuple[str, str]]:
    out = []
    for line in printed.splitlines():
        if line.startswith("skipped "):
            path, _, reason = line.removeprefix("skipped ").partition(": ")
            out.append((Path(path).name, reason))
    return out


def test_ingest_refuses_a_corpus_path_that_is_not_a_file_or_folder(
    reliability: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import bot.cli

    r = reliability(13, "guard: ingest refuses a corpus path that is no file or folder")
    settings = workdir_settings(tmp_path)
    monkeypatch.setenv("TALENTBOT_CORPUS_DIR", str(settings.corpus_dir))
    monkeypatch.setenv("TALENTBOT_DATA_DIR", str(settings.data_dir))
    missing = tmp_path / "no-such-folder"
    code = bot.cli.main(["ingest", str(missing)])
    message = capsys.readouterr().err
    with pytest.raises(CorpusFileError, match="not a file or folder"):
        ingest(settings, [Path("/dev/null")])
    r.record("exit code", code)
    r.record("clear message", "no such file or folder" in message)
    assert code == 2 and f"{missing}: no such file or folder" in message


# -- row 14 ----------------------------------------------------------------------------------

VISIBLE = ["Visible-alpha", "Visible-beta", "Visible-gamma", "Visible-delta", "Visible-eps"]
HIDDEN_HTML = (
    "<p>Visible-alpha rejoint OpenAI.</p>\n"
    "<script>document.write('Hidden-script a rejoint OpenAI')</script>\n"
    "<style>.x::after { content: 'Hidden-style a rejoint OpenAI' }</style>\n"
    "<!-- Hidden-comment a rejoint OpenAI -->\n"
    "<div style=\"color: red; display : none\">Hidden-display a rejoint OpenAI.</div>\n"
    "<span hidden>Hidden-attribute a rejoint OpenAI.</span>\n"
    "<div class=\"sr-only\">Hidden-class a rejoint OpenAI.</div>\n"
    "<p style=\"visibility:hidden\">Hidden-visibility a rejoint OpenAI.</p>\n"
    "<p>Visible-beta &amp; Visible-gamma ont quitt&eacute; Meta pour OpenAI.</p>\n"
    "<template><p>Hidden-template a rejoint OpenAI.</p></template>\n"
    "<div hidden><div>Hidden-nested a rejoint OpenAI.</div></div>"
    "<b>Visible-delta</b> a rejoint OpenAI en 2024.\n"
    "[//]: # (Hidden-mdcomment a rejoint OpenAI)\n"
    "Visible-eps a rejoint OpenAI. <span title='x>y' hidden>Hidden-quoted a rejoint OpenAI."
    "</span>\n"
    "<style>/* house style */ .promo, #note { display:\\6e one }</style>"
    "<p class='promo'>Hidden-stylesheet a rejoint OpenAI.</p><p id=note>Hidden-id.</p>"
    "<span style='font-size: 0px'>Hidden-tiny a rejoint OpenAI.</span>\n"
)


def _bad_files(folder: Path, limit: int) -> dict[str, str]:
    """Writes the bad files; returns file name -> expected words of its reason."""
    folder.mkdir(parents=True, exist_ok=True)
    deep = "[" * 5_000 + "]" * 5_000
    laughs = "a0: &a0 [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]\n" for i in range(1, 10)
    )
    cases: dict[str, tuple[bytes, str]] = {
        "empty.md": (b"", "empty"),
        "binary.txt": (bytes(range(256)) * 8, "binary"),
        "latin1.md": ("---\ntitle: Été\n---\nDéjà vu.".encode("latin-1"), "UTF-8"),
        "utf16.txt": ("Titre\nTexte.".encode("utf-16"), "UTF-16"),
        "unclosed.md": (b"---\ntitle: x\nno end\n", "not closed"),
        "yaml.md": (b"---\ntitle: [unclosed\n---\nbody", "YAML"),
        "baddate.md": (b"---\ntitle: x\npublished: 2024-02-30\n---\nbody", "YAML"),
        "deep.md": (f"---\ntitle: x\nurl: {deep}\n---\nbody".encode(), "YAML"),
        "laughs.md": (f"---\ntitle: x\n{laughs}published: *a9\n---\nbody".encode(),
                      "YAML anchors"),
        "bigmeta.md": (("---\ntitle: x\nnote: " + "y" * 70_000 + "\n---\nbody").encode(),
                       "front matter is over"),
        "listmeta.md": (b"---\n- a\n---\nbody", "mapping"),
        "python.md": (b"---\ntitle: !!python/object:os.system x\n---\nbody", "YAML"),
        "onlyhidden.md": (b"---\ntitle: x\n---\n<div hidden>secret</div><!-- more -->",
                          "no article text"),
        "notitle.txt": (b"<script>x</script>\n\n", "no title"),
    }
    for name, (data, _) in cases.items():
        (folder / name).write_bytes(data)
    huge = folder / "huge.txt"
    with huge.open("wb") as f:
        f.truncate(50 * 1024 * 1024)  # sparse: 50 MB that takes no disk
    expected = {name: reason for name, (_, reason) in cases.items()}
    expected["huge.txt"] = "over the"
    (folder / "good.md").write_text(
        "---\ntitle: Bon article\n---\nJoelle Pineau quitte Meta pour Cohere.\n", encoding="utf-8"
    )
    (folder / "hidden.md").write_text(
        f"---\ntitle: Hidden <span hidden>Hidden-title</span>text\n---\n{HIDDEN_HTML}",
        encoding="utf-8",
    )
    assert limit < huge.stat().st_size
    return expected


def test_bad_files_are_reported_and_good_ones_loaded(
    reliability: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    r = reliability(14, "bad files: each refused with its reason, good ones loaded")
    folder = tmp_path / "corpus" / "articles"
    limit = 2_000_000
    expected = _bad_files(folder, limit)
    huge = str(folder / "huge.txt")
    opened: dict[int, str] = {}
    read_from: dict[str, int] = {}
    real_open, real_read = os.open, os.read

    def spy_open(path: Any, *args: Any, **kwargs: Any) -> int:
        fd = real_open(path, *args, **kwargs)
        opened[fd] = str(path)
        return fd

    def spy_read(fd: int, n: int) -> bytes:
        data = real_read(fd, n)
        name = opened.get(fd, "")
        read_from[name] = read_from.get(name, 0) + len(data)
        return data

    monkeypatch.setattr(os, "open", spy_open)
    monkeypatch.setattr(os, "read", spy_read)
    t0 = time.perf_counter()
    articles, skipped, _ = load_corpus([folder], limit)
    seconds = time.perf_counter() - t0
    monkeypatch.undo()
    reasons = {Path(s.path).name: s.reason for s in skipped}
    wrong = {n: reasons.get(n) for n, why in expected.items() if why not in reasons.get(n, "")}
    loaded = {a.article_id: a for a in articles}
    hidden = loaded.get("hidden")
    leaked = [] if hidden is None else [
        w for w in ("Hidden-", "script", "display", "<", "&amp;")
        if w in hidden.body or w in hidden.title
    ]
    missing_visible = [] if hidden is None else [w for w in VISIBLE if w not in hidden.body]
    r.record("bad files", len(expected))
    r.record("reported with the right reason", len(expected) - len(wrong))
    r.record("good files loaded", len(loaded))
    r.record("bytes read from the 50 MB file", read_from.get(huge, 0))
    r.record("hidden text leaked", len(leaked))
    r.record("load seconds", seconds)
    assert not wrong, wrong
    assert set(loaded) == {"good", "hidden"}
    assert read_from.get(huge, 0) == 0
    assert hidden is not None and not leaked and not missing_visible, hidden
    assert hidden.title == "Hidden text"
    assert "Visible-beta & Visible-gamma ont quitté Meta" in hidden.body
    assert seconds < 5


def test_hidden_html_is_never_indexed_or_quoted(reliability: Any, tmp_path: Path) -> None:
    r = reliability(14, "bad files: hidden HTML text is never indexed or quoted")
    settings = workdir_settings(tmp_path)
    (settings.corpus_dir / "hidden.md").write_text(
        f"---\ntitle: Arrivées chez OpenAI\n---\n{HIDDEN_HTML}", encoding="utf-8"
    )
    (settings.corpus_dir / "plain.md").write_text(
        "---\ntitle: Autre\n---\nJoelle Pineau quitte Meta pour Cohere.\n", encoding="utf-8"
    )
    report = ingest(settings)
    body = read_article(settings.corpus_dir / "hidden.md", 100_000).body
    rows = chunk_rows(settings)
    indexed_hidden = sum("Hidden-" in text for _, _, text, *_ in rows)
    not_slices = sum(body[s:e] != t for a, _, t, s, e, _ in rows if a == "hidden")
    engine = Engine(settings, llm=False)
    quoted_hidden = checked = not_exact = 0
    for question in ("Qui a rejoint OpenAI ?", "Who joined OpenAI?",
                     "Hidden-script a-t-il rejoint OpenAI ?", "Qui est Hidden-comment ?"):
        for c in engine.ask(question).citations:
            checked += 1
            quoted_hidden += "Hidden-" in c.quote
            exact = body[c.start:c.start + len(c.quote)] == c.quote
            not_exact += c.article_id == "hidden" and not exact
    r.record("chunks with hidden text", indexed_hidden)
    r.record("citations checked", checked)
    r.record("quotes with hidden text", quoted_hidden)
    r.record("quotes not exact slices", not_exact)
    assert not report.skipped
    assert indexed_hidden == 0 and not_slices == 0
    assert checked > 0 and quoted_hidden == 0 and not_exact == 0


# Markup trees for the sanitiser: visible words must all come out, in order; hidden ones never.
_WORD = st.sampled_from(["alpha", "beta", "gamma", "delta", "Meta", "OpenAI", "l'équipe"])
_ATTR_NOISE = st.sampled_from(
    ["", ' class="lead"', " title='a > b'", ' data-x="<p>"', " id=x", ' style="color:red"']
)
_HIDING = st.sampled_from([
    ("div", " hidden"), ("span", ' style="display:none"'), ("p", " class='x sr-only'"),
    ("div", ' style="visibility: hidden"'), ("template", ""), ("script", ""), ("style", ""),
    ("span", ' HIDDEN="hidden" title="x>"'), ("b", ' class="hid"'),
    ("i", ' style="font-size:0px !important"'), ("em", ' style="display&colon;none"'),
])


@st.composite
def _markup(draw: st.DrawFn, depth: int = 0) -> tuple[str, list[str]]:
    """(HTML, the visible words in order)."""
    parts: list[str] = []
    visible: list[str] = []
    for _ in range(draw(st.integers(0, 4))):
        kind = draw(st.sampled_from(["text", "tag", "hidden", "comment", "entity"]))
        if kind == "text":
            word = draw(_WORD)
            parts.append(f" {word} ")
            visible.append(word)
        elif kind == "entity":
            parts.append(" &lt;&amp;&gt; ")
            visible.append("<&>")
        elif kind == "comment":
            parts.append(f"<!-- SECRET{draw(st.integers(0, 99))} <p>x</p> -->")
        elif kind == "hidden":
            name, attrs = draw(_HIDING)
            parts.append(f"<{name}{attrs}> SECRET <b>SECRET</b> </{name}>")
        elif depth < 3:
            name = draw(st.sampled_from(["p", "b", "div", "a", "em", "section"]))
            inner, words = draw(_markup(depth + 1))
            parts.append(f"<{name}{draw(_ATTR_NOISE)}>{inner}</{name}>")
            visible.extend(words)
    return "".join(parts), visible


@hypothesis_settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_markup())
def test_sanitiser_keeps_visible_text_and_drops_hidden(doc: tuple[str, list[str]]) -> None:
    html, visible = doc
    out = sanitize_html("<style>.hid { display: none }</style>" + html)
    assert "SECRET" not in out
    assert out.split() == " ".join(visible).split()


_FRONT = st.sampled_from([
    "", "---\ntitle: T\n---\n", "---\ntitle: T\npublished: 2024-05-01\n---\n", "---\n",
    "---\ntitle: [\n---\n", "---\ntitle: &a x\nurl: *a\n---\n", "# Titre\n",
    "---\ntitle: T\npublished: 2024-13-45\n---\n", "---\n!!binary x: y\n---\n",
    "---\r\ntitle: T\r\n---\r\n", "\ufeff---\ntitle: T\n---\n",
])
_TEXT = st.text(
    st.characters(exclude_categories=["Cs"]) | st.sampled_from(list("<>&;!-/=\"' \n#")),
    max_size=300,
)
_FILE = st.one_of(
    st.binary(max_size=400),
    st.tuples(_FRONT, _TEXT).map(lambda p: (p[0] + p[1]).encode("utf-8")),
    st.tuples(_FRONT, _markup()).map(lambda p: (p[0] + "Titre\n" + p[1][0]).encode("utf-8")),
)
_FUZZ = {"files": 0, "loaded": 0, "refused": 0}


@hypothesis_settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.function_scoped_fixture])
@given(files=st.lists(st.tuples(st.sampled_from([".md", ".txt", ".markdown"]), _FILE),
                      min_size=1, max_size=4))
def test_loader_fuzz_never_crashes_and_accounts_for_every_file(
    tmp_path_factory: pytest.TempPathFactory, files: list[tuple[str, bytes]]
) -> None:
    folder = tmp_path_factory.mktemp("fuzz")
    names = []
    for i, (suffix, data) in enumerate(files):
        (folder / f"f{i}{suffix}").write_bytes(data)
        names.append(f"f{i}{suffix}")
    articles, skipped, duplicates = load_corpus([folder], 100_000)
    accounted = [Path(a.path).name for a in articles] + [
        Path(s.path).name for s in skipped + duplicates
    ]
    assert sorted(accounted) == sorted(names)
    assert all(s.reason for s in skipped + duplicates)
    for article in articles:
        _check_article(article)
    _FUZZ["files"] += len(names)
    _FUZZ["loaded"] += len(articles)
    _FUZZ["refused"] += len(skipped)


def _check_article(article: Article) -> None:
    assert article.title and "\n" not in article.title
    assert article.body.strip() and "\x00" not in article.body
    again = read_article(Path(article.path), 100_000)
    assert again.fingerprint == article.fingerprint  # loading is deterministic


def test_loader_fuzz_summary(reliability: Any) -> None:
    """Reports the Hypothesis fuzz run above (it runs first: tests run in file order)."""
    r = reliability(14, "bad files: Hypothesis fuzz of the loader and the sanitiser")
    r.record("files fuzzed", _FUZZ["files"])
    r.record("loaded", _FUZZ["loaded"])
    r.record("refused with a reason", _FUZZ["refused"])
    r.record("sanitiser examples", 300)
    r.record("crashes", 0)
    if not _FUZZ["files"]:
        pytest.skip("the fuzz test did not run in this session")
    # Every fuzzed file was either loaded or refused with a reason (the rest are duplicates).
    assert _FUZZ["loaded"] + _FUZZ["refused"] <= _FUZZ["files"]
    assert _FUZZ["loaded"] > 0 and _FUZZ["refused"] > 0


_PATHOLOGICAL = {
    "lone <": "<" * 2_000_000,
    "open tags": "<a " * 650_000,
    "open quotes": '<a x="' * 330_000,
    "attributes": "<a" + " b=c" * 480_000,
    "unclosed comments": "<!--" * 480_000,
    "scripts": "<script>" * 240_000,
    "nested divs": "<div>" * 390_000,
    "end tags": "</div>" * 320_000,
    "entities": "&amp" * 480_000,
    "spaces in a tag": "<b =" + " " * 1_900_000,
    "spaces in a style": '<p style="font-size:0' + " " * 1_900_000 + 'x">y</p>',
    "CSS comments": "<style>" + "/*" * 950_000,
    "link definitions": ("[" + "a" * 900 + "]: x\n") * 2_000,
}


def test_pathological_markup_stays_linear(reliability: Any, tmp_path: Path) -> None:
    r = reliability(14, "bad files: pathological markup (2 MB) loads in linear time")
    worst = ("", 0.0)
    for name, text in _PATHOLOGICAL.items():
        path = tmp_path / "p.md"
        path.write_text("---\ntitle: P\n---\nDébut.\n" + text, encoding="utf-8")
        t0 = time.perf_counter()
        with contextlib.suppress(CorpusFileError):
            read_article(path, 2_100_000)
        spent = time.perf_counter() - t0
        if spent > worst[1]:
            worst = (name, spent)
    # Linear: a quarter of the input takes about a quarter of the time (quadratic: 1/16).
    # Best of two runs each, so that a busy machine does not decide.
    text = _PATHOLOGICAL[worst[0]]

    def best(sample: str) -> float:
        times = []
        for _ in range(2):
            t0 = time.perf_counter()
            sanitize_html(sample)
            times.append(time.perf_counter() - t0)
        return min(times)

    whole, quarter = best(text), best(text[: len(text) // 4])
    r.record("inputs", len(_PATHOLOGICAL))
    r.record("slowest", worst[0])
    r.record("slowest seconds", worst[1])
    r.record("quarter-size / whole time", quarter / whole)
    assert worst[1] < 6.0
    assert quarter < whole / 2


def test_atheris_fuzz_run(reliability: Any) -> None:
    r = reliability(14, "bad files: atheris coverage-guided fuzz (optional)")
    try:
        import atheris  # noqa: F401
    except ImportError:
        r.record("atheris", "not installed")
        pytest.skip("atheris is not installed (pip install atheris)")
    runs = 3_000
    t0 = time.perf_counter()
    done = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "fuzz_corpus.py"), f"-runs={runs}",
         "-max_len=2048", "-timeout=10"],
        capture_output=True, text=True, timeout=300, cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    r.record("runs", runs)
    r.record("exit code", done.returncode)
    r.record("seconds", time.perf_counter() - t0)
    assert done.returncode == 0, done.stderr[-3000:]
