"""The Chroma side: one collection of chunks with their embeddings and article metadata.

The collection records the schema version, the embedding model and its dimension, and a
corpus version that changes on every ingest that writes; opening it with another model
fails with a clear message instead of mixing vectors. Only chromadb is imported here (not
llama-index's wrapper) because this module is on the question path, where start-up counts.

A damaged store (its SQLite file overwritten or cut short) surfaces as chromadb's
`InternalError` or as a Rust panic (`pyo3_runtime.PanicException`, a BaseException that
`except Exception` lets through); both become one StoreDamagedError here, where Chroma is
opened and queried, saying to restore a backup or rebuild.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import re
import shutil
import sqlite3
import sys
import tempfile
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from index.errors import (
    IndexMismatchError,
    IndexMissingError,
    StoreAuthError,
    StoreDamagedError,
    StoreUnavailableError,
)
from index.memory import release_free_memory
from index.redact import redact
from index.settings import EngineSettings
from index.types import ArticleRef

log = logging.getLogger(__name__)

SCHEMA_VERSION = 1
# chromadb refuses larger add() batches (its max_batch_size is 5,461 here).
WRITE_BATCH = 4_000
# Pages of a full read: at 100k chunks, pages of 5,000 left a bot ~200 MiB larger after
# the read, pages of 1,000 ~90 MiB (and took 12.9 s instead of 11.1 s against a server).
_READ_PAGE = 1_000


@dataclass(frozen=True, slots=True)  # one per chunk read: 100k at scale
class StoredChunk:
    """One chunk as stored, its metadata read once into typed values (`from_chroma`): the
    rest of the engine never reads the raw metadata dict."""

    chunk_id: str
    text: str
    article: ArticleRef
    start: int = 0  # offset of `text` in the article body
    end: int = 0  # offset just past `text` (start + len(text))
    index: int = 0  # position among the article's chunks
    n_chunks: int = -1  # how many chunks the article was cut into (-1: not recorded)
    gap: str = ""  # the whitespace between the chunk before and this one

    @property
    def article_id(self) -> str:
        return self.article.article_id

    @classmethod
    def from_chroma(cls, chunk_id: str, text: str, meta: Mapping[str, Any]) -> StoredChunk:
        """The chunk from Chroma's metadata, with the keys ingest writes (index/ingest.py
        `_document` and `_rows`)."""
        start = int(meta.get("start", 0))
        return cls(
            chunk_id=chunk_id,
            text=text,
            article=ArticleRef.from_meta(meta),
            start=start,
            end=int(meta.get("end", start + len(text))),
            index=int(meta.get("chunk", 0)),
            n_chunks=int(meta.get("n_chunks", -1)),
            gap=str(meta.get("gap", "")),
        )


@dataclass(frozen=True)
class ArticleState:
    fingerprint: str
    content_hash: str
    expected_chunks: int
    chunk_ids: tuple[str, ...]

    @property
    def complete(self) -> bool:
        return len(self.chunk_ids) == self.expected_chunks


def open_client(settings: EngineSettings) -> Any:
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
    if settings.chroma_host:
        headers = {}
        if settings.chroma_auth_token is not None:
            headers["Authorization"] = f"Bearer {settings.chroma_auth_token.get_secret_value()}"
        with store_errors(_where(settings)):
            try:
                return chromadb.HttpClient(
                    host=settings.chroma_host, port=settings.chroma_port,
                    ssl=settings.chroma_ssl, headers=headers, settings=chroma_settings,
                )
            except ValueError:  # chromadb's "Could not connect to a Chroma server"
                # chromadb says that for a refused login too: ask the server what it was.
                _diagnose(settings, headers)
                raise StoreUnavailableError(
                    _unreachable(_where(settings), "no connection")
                ) from None
    settings.chroma_dir.mkdir(parents=True, exist_ok=True)
    try:
        # The panic becomes StoreDamagedError outside the held output, which sees the panic.
        with store_errors(_where(settings)), _panic_output_held():
            return chromadb.PersistentClient(
                path=str(settings.chroma_dir), settings=chroma_settings
            )
    except StoreDamagedError:
        _forget_system(settings)
        raise


@contextmanager
def store_errors(where: str) -> Iterator[None]:
    """A Chroma server's connection and auth failures, and a damaged store, as messages a
    user can act on.

    A server's or proxy's error text is never passed on as is: it can echo the request's
    headers (CHROMA_AUTH_TOKEN); what is kept is masked by index/redact.py."""
    import httpx
    from chromadb.errors import AuthorizationError, ChromaAuthError, ChromaError, InternalError

    try:
        yield
    except httpx.HTTPStatusError as exc:
        raise _status_error(where, exc.response.status_code) from None
    except httpx.HTTPError as exc:  # refused, reset, timed out ...
        raise StoreUnavailableError(
            _unreachable(where, f"{type(exc).__name__}: {redact(str(exc))[:200]}")
        ) from None
    except (ChromaAuthError, AuthorizationError):
        raise _status_error(where, 403) from None
    except InternalError as exc:
        if not _DAMAGE.search(str(exc)):
            raise
        raise damaged_store(where, redact(str(exc))) from None
    except ChromaError:
        raise  # chromadb's own errors (no such collection ...): the caller's business
    except Exception as exc:
        # chromadb raises a bare Exception(response body) for a non-JSON error reply
        # (a proxy's page, a server that echoes headers).
        if type(exc) is not Exception:
            raise
        raise StoreUnavailableError(
            f"{where} answered with an error: {redact(str(exc))[:200]}"
        ) from None
    except BaseException as exc:
        if not is_rust_panic(exc):
            raise
        raise damaged_store(where, str(exc)) from None


# What SQLite says of a damaged file (SQLITE_CORRUPT is code 11, SQLITE_NOTADB code 26).
_DAMAGE = re.compile(r"malformed|not a database|code: (?:11|26)\b")


def is_rust_panic(exc: BaseException) -> bool:
    """chromadb's Rust core panicking (`pyo3_runtime.PanicException`, which derives from
    BaseException and cannot be imported by name)."""
    return type(exc).__name__ == "PanicException"


def damaged_store(where: str, detail: str) -> StoreDamagedError:
    found = re.search(r'message: "([^"]+)"', detail)
    detail = found.group(1) if found else " ".join(detail.split())[:160]
    if where.startswith("the Chroma server"):
        repair = "restore the server's volume from a backup (see deploy/README.md)"
    else:
        repair = "restore a backup with `talentbot restore BACKUP.tar.gz`"
    return StoreDamagedError(
        f"The vector store in {where} is damaged ({detail}): {repair}, or rebuild it "
        "from the corpus with `talentbot ingest --rebuild`."
    )


@contextmanager
def _panic_output_held() -> Iterator[None]:
    """Rust's panic hook writes its message and backtrace straight to file descriptor 2
    before Python sees the exception: hold what is written there while chromadb opens
    the store, drop it when that panicked (the user gets StoreDamagedError's one line),
    and pass it on otherwise. Only around opening, which happens once per process."""
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError):  # no usable descriptor 2: nothing to hold
        yield
        return
    panicked = False
    with tempfile.TemporaryFile() as held:
        os.dup2(held.fileno(), 2)
        try:
            yield
        except BaseException as exc:
            panicked = is_rust_panic(exc)
            raise
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            held.seek(0)
            text = held.read()
            if panicked:
                log.debug("chromadb panicked opening the store: %s", text.decode(errors="replace"))
            elif text:
                os.write(2, text)


def _forget_system(settings: EngineSettings) -> None:
    """chromadb caches one client system per folder, even one that failed to start (it
    then fails with AttributeError): drop ours so the next open starts afresh."""
    from chromadb.api.shared_system_client import SharedSystemClient

    key = str(settings.chroma_dir)
    # Private attributes of chromadb 1.x: another version without them has nothing to drop.
    system = getattr(SharedSystemClient, "_identifier_to_system", {}).pop(key, None)
    getattr(SharedSystemClient, "_identifier_to_refcount", {}).pop(key, None)
    if system is not None:
        try:
            system.stop()
        except BaseException as exc:  # a half-started system (a panic) cannot stop cleanly
            if not (isinstance(exc, Exception) or is_rust_panic(exc)):
                raise


def embedded_damage(settings: EngineSettings) -> str | None:
    """What SQLite's quick check finds wrong with the embedded store's file (None when it
    is sound or absent), read-only and without starting chromadb."""
    if settings.chroma_host:
        return None
    return sqlite_damage(settings.chroma_db)


def sqlite_damage(path: Path) -> str | None:
    """SQLite's quick check of a file, read-only (pages and indexes; far cheaper than a
    full integrity check): None when it is sound or absent, else the first problem."""
    if not path.is_file():
        return None
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)
        try:
            rows = db.execute("PRAGMA quick_check(20)").fetchall()
        finally:
            db.close()
    except sqlite3.OperationalError as exc:  # locked, unreadable: not the file's damage
        log.debug("could not check %s: %s", path, exc)
        return None
    except sqlite3.DatabaseError as exc:  # "file is not a database", "malformed"
        return str(exc)
    lines = [line.strip() for row in rows for line in str(row[0]).splitlines()]
    problems = [line for line in lines if line and line != "ok" and not line.startswith("***")]
    if not problems:
        return None
    more = f" and {len(problems) - 1} more" if len(problems) > 1 else ""
    return f"{problems[0][:200]}{more}"


def drop_collection(settings: EngineSettings) -> None:
    """Start the collection over (`ingest --rebuild`), from any state: a damaged embedded
    store cannot be opened to drop one collection, so its folder is deleted whole (the
    caller holds the writer lock)."""
    from chromadb.errors import NotFoundError

    where = _where(settings)
    problem = embedded_damage(settings)
    if problem is None:
        try:
            client = open_client(settings)
            with store_errors(where):
                try:
                    client.delete_collection(settings.collection)
                except NotFoundError:
                    log.debug("no collection %s to drop", settings.collection)
            return
        except StoreDamagedError as exc:
            if settings.chroma_host:
                raise
            problem = str(exc)
    log.warning("the embedded store in %s is damaged (%s); deleting it to rebuild",
                settings.chroma_dir, problem)
    _forget_system(settings)
    shutil.rmtree(settings.chroma_dir, ignore_errors=True)


def _status_error(where: str, status: int) -> StoreUnavailableError:
    if status in (401, 403):
        return StoreAuthError(
            f"{where} refused our credentials (HTTP {status}): check CHROMA_AUTH_TOKEN."
        )
    return StoreUnavailableError(f"{where} answered HTTP {status}; check the server's logs.")


def _diagnose(settings: EngineSettings, headers: dict[str, str]) -> None:
    """Raise the precise error when the server answers but refuses us (401/403) or fails;
    return when it cannot be reached at all."""
    import httpx

    scheme = "https" if settings.chroma_ssl else "http"
    url = f"{scheme}://{settings.chroma_host}:{settings.chroma_port}/api/v2/heartbeat"
    try:
        response = httpx.get(url, headers=headers, timeout=5.0)
    except httpx.HTTPError:
        return
    if response.status_code >= 400:
        raise _status_error(_where(settings), response.status_code)
    # The heartbeat answers without auth on a token-protected server: try an authed route.
    try:
        response = httpx.get(url.replace("/heartbeat", "/auth/identity"), headers=headers,
                             timeout=5.0)
    except httpx.HTTPError:
        return
    if response.status_code in (401, 403):
        raise _status_error(_where(settings), response.status_code)


def _unreachable(where: str, detail: str) -> str:
    return (
        f"Cannot reach {where} ({detail}): is it running? "
        "Check CHROMA_HOST, CHROMA_PORT and CHROMA_SSL."
    )


class ChunkStore:
    def __init__(self, client: Any, collection: Any, where: str = "the vector store") -> None:
        self._client = client
        self._collection = collection
        self._where = where

    @classmethod
    def open(
        cls, settings: EngineSettings, model_id: str, dimension: int, *, create: bool
    ) -> ChunkStore:
        from chromadb.errors import NotFoundError

        client = open_client(settings)
        name = settings.collection
        where = _where(settings)
        with store_errors(where):
            if create:
                collection = client.get_or_create_collection(
                    name,
                    metadata={
                        "hnsw:space": "cosine",
                        "schema_version": SCHEMA_VERSION,
                        "embed_model": model_id,
                        "dimension": dimension,
                        "corpus_version": "empty",
                    },
                    embedding_function=None,
                )
            else:
                try:
                    collection = client.get_collection(name, embedding_function=None)
                except NotFoundError:  # only "no such collection": not a network failure
                    raise IndexMissingError(
                        f"There is no index in {where} yet: run `talentbot ingest` "
                        "to build it from the corpus."
                    ) from None
        store = cls(client, collection, where)
        store.check_compatible(model_id, dimension, where)
        return store

    def check_compatible(self, model_id: str, dimension: int, where: str) -> None:
        meta = self.metadata
        schema = meta.get("schema_version")
        if schema != SCHEMA_VERSION:
            raise IndexMismatchError(
                f"The index in {where} has schema version {schema}; this talentbot needs "
                f"{SCHEMA_VERSION}. Rebuild it with `talentbot ingest --rebuild`."
            )
        if meta.get("embed_model") != model_id or meta.get("dimension") != dimension:
            raise IndexMismatchError(
                f"The index in {where} was built with the embedding model "
                f"{meta.get('embed_model')} ({meta.get('dimension')} dimensions), but this "
                f"configuration uses {model_id} ({dimension} dimensions). Rebuild it with "
                "`talentbot ingest --rebuild`, or point TALENTBOT_DATA_DIR (or "
                "TALENTBOT_COLLECTION) elsewhere."
            )

    def reopened(self) -> ChunkStore:
        """The same collection with fresh metadata (another process may have written)."""
        from chromadb.errors import NotFoundError

        with store_errors(self._where):
            try:
                collection = self._client.get_collection(
                    self._collection.name, embedding_function=None
                )
            except NotFoundError:  # dropped by a --rebuild under way: keep what we have
                return self
        return ChunkStore(self._client, collection, self._where)

    @property
    def metadata(self) -> dict[str, Any]:
        return dict(self._collection.metadata or {})

    @property
    def corpus_version(self) -> str:
        return str(self.metadata.get("corpus_version", "empty"))

    def bump_version(self) -> str:
        version = uuid.uuid4().hex[:16]
        meta = {k: v for k, v in self.metadata.items() if not k.startswith("hnsw:")}
        meta["corpus_version"] = version
        meta["updated_at"] = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        with store_errors(self._where):
            self._collection.modify(metadata=meta)
        return version

    def count(self) -> int:
        with store_errors(self._where):
            return int(self._collection.count())

    def add(
        self,
        ids: Sequence[str],
        embeddings: Sequence[Sequence[float]],
        documents: Sequence[str],
        metadatas: Sequence[dict[str, Any]],
    ) -> None:
        for i in range(0, len(ids), WRITE_BATCH):
            j = i + WRITE_BATCH
            with store_errors(self._where):
                self._collection.upsert(
                    ids=list(ids[i:j]),
                    embeddings=[list(e) for e in embeddings[i:j]],
                    documents=list(documents[i:j]),
                    metadatas=[_clean(m) for m in metadatas[i:j]],
                )

    def delete(self, ids: Sequence[str]) -> None:
        for i in range(0, len(ids), WRITE_BATCH):
            with store_errors(self._where):
                self._collection.delete(ids=list(ids[i:i + WRITE_BATCH]))

    def iter_chunks(self, *, with_text: bool = True) -> Iterator[StoredChunk]:
        include = ["metadatas", "documents"] if with_text else ["metadatas"]
        offset = 0
        while True:
            with store_errors(self._where):
                page = self._collection.get(include=include, limit=_READ_PAGE, offset=offset)
            ids = page["ids"]
            if not ids:
                return
            docs = page.get("documents") or [""] * len(ids)
            for chunk_id, doc, meta in zip(ids, docs, page["metadatas"], strict=True):
                yield StoredChunk.from_chroma(chunk_id, doc or "", meta or {})
            offset += len(ids)
            # A page is megabytes; without this a full read leaves them all resident.
            del page, docs, ids
            release_free_memory()

    def chunks_of(self, article_ids: Sequence[str]) -> dict[str, list[StoredChunk]]:
        """The chunks, with text, of these articles only."""
        if not article_ids:
            return {}
        with store_errors(self._where):
            page = self._collection.get(
                where={"article_id": {"$in": list(article_ids)}},
                include=["metadatas", "documents"],
            )
        grouped: dict[str, list[StoredChunk]] = {}
        for chunk_id, doc, meta in zip(
            page["ids"], page["documents"], page["metadatas"], strict=True
        ):
            chunk = StoredChunk.from_chroma(chunk_id, doc or "", meta or {})
            grouped.setdefault(chunk.article_id, []).append(chunk)
        return grouped

    def articles(self) -> dict[str, list[StoredChunk]]:
        grouped: dict[str, list[StoredChunk]] = {}
        for chunk in self.iter_chunks(with_text=False):
            grouped.setdefault(chunk.article_id, []).append(chunk)
        return grouped

    def query(self, embedding: Sequence[float], k: int) -> list[tuple[str, float]]:
        """Nearest chunk ids with cosine similarity, best first."""
        # No count() first: Chroma returns what it has when k exceeds it (one round trip
        # less per question against a server).
        with store_errors(self._where):
            result = self._collection.query(
                query_embeddings=[list(embedding)], n_results=k, include=["distances"]
            )
        if not result["ids"] or not result["ids"][0]:
            return []
        return [
            (cid, 1.0 - float(dist))
            for cid, dist in zip(result["ids"][0], result["distances"][0], strict=True)
        ]

    def get(self, ids: Sequence[str]) -> list[StoredChunk]:
        if not ids:
            return []
        with store_errors(self._where):
            page = self._collection.get(ids=list(ids), include=["metadatas", "documents"])
        found = {
            cid: StoredChunk.from_chroma(cid, doc or "", meta or {})
            for cid, doc, meta in zip(
                page["ids"], page["documents"], page["metadatas"], strict=True
            )
        }
        return [found[i] for i in ids if i in found]


def _clean(meta: dict[str, Any]) -> dict[str, Any]:
    # Chroma metadata values must be str, int, float or bool: leave unknowns out.
    return {k: v for k, v in meta.items() if v is not None}


def _where(settings: EngineSettings) -> str:
    if settings.chroma_host:
        return f"the Chroma server at {settings.chroma_host}:{settings.chroma_port}"
    return str(settings.data_dir)
