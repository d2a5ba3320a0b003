"""Corpus -> chunks -> embeddings -> Chroma, incrementally and one writer at a time.

Each article's chunks carry its fingerprint. A run compares the corpus with what the store
holds and embeds only new or changed articles: an unchanged corpus costs zero embedding
calls. New chunks are written before the old ones are deleted, so a reader never finds an
article missing, and an interrupted run leaves articles that the next run completes.

An article the embedder fails on does not stop the others: a failing batch is retried one
article at a time, and the article that still fails is reported in `report.skipped`
("embedding failed: ...") and left as it was (its previous version, if any, stays indexed
and so do its move records); the next run tries it again. When the embedder fails on any
text at all, the ingest stops with that error instead of skipping every article.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import Any

from index import derived
from index.corpus import Article, find_files, load_corpus
from index.errors import TalentbotError
from index.lease import writer_lease
from index.lock import writer_lock
from index.moves.sync import sync_moves
from index.settings import EngineSettings
from index.store import ArticleState, ChunkStore, StoredChunk, drop_collection
from index.types import IngestReport, SkippedFile

log = logging.getLogger(__name__)

CHUNK_OVERLAP = 32
ARTICLES_PER_BATCH = 48  # a few hundred chunks per Chroma write
_MAX_TITLE_PIECES = 64

# Called with (articles done, articles to do) as work progresses.
Progress = Callable[[int, int], None]
# Times one named step of the ingest: `with phases("chroma_write"): ...`, so the benchmarks
# see where the time goes without patching this module. Steps nest (make_documents,
# locate_and_count_chunks and the chroma writes run inside split_and_pipeline); whether a
# step's time includes the steps inside it is the caller's choice. The names: read_corpus,
# chroma_open, chroma_scan, split_and_pipeline, make_documents, locate_and_count_chunks,
# chroma_write, chroma_delete, moves_sync, keyword_build.
Phases = Callable[[str], AbstractContextManager[object]]


def _untimed(name: str) -> AbstractContextManager[object]:
    return nullcontext()


def ingest(
    settings: EngineSettings,
    paths: Sequence[Path] | None = None,
    *,
    rebuild: bool = False,
    progress: Progress | None = None,
    embed_model: Any = None,
    phases: Phases | None = None,
) -> IngestReport:
    """Bring the index in line with the corpus (or add/update just the given paths)."""
    started = time.perf_counter()
    phase = phases or _untimed
    report = IngestReport()
    # The file lock for processes sharing this data dir; the lease for other machines.
    with writer_lock(settings.lock_path), writer_lease(settings):
        whole_corpus = not paths
        # Found before the store is touched: a path that is no file or folder stops here.
        with phase("read_corpus"):
            found = find_files(paths or [settings.corpus_dir])
        # Only the model's identity is needed to open the store; llama-index (1-2 s to
        # import) and the model itself load when there is something to embed.
        identity = embed_model or _identity(settings)
        if rebuild:  # from any state, a damaged store included
            drop_collection(settings)
            derived.discard(settings)
        else:
            derived.check_moves(settings)  # a damaged records file is replaced, then re-filled
        with phase("chroma_open"):
            store = ChunkStore.open(settings, identity.model_id, identity.dimension, create=True)
        with phase("chroma_scan"):
            existing = store.articles()
        states = {aid: _state(chunks) for aid, chunks in existing.items()}
        with phase("read_corpus"):
            articles, skipped, duplicates = load_corpus(
                found, settings.max_article_bytes, indexed=existing.keys()
            )
        report.articles_seen = len(articles)
        report.skipped.extend(skipped)
        report.duplicates.extend(duplicates)

        todo: list[Article] = []
        for article in articles:
            state = states.get(article.article_id)
            if state is None:
                report.articles_added += 1
                todo.append(article)
            elif state.fingerprint != article.fingerprint or not state.complete:
                report.articles_updated += 1
                todo.append(article)
            else:
                report.articles_unchanged += 1
        gone = sorted(set(existing) - {a.article_id for a in articles}) if whole_corpus else []
        # A run killed after writing chunks but before its last steps left the keyword cache
        # and the move records' version behind the chunks; this run finishes that work.
        unfinished = not derived.is_current(settings, store, existing)

        failed: set[str] = set()
        if todo:
            embedding = embed_model or _embedding(settings, identity)
            # The pipeline wants llama-index's interface; an adapter keeps it inside.
            embedding = getattr(embedding, "inner", embedding)
            with phase("split_and_pipeline"):
                failed = _index_articles(
                    store, embedding, todo, existing, report, progress, phase
                )
        for article_id in failed:  # left as they were: neither added nor updated
            if article_id in states:
                report.articles_updated -= 1
            else:
                report.articles_added -= 1
        for article_id in gone:
            with phase("chroma_delete"):
                store.delete([c.chunk_id for c in existing[article_id]])
            report.articles_removed += 1
        # The move records follow the text index: an article that could not be indexed
        # keeps the records of the version that is (none for a new one).
        synced = [a for a in articles if a.article_id not in failed]
        with phase("moves_sync"):
            moves_changed = sync_moves(settings, synced, whole_corpus and not failed, report)
        if whole_corpus and failed:
            derived.forget_moves(settings, {a.article_id for a in articles})
        report.articles_extracted = moves_changed
        if todo or gone or rebuild or moves_changed or unfinished:
            with phase("chroma_open"):
                version = store.bump_version()
            with phase("keyword_build"):
                derived.rebuild(settings, store, version)
    report.seconds = time.perf_counter() - started
    return report


def _counters(embedding: Any) -> tuple[int, int] | None:
    """(word pieces embedded, word pieces truncated) so far, if the model counts them (the
    bundled encoders do; a model from elsewhere does not)."""
    from index.embedding import EncoderEmbedding

    if not isinstance(embedding, EncoderEmbedding):
        return None
    encoder = embedding.encoder
    return int(encoder.tokens_embedded), int(encoder.tokens_truncated)


def _identity(settings: EngineSettings) -> Any:
    """Something with the model's `model_id` and `dimension`, as cheaply as possible."""
    from index.query_encoder import load_query_encoder

    # A bundled encoder reads its metadata only: the model loads when something is embedded.
    return load_query_encoder(settings.embed_model, settings.embed_threads, settings.model_cache)


