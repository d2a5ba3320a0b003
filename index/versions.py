"""Which index version the engine answers from, and getting the next one in.

The loader notices a newer index written by another process (an ingest while the bot
runs), checking at most every `CHECK_EVERY_S`, and switches to it without a restart: at
once when that process left the keyword cache in this data dir, otherwise after
rebuilding it in a background thread (a bot machine of its own against a Chroma server),
answering from the previous version meanwhile. It publishes each version whole as a
`Snapshot` (index/snapshot.py), and owns the local move records that follow the version
(derived by index/derived.py; repaired once when a query finds them damaged).
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

from index.settings import EngineSettings
from index.snapshot import Snapshot

if TYPE_CHECKING:  # loaded with the index, not at `import index.engine` (start-up time)
    from index.encoder import Encoder
    from index.keyword import KeywordIndex
    from index.moves.store import MoveStore
    from index.store import ChunkStore

log = logging.getLogger(__name__)
CHECK_EVERY_S = 2.0  # how often a question may look for a newer version (tests set 0)
_T = TypeVar("_T")


class SnapshotLoader:
    def __init__(self, settings: EngineSettings, encoder: Callable[[], Encoder]) -> None:
        """`encoder`: gives the query encoder, loaded on first use (the store is opened for
        its model and dimension; the retriever embeds questions with it)."""
        self.settings = settings
        self._encoder = encoder
        self._lock = threading.RLock()
        self._current: Snapshot | None = None
        self._handle: ChunkStore | None = None  # the newest store handle
        self._checked_at = 0.0
        self._refreshing: str | None = None  # the version being rebuilt in the background
        self._refreshed = threading.Event()
        self._moves: MoveStore | None = None
        self._damaged_moves: MoveStore | None = None  # last found unreadable (repaired once)

    # -- the version ---------------------------------------------------------------------
    def current(self) -> Snapshot:
        """The snapshot to answer from: the newest version this machine has loaded.
        Raises IndexMissingError (and the store's other errors) when there is no index."""
        with self._lock:
            snapshot = self._current
            now = time.monotonic()
            if snapshot is not None and now - self._checked_at < CHECK_EVERY_S:
                return snapshot
            self._checked_at = now
            store = self._reopened()
            version = store.corpus_version
            if snapshot is not None and version in (snapshot.version, self._refreshing):
                # Up to date, or being brought up to date: only the refresh thread switches
                # (a question that found its half-written caches would redo its work).
                self._current = snapshot.with_store(store)
                return self._current
            keyword = self._cached_keyword(version)
            if keyword is not None or snapshot is None:
                # The writer left its caches where we read them (one data dir, or a shared
                # volume), or there is nothing to answer with yet: switch now.
                keyword = keyword or self._build_keyword(store, version)
                self._derive_moves(store, version)
                return self._switch(store, version, keyword)
            # Another machine wrote a new version: rebuilding the keyword side and the
            # move records takes seconds to minutes at scale, so it runs beside the
            # questions, which keep the previous version's keyword side until it is done
            # (chunks it names that are gone are skipped; new ones come from the dense side).
            self._refreshing = version
            threading.Thread(
                target=self._refresh, args=(store, version), name="talentbot-refresh",
                daemon=True,
            ).start()
            self._current = snapshot.with_store(store)
            return self._current

    @property
    def refreshing(self) -> bool:
        """Whether a newer version is being loaded in the background."""
        return self._refreshing is not None

    def check_soon(self) -> None:
        """Look for a newer version on the next question (this process just wrote one)."""
        with self._lock:
            self._checked_at = 0.0

    def settle(self, timeout: float = 60.0) -> bool:
        """Check for a newer index now and wait for a background refresh to finish: for
        tools and tests that need the newest version; the bot never waits. True when the
        engine serves the store's current version."""
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                self._checked_at = 0.0
                self._refreshed.clear()
            self.current()
            with self._lock:
                if self._refreshing is None:
                    assert self._current is not None and self._handle is not None
                    return self._current.version == self._handle.corpus_version
            if not self._refreshed.wait(max(0.0, deadline - time.monotonic())):
                return False

    def _reopened(self) -> ChunkStore:
        if self._handle is None:
            from index.store import ChunkStore

            encoder = self._encoder()
            self._handle = ChunkStore.open(
                self.settings, encoder.model_id, encoder.dimension, create=False
            )
        self._handle = self._handle.reopened()
        return self._handle

    def _cached_keyword(self, version: str) -> KeywordIndex | None:
        from index.derived import load_keyword

        return load_keyword(self.settings, version)

    def _build_keyword(self, store: ChunkStore, version: str) -> KeywordIndex:
        from index.derived import build_keyword

        return build_keyword(self.settings, store, version)

    def _refresh(self, store: ChunkStore, version: str) -> None:
        try:
            keyword = self._build_keyword(store, version)
            self._derive_moves(store, version)
            with self._lock:
                if self._refreshing == version:
                    self._switch(store, version, keyword)
        except Exception:
            # The previous version keeps answering; the next check tries again.
            log.exception("could not refresh to index version %s", version)
        finally:
            with self._lock:
                if self._refreshing == version:
                    self._refreshing = None
                self._checked_at = 0.0
            self._refreshed.set()

    def _switch(self, store: ChunkStore, version: str, keyword: KeywordIndex) -> Snapshot:
        from index.retrieve import HybridRetriever

        retriever = HybridRetriever(store, keyword, self._encoder(), self.settings.top_k)
        with self._lock:
            self._current = Snapshot(version, store, keyword, retriever)
            self._refreshing = None
        log.info("index version %s loaded (%d chunks)", version, len(keyword))
        return self._current

    # -- the move records of the version -------------------------------------------------
    def _derive_moves(self, store: ChunkStore, version: str) -> None:
        """Bring the local move records in line with the text index they belong to
        (derived from the stored chunks when they belong to another version or were
        found damaged)."""
        from index.derived import ensure_moves

        if ensure_moves(self.settings, store, version):
            self._moves = None  # reopened on next use; a question may still hold the old one

    def moves(self) -> MoveStore | None:
        """The move records, or None when no ingest has written them yet."""
        from index.derived import open_moves

        with self._lock:
            if self._moves is None and self.settings.moves_db.is_file():
                self._moves = open_moves(self.settings)
            return self._moves

    def read_moves(self, read: Callable[[MoveStore], _T], default: _T) -> _T:
        """`read(move records)`, or `default` without records. Records found unreadable by
        a query (the file damaged while the engine runs) are rebuilt from the store once,
        with one warning, and the read retried."""
        from index import derived

        moves = self.moves()
        if moves is None:
            return default
        try:
            return read(moves)
        except sqlite3.DatabaseError as exc:
            if isinstance(exc, sqlite3.OperationalError):
                raise  # locked, read-only, disk full: not damage
            with self._lock:
                snapshot = self.current()
                if self._damaged_moves is not moves:  # else another question repaired it
                    self._damaged_moves = moves
                    log.warning("move records in %s unreadable (%s); rebuilding them from "
                                "the index", self.settings.moves_db, exc)
                    self._moves = None
                    derived.discard_moves(self.settings)
                    derived.ensure_moves(self.settings, snapshot.store, snapshot.version)
        moves = self.moves()
        return default if moves is None else read(moves)
