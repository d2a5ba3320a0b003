"""Ingestion against a real Chroma store on a temporary folder, with the shipped model."""

from __future__ import annotations

import contextlib
import multiprocessing
from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path
from typing import Any

import pytest
from support.settings import make_settings

from index.embedding import EncoderEmbedding
from index.encoder import load_encoder
from index.errors import IndexBusyError, IndexMismatchError
from index.ingest import ingest
from index.lock import writer_lock
from index.settings import EngineSettings
from index.store import ChunkStore, open_client

MODEL_ID, DIMENSION = load_encoder().model_id, load_encoder().dimension  # the default model
FRENCH = (
    "Guillaume Lample a quitté Meta pour cofonder Mistral AI. "
    "Il y a rejoint Timothée Lacroix, lui aussi passé par FAIR. "
) * 40  # long enough for several chunks


def article(folder: Path, stem: str, title: str, body: str) -> Path:
    path = folder / f"{stem}.md"
    path.write_text(f"---\ntitle: {title}\nlanguage: fr\n---\n{body}\n", encoding="utf-8")
    return path


def stored(settings: EngineSettings) -> dict[str, list]:
    store = ChunkStore.open(settings, MODEL_ID, DIMENSION, create=False)
    return store.articles()


def test_second_run_on_unchanged_corpus_embeds_nothing(
    tmp_corpus: tuple[EngineSettings, Path],
) -> None:
    settings, corpus = tmp_corpus
    article(corpus, "a", "A", FRENCH)
    article(corpus, "b", "B", "Sébastien Bubeck rejoint OpenAI après dix ans chez Microsoft.")
    first = ingest(settings)
    assert first.articles_added == 2 and first.embedded_chunks > 2
    assert first.truncated_word_pieces == 0  # chunks are sized for the model

    embedder = EncoderEmbedding()
    second = ingest(settings, embed_model=embedder)
    assert embedder.calls == 0
    assert second.embedded_chunks == 0 and second.articles_unchanged == 2


def test_phases_are_reported_through_the_callback(
    tmp_corpus: tuple[EngineSettings, Path],
) -> None:
    settings, corpus = tmp_corpus
    article(corpus, "a", "A", FRENCH)
    article(corpus, "q", "Q", "Maëlle Ardent quitte Lumenfeld et rejoint Quillwork AI.")
    steps: list[str] = []
    depth: list[int] = [0]

    @contextlib.contextmanager
    def phases(name: str) -> Iterator[None]:
        steps.append(f"{'  ' * depth[0]}{name}")
        depth[0] += 1
        try:
            yield
        finally:
            depth[0] -= 1

    ingest(settings, phases=phases)
    top = {s for s in steps if not s.startswith(" ")}
    assert {"read_corpus", "chroma_open", "chroma_scan", "split_and_pipeline", "moves_sync",
            "keyword_build"} <= top
    # The per-batch steps run inside split_and_pipeline, each at least once.
    assert {"  make_documents", "  locate_and_count_chunks", "  chroma_write"} <= set(steps)
    assert depth == [0]

    steps.clear()
    article(corpus, "q", "Q", "Maëlle Ardent quitte Lumenfeld et rejoint Quillwork AI en 2025.")
    (corpus / "a.md").unlink()
    ingest(settings, phases=phases)
    assert "chroma_delete" in steps  # the deleted article's chunks
    steps.clear()
    ingest(settings, phases=phases)  # unchanged: nothing embedded, nothing rebuilt
    assert "split_and_pipeline" not in steps and "keyword_build" not in steps
    assert "read_corpus" in steps


def test_chunks_are_exact_slices_with_metadata(tmp_corpus: tuple[EngineSettings, Path]) -> None:
    settings, corpus = tmp_corpus
    article(corpus, "a", "Titre", FRENCH)
    ingest(settings)
    chunks = stored(settings)["a"]
    assert len(chunks) == chunks[0].n_chunks > 1
    store = ChunkStore.open(settings, MODEL_ID, DIMENSION, create=False)
    body = FRENCH.strip("\n")
    for chunk in store.get([c.chunk_id for c in chunks]):
        assert body[chunk.start:chunk.end] == chunk.text
        assert chunk.article.title == "Titre" and chunk.article.language == "fr"


