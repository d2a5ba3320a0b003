"""Keeping the move records in step with the corpus, as part of every ingest."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from index.corpus import Article
from index.memory import release_free_memory
from index.moves.overrides import apply_overrides, load_overrides
from index.moves.store import MoveStore
from index.organisations import BUILT_IN_FILE, curation_digest, load_organisations, load_outlets
from index.settings import EngineSettings
from index.store import StoredChunk
from index.types import IngestReport, SkippedFile


def extractor_version() -> str:
    """Changes with the extraction code (the whole index/moves package) and the built-in
    organisations, so new rules re-extract every article (records only: nothing is
    re-embedded)."""
    digest = hashlib.sha256()
    package = Path(__file__).parent
    for path in sorted(package.glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    digest.update(BUILT_IN_FILE.read_bytes())
    return digest.hexdigest()[:12]


def rules_version(settings: EngineSettings) -> str:
    org_hash = curation_digest(settings.organisations_file)
    _, override_hash = load_overrides(settings.overrides_file)
    return f"{extractor_version()}:{org_hash}:{override_hash}"


def sync_moves(
    settings: EngineSettings,
    articles: Iterable[Article],
    whole_corpus: bool,
    report: IngestReport,
) -> int:
    """Extract records for new or changed articles (or all, when the rules changed);
    drop those of deleted articles. Returns how many articles were (re-)extracted."""
    from index.moves.extract import extract_moves

    try:
        overrides, _ = load_overrides(settings.overrides_file)
    except ValueError as exc:
        report.skipped.append(SkippedFile(str(settings.overrides_file), str(exc)))
        overrides = {}
    version = rules_version(settings)
    organisations = load_organisations(settings.organisations_file)
    outlets = load_outlets(settings.organisations_file)
    with MoveStore(settings.moves_db) as store:
        states = store.states()
        done = 0
        current: set[str] = set()
        for article in articles:
            current.add(article.article_id)
            if states.get(article.article_id) == (article.fingerprint, version):
                continue
            moves = extract_moves(article, organisations, outlets)
            moves, problems = apply_overrides(article, moves, overrides)
            for problem in problems:
                report.skipped.append(SkippedFile(str(settings.overrides_file), problem))
            store.replace_article(article, version, moves)
            done += 1
        if whole_corpus:
            store.remove_articles(sorted(set(states) - current))
        return done


DERIVE_BATCH = 64  # articles whose chunks are read at once


def derive_moves(settings: EngineSettings, store: Any, report: IngestReport) -> int:
    """The records of a machine that never saw the corpus files (a bot on a Chroma
    server), brought in line with the store: a metadata-only pass finds the articles
    whose records are missing or stale, and only their chunks are read, a batch at a
    time, so memory stays flat at any corpus size. Returns how many were extracted."""
    rules = rules_version(settings)
    with MoveStore(settings.moves_db) as moves:
        states = moves.states()
    stored: dict[str, str] = {}
    for chunk in store.iter_chunks(with_text=False):
        stored.setdefault(chunk.article_id, str(chunk.article.fingerprint))
    todo = sorted(a for a, fingerprint in stored.items() if states.get(a) != (fingerprint, rules))

    def batches() -> Iterator[Article]:
        for i in range(0, len(todo), DERIVE_BATCH):
            yield from articles_from_chunks(store.chunks_of(todo[i:i + DERIVE_BATCH]))
            release_free_memory()  # see index/memory.py

    # One pass, one load of the rules and organisations, one batch in memory at a time.
    done = sync_moves(settings, batches(), False, report)
    gone = sorted(set(states) - set(stored))
    if gone:
        with MoveStore(settings.moves_db) as moves:
            moves.remove_articles(gone)
    return done


def articles_from_chunks(chunks_by_article: dict[str, list[StoredChunk]]) -> list[Article]:
    """Articles rebuilt exactly from their stored chunks (exact slices with their offsets
    and the whitespace between them), kept only when the rebuilt text has the fingerprint
    the ingest recorded: a bot machine that never saw the corpus files (Chroma server
    mode) derives the same move records as the ingest job did."""
    out = []
    for article_id, chunks in sorted(chunks_by_article.items()):
        chunks = sorted(chunks, key=lambda c: c.start)
        body = ""
        for chunk in chunks:
            start, gap = chunk.start, chunk.gap
            if start <= len(body) and body[start:] == chunk.text[: len(body) - start]:
                body = body[:start] + chunk.text
            elif start == len(body) + len(gap):
                body += gap + chunk.text
            else:
                body = ""
                break
        if not chunks:
            continue
        ref = chunks[0].article
        article = Article(
            article_id=article_id, title=ref.title, body=body, outlet=ref.outlet,
            published=ref.published, url=ref.url, language=ref.language,
        )
        if body and article.fingerprint == ref.fingerprint:
            out.append(article)
    return out
