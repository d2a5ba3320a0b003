"""The keyword (BM25) side of retrieval, over the same chunks as the vector store.

It is derived data: built from the chunks Chroma holds and cached on disk under the
store's corpus version, so every process (bot, CLI, a second bot machine) that reads the
same store agrees on it, and a stale cache is simply rebuilt. The cache's head records a
SHA-256 of every other file in it: random bytes in an index array would otherwise raise
`IndexError` on every question, or silently change the scores (index/derived.py rebuilds
a cache that fails the check).
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import shutil
import tempfile
from array import array
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np

from index.lexicon import expand
from index.memory import release_free_memory
from index.text import analyze

log = logging.getLogger(__name__)
_FORMAT = 3  # 2: chunk ids in their own file; 3: a checksum of the files in the head
_HEAD, _IDS = "talentbot.json", "ids.json"
K1, B = 1.2, 0.75


def _bm25s() -> Any:
    import bm25s

    # bm25s sets its own logger to DEBUG when imported; our log level decides.
    logging.getLogger("bm25s").setLevel(max(log.getEffectiveLevel(), logging.INFO))
    return bm25s


class _Pairs:
    """(chunk, term, count) triples accumulated chunk by chunk in flat arrays."""

    def __init__(self) -> None:
        self.vocab: dict[str, int] = {}
        self.terms = array("i")  # term id of each (chunk, term) pair
        self.counts = array("f")  # occurrences of that term in that chunk
        self.lengths = array("i")  # terms per chunk
        self.pairs = array("i")  # distinct terms per chunk

    def add(self, doc: list[str]) -> None:
        vocab = self.vocab
        tally = Counter(vocab.setdefault(t, len(vocab)) for t in doc)
        self.terms.extend(tally.keys())
        self.counts.extend(tally.values())
        self.lengths.append(len(doc))
        self.pairs.append(len(tally))

    def bm25(self, k1: float = K1, b: float = B) -> Any:
        """bm25s's index (Lucene's BM25, its default): one column of scores per term. At
        its peak this holds about 16 bytes a (chunk, term) pair."""
        n_docs, n_terms = len(self.lengths), len(self.vocab)
        term = np.frombuffer(self.terms, dtype=np.int32)
        score = np.frombuffer(self.counts, dtype=np.float32)  # tf, then the score, in place
        doc_len = np.frombuffer(self.lengths, dtype=np.int32)
        per_doc = np.frombuffer(self.pairs, dtype=np.int32)
        df = np.bincount(term, minlength=n_terms)
        idf = np.log1p((n_docs - df + 0.5) / (df + 0.5)).astype(np.float32)
        # tf / (tf + k1 * (1 - b + b * len / avg_len)) * idf
        ratio = doc_len / doc_len.mean()
        norm = np.repeat((k1 * (1 - b + b * ratio)).astype(np.float32), per_doc)
        norm += score
        np.divide(score, norm, out=score)
        del norm
        score *= idf[term]
        indptr = np.zeros(n_terms + 1, dtype=np.int64)
        np.cumsum(df, out=indptr[1:])
        data, indices = _columns(term, score, per_doc, indptr)
        del term, score
        self.terms, self.counts = array("i"), array("f")
        bm25 = _bm25s().BM25(k1=k1, b=b)
        bm25.scores = {"data": data, "indices": indices, "indptr": indptr, "num_docs": n_docs}
        bm25.vocab_dict = self.vocab
        bm25.unique_token_ids_set = set(self.vocab.values())
        bm25.nonoccurrence_array = None
        return bm25


_BLOCK_PAIRS = 1 << 20


def _columns(
    term: np.ndarray, score: np.ndarray, per_doc: np.ndarray, indptr: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Pairs come chunk by chunk (rows); bm25s wants them term by term (CSC columns), chunks
    ascending within a column. One argsort of all pairs would need 8 bytes a pair for the
    order alone (60 MiB at 100k chunks, while a bot's previous index is still answering),
    so the pairs are placed a block of chunks at a time."""
    data = np.empty(len(term), dtype=np.float32)
    indices = np.empty(len(term), dtype=np.int32)
    cursor = indptr[:-1].copy()  # the next free slot of each column
    bounds = np.zeros(len(per_doc) + 1, dtype=np.int64)
    np.cumsum(per_doc, out=bounds[1:])
    first = 0
    while first < len(per_doc):
        # As many chunks as fit in a block (at least one).
        fits = int(np.searchsorted(bounds, bounds[first] + _BLOCK_PAIRS, side="right")) - 1
        last = max(first + 1, fits)
        lo, hi = int(bounds[first]), int(bounds[last])
        block = term[lo:hi]
        order = np.argsort(block, kind="stable")  # chunk order kept within a term
        sorted_terms = block[order]
        rank = np.arange(hi - lo) - np.searchsorted(sorted_terms, sorted_terms, side="left")
        slots = cursor[sorted_terms] + rank
        data[slots] = score[lo:hi][order]
        docs = np.repeat(np.arange(first, last, dtype=np.int32), per_doc[first:last])
        indices[slots] = docs[order]
        cursor += np.bincount(sorted_terms, minlength=len(cursor))
        first = last
    return data, indices