def test_every_stored_metadata_key_is_read_into_a_typed_value(
    tmp_corpus: tuple[EngineSettings, Path],
) -> None:
    """The store parses chunk metadata once (StoredChunk.from_chroma): what ingest writes
    to Chroma comes back whole, none of it left in an untyped dict."""
    settings, corpus = tmp_corpus
    article(corpus, "a", "Titre", FRENCH)
    path = corpus / "b.md"
    path.write_text("---\ntitle: Quillwork AI recrute\noutlet: Le Veilleur\n"
                    "published: 2025-03-04\nurl: https://example.org/b\n---\n"
                    "Maëlle Ardent rejoint Quillwork AI après six ans chez Lumenfeld.\n",
                    encoding="utf-8")
    ingest(settings)
    raw = open_client(settings).get_collection(settings.collection).get(include=["metadatas"])
    typed = {c.chunk_id: c for c in ChunkStore.open(
        settings, MODEL_ID, DIMENSION, create=False).iter_chunks()}
    assert len(raw["ids"]) == len(typed) > 2
    for chunk_id, meta in zip(raw["ids"], raw["metadatas"], strict=True):
        c = typed[chunk_id]
        read = {k: v for k, v in asdict(c.article).items() if v is not None}
        read.update(start=c.start, end=c.end, chunk=c.index, n_chunks=c.n_chunks, gap=c.gap)
        assert read == meta
    b = next(c for c in typed.values() if c.article_id == "b")
    assert (b.article.outlet, b.article.published, b.article.url, b.article.language) == (
        "Le Veilleur", "2025-03-04", "https://example.org/b", None)


def test_edit_replaces_and_delete_removes(tmp_corpus: tuple[EngineSettings, Path]) -> None:
    settings, corpus = tmp_corpus
    article(corpus, "a", "A", FRENCH)
    path_b = article(corpus, "b", "B", "Mira Murati quitte OpenAI.")
    ingest(settings)
    old_ids = {c.chunk_id for c in stored(settings)["a"]}

    article(corpus, "a", "A", FRENCH + " Baptiste Rozière a quitté Meta en août 2024.")
    path_b.unlink()
    report = ingest(settings)
    assert (report.articles_updated, report.articles_removed) == (1, 1)
    now = stored(settings)
    assert set(now) == {"a"}
    assert not old_ids & {c.chunk_id for c in now["a"]}
    assert any("Rozière" in c.text for c in ChunkStore.open(
        settings, MODEL_ID, DIMENSION, create=False
    ).get([c.chunk_id for c in now["a"]]))


def test_identical_article_under_another_name_is_indexed_once(
    tmp_corpus: tuple[EngineSettings, Path],
) -> None:
    settings, corpus = tmp_corpus
    article(corpus, "a", "A", "Luke Metz a quitté OpenAI.")
    article(corpus, "copy", "A (copie)", "Luke Metz a quitté OpenAI.")
    report = ingest(settings)
    assert set(stored(settings)) == {"a"}
    assert [Path(d.path).stem for d in report.duplicates] == ["copy"]


def test_bad_files_are_reported_and_the_rest_indexed(
    tmp_corpus: tuple[EngineSettings, Path],
) -> None:
    settings, corpus = tmp_corpus
    article(corpus, "good", "Good", "Jiahui Yu rejoint Meta.")
    (corpus / "empty.md").write_text("")
    (corpus / "bin.txt").write_bytes(b"\x00\xff")
    (corpus / "broken.md").write_text("---\ntitle: [\n---\nx")
    report = ingest(settings)
    assert set(stored(settings)) == {"good"}
    assert {Path(s.path).name: s.reason for s in report.skipped}.keys() == {
        "empty.md", "bin.txt", "broken.md"
    }


def _hold_lock(path: str, ready: Any, done: Any) -> None:
    with writer_lock(Path(path)):
        ready.set()
        done.wait(10)


def test_second_writer_gets_a_clear_message(tmp_corpus: tuple[EngineSettings, Path]) -> None:
    settings, corpus = tmp_corpus
    article(corpus, "a", "A", "Texte.")
    ctx = multiprocessing.get_context("spawn")
    ready, done = ctx.Event(), ctx.Event()
    holder = ctx.Process(target=_hold_lock, args=(str(settings.lock_path), ready, done))
    holder.start()
    try:
        assert ready.wait(20)
        with pytest.raises(IndexBusyError, match=f"process {holder.pid}"):
            ingest(settings)
    finally:
        done.set()
        holder.join(10)
    assert ingest(settings).articles_added == 1  # the lock dies with its holder


def test_store_built_with_another_model_is_refused(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    article(settings.corpus_dir, "a", "A", "Texte.")
    ingest(settings)
    with pytest.raises(IndexMismatchError, match="other-model"):
        ChunkStore.open(settings, "other-model", 768, create=False)
    with pytest.raises(IndexMismatchError, match="--rebuild"):
        ChunkStore.open(settings, MODEL_ID, DIMENSION + 1, create=True)


def test_partial_paths_add_without_removing_others(
    tmp_corpus: tuple[EngineSettings, Path], tmp_path: Path
) -> None:
    settings, corpus = tmp_corpus
    article(corpus, "a", "A", "Texte A.")
    ingest(settings)
    extra = tmp_path / "inbox"
    extra.mkdir()
    new = article(extra, "n", "N", "Texte N.")
    report = ingest(settings, [new])
    assert report.articles_added == 1 and report.articles_removed == 0
    assert set(stored(settings)) == {"a", "n"}