def _embedding(settings: EngineSettings, identity: Any) -> Any:
    """The llama-index embedding for the pipeline, sharing the encoder already made."""
    from index.embedding import EncoderEmbedding

    if hasattr(identity, "chunk_pieces") and hasattr(identity, "embed"):  # a bundled Encoder
        return EncoderEmbedding.around(identity, settings.embed_threads)
    return identity


def _chunking(embedding: Any) -> tuple[Any, int]:
    """The model's own tokenizer and how many of its pieces one chunk may hold.

    A model from elsewhere (Hugging Face) is sized with MiniLM's word pieces and limit, as
    sentence-transformers models of that family read 256 of them.
    """
    encoder = getattr(embedding, "encoder", None)
    if encoder is not None and hasattr(encoder, "chunk_pieces"):
        return encoder.tokenizer, int(encoder.chunk_pieces)
    from index.encoder import MAX_SEQ_LENGTH, WordPieceTokenizer

    return WordPieceTokenizer(), MAX_SEQ_LENGTH - 2


def _index_articles(
    store: ChunkStore,
    embedding: Any,
    todo: list[Article],
    existing: dict[str, list[Any]],
    report: IngestReport,
    progress: Progress | None,
    phase: Phases = _untimed,
) -> set[str]:
    """Embed and store the articles; return the ids of those left as they were."""
    from llama_index.core.ingestion import IngestionPipeline

    tokenizer, chunk_pieces = _chunking(embedding)
    pipeline = IngestionPipeline(transformations=[_splitter(tokenizer, chunk_pieces), embedding])
    failed: set[str] = set()
    done = 0
    if progress:
        progress(0, len(todo))
    for i in range(0, len(todo), ARTICLES_PER_BATCH):
        batch = todo[i:i + ARTICLES_PER_BATCH]
        counted = _counters(embedding)
        ok, by_article = _embed_batch(pipeline, embedding, batch, tokenizer, report, phase)
        if counted is not None:  # the encoder counted as it embedded: no second pass
            fed, cut = _counters(embedding) or (0, 0)
            report.word_pieces += fed - counted[0] + cut - counted[1]
            report.truncated_word_pieces += cut - counted[1]
        indexed = {a.article_id for a in ok}
        failed.update(a.article_id for a in batch if a.article_id not in indexed)
        ids: list[str] = []
        embeddings: list[list[float]] = []
        texts: list[str] = []
        metas: list[dict[str, Any]] = []
        stale: list[str] = []
        for article in ok:
            article_nodes = by_article.get(article.article_id, [])
            try:
                with phase("locate_and_count_chunks"):
                    rows = _rows(
                        article, article_nodes, tokenizer, report, chunk_pieces, counted is None
                    )
            except ValueError as exc:
                report.skipped.append(SkippedFile(article.path, str(exc)))
                failed.add(article.article_id)
                continue
            fresh = set(rows[0])
            stale += [c.chunk_id for c in existing.get(article.article_id, [])
                      if c.chunk_id not in fresh]
            for target, values in zip((ids, embeddings, texts, metas), rows, strict=True):
                target.extend(values)  # type: ignore[attr-defined]
        # One write per batch (Chroma is far faster with larger upserts); new chunks land
        # before the old ones go, so a reader never finds an article missing.
        with phase("chroma_write"):
            store.add(ids, embeddings, texts, metas)
        with phase("chroma_delete"):
            store.delete(stale)
        report.chunks_written += len(ids)
        report.embedded_chunks += len(ids)
        done += len(batch)
        if progress:
            progress(done, len(todo))
    return failed


