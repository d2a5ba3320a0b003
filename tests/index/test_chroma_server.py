"""The engine against a real Chroma server (`chroma run` on 127.0.0.1), next to the embedded
store: same answers, incremental ingest, edits and deletions, a second bot machine with an
empty local cache, a model mismatch refused, and a clear message when the server is down.

One server serves the whole session; every test writes its own collection
(TALENTBOT_COLLECTION) and keeps its keyword cache and move records in its own data dir.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from llama_index.core.base.embeddings.base import BaseEmbedding
from support.chroma_server import ChromaServer, free_port
from support.settings import ROOT, make_settings

import index.versions
from bench.synthetic import generate_corpus
from index.embedding import EmbeddingAdapter, OnnxEmbedding
from index.encoder import load_encoder
from index.engine import Engine
from index.errors import IndexBusyError, IndexMismatchError, TalentbotError
from index.ingest import ingest
from index.lease import LEASES, writer_lease
from index.moves.query import MoveFilter
from index.settings import EngineSettings
from index.store import ChunkStore, open_client
from index.types import Answer, Language

MODEL_ID, DIMENSION = load_encoder().model_id, load_encoder().dimension  # the default model

# Plain extractive questions, record ("who moved") questions, French, and abstentions.
QUESTIONS = (
    "Who did Meta recruit from OpenAI?",
    "Qui a quitté Microsoft pour OpenAI ?",
    "When did Baptiste Rozière leave Meta?",
    "Which ChatGPT developer left OpenAI?",
    "Combien de coauteurs de l'étude OPT ont quitté Meta ?",
    "Why did Ruben Mayer leave?",
    "Who left Meta Superintelligence Labs after two months?",
    "Quel poste occupait Lilian Weng chez OpenAI ?",
    "Who joined Mistral AI from Meta?",
    "Did Hugo Vasseur leave Meta?",
    "Quelle est la recette de la ratatouille ?",
)
FOLLOW_UP = ("And when was Lavril hired?", ("Who joined Mistral AI from Meta?",))


# -- fixtures ------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def chroma_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ChromaServer]:
    with ChromaServer(tmp_path_factory.mktemp("chroma-server") / "db") as server:
        yield server


def collection_name(hint: str) -> str:
    """Unique per test, valid for both talentbot and Chroma (3-63 chars, [A-Za-z0-9_-])."""
    stem = "".join(c if c.isalnum() else "-" for c in hint)[:30].strip("-") or "t"
    return f"tb-{stem}-{uuid.uuid4().hex[:8]}"


def server_settings(
    server: ChromaServer, tmp: Path, corpus: Path | None, collection: str, **extra: object
) -> EngineSettings:
    return make_settings(
        tmp, corpus, CHROMA_HOST=server.host, CHROMA_PORT=server.port,
        TALENTBOT_COLLECTION=collection, **extra,
    )


@pytest.fixture(scope="module")
def embedded_engine(seed_workdir: Path) -> Engine:
    """The embedded store of the session's seed index (offline answers: no LLM)."""
    return Engine(make_settings(seed_workdir, seed_workdir / "corpus" / "articles"), llm=False)


@pytest.fixture(scope="module")
def server_seed(
    chroma_server: ChromaServer, seed_workdir: Path, tmp_path_factory: pytest.TempPathFactory
) -> EngineSettings:
    """The same seed corpus folder (and organisations file), ingested into the server."""
    settings = server_settings(
        chroma_server, tmp_path_factory.mktemp("server-seed"),
        seed_workdir / "corpus" / "articles", collection_name("seed"),
    )
    report = Engine(settings, llm=False).ingest()
    assert report.articles_added == report.articles_seen > 0 and not report.skipped
    assert not (settings.data_dir / "chroma").exists()  # nothing went to an embedded store
    return settings


@pytest.fixture(scope="module")
def server_engine(server_seed: EngineSettings) -> Engine:
    return Engine(server_seed, llm=False)


def comparable(answer: Answer) -> dict[str, Any]:
    """Everything an edge shows, plus the quotes' offsets; confidence compared apart."""
    data = answer.to_dict()
    data.pop("confidence")
    data["language"] = answer.language
    data["starts"] = [(c.article_id, c.start) for c in answer.citations]
    return data