class DamagedCacheError(ValueError):
    """A keyword cache whose files do not match the checksum written with them."""


def _digest(folder: Path) -> str:
    """SHA-256 over the names and bytes of every file of a cache but its head, read in
    blocks (the arrays are tens of megabytes at 100k chunks)."""
    digest = hashlib.sha256()
    for path in sorted(folder.iterdir()):
        if path.name == _HEAD or not path.is_file():
            continue
        digest.update(path.name.encode() + b"\0")
        with path.open("rb") as f:
            while block := f.read(1 << 20):
                digest.update(block)
    return digest.hexdigest()


class KeywordIndex:
    def __init__(self, chunk_ids: list[str], bm25: object | None) -> None:
        self._ids = chunk_ids
        self._bm25 = bm25

    @classmethod
    def build(cls, chunks: Iterable[tuple[str, str, str]]) -> KeywordIndex:
        """From (chunk id, article title, chunk text) triples, streamed: each chunk is
        analysed and reduced to its (term, count) pairs at once, so memory holds about
        20 bytes per distinct term of each chunk at its peak (bm25s's own `index()` holds
        every token list and about 35 bytes per pair: 440 MB more at 100k chunks). The
        result is bm25s's index with its default scoring (Lucene's BM25); the tests check
        it equals what `bm25s.BM25.index()` builds from the same terms."""
        # Chunk ids go into one buffer, split at the end: 100k small strings made while
        # the pages are parsed would be scattered among the pages' freed memory.
        names = io.StringIO()
        pairs = _Pairs()
        for chunk_id, title, text in chunks:
            names.write(chunk_id)
            names.write("\0")  # no file name, hence no chunk id, holds a NUL
            # The title is part of what a chunk is about; a placeholder keeps empty docs valid.
            pairs.add(analyze(title) + analyze(text) or ["\x00"])
        ids = names.getvalue().split("\0")[:-1]
        if not ids:
            return cls([], None)
        bm25 = pairs.bm25()
        release_free_memory()  # the sort's temporaries (see index/memory.py)
        return cls(ids, bm25)

    @classmethod
    def from_store(cls, store: Any) -> KeywordIndex:
        """Over every chunk a ChunkStore holds, read page by page."""
        return cls.build(
            (c.chunk_id, c.article.title, c.text) for c in store.iter_chunks()
        )

    def __len__(self) -> int:
        return len(self._ids)

    def idf(self, term: str) -> float:
        """BM25 inverse document frequency of an index term; 0.0 for an unknown term."""
        if self._bm25 is None:
            return 0.0
        tid = self._bm25.vocab_dict.get(term)  # type: ignore[attr-defined]
        if tid is None:
            return 0.0
        indptr = self._bm25.scores["indptr"]  # type: ignore[attr-defined]
        df = int(indptr[tid + 1] - indptr[tid])
        n = len(self._ids)
        return float(np.log(1.0 + (n - df + 0.5) / (df + 0.5))) if df else 0.0

    def knows(self, term: str) -> bool:
        return self.idf(term) > 0.0

    def search(self, query: str, k: int) -> list[tuple[str, float]]:
        """Best chunks for the question, with BM25 scores; chunks scoring zero are left out."""
        if self._bm25 is None:
            return []
        terms = analyze(query) + expand(query)
        ids = self._bm25.get_tokens_ids(terms)  # type: ignore[attr-defined]
        if not ids:
            return []
        scores = np.asarray(self._bm25.get_scores_from_ids(ids))  # type: ignore[attr-defined]
        top = np.argsort(-scores, kind="stable")[:k]
        return [(self._ids[i], float(scores[i])) for i in top if scores[i] > 0]

    def save(self, folder: Path, version: str) -> None:
        """Write the cache beside `folder` and swap it in. Two processes saving at once (an
        ingest and a bot) each use their own temporary folder; the loser's copy, built
        from the same version, is dropped."""
        folder.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=folder.name + ".tmp-", dir=folder.parent))
        if self._bm25 is not None:
            self._bm25.save(str(tmp), show_progress=False)  # type: ignore[attr-defined]
        (tmp / _IDS).write_text(json.dumps(self._ids))
        # The head is small so that checking a cache's version costs nothing: a bot checks
        # whenever it looks for a newer index. It is written last, with the checksum.
        (tmp / _HEAD).write_text(json.dumps({
            "format": _FORMAT, "version": version, "chunks": len(self._ids),
            "sha256": _digest(tmp),
        }))
        # Swap the folder in whole so a reader never sees half a cache.
        old = Path(tempfile.mkdtemp(prefix=folder.name + ".old-", dir=folder.parent))
        try:
            if folder.exists():
                folder.replace(old / "cache")
            tmp.rename(folder)
        except OSError as exc:  # another process swapped its copy in first
            log.info("keyword cache written concurrently (%s); keeping the other copy", exc)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
            shutil.rmtree(old, ignore_errors=True)

    @staticmethod
    def _head(folder: Path) -> dict[str, Any] | None:
        try:
            head = json.loads((folder / _HEAD).read_text())
        except (OSError, ValueError):
            return None
        if not isinstance(head, dict) or head.get("format") != _FORMAT:
            return None
        return head

    @classmethod
    def cached_version(cls, folder: Path) -> str | None:
        """The version the cache in `folder` was built for, if it is one we can read (the
        head only: cheap enough for every poll)."""
        head = cls._head(folder)
        return None if head is None else str(head.get("version"))

    @classmethod
    def verify(cls, folder: Path) -> None:
        """Raise DamagedCacheError unless every file of the cache matches its checksum."""
        head = cls._head(folder)
        if head is None:
            raise DamagedCacheError(f"no readable keyword cache in {folder}")
        try:
            found = _digest(folder)
        except OSError as exc:
            raise DamagedCacheError(f"keyword cache in {folder} unreadable: {exc}") from None
        if found != head.get("sha256"):
            raise DamagedCacheError(
                f"keyword cache in {folder} does not match its checksum"
            )

    @classmethod
    def cached_ids(cls, folder: Path, version: str) -> list[str] | None:
        """The chunk ids of the cache in `folder` if it was built for `version` (not
        verified: see `verify`)."""
        if cls.cached_version(folder) != version:
            return None
        try:
            return [str(i) for i in json.loads((folder / _IDS).read_text())]
        except (OSError, ValueError, TypeError):
            return None

    @classmethod
    def load(cls, folder: Path, version: str) -> KeywordIndex | None:
        """The cached index if it was built for `version`, else None; DamagedCacheError
        when its files fail their checksum or cannot be read back."""
        if cls.cached_version(folder) != version:
            return None
        cls.verify(folder)
        ids = cls.cached_ids(folder, version)
        if ids is None:
            raise DamagedCacheError(f"keyword cache in {folder}: chunk ids unreadable")
        if not ids:
            return cls([], None)
        try:
            bm25 = _bm25s().BM25.load(str(folder), show_progress=False)
        except (OSError, ValueError, KeyError) as exc:
            raise DamagedCacheError(f"keyword cache in {folder} not usable: {exc}") from None
        return cls(ids, bm25)