def _embed_batch(
    pipeline: Any, embedding: Any, batch: list[Article], tokenizer: Any, report: IngestReport,
    phase: Phases = _untimed,
) -> tuple[list[Article], dict[str, list[Any]]]:
    """Chunk and embed a batch: the articles that worked, with their nodes by article id.

    A failing batch is retried one article at a time, so one article the embedder chokes on
    costs only itself; it goes to `report.skipped` with the reason."""
    try:
        return batch, _run_pipeline(pipeline, batch, tokenizer, phase)
    except TalentbotError:
        raise
    except Exception as exc:
        log.warning(
            "embedding a batch of %d articles failed (%s); retrying one by one",
            len(batch), _describe(exc),
        )
    try:
        embedding.get_text_embedding("Embedding probe: is the model itself working?")
    except Exception:
        log.error("the embedding model fails on any text; stopping the ingest")
        raise
    ok: list[Article] = []
    by_article: dict[str, list[Any]] = {}
    for article in batch:
        try:
            by_article.update(_run_pipeline(pipeline, [article], tokenizer, phase))
        except TalentbotError:
            raise
        except Exception as exc:
            log.warning("article %s not indexed: %s", article.article_id, _describe(exc))
            report.skipped.append(
                SkippedFile(article.path, f"embedding failed: {_describe(exc)}")
            )
            continue
        ok.append(article)
    return ok, by_article


def _run_pipeline(
    pipeline: Any, articles: list[Article], tokenizer: Any, phase: Phases = _untimed
) -> dict[str, list[Any]]:
    with phase("make_documents"):
        documents = [_document(article, tokenizer) for article in articles]
    nodes = pipeline.run(documents=documents, show_progress=False)
    by_article: dict[str, list[Any]] = {}
    for node in nodes:
        by_article.setdefault(str(node.ref_doc_id), []).append(node)
    return by_article


def _describe(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or "no message"
    return f"{type(exc).__name__}: {text[:200]}"


def _splitter(tokenizer: Any, chunk_pieces: int) -> Any:
    from llama_index.core.node_parser import SentenceSplitter

    def node_id(i: int, doc: Any) -> str:
        return f"{doc.id_}:{doc.metadata['fingerprint'][:12]}:{i:05d}"

    # Sizes are counted in the embedding model's own pieces, not tiktoken tokens: MiniLM
    # reads 256 of them and silently drops the rest; USE's size is chosen by measurement.
    return SentenceSplitter(
        chunk_size=chunk_pieces,
        chunk_overlap=CHUNK_OVERLAP,
        tokenizer=tokenizer,
        id_func=node_id,
        include_prev_next_rel=False,
    )


def _document(article: Article, tokenizer: Any) -> Any:
    from llama_index.core import Document

    meta = {
        "article_id": article.article_id,
        "title": article.title,
        "outlet": article.outlet,
        "published": article.published,
        "url": article.url,
        "language": article.language,
        "fingerprint": article.fingerprint,
        "content_hash": article.content_hash,
    }
    hidden = [k for k in meta if k != "title"]
    if tokenizer.count(article.title) > _MAX_TITLE_PIECES:
        hidden.append("title")  # a huge title would leave no room for the text
    return Document(
        text=article.body,
        id_=article.article_id,
        metadata={k: v for k, v in meta.items() if v is not None},
        excluded_embed_metadata_keys=hidden,
        excluded_llm_metadata_keys=hidden,
        metadata_template="{key}: {value}",
        text_template="{metadata_str}\n\n{content}",
    )


def _rows(
    article: Article, nodes: list[Any], tokenizer: Any, report: IngestReport,
    chunk_pieces: int, count: bool = True,
) -> tuple[list[str], list[list[float]], list[str], list[dict[str, Any]]]:
    from llama_index.core.schema import MetadataMode

    ids, embeddings, texts, metas = [], [], [], []
    cursor = 0
    for index, node in enumerate(nodes):
        text = node.get_content(MetadataMode.NONE)
        start = node.start_char_idx
        if start is None or article.body[start:start + len(text)] != text:
            # Quotes are verified against the article, so every chunk must be an exact slice.
            start = article.body.find(text, max(0, cursor - len(text)))
            if start < 0:
                raise ValueError("a chunk could not be located in the article text")
        # The whitespace between this chunk and the one before, so that neighbouring chunks
        # can be joined back into the exact article text at answer time.
        gap = article.body[cursor:start] if 0 < start - cursor <= 16 else ""
        gap = gap if not gap.strip() else ""
        cursor = start + len(text)
        if count:  # a model that does not count for us (not the bundled one)
            pieces = tokenizer.count(node.get_content(MetadataMode.EMBED))
            report.word_pieces += pieces
            report.truncated_word_pieces += max(0, pieces - chunk_pieces)
        meta = dict(node.metadata)
        meta.update(start=start, end=start + len(text), chunk=index, n_chunks=len(nodes), gap=gap)
        ids.append(node.node_id)
        embeddings.append(node.embedding)
        texts.append(text)
        metas.append(meta)
    return ids, embeddings, texts, metas


def _state(chunks: list[StoredChunk]) -> ArticleState:
    fingerprints = {c.article.fingerprint for c in chunks}
    first = chunks[0]
    return ArticleState(
        fingerprint=str(first.article.fingerprint) if len(fingerprints) == 1 else "mixed",
        content_hash=str(first.article.content_hash),
        expected_chunks=first.n_chunks,
        chunk_ids=tuple(c.chunk_id for c in chunks),
    )