def records(engine: Engine) -> list[str]:
    return sorted(json.dumps(m.to_dict(), sort_keys=True) for m, _ in engine.moves(MoveFilter()))


def assert_same_answer(ours: Answer, theirs: Answer) -> None:
    assert comparable(ours) == comparable(theirs)
    assert ours.confidence == pytest.approx(theirs.confidence, abs=1e-3)


# -- same answers as the embedded store ----------------------------------------------------
@pytest.mark.parametrize("question", QUESTIONS)
def test_server_answers_like_the_embedded_store(
    server_engine: Engine, embedded_engine: Engine, question: str
) -> None:
    assert_same_answer(server_engine.ask(question), embedded_engine.ask(question))


def test_questions_cover_every_answer_mode(server_engine: Engine) -> None:
    modes = {server_engine.ask(q).mode for q in QUESTIONS}
    assert modes == {"extractive", "records", "abstained"}


def test_follow_up_and_summaries_match_the_embedded_store(
    server_engine: Engine, embedded_engine: Engine
) -> None:
    question, context = FOLLOW_UP
    follow = server_engine.ask(question, context=context)
    assert "juin 2023" in follow.text
    assert_same_answer(follow, embedded_engine.ask(question, context=context))
    summaries: list[tuple[str, Language]] = [("Meta", "en"), ("OpenAI", "fr"), ("mistral", "en")]
    for name, language in summaries:
        assert (server_engine.company(name, language).to_dict()
                == embedded_engine.company(name, language).to_dict())
    assert server_engine.articles() == embedded_engine.articles()
    assert server_engine.companies() == embedded_engine.companies()
    assert server_engine.people() == embedded_engine.people()


def test_server_store_holds_the_same_chunks(
    server_seed: EngineSettings, seed_workdir: Path
) -> None:
    embedded = make_settings(seed_workdir, seed_workdir / "corpus" / "articles")
    ours = ChunkStore.open(server_seed, MODEL_ID, DIMENSION, create=False)
    theirs = ChunkStore.open(embedded, MODEL_ID, DIMENSION, create=False)
    assert ours.count() == theirs.count() > 0
    # A StoredChunk holds the text and every metadata value, typed.
    assert ({c.chunk_id: c for c in ours.iter_chunks()}
            == {c.chunk_id: c for c in theirs.iter_chunks()})


# -- incremental ingest ----------------------------------------------------------------------
def test_second_ingest_embeds_nothing(server_seed: EngineSettings, server_engine: Engine) -> None:
    server_engine.ask(QUESTIONS[0])
    before = ChunkStore.open(server_seed, MODEL_ID, DIMENSION, create=False).corpus_version
    embedder = OnnxEmbedding()
    report = ingest(server_seed, embed_model=embedder)
    assert embedder.calls == 0
    assert report.embedded_chunks == 0 and report.chunks_written == 0
    assert report.articles_unchanged == report.articles_seen > 0
    after = ChunkStore.open(server_seed, MODEL_ID, DIMENSION, create=False).corpus_version
    assert after == before  # nothing written: readers keep their keyword side


FRENCH = (
    "Guillaume Lample a quitté Meta pour cofonder Mistral AI. "
    "Il y a rejoint Timothée Lacroix, lui aussi passé par FAIR. "
) * 40  # several chunks


def write_article(folder: Path, stem: str, title: str, body: str) -> Path:
    path = folder / f"{stem}.md"
    path.write_text(f"---\ntitle: {title}\nlanguage: fr\n---\n{body}\n", encoding="utf-8")
    return path


def small_corpus(tmp: Path) -> Path:
    corpus = tmp / "corpus" / "articles"
    corpus.mkdir(parents=True)
    shutil.copy(ROOT / "corpus" / "organisations.yaml", corpus.parent / "organisations.yaml")
    write_article(corpus, "a", "Lample chez Mistral", FRENCH)
    write_article(corpus, "b", "Murati", "Mira Murati quitte OpenAI pour fonder Thinking "
                  "Machines Lab, a annoncé la directrice technique.")
    return corpus


