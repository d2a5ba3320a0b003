"""Derived data follows the store's version: the keyword (BM25) cache and the move records.

Both are computed from what the Chroma store holds and kept in the data dir under the
store's corpus version. This module is their one home: whether they are current, verifying
them when they are read (the keyword cache against the SHA-256 written with it, the move
records with SQLite's quick check and their schema version), and rebuilding them: after an
ingest, on a machine that never saw the corpus (a bot on a Chroma server), and when a file
is found damaged — one warning line, then the rebuild from the store; no traceback reaches
`ask`, `company` or `ingest`.
"""

from __future__ import annotations

import logging
import shutil
import sqlite3
import time
from collections.abc import Iterable
from typing import Any

from index.errors import IndexMismatchError
from index.keyword import DamagedCacheError, KeywordIndex
from index.moves import store as move_records
from index.moves.store import MoveStore
from index.settings import EngineSettings
from index.types import IngestReport

log = logging.getLogger(__name__)


# -- the keyword cache ------------------------------------------------------------------------
def load_keyword(settings: EngineSettings, version: str) -> KeywordIndex | None:
    """The cached keyword index of `version`, verified; None when there is none for that
    version or it is damaged (said once in the log; the caller rebuilds it)."""
    try:
        return KeywordIndex.load(settings.keyword_dir, version)
    except DamagedCacheError as exc:
        log.warning("%s; rebuilding it from the index", exc)
        return None


def build_keyword(
    settings: EngineSettings, store: Any, version: str, *, must_save: bool = False
) -> KeywordIndex:
    """The keyword index rebuilt from every stored chunk and cached for `version`. A
    cache that cannot be written (read-only data dir) still gives an index to answer
    with, unless `must_save` (an ingest, whose job is to leave the cache behind)."""
    started = time.perf_counter()
    keyword = KeywordIndex.from_store(store)
    log.info("keyword side rebuilt from %d chunks in %.1f s", len(keyword),
             time.perf_counter() - started)
    try:
        keyword.save(settings.keyword_dir, version)
    except OSError as exc:
        if must_save:
            raise
        log.warning("could not cache the keyword index: %s", exc)
    return keyword


def keyword_damage(settings: EngineSettings) -> str | None:
    """For `doctor`: what is wrong with the keyword cache's files (None when there is no
    cache, or it matches its checksum). A cache of an older version is not damage."""
    if KeywordIndex.cached_version(settings.keyword_dir) is None:
        return None
    try:
        KeywordIndex.verify(settings.keyword_dir)
    except DamagedCacheError as exc:
        return str(exc)
    return None


# -- the move records -------------------------------------------------------------------------
def open_moves(settings: EngineSettings) -> MoveStore:
    """The move records, verified: a file that is unreadable, fails SQLite's quick check or
    has another schema is replaced by an empty one that belongs to no version, so the
    next check derives the records again from the store."""
    problem = move_records.damage(settings.moves_db)
    if problem is None:
        try:
            return MoveStore(settings.moves_db)
        except IndexMismatchError as exc:
            problem = str(exc)
        except sqlite3.DatabaseError as exc:
            if isinstance(exc, sqlite3.OperationalError):
                raise  # locked, read-only, disk full: not the file's damage
            problem = str(exc)
    log.warning("move records in %s are damaged (%s); rebuilding them from the index",
                settings.moves_db, problem)
    discard_moves(settings)
    return MoveStore(settings.moves_db)


def check_moves(settings: EngineSettings) -> None:
    """Replace a damaged move-records file before anything else opens it (an ingest)."""
    open_moves(settings).close()


def moves_damage(settings: EngineSettings) -> str | None:
    """For `doctor`: what is wrong with the move-records file, read-only."""
    return move_records.damage(settings.moves_db)


def discard_moves(settings: EngineSettings) -> None:
    db = settings.moves_db
    for suffix in ("", "-wal", "-shm"):
        db.with_name(db.name + suffix).unlink(missing_ok=True)


def discard(settings: EngineSettings) -> None:
    """Forget all derived data (`ingest --rebuild`)."""
    discard_moves(settings)
    shutil.rmtree(settings.keyword_dir, ignore_errors=True)


def mark_moves_current(settings: EngineSettings, version: str) -> None:
    with open_moves(settings) as moves:
        moves.set_corpus_version(version)


def forget_moves(settings: EngineSettings, current: Iterable[str]) -> None:
    """Drop the move records of articles no longer in the corpus (what `sync_moves` does
    for a whole corpus, without touching the records of articles that failed)."""
    with open_moves(settings) as moves:
        moves.remove_articles(sorted(set(moves.states()) - set(current)))


def ensure_moves(settings: EngineSettings, store: Any, version: str) -> bool:
    """Bring the local move records in line with the text index of `version`. The ingest
    that wrote the index did it already on its own machine; another machine (several
    bots on one Chroma server), or one whose records were damaged, derives them here from
    the stored chunks. True when records were derived."""
    from index.moves.sync import derive_moves

    started = time.perf_counter()
    try:
        with open_moves(settings) as moves:
            if moves.corpus_version == version:
                return False
        extracted = derive_moves(settings, store, IngestReport())
        mark_moves_current(settings, version)
    except (OSError, sqlite3.Error) as exc:  # a read-only data dir: answer without records
        log.warning("could not update the move records: %s", exc)
        return False
    log.info("move records derived from the index (%d articles extracted) in %.1f s",
             extracted, time.perf_counter() - started)
    return True


# -- both -------------------------------------------------------------------------------------
def is_current(settings: EngineSettings, store: Any, existing: dict[str, list[Any]]) -> bool:
    """Whether the derived data matches the store (`existing`: its chunks by article): the
    keyword cache holds exactly the stored chunks under the store's version and matches its
    checksum, and the move records are sound and marked with that version. False after a
    run killed before its last steps, or when either was damaged: the ingest redoes them."""
    version = store.corpus_version
    if not existing and version == "empty":
        return True  # nothing was ever written
    ids = KeywordIndex.cached_ids(settings.keyword_dir, version)
    stored = {c.chunk_id for chunks in existing.values() for c in chunks}
    if ids is None or set(ids) != stored or keyword_damage(settings) is not None:
        return False
    if not settings.moves_db.is_file():
        return False
    with open_moves(settings) as moves:
        return moves.corpus_version == version


def rebuild(settings: EngineSettings, store: Any, version: str) -> None:
    """After an ingest wrote `version`: the keyword cache rebuilt, the records marked."""
    build_keyword(settings, store, version, must_save=True)
    mark_moves_current(settings, version)