def test_edit_and_delete_reach_a_running_engine(
    chroma_server: ChromaServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(index.versions, "CHECK_EVERY_S", 0.0)
    corpus = small_corpus(tmp_path)
    settings = server_settings(chroma_server, tmp_path, corpus, collection_name("edit"))
    first = ingest(settings)
    assert first.articles_added == 2
    old_a = {c.chunk_id for c in
             ChunkStore.open(settings, MODEL_ID, DIMENSION, create=False).articles()["a"]}

    # A bot on another machine: its own (empty) data dir, the same server and collection.
    bot = Engine(server_settings(chroma_server, tmp_path / "bot", tmp_path / "bot" / "corpus",
                                 settings.collection), llm=False)
    question = "Quand Baptiste Rozière a-t-il quitté Meta ?"
    assert bot.ask(question).abstained
    assert "b" in {c.article_id for c in bot.ask("Qui est Mira Murati ?").citations}

    write_article(corpus, "a", "Lample chez Mistral",
                  FRENCH + "Baptiste Rozière a quitté Meta en août 2024.")
    (corpus / "b.md").unlink()
    report = ingest(settings)
    assert (report.articles_updated, report.articles_removed) == (1, 1)

    store = ChunkStore.open(settings, MODEL_ID, DIMENSION, create=False)
    now = store.articles()
    assert set(now) == {"a"}
    assert not old_a & {c.chunk_id for c in now["a"]}
    # The bot keeps answering from the previous version while it rebuilds in the background.
    assert bot.settle(timeout=60)
    answer = bot.ask(question)
    assert not answer.abstained and "août 2024" in answer.text
    assert {c.article_id for c in answer.citations} == {"a"}
    gone = bot.ask("Qui est Mira Murati ?")
    assert "b" not in {c.article_id for c in gone.citations}
    assert [a.article_id for a in bot.articles()] == ["a"]


# -- a second bot machine: nothing local, the same server ------------------------------------
def test_second_engine_with_an_empty_local_cache_answers_the_same(
    chroma_server: ChromaServer, server_seed: EngineSettings, server_engine: Engine,
    tmp_path: Path,
) -> None:
    other = server_settings(chroma_server, tmp_path, server_seed.corpus_dir,
                            server_seed.collection)
    assert not other.data_dir.exists() or not any(other.data_dir.iterdir())
    engine = Engine(other, llm=False)
    for question in QUESTIONS:
        assert_same_answer(engine.ask(question), server_engine.ask(question))
    question, context = FOLLOW_UP
    assert_same_answer(engine.ask(question, context), server_engine.ask(question, context))
    # The keyword side was rebuilt from the server's documents and cached under its version.
    version = ChunkStore.open(other, MODEL_ID, DIMENSION, create=False).corpus_version
    head = (other.keyword_dir / "talentbot.json").read_text()
    assert version in head
    # The move records were derived from the stored chunks, not re-ingested.
    assert records(engine) == records(server_engine) and records(engine)


def test_bot_only_machine_with_organisations_answers_the_same(
    chroma_server: ChromaServer, server_seed: EngineSettings, server_engine: Engine,
    tmp_path: Path,
) -> None:
    """No corpus articles at all on this machine: only the repository's organisations file
    next to an empty articles folder (as a deployed checkout has)."""
    corpus = tmp_path / "corpus" / "articles"
    corpus.mkdir(parents=True)
    shutil.copy(server_seed.organisations_file, corpus.parent / "organisations.yaml")
    engine = Engine(server_settings(chroma_server, tmp_path, corpus, server_seed.collection),
                    llm=False)
    for question in QUESTIONS:
        assert_same_answer(engine.ask(question), server_engine.ask(question))


# -- another model ---------------------------------------------------------------------------
class HashEmbedding(BaseEmbedding):
    """A stand-in embedding model (8 dimensions from a hash): "another model"."""

    model_name: str = "hash-8"

    @property
    def model_id(self) -> str:
        return "hash-8"

    @property
    def dimension(self) -> int:
        return 8

    def _vector(self, text: str) -> list[float]:
        import hashlib

        digest = hashlib.sha256(text.encode()).digest()
        return [b / 255.0 + 0.01 for b in digest[:8]]

    def _get_query_embedding(self, query: str) -> list[float]:
        return self._vector(query)

    def _get_text_embedding(self, text: str) -> list[float]:
        return self._vector(text)

    async def _aget_query_embedding(self, query: str) -> list[float]:
        return self._vector(query)


def test_a_bot_machine_loads_a_new_version_in_the_background(
    chroma_server: ChromaServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A bot with its own data dir answers at once, from the version it has, while it
    rebuilds the keyword side and the move records of a newer one; then switches."""
    monkeypatch.setattr(index.versions, "CHECK_EVERY_S", 0.0)
    corpus = small_corpus(tmp_path)
    generate_corpus(corpus, 150)  # enough that the rebuild is not instantaneous
    settings = server_settings(chroma_server, tmp_path, corpus, collection_name("bg"))
    ingest(settings, embed_model=HashEmbedding())
    bot_corpus = tmp_path / "bot" / "corpus" / "articles"  # a deployed checkout: no articles
    bot_corpus.mkdir(parents=True)
    shutil.copy(settings.organisations_file, bot_corpus.parent / "organisations.yaml")
    bot = Engine(server_settings(chroma_server, tmp_path / "bot", bot_corpus, settings.collection),
                 encoder=EmbeddingAdapter(HashEmbedding(), "hash-8"), llm=False)
    question = "Qui est Zéphyrin Quarteron ?"
    before = bot.info()
    assert bot.ask(question).abstained

    write_article(corpus, "zz-new", "Quarteron chez Kyutai",
                  "Zéphyrin Quarteron a quitté Meta pour rejoindre Kyutai en mars 2025.")
    ingest(settings, embed_model=HashEmbedding())
    during_answer = bot.ask(question)
    during = bot.info()
    assert during.refreshing and during.corpus_version == before.corpus_version
    assert during_answer.abstained  # the previous version's keyword side has no such name

    assert bot.settle(timeout=60)
    after = bot.info()
    assert not after.refreshing and after.corpus_version != before.corpus_version
    answer = bot.ask(question)
    assert not answer.abstained
    assert "zz-new" in {c.article_id for c in answer.citations}
    person = bot.person("Zéphyrin Quarteron", "fr")
    assert any(m.move.to_org == "Kyutai" for m in person.moves)


# -- one writer per collection, across machines -----------------------------------------
def test_a_second_ingest_from_another_machine_is_refused_then_allowed(
    chroma_server: ChromaServer, tmp_path: Path
) -> None:
    corpus = small_corpus(tmp_path)
    collection = collection_name("lease")
    here = server_settings(chroma_server, tmp_path / "one", corpus, collection)
    elsewhere = server_settings(chroma_server, tmp_path / "two", corpus, collection)
    with writer_lease(elsewhere):  # another machine's ingest, under way
        with pytest.raises(IndexBusyError, match="being written by") as busy:
            ingest(here, embed_model=HashEmbedding())
        assert "try again" in str(busy.value)
        # Only the same collection is excluded.
        other = server_settings(chroma_server, tmp_path / "three", corpus,
                                collection_name("lease-other"))
        assert ingest(other, embed_model=HashEmbedding()).articles_added == 2
    assert ingest(here, embed_model=HashEmbedding()).articles_added == 2


def test_the_lease_of_a_dead_writer_expires(chroma_server: ChromaServer, tmp_path: Path) -> None:
    import time

    corpus = small_corpus(tmp_path)
    settings = server_settings(chroma_server, tmp_path, corpus, collection_name("stale"))
    client = open_client(settings)
    leases = client.get_or_create_collection(LEASES, embedding_function=None)
    # What a kill -9 leaves behind: a record nobody renews.
    leases.add(ids=[settings.collection], embeddings=[[0.0]],
               metadatas=[{"holder": "gone:4242:dead", "expires": time.time() - 1}])
    assert ingest(settings, embed_model=HashEmbedding()).articles_added == 2
    assert not leases.get(ids=[settings.collection])["ids"]  # released at the end


def test_a_long_ingest_keeps_its_lease(chroma_server: ChromaServer, tmp_path: Path) -> None:
    import time

    settings = server_settings(chroma_server, tmp_path, None, collection_name("renew"))
    leases = open_client(settings).get_or_create_collection(LEASES, embedding_function=None)
    with writer_lease(settings, ttl=0.6):
        time.sleep(1.5)  # past two lease lifetimes: only renewal keeps it
        meta = leases.get(ids=[settings.collection])["metadatas"][0]
        assert meta["expires"] > time.time()
        second = server_settings(chroma_server, tmp_path / "b", None, settings.collection)
        with pytest.raises(IndexBusyError), writer_lease(second):
            pass


def test_an_embedded_store_needs_no_lease(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, small_corpus(tmp_path))
    assert ingest(settings, embed_model=HashEmbedding()).articles_added == 2
    names = {c.name for c in open_client(settings).list_collections()}
    assert LEASES not in names


def test_index_built_with_another_model_is_refused(
    chroma_server: ChromaServer, tmp_path: Path
) -> None:
    corpus = small_corpus(tmp_path)
    settings = server_settings(chroma_server, tmp_path, corpus, collection_name("model"))
    report = ingest(settings, embed_model=HashEmbedding())
    assert report.articles_added == 2
    where = f"{chroma_server.host}:{chroma_server.port}"
    with pytest.raises(IndexMismatchError, match=r"hash-8 \(8 dimensions\)") as refused:
        Engine(settings, llm=False).ask("Qui a quitté Meta ?")
    assert where in str(refused.value) and "--rebuild" in str(refused.value)
    # Nor will an ingest with the real model write its vectors into it.
    with pytest.raises(IndexMismatchError, match="hash-8"):
        ingest(settings)
    assert ChunkStore.open(settings, "hash-8", 8, create=False).count() > 0
    # --rebuild replaces it.
    rebuilt = ingest(settings, rebuild=True)
    assert rebuilt.articles_added == 2
    assert not Engine(settings, llm=False).ask("Qui a quitté Meta pour Mistral AI ?").abstained


# -- the server is down ----------------------------------------------------------------------
def down_settings(tmp: Path) -> EngineSettings:
    return make_settings(tmp, CHROMA_HOST="127.0.0.1", CHROMA_PORT=free_port(),
                         TALENTBOT_COLLECTION="tb-nobody-home")


def test_question_with_no_server_gets_a_clear_error(tmp_path: Path) -> None:
    settings = down_settings(tmp_path)
    with pytest.raises(TalentbotError, match=f"127.0.0.1:{settings.chroma_port}"):
        Engine(settings, llm=False).ask("Who left Meta?")


def test_ingest_with_no_server_gets_a_clear_error(tmp_path: Path) -> None:
    settings = down_settings(tmp_path)
    write_article(settings.corpus_dir, "a", "A", "Texte.")
    with pytest.raises(TalentbotError, match=f"127.0.0.1:{settings.chroma_port}"):
        ingest(settings)


def test_server_stopping_under_a_running_engine_gets_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(index.versions, "CHECK_EVERY_S", 0.0)
    with ChromaServer(tmp_path / "own-server" / "db") as server:
        settings = server_settings(server, tmp_path, small_corpus(tmp_path),
                                   collection_name("stop"))
        engine = Engine(settings, llm=False)
        engine.ingest()
        question = "Qui a cofondé Mistral AI ?"
        assert not engine.ask(question).abstained
    assert not server.running
    try:
        engine.ask(question)
    except TalentbotError as exc:  # what the edges show as is
        assert f"{server.host}:{server.port}" in str(exc)
    else:
        pytest.fail("answered a question with the Chroma server stopped")


def test_cli_with_no_server_prints_the_reason(tmp_path: Path) -> None:
    settings = down_settings(tmp_path)
    env = {
        **os.environ,
        "CHROMA_HOST": "127.0.0.1",
        "CHROMA_PORT": str(settings.chroma_port),
        "TALENTBOT_DATA_DIR": str(settings.data_dir),
        "TALENTBOT_CORPUS_DIR": str(settings.corpus_dir),
        "LLM_PROVIDER": "none",
        "PYTHONPATH": str(ROOT),
    }
    done = subprocess.run(
        [sys.executable, "-m", "bot.cli", "ask", "Who left Meta?"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120, check=False,
    )
    assert done.returncode == 2, done.stderr
    assert f"127.0.0.1:{settings.chroma_port}" in done.stderr
